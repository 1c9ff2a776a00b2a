/**
 * Sessions on the demo network for the settlement specs: open one from a fresh client wallet, sign
 * vouchers with the demo runner's key exactly as the runner does (protocol/voucher.ts), and serve
 * them as the runner's voucher feed (GET /v1/session/vouchers, bearer token) on the shared HTTP layer.
 */
import { Address, beginCell, internal, SendMode, toNano } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../relayer/config';
import { MODEL_ID, OFFER } from '../../demo/protocol';
import type { DemoWallet } from '../../demo/wallet';
import { HttpError } from '../../http/errors';
import { createHttpServer, listen, sendJson } from '../../http/server';
import { bigintFromBytes } from '../../protocol/signed';
import { priceOf, voucherCell, VoucherBody } from '../../protocol/voucher';
import { VoucherJson, voucherToJson } from '../../protocol/voucherJson';
import { openProvider } from '../../sdk/chain';
import { VOUCHER_FEED_PATH } from '../../relayer/voucherFeed';
import { Provider, storeOpenSession } from '../../wrappers/Provider';
import type { World } from '../sdk/world';

export const FEED_TOKEN = 'test-feed-token-0123456789abcdef';

/**
 * The configuration of a relayer serving the world's Provider's sessions from the stand-in feed at
 * `feedUrl`: threshold 0.05 TON, margin 60 s, fast polls, its own fresh database; `env` overrides.
 */
export function sessionRelayerConfig(w: World, feedUrl: string, env: Record<string, string> = {}) {
    return parseConfig(w.demo.relayerEnv({
        COCOON_RELAYER_PROVIDERS: `${w.provider.toString()}=${feedUrl}`,
        COCOON_RELAYER_SESSION_FEEDS: `${w.provider.toString()}=${FEED_TOKEN}`,
        COCOON_RELAYER_SESSION_THRESHOLD_TON: '0.05',
        COCOON_RELAYER_SESSION_MARGIN_SECONDS: '60',
        COCOON_RELAYER_SESSION_POLL_MS: '50',
        COCOON_RELAYER_SESSION_CHECK_MS: '200',
        COCOON_RELAYER_POLL_MS: '50',
        COCOON_RELAYER_KEEPER: '0',
        LOG_LEVEL: 'info',
        COCOON_RELAYER_DB: join(mkdtempSync(join(tmpdir(), 'cocoon-sessions-')), 'relayer.sqlite'),
        ...env,
    }));
}
export const CLIENT_KEY = ed25519.keygen();

export interface OpenedSession {
    id: bigint;
    client: DemoWallet;
}

export async function openSession(w: World, opts: { deposit?: bigint; ttl?: bigint } = {}): Promise<OpenedSession> {
    const client = await w.demo.newClient(toNano('20'));
    const provider = w.demo.client.open(Provider.fromAddress(w.provider));
    const id = (await openProvider(w.demo.client, w.provider).getLedger()).nextSessionId;
    await provider.send(client, { value: opts.deposit ?? toNano('2') }, {
        $$type: 'OpenSession',
        queryId: 0n,
        modelId: MODEL_ID,
        enclaveKey: BigInt(`0x${w.demo.protocol.attestation.enclaveEd25519}`),
        clientKey: bigintFromBytes(CLIENT_KEY.publicKey),
        ttl: opts.ttl ?? 600n,
    });
    if (!(await session(w, id))) throw new Error(`session ${id} was not opened`);
    return { id, client };
}

export function session(w: World, id: bigint) {
    return openProvider(w.demo.client, w.provider).getSession(id);
}

export async function closeSession(w: World, s: OpenedSession): Promise<void> {
    await w.demo.client.open(Provider.fromAddress(w.provider)).send(s.client, { value: toNano('0.05') }, { $$type: 'CloseSession', queryId: 0n, sessionId: s.id });
}

