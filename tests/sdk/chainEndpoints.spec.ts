// Issue 11 #10, the chain half: every chain client retries HTTP 429; the reads that decide trust
// (allow-list, enclave record, verifier, time) are made on every configured endpoint and must agree.
// The lying endpoint below is a real HTTP proxy in front of the devnet that replays get-method
// answers recorded before governance removed the enclave's image: "the image is still allowed".
import { Address, toNano } from '@ton/core';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { devEnclaveMeasurement } from '../../attestation/devQuote';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { bigintFromBytes } from '../../protocol/signed';
import { Registry } from '../../wrappers/Registry';
import { agreed, agreedTime, Chain, ChainDisagreementError, chainClient, CHAIN_TIME_TOLERANCE_S, RATE_LIMIT_BACKOFF } from '../../sdk';
import { Clock, openProvider, throttled, toncenterTier } from '../../sdk/chain';
import { startWorld, World } from './world';

const chat = (content: string) => ({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content }] });

async function body(req: IncomingMessage): Promise<string> {
    const parts: Buffer[] = [];
    for await (const p of req) parts.push(p as Buffer);
    return Buffer.concat(parts).toString('utf8');
}

async function listen(server: Server): Promise<string> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/jsonRPC`;
}

describe('chain clients: HTTP 429 is retried with backoff', () => {
    const fast = { retries: 3, baseMs: 1, maxMs: 5 };

    it('retries 429 answers and returns the answer that follows them', async () => {
        let calls = 0;
        const server = createServer(async (req, res) => {
            await body(req);
            calls++;
            if (calls <= 2) {
                res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' });
                return res.end('{"ok":false,"error":"Ratelimit exceed","code":429}');
            }
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"ok":true,"result":[],"id":"1","jsonrpc":"2.0"}'); // no transactions
        });
        try {
            const client = chainClient(await listen(server), { backoff: fast });
            expect(await client.getTransactions(new Address(0, Buffer.alloc(32)), { limit: 1 })).toEqual([]);
            expect(calls).toBe(3);
        } finally {
            server.close();
        }
    });

    it('gives up after its retries with the endpoint\'s 429, and never retries other failures', async () => {
        let calls = 0;
        let status = 429;
        const server = createServer(async (req, res) => {
            await body(req);
            calls++;
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end('{"ok":false,"error":"no"}');
        });
        try {
            const client = chainClient(await listen(server), { backoff: fast });
            await expect(client.getTransactions(new Address(0, Buffer.alloc(32)), { limit: 1 })).rejects.toMatchObject({ response: { status: 429 } });
            expect(calls).toBe(1 + fast.retries);
            calls = 0;
            status = 500;
            await expect(client.getTransactions(new Address(0, Buffer.alloc(32)), { limit: 1 })).rejects.toMatchObject({ response: { status: 500 } });
            expect(calls).toBe(1);
        } finally {
            server.close();
        }
    });

    it('waits Retry-After when given (at most maxMs) without slowing down for it', async () => {
        const { clock, sleeps } = fakeClock();
        let calls = 0;
        const base = async (config: unknown) => (calls++ === 0 ? Promise.reject(tooMany('3600')) : ok(config));
        const adapter = throttled({ retries: 2, baseMs: 250, maxMs: 8000 }, undefined, clock, base as never);
        await adapter({} as never);
        await adapter({} as never);
        expect(sleeps).toEqual([8000]); // the cap, then no gap: Retry-After said when, not how fast
    });
});

/** A clock that moves only when slept on: the throttle's waits are recorded, nothing waits for real. */
function fakeClock(): { clock: Clock; sleeps: number[] } {
    let t = 0;
    const sleeps: number[] = [];
    return { sleeps, clock: { now: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)) } };
}

const ok = (config: unknown) => ({ data: null, status: 200, statusText: 'OK', headers: {}, config });
const tooMany = (retryAfter?: string) => Object.assign(new Error('429'), { response: { status: 429, headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter } } });

// Issue 12: "registry show fires 9 calls at once, provider status 15" and failed at toncenter's 1 rps.
describe('chain clients: paced to toncenter\'s tier', () => {
    it('knows the tiers (paced 10% under them): 1 rps without a key, 10 with one, unpaced elsewhere', () => {
        expect(toncenterTier('https://testnet.toncenter.com/api/v2/jsonRPC')).toBe(0.9);
        expect(toncenterTier('https://toncenter.com/api/v2/jsonRPC', 'key')).toBe(9);
        expect(toncenterTier('https://toncenter.com/api/v2/jsonRPC?api_key=k')).toBe(9);
        expect(toncenterTier('http://127.0.0.1:8081/jsonRPC')).toBeUndefined();
        expect(toncenterTier('https://toncenter.com.evil.example/jsonRPC')).toBeUndefined();
    });

    it('starts a burst of requests one gap apart, in order (a fake clock, nothing waits for real)', async () => {
        const { clock, sleeps } = fakeClock();
        const adapter = throttled(RATE_LIMIT_BACKOFF, 2, clock, (async (config: { url: string }) => ({ ...ok(config), data: config.url })) as never);
        const answers = await Promise.all(['a', 'b', 'c', 'd'].map((url) => adapter({ url } as never)));
        expect(answers.map((a) => a.data)).toEqual(['a', 'b', 'c', 'd']);
        expect(sleeps).toEqual([500, 500, 500]); // the first starts at once, then one every 500 ms
        expect(() => throttled(RATE_LIMIT_BACKOFF, 0)).toThrow(/rps/);
    });

    it('unpaced, finds an endpoint\'s unknown rate from its 429s: a burst against 1 request/s all succeeds', async () => {
        // The endpoint: a token bucket of one refilled once a second, answering 429 without Retry-After
        // (toncenter without a key), 2 ms away. Jest's clock: the throttle's waits and the round trips
        // interleave as they would for real, and nothing waits for real.
        jest.useFakeTimers({ now: 0 });
        try {
            const rtt = () => new Promise((r) => setTimeout(r, 2));
            let tokens = 1;
            let at = 0;
            const accepted: number[] = [];
            let refused = 0;
            const base = async (config: unknown) => {
                await rtt();
                tokens = Math.min(1, tokens + (Date.now() - at) / 1000);
                at = Date.now();
                const ok_ = tokens >= 1;
                if (ok_) tokens -= 1, accepted.push(Date.now());
                else refused++;
                await rtt();
                return ok_ ? ok(config) : Promise.reject(tooMany());
            };
            const adapter = throttled(RATE_LIMIT_BACKOFF, undefined, undefined, base as never);
            const burst = Promise.all(Array.from({ length: 15 }, () => adapter({} as never))); // provider status reads ~15 getters at once
            await jest.advanceTimersByTimeAsync(60_000);
            await burst;
            expect(accepted).toHaveLength(15);
            // The burst's first refusal sets the gap from the one request let through in that second
            // (1100 ms); its other 13 refusals do not move it. The gap then narrows until one more
            // refusal, and never back under the spacing refused.
            expect(refused).toBeLessThanOrEqual(14 + 2);
            expect(accepted[14]).toBeLessThan(17_000); // 15 requests at 1 request/s
            const spacings = accepted.slice(-5).map((t, i, all) => (i ? t - all[i - 1] : 1000));
            expect(Math.min(...spacings)).toBeGreaterThanOrEqual(1000); // the pace it settled at is the endpoint's
        } finally {
            jest.useRealTimers();
        }
    });
});

describe('cross-checked reads: every endpoint must agree', () => {
    const fake = (endpoint: string, answer: unknown, time = 1000): Chain =>
        ({ parameters: { endpoint }, answer, getContractState: async () => ({ timestampt: time }) }) as unknown as Chain;
    const read = async (c: Chain) => {
        const a = (c as unknown as { answer: unknown }).answer;
        if (a instanceof Error) throw a;
        return a;
    };
    const anyAddress = new Address(0, Buffer.alloc(32));

    it('returns the answer all endpoints give, and names each endpoint\'s answer when one differs', async () => {
        expect(await agreed([fake('a', 5n), fake('b', 5n)], 'x', read)).toBe(5n);
        const err = await agreed([fake('http://a', 5n), fake('http://b', 6n)], 'image 01 on the allow-list', read).catch((e: Error) => e);
        expect(err).toBeInstanceOf(ChainDisagreementError);
        expect(err).toMatchObject({ code: 'chain_disagreement', what: 'image 01 on the allow-list' });
        expect((err as Error).message).toMatch(/http:\/\/a says "5n"; http:\/\/b says "6n"; nothing was sent/);
    });

    it('does not let a liar win by failing: the endpoints that answer must still reach two', async () => {
        const down = new Error('ECONNREFUSED');
        await expect(agreed([fake('a', 5n), fake('b', down)], 'x', read)).rejects.toBe(down);
        expect(await agreed([fake('a', 5n), fake('b', down), fake('c', 5n)], 'x', read)).toBe(5n);
        await expect(agreed([fake('a', 5n), fake('b', down), fake('c', 7n)], 'x', read)).rejects.toBeInstanceOf(ChainDisagreementError);
    });

    it('takes chain time as the latest answer within the tolerance, and refuses answers further apart', async () => {
        expect(await agreedTime([fake('a', 0, 1000), fake('b', 0, 1000 + CHAIN_TIME_TOLERANCE_S)], anyAddress)).toBe(1000 + CHAIN_TIME_TOLERANCE_S);
        await expect(agreedTime([fake('a', 0, 1000), fake('b', 0, 1001 + CHAIN_TIME_TOLERANCE_S)], anyAddress)).rejects.toMatchObject({ code: 'chain_disagreement' });
    });
});

describe('sdk: an endpoint that lies about the image allow-list', () => {
    let w: World;
    let proxy: Server;
    let replay = false;
    let liar: Chain;
    beforeAll(async () => {
        w = await startWorld();
        const recorded = new Map<string, string>();
        const upstream = w.demo.devnet.endpoint;
        proxy = createServer(async (req, res) => {
            const text = await body(req);
            const call = JSON.parse(text) as { method: string; params: unknown };
            const key = call.method === 'runGetMethod' ? JSON.stringify(call.params) : null;
            let answer = key && replay ? recorded.get(key) : undefined;
            if (answer === undefined) {
                answer = await (await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text })).text();
                if (key && !replay) recorded.set(key, answer);
            }
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(answer);
        });
        liar = chainClient(await listen(proxy));
        // Record the chain as it is while the image is allowed: one verified job through the proxy.
        await w.newSdk({ client: liar, witnesses: [w.demo.client] }).run(chat('recorded'));
        // Governance removes the image (say, for a vulnerability); it acts at once in the Registry.
        const registry = w.demo.client.open(Registry.fromAddress(w.registry));
        await registry.send(w.demo.protocol.owner, { value: toNano('0.1') }, { $$type: 'RemoveImage', queryId: 0n, imageHash: bigintFromBytes(devEnclaveMeasurement(w.demo.protocol.attestation.runtime)) });
        replay = true;
    });
    afterAll(async () => {
        proxy.close();
        await w.stop();
    });

    it('alone, it still decides: the only configured endpoint is taken at its word (documented limit)', async () => {
        const r = await w.newSdk({ client: liar }).run(chat('a single endpoint decides'));
        expect(r.jobId).toBeGreaterThan(0n);
    });

    it('with an honest witness, the disagreement is refused as chain_disagreement and nothing is sent', async () => {
        const next = (await openProvider(w.demo.client, w.provider).getLedger()).nextJobId;
        const seqno = await w.demo.client.open(w.signer['wallet']).getSeqno();
        const err = await w.newSdk({ client: liar, witnesses: [w.demo.client] }).run(chat('canary-issue-11-10')).catch((e) => e);
        expect(err).toBeInstanceOf(ChainDisagreementError);
        expect(err.message).toMatch(/on the Registry's allow-list/);
        expect((await openProvider(w.demo.client, w.provider).getLedger()).nextJobId).toBe(next);
        expect(await w.demo.client.open(w.signer['wallet']).getSeqno()).toBe(seqno);
    });

    it('an honest endpoint alone refuses the removed image', async () => {
        await expect(w.newSdk().run(chat('honest'))).rejects.toMatchObject({ code: 'no_provider' });
    });
});
