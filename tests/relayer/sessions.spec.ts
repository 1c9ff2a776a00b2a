/**
 * The settlement service on the devnet (issue 13): vouchers read from a runner's feed, checked,
 * stored, and settled by external SettleVoucher at the threshold, when the client closes, never
 * after the window; a too-small voucher of an ending session logged and left (by default: the wallet
 * route costs more than it adds), or from the relayer wallet when told to;
 * forged, foreign and malformed feed items never stored or sent; chain reads per feed poll counted.
 */
import { Address, toNano } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { Counter } from 'prom-client';
import { mnemonicToPrivateKey } from '@ton/crypto';
import { cocoonWallet } from '../../protocol/wallet';
import { RelayerHandle, startRelayer } from '../../relayer/relayer';
import { sessionRefundIn } from '../../sdk/events';
import { Provider } from '../../wrappers/Provider';
import { startWorld, World } from '../sdk/world';
import { history, memoryLog, until } from './helpers';
import { closeSession, feedServer, openSession, session, sessionRelayerConfig, tokensFor, voucherJson } from './sessionWorld';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function count(metric: Counter, labels: Record<string, string> = {}): Promise<number> {
    const values = (await metric.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
    return values.reduce((a, v) => a + v.value, 0);
}

/** A JSON-RPC proxy in front of the devnet that records each method called (chain reads and sends of the relayer). */
async function countingProxy(endpoint: string): Promise<{ endpoint: string; calls: string[]; close: () => Promise<void> }> {
    const target = new URL(endpoint);
    const calls: string[] = [];
    const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const body = Buffer.concat(chunks);
            try {
                calls.push(String(JSON.parse(body.toString()).method));
            } catch {
                calls.push('?');
            }
            const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
                res.writeHead(r.statusCode ?? 502, r.headers);
                r.pipe(res);
            });
            up.on('error', () => res.destroy());
            up.end(body);
        });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    return { endpoint: `http://127.0.0.1:${port}${target.pathname}`, calls, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

describe('relayer: session settlement', () => {
    let w: World;
    let feed: Awaited<ReturnType<typeof feedServer>>;
    let raw: string;
    const running: RelayerHandle[] = [];

    beforeAll(async () => {
        w = await startWorld({ relayer: false });
        feed = await feedServer();
        raw = w.provider.toRawString();
    });
    afterEach(async () => {
        await Promise.all(running.splice(0).map((r) => r.stop()));
        feed.vouchers.length = 0;
    });
    afterAll(async () => {
        await feed?.close();
        await w?.stop();
    });

    /** A relayer serving the demo Provider's sessions from `feed`: threshold 0.05 TON, margin 60 s. */
    async function relayer(env: Record<string, string> = {}, destination = memoryLog()) {
        const config = sessionRelayerConfig(w, feed.url, env);
        const r = await startRelayer(config, { logDestination: destination.stream });
        running.push(r);
        return { r, logs: destination };
    }

    const row = (r: RelayerHandle, id: bigint) => r.store.sessions.get(raw, id);

    it('stores a voucher below the threshold without settling it, and settles once a voucher passes the threshold', async () => {
        const s = await openSession(w);
        const { r } = await relayer();
        feed.vouchers.push(voucherJson(w, s.id, 1n, 0n, tokensFor('0.01')));
        await until('the first voucher stored', () => row(r, s.id)?.seq === 1n);
        const reads = feed.reads();
        await until('ten more feed reads', () => feed.reads() >= reads + 10, 20);
        expect((await session(w, s.id))!.lastSeq).toBe(0n);
        expect(row(r, s.id)).toMatchObject({ state: 'pending', charge: toNano('0.01') });

        const second = voucherJson(w, s.id, 2n, 1000n, tokensFor('0.06'));
        feed.vouchers[0] = second;
        const t0 = Date.now();
        const settled = await until('the second voucher settled on chain', async () => {
            const rec = (await session(w, s.id))!;
            return rec.lastSeq === 2n && rec;
        }, 10);
        const latencyMs = Date.now() - t0;
        expect(settled.paid).toBe(BigInt(second.charge));
        await until('the row recorded as settled', () => row(r, s.id)?.state === 'settled');
        expect(await count(r.metrics.settleSends, { via: 'external', attempt: 'first' })).toBe(1);
        expect(await count(r.metrics.settlements, { via: 'external' })).toBe(1);
        expect(await count(r.metrics.vouchersStored)).toBe(2);
        const metrics = await (await fetch(`${r.url}/metrics`)).text();
        expect(metrics).toMatch(/cocoon_relayer_session_vouchers\{state="settled"\} 1/);
        expect(metrics).toMatch(/cocoon_relayer_session_owed_nanotons 0/);
        process.stdout.write(`settlement at threshold: voucher in the feed → settled on chain in ${latencyMs} ms (feed poll 50 ms)\n`);
    });

    it('settles a closing session inside its window, told by the watcher (record re-reads off)', async () => {
        const s = await openSession(w);
        const { r, logs } = await relayer({ COCOON_RELAYER_SESSION_CHECK_MS: '600000' });
        feed.vouchers.push(voucherJson(w, s.id, 1n, 0n, tokensFor('0.01')));
        await until('the voucher stored', () => row(r, s.id)?.seq === 1n);
        await sleep(300);
        expect((await session(w, s.id))!.lastSeq).toBe(0n);
        const t0 = Date.now();
        await closeSession(w, s);
        const rec = await until('the voucher settled after the close', async () => {
            const x = (await session(w, s.id))!;
            return x.lastSeq === 1n && x;
        }, 10);
        const latencyMs = Date.now() - t0;
        expect(rec.closing).toBe(true);
        expect(await w.demo.clock.now()).toBeLessThanOrEqual(Number(rec.settleUntil));
        expect(logs.text()).toMatch(/"reason":"closing".*"msg":"settling"/);
        process.stdout.write(`closing session: CloseSession applied → its voucher settled in ${latencyMs} ms (watcher poll 50 ms)\n`);
    });

    it('settles a too-small voucher of a closing session from the relayer wallet when told to, at a loss (ERR_NOTHING_TO_PAY by external)', async () => {
        const s = await openSession(w);
        const { r, logs } = await relayer({ COCOON_RELAYER_SESSION_WALLET_SETTLE: '1' });
        const operator = await operatorAddress(w);
        const walletBefore = await w.demo.client.getBalance(operator);
        feed.vouchers.push(voucherJson(w, s.id, 1n, 0n, tokensFor('0.002')));
        await until('the voucher stored', () => row(r, s.id)?.seq === 1n);
        await closeSession(w, s);
        await until('the small voucher settled', async () => (await session(w, s.id))!.lastSeq === 1n);
        expect(logs.text()).toContain('ERR_NOTHING_TO_PAY');
        await until('the wallet settlement confirmed', async () => (await count(r.metrics.settlements, { via: 'wallet' })) === 1);
        const spent = walletBefore - (await w.demo.client.getBalance(operator));
        expect(spent).toBeGreaterThan(0n);
        expect(spent).toBeLessThan(toNano('0.03'));
        // What the default (off) saves: the wallet paid more than the voucher brought the provider.
        expect(spent).toBeGreaterThan(toNano('0.002'));
        process.stdout.write(`wallet settlement of a 0.002 TON voucher cost the relayer wallet ${Number(spent) / 1e9} TON\n`);
    });

    it.each([
        ['by default, with a relayer wallet (settling from it would cost more than the voucher adds)', {}],
        ['without a relayer wallet', { COCOON_RELAYER_KEEPER_MNEMONIC: '', COCOON_RELAYER_SESSION_WALLET_SETTLE: '1' }],
    ])('%s, logs a too-small voucher of an ending session and sends nothing more', async (_what, env: Record<string, string>) => {
        const s = await openSession(w);
        const operator = await operatorAddress(w);
        const walletBefore = await w.demo.client.getBalance(operator);
        const { r, logs } = await relayer(env);
        feed.vouchers.push(voucherJson(w, s.id, 1n, 0n, tokensFor('0.002')));
        await until('the voucher stored', () => row(r, s.id)?.seq === 1n);
        await closeSession(w, s);
        await until('the voucher reported left unsettled', () => logs.text().includes('left unsettled'));
        await sleep(500);
        expect((await session(w, s.id))!.lastSeq).toBe(0n);
        expect(await count(r.metrics.settleSends)).toBe(1); // the one external the contract refused before acceptance
        expect(await count(r.metrics.sessionFailures, { reason: 'too_small' })).toBe(1);
        expect(await count(r.metrics.settleSends, { via: 'wallet' })).toBe(0);
        expect(await w.demo.client.getBalance(operator)).toBe(walletBefore);
    });

    it('never stores or sends a forged, foreign, mispriced, unknown or malformed voucher; keeps the newest of a replay', async () => {
        const target = await openSession(w);
        const other = await openSession(w);
        const { r } = await relayer();
        const stranger = ed25519.keygen();
        const big = tokensFor('0.2'); // above the threshold: anything stored would be sent at once
        const unknownId = other.id + 1000n; // never issued
        feed.vouchers.push(
            voucherJson(w, target.id, 1n, 0n, big, { sign: (h) => Buffer.from(ed25519.sign(h, stranger.secretKey)) }),
            voucherJson(w, target.id, 1n, 0n, big, { provider: w.demo.protocol.registry.address }),
            voucherJson(w, target.id, 1n, 0n, big, { globalId: -3 }),
            voucherJson(w, target.id, 1n, 0n, big, { charge: toNano('0.2') + 1n }),
            voucherJson(w, unknownId, 1n, 0n, big),
            {} as never, 'x' as never,
            { ...voucherJson(w, target.id, 1n, 0n, big), extra: 1 } as never,
            { ...voucherJson(w, target.id, 1n, 0n, big), seq: 1 } as never,
            voucherJson(w, other.id, 2n, 0n, tokensFor('0.01')),
        );
        await until('the good voucher stored', () => row(r, other.id)?.seq === 2n);
        feed.vouchers.push(voucherJson(w, other.id, 1n, 0n, tokensFor('0.005'))); // an older voucher, replayed
        const reads = feed.reads();
        await until('five more feed reads', () => feed.reads() >= reads + 5, 20);

        expect(row(r, target.id)).toBeNull();
        expect(row(r, unknownId)).toBeNull();
        expect(row(r, other.id)).toMatchObject({ seq: 2n, charge: toNano('0.01'), state: 'pending' });
        expect((await session(w, target.id))!.lastSeq).toBe(0n);
        expect(await count(r.metrics.settleSends)).toBe(0);
        // Each poll refuses them again: at least once per kind.
        for (const [reason, min] of [['bad_signature', 1], ['foreign', 2], ['bad_charge', 1], ['unknown_session', 1], ['malformed', 4]] as const) {
            const n = await count(r.metrics.vouchersRefused, { reason });
            expect(`${reason}: ${n >= min ? 'refused' : n}`).toBe(`${reason}: refused`);
        }
        // The session the forgeries named is not spoiled: its runner's real voucher settles.
        feed.vouchers.push(voucherJson(w, target.id, 1n, 0n, big));
        await until('the real voucher settled', async () => (await session(w, target.id))!.lastSeq === 1n);
    });

    it('reads the chain only when something may have to be done: none per idle feed poll', async () => {
        const proxy = await countingProxy(w.demo.devnet.endpoint);
        try {
            const s = await openSession(w);
            // Watcher quiet (1 min polls) and record re-reads off, so only the settlement service reads.
            const { r } = await relayer({ COCOON_RELAYER_ENDPOINT: proxy.endpoint, COCOON_RELAYER_POLL_MS: '60000', COCOON_RELAYER_SESSION_CHECK_MS: '600000' });
            const polls = async (n: number) => {
                const reads = feed.reads();
                await until(`${n} feed reads`, () => feed.reads() >= reads + n, 20);
            };
            await polls(20); // start-up: the watcher's first poll, the Provider's global id
            const calls = (from: number) => proxy.calls.slice(from);
            let mark = proxy.calls.length;
            await polls(20);
            const idle = calls(mark);
            mark = proxy.calls.length;
            feed.vouchers.push(voucherJson(w, s.id, 1n, 0n, tokensFor('0.01')));
            await until('the first voucher stored', () => row(r, s.id)?.seq === 1n);
            await polls(5);
            const first = calls(mark);
            mark = proxy.calls.length;
            feed.vouchers[0] = voucherJson(w, s.id, 2n, 0n, tokensFor('0.02'));
            await until('the second voucher stored', () => row(r, s.id)?.seq === 2n);
            await polls(20);
            const below = calls(mark);
            // A forged voucher for a real session with nothing stored: one lookup, however often the feed repeats it.
            const other = await openSession(w);
            const stranger = ed25519.keygen();
            mark = proxy.calls.length;
            feed.vouchers.push(voucherJson(w, other.id, 1n, 0n, tokensFor('0.5'), { sign: (h) => Buffer.from(ed25519.sign(h, stranger.secretKey)) }));
            await polls(20);
            const forged = calls(mark);
            feed.vouchers.pop();
            mark = proxy.calls.length;
            feed.vouchers[0] = voucherJson(w, s.id, 3n, 0n, tokensFor('0.1'));
            await until('the third voucher settled', () => row(r, s.id)?.state === 'settled');
            const settling = calls(mark);
            expect(idle).toEqual([]);
            expect(first).toEqual(['runGetMethod']); // the session's record: its key, prices and window
            expect(below).toEqual([]);
            expect(forged).toEqual(['runGetMethod']);
            expect(row(r, other.id)).toBeNull();
            expect(settling.filter((m) => m === 'sendBoc')).toHaveLength(1);
            expect(settling.length).toBeLessThanOrEqual(6);
            process.stdout.write(`chain calls: idle feed poll 0; first voucher of a session ${first.length}; a voucher below the threshold 0; a forged voucher repeated by 20 polls ${forged.length}; a settlement ${settling.length} (${settling.join(', ')})\n`);
        } finally {
            await proxy.close();
        }
    });

    // Last: moves the devnet clock past the session's window.
    it('never settles after the window: the voucher is recorded lost, a later one is ignored, the client gets everything back', async () => {
        const s = await openSession(w);
        const { r, logs } = await relayer();
        feed.vouchers.push(voucherJson(w, s.id, 1n, 0n, tokensFor('0.01')));
        await until('the voucher stored', () => row(r, s.id)?.seq === 1n);
        const rec = (await session(w, s.id))!;
        await w.advance(Number(rec.settleUntil) - w.demo.clock.now() + 5);
        await until('the voucher recorded lost', () => row(r, s.id)?.state === 'ended');
        expect(row(r, s.id)).toMatchObject({ endKind: 'lost' });
        expect(logs.text()).toContain('voucher lost: the challenge window closed before it settled');
        feed.vouchers[0] = voucherJson(w, s.id, 2n, 0n, tokensFor('0.5'));
        const reads = feed.reads();
        await until('ten more feed reads', () => feed.reads() >= reads + 10, 20);
        expect(await count(r.metrics.settleSends)).toBe(0);
        expect(row(r, s.id)).toMatchObject({ seq: 1n, state: 'ended' });
        expect((await session(w, s.id))!.lastSeq).toBe(0n);
        await w.demo.client.open(Provider.fromAddress(w.provider)).send(w.demo.protocol.providerOwner, { value: toNano('0.05') }, { $$type: 'FinishSession', queryId: 0n, sessionId: s.id });
        await until('the session ended', async () => (await session(w, s.id)) === null);
        const refunds = (await history(w.demo.client, w.provider)).map((tx) => sessionRefundIn(tx, s.id)).filter((r) => r !== null);
        expect(refunds.map((r) => r!.amount)).toEqual([rec.deposit]); // a stranger ended it: the client gets the whole rest
    });
});

/** The relayer wallet of the demo's relayer environment (its keeper mnemonic). */
async function operatorAddress(w: World): Promise<Address> {
    return cocoonWallet((await mnemonicToPrivateKey(w.demo.keeperMnemonic)).publicKey, 'devnet').address;
}