/** A voucher for cumulative token counts at the demo's prices, signed by the demo runner's key (or `sign`). */
export function voucherJson(
    w: World,
    sessionId: bigint,
    seq: bigint,
    inputTokens: bigint,
    outputTokens: bigint,
    overrides: Partial<VoucherBody> & { globalId?: number; provider?: Address; sign?: (cellHash: Buffer) => Buffer } = {},
): VoucherJson {
    const { globalId, provider, sign, ...fields } = overrides;
    const body: VoucherBody = {
        seq, inputTokens, outputTokens,
        charge: priceOf(inputTokens, outputTokens, OFFER.pricePerMillionIn, OFFER.pricePerMillionOut),
        transcript: 0xabcn + seq, final: false, ...fields,
    };
    const ref = { globalId: globalId ?? w.demo.protocol.attestation.globalId, provider: provider ?? w.provider, sessionId };
    const cell = voucherCell(ref, body);
    const signature = sign ? sign(cell.hash()) : w.demo.protocol.enclaveKeys.sign(cell);
    return voucherToJson({ session: ref, voucher: { ...body, signature } });
}

/** Tokens that cost `ton` at the demo's prices (output only: 4 TON per million). */
export const tokensFor = (ton: string) => (toNano(ton) * 1_000_000n) / OFFER.pricePerMillionOut;

/** A runner's voucher feed on the shared HTTP layer: serves `vouchers` to the holder of `token`, counts reads. */
export async function feedServer(token = FEED_TOKEN): Promise<{ url: string; vouchers: VoucherJson[]; reads: () => number; close: () => Promise<void> }> {
    const vouchers: VoucherJson[] = [];
    let reads = 0;
    const server: Server = createHttpServer({}, async (req, res) => {
        if ((req.url ?? '').split('?')[0] !== VOUCHER_FEED_PATH || req.method !== 'GET') throw new HttpError(404, 'not_found', 'no such route');
        if (req.headers.authorization !== `Bearer ${token}`) throw new HttpError(401, 'unauthorized', 'bad token');
        reads++;
        sendJson(res, 200, { vouchers });
    });
    const url = await listen(server, 0, '127.0.0.1');
    return {
        url, vouchers, reads: () => reads,
        close: () => new Promise((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
        }),
    };
}

/**
 * Opens `count` sessions on the Provider from one fresh client wallet, as many OpenSession messages
 * in one V5 transfer as it carries (255): each session is a real one, its own Provider transaction.
 */
export async function openManySessions(w: World, count: number, deposit = toNano('0.05')): Promise<void> {
    const client = await w.demo.newClient(toNano('1') + BigInt(count) * (deposit + toNano('0.01')));
    const opened = w.demo.client.open(client.wallet);
    const ledger = openProvider(w.demo.client, w.provider);
    const target = (await ledger.getLedger()).nextSessionId + BigInt(count);
    const body = beginCell().store(storeOpenSession({
        $$type: 'OpenSession', queryId: 0n, modelId: MODEL_ID,
        enclaveKey: BigInt(`0x${w.demo.protocol.attestation.enclaveEd25519}`),
        clientKey: bigintFromBytes(CLIENT_KEY.publicKey), ttl: 600n,
    })).endCell();
    for (let left = count; left > 0;) {
        const n = Math.min(left, 255);
        const seqno = await opened.getSeqno();
        await opened.sendTransfer({
            seqno, secretKey: client.keys.secretKey, sendMode: SendMode.PAY_GAS_SEPARATELY, timeout: (await w.demo.clock.now()) + 120,
            messages: Array.from({ length: n }, () => internal({ to: w.provider, value: deposit, bounce: true, body })),
        });
        while ((await opened.getSeqno()) === seqno) await new Promise((r) => setTimeout(r, 20));
        left -= n;
    }
    for (let i = 0; (await ledger.getLedger()).nextSessionId < target; i++) {
        if (i > 500) throw new Error('sessions were not opened');
        await new Promise((r) => setTimeout(r, 20));
    }
}
