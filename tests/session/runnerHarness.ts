/**
 * A session runner over a fake chain, and a bare client speaking the wire format of
 * docs/spec/enclave.md ("Sessions") directly: handshake, sealed requests, length-prefixed frames of
 * sealed chunks. The runner specs use it; the SDK specs go through sdk/session.ts instead.
 */
import { Writable } from 'node:stream';
import type { Address } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ClientChannel, ed25519Signer, Ed25519Signer, startHandshake } from '../../crypto';
import type { AnswerStream } from '../../crypto/sessionChannel';
import type { InferenceBackend } from '../../enclave/backends/backend';
import type { OnChainSession, SessionSource } from '../../enclave/chainSessions';
import { createLogger } from '../../enclave/log';
import { modelIdFor, REFERENCE_MODEL_NAME } from '../../enclave/models';
import { createRunner, Runner } from '../../enclave/runner';
import { createEnclaveServer, EnclaveServer, ServerDeps, ServerLimits } from '../../enclave/server';
import type { LookupLimits } from '../../enclave/sessionLookups';
import { bigintFromBytes } from '../../protocol/signed';
import { FrameReader, SessionFinal } from '../../protocol/sessionWire';
import { GLOBAL_ID, PROVIDER } from '../enclave/helpers';

export const PRICE_IN = 1_000_000_000n; // nanotons per million tokens: 1 TON
export const PRICE_OUT = 4_000_000_000n;

/** The Provider's sessions as the runner reads them, held in memory. */
export class FakeSessions implements SessionSource {
    readonly records = new Map<bigint, OnChainSession>();
    reads = 0;
    failing = false;
    /** Called after each read with what it found (a test opens a session "a moment later" there). */
    afterRead?: (id: bigint, found: boolean) => void;

    async session(id: bigint): Promise<OnChainSession | null> {
        this.reads++;
        if (this.failing) throw new Error('endpoint down');
        const s = this.records.get(id);
        this.afterRead?.(id, s !== undefined);
        return s ? { ...s } : null;
    }
}

export const newClientKey = (): Ed25519Signer => ed25519Signer(ed25519.utils.randomSecretKey());

export interface Harness {
    runner: Runner;
    server: EnclaveServer;
    url: string;
    chain: FakeSessions;
    logs: () => string;
    /** Records session `id` on the fake chain for `client`, bound to this runner's key. */
    open(id: bigint, client: Ed25519Signer, over?: Partial<OnChainSession>): OnChainSession;
    close(): Promise<void>;
}

/** Hellos for new sessions are not what most specs test: their chain reads are bounded far above what they send. */
const ROOMY_LOOKUPS: Partial<LookupLimits> = { unknownBurst: 10_000, maxInflight: 10_000 };

export async function startHarness(opts: { backend?: InferenceBackend; limits?: Partial<ServerLimits>; voucherToken?: string; jobTimeoutMs?: number; lookups?: ServerDeps['sessionLookups'] } = {}): Promise<Harness> {
    const runner = await createRunner({ provider: PROVIDER, globalId: GLOBAL_ID, quote: 'dev', backend: 'reference', upstreamStream: false, maxContext: 8192, host: '127.0.0.1', port: 0, jobTimeoutMs: opts.jobTimeoutMs ?? 5000 });
    if (opts.backend) runner.ctx = { ...runner.ctx, backends: { ...runner.ctx.backends, reference: opts.backend } };
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(chunk.toString()), done()) });
    const chain = new FakeSessions();
    const server = createEnclaveServer({ ...runner, logger: createLogger(sink as never, 'debug'), limits: opts.limits, jobs: { openJob: async () => null }, sessions: chain, voucherToken: opts.voucherToken, sessionLookups: opts.lookups ?? ROOMY_LOOKUPS });
    const url = await server.listen(0);
    const open = (id: bigint, client: Ed25519Signer, over: Partial<OnChainSession> = {}) => {
        const now = Math.floor(Date.now() / 1000);
        const record: OnChainSession = {
            enclaveKey: bigintFromBytes(runner.ctx.keys.ed25519Public), clientKey: bigintFromBytes(client.publicKey), modelId: bigintFromBytes(modelIdFor(REFERENCE_MODEL_NAME)),
            deposit: 1_000_000_000n, paid: 0n, lastSeq: 0n, pricePerMillionIn: PRICE_IN, pricePerMillionOut: PRICE_OUT,
            expiresAt: now + 3600, settleUntil: now + 7200, closing: false, ...over,
        };
        chain.records.set(id, record);
        return record;
    };
    return { runner, server, url, chain, logs: () => lines.join(''), open, close: () => server.close() };
}

export const binding = (sessionId: bigint) => ({ globalId: GLOBAL_ID, provider: PROVIDER, sessionId });

export const post = (url: string, path: string, body: Uint8Array, headers: Record<string, string> = { 'content-type': 'application/octet-stream' }) =>
    fetch(url + path, { method: 'POST', headers, body });

/** Where a bare client talks: a runner's URL, its enclave key, and the session's network and Provider. */
export interface Target {
    url: string;
    enclaveKey: Uint8Array;
    globalId: number;
    provider: Address;
}

const targetOf = (t: Harness | Target): Target => ('runner' in t ? { url: t.url, enclaveKey: t.runner.ctx.keys.ed25519Public, globalId: GLOBAL_ID, provider: PROVIDER } : t);

/** A handshake as the client makes it: the channel, or the refused Response. */
export async function handshake(h: Harness | Target, sessionId: bigint, client: Ed25519Signer): Promise<{ channel: ClientChannel; id: string; res: Response }> {
    const t = targetOf(h);
    const hs = startHandshake({ globalId: t.globalId, provider: t.provider, sessionId, enclaveKey: t.enclaveKey, client });
    const res = await post(t.url, '/v1/session/hello', hs.hello);
    if (res.status !== 200) return { channel: undefined as never, id: '', res };
    const channel = hs.finish(Buffer.from(await res.arrayBuffer()));
    return { channel, id: channel.channelId.toString('hex'), res };
}

export async function mustHandshake(h: Harness | Target, sessionId: bigint, client: Ed25519Signer) {
    const r = await handshake(h, sessionId, client);
    if (r.res.status !== 200) throw new Error(`handshake refused: ${r.res.status} ${JSON.stringify(await r.res.json())}`);
    return r;
}

export interface Answer {
    status: number;
    /** The HTTP refusal, when not 200. */
    error?: { error: string; message: string };
    text: string;
    parts: Buffer[];
    final?: SessionFinal;
    /** Frames as they arrived, with when (process.hrtime) each came. */
    frames: number;
}

/** POSTs a sealed request (or close) and opens its answer on `answer`. */
export async function exchange(url: string, route: 'request' | 'close', channelId: string, seq: number, sealed: Uint8Array, answer?: AnswerStream, onText?: (t: string) => void): Promise<Answer> {
    const res = await post(url, `/v1/session/${route}?channel=${channelId}&seq=${seq}`, sealed);
    if (res.status !== 200) return { status: res.status, error: (await res.json()) as Answer['error'], text: '', parts: [], frames: 0 };
    const reader = new FrameReader();
    const parts: Buffer[] = [];
    let final: SessionFinal | undefined;
    let frames = 0;
    let index = 0;
    for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const frame of reader.push(bytes)) {
            frames++;
            if (!answer) continue;
            const chunk = answer.open(index++, frame);
            if (chunk.final) final = JSON.parse(chunk.data.toString('utf8'));
            else {
                parts.push(Buffer.from(chunk.data));
                onText?.(chunk.data.toString('utf8'));
            }
        }
    }
    answer?.end();
    return { status: 200, text: Buffer.concat(parts).toString('utf8'), parts, final, frames };
}

/** Seals `body` (JSON) on `channel` and exchanges it. */
export async function ask(h: Harness | Target, c: { channel: ClientChannel; id: string }, body: unknown, onText?: (t: string) => void): Promise<Answer & { plaintext: Buffer }> {
    const plaintext = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
    const { seq, sealed, answer } = c.channel.sealRequest(plaintext);
    return { ...(await exchange(targetOf(h).url, 'request', c.id, seq, sealed, answer, onText)), plaintext };
}

export const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content }], ...extra });
