// `--rate-limit <rps>` / `--key-rate-limit <rps>` emulate toncenter's tiers (1 rps per IP without a
// key, 10 per free key): the API answers 429 with toncenter's body beyond the rate, and chainClient
// (sdk/chain.ts) rides it out. The limiter's clock is injected, so no assertion depends on how fast this machine is.
import { AxiosError } from 'axios';
import { TonClient } from '@ton/ton';
import { startDevnet } from '../../devnet';
import { TokenBucket } from '../../http/rateLimit';
import { chainClient } from '../../sdk/chain';
import { randomAddress } from './helpers';
import { MAX_RATE_LIMIT, parseFlags } from '../../devnet/flags';

const RATELIMIT_BODY = { ok: false, error: 'Ratelimit exceed', code: 429 };

describe('http: token bucket', () => {
    it('lets a burst of `rate` through, then one more per 1/rate s, per key', () => {
        let ms = 0;
        const bucket = new TokenBucket(2, () => ms);
        expect([bucket.take('a'), bucket.take('a'), bucket.take('a')]).toEqual([true, true, false]);
        expect(bucket.take('b')).toBe(true); // another client has its own bucket
        ms += 499;
        expect(bucket.take('a')).toBe(false);
        ms += 1;
        expect([bucket.take('a'), bucket.take('a')]).toEqual([true, false]);
        ms += 60_000; // an idle client refills to the burst, not beyond
        expect([bucket.take('a'), bucket.take('a'), bucket.take('a')]).toEqual([true, true, false]);
    });

    it('refuses a rate that is not a positive number', () => {
        for (const bad of [0, -1, NaN, Infinity]) expect(() => new TokenBucket(bad)).toThrow(/rate/);
    });
});

describe('devnet: --rate-limit', () => {
    it('answers 429 with toncenter\'s body beyond the rate, on the API only', async () => {
        let ms = 1_000_000;
        const devnet = await startDevnet({ port: 0, rateLimit: 1, clock: () => ms });
        try {
            const get = () => fetch(`${devnet.url}/api/v2/getMasterchainInfo`);
            expect((await get()).status).toBe(200);
            const refused = await get();
            expect(refused.status).toBe(429);
            expect(await refused.json()).toEqual(RATELIMIT_BODY);
            const jsonRpc = await fetch(devnet.endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'getMasterchainInfo', params: {} }) });
            expect(jsonRpc.status).toBe(429);
            // The admin routes are the devnet's own, not toncenter's: never limited.
            await devnet.faucet(randomAddress(), 1n);
            expect((await fetch(`${devnet.url}/devnet/status`)).status).toBe(200);
            ms += 1000;
            expect((await get()).status).toBe(200);

            const plain = new TonClient({ endpoint: devnet.endpoint });
            const error: AxiosError = await plain.getBalance(randomAddress()).then(() => Promise.reject(new Error('not limited')), (e) => e);
            expect(error.response?.status).toBe(429);
        } finally {
            await devnet.close();
        }
    });

    it('gives each API key a bucket of its own at the keyed rate, lets unlimited keys pass, and counts what it refused', async () => {
        const ms = 1_000_000;
        const devnet = await startDevnet({ port: 0, rateLimit: 1, keyRateLimit: 2, unlimitedKeys: ['ours'], clock: () => ms });
        try {
            const get = (key?: string, inQuery = false) =>
                fetch(`${devnet.url}/api/v2/getMasterchainInfo${key && inQuery ? `?api_key=${key}` : ''}`, { headers: key && !inQuery ? { 'x-api-key': key } : {} }).then((r) => r.status);
            expect([await get(), await get()]).toEqual([200, 429]); // no key: the IP's bucket of 1
            expect([await get('a'), await get('a', true), await get('a')]).toEqual([200, 200, 429]); // a key, as header or query: 2 of its own
            expect(await get('b')).toBe(200); // another key, another bucket
            for (let i = 0; i < 5; i++) expect(await get('ours')).toBe(200);
            const { result } = (await (await fetch(`${devnet.url}/devnet/status`)).json()) as { result: Record<string, unknown> };
            // Unlimited keys are not counted: what is counted is what users asked.
            expect(result).toMatchObject({ rateLimit: 1, keyRateLimit: 2, admitted: { withoutKey: 1, withKey: 3 }, refused: { withoutKey: 1, withKey: 1 } });
        } finally {
            await devnet.close();
        }
    });

    it('is ridden out by chainClient, which retries 429', async () => {
        // Every request reaches the limiter 300 ms (of its clock) after the one before: at 1 rps,
        // one request in four passes, so each read needs three retries.
        let ms = 0;
        const devnet = await startDevnet({ port: 0, rateLimit: 1, clock: () => (ms += 300) });
        try {
            const chain = chainClient(devnet.endpoint, { backoff: { retries: 4, baseMs: 1, maxMs: 1 } });
            const target = randomAddress();
            for (let i = 0; i < 3; i++) expect(await chain.getBalance(target)).toBe(0n);
        } finally {
            await devnet.close();
        }
    });
});

describe('devnet: the --rate-limit flag', () => {
    it('takes a whole number of requests per second and refuses anything else with the usage', () => {
        expect(parseFlags(['--rate-limit', '10']).rateLimit).toBe(10);
        expect(parseFlags(['--rate-limit=1']).rateLimit).toBe(1);
        expect(parseFlags([]).rateLimit).toBeUndefined();
        expect(parseFlags(['--rate-limit', '1', '--key-rate-limit', '10'])).toMatchObject({ rateLimit: 1, keyRateLimit: 10 });
        for (const bad of ['0', '-1', '1.5', 'fast', String(MAX_RATE_LIMIT + 1)]) {
            expect(() => parseFlags(['--rate-limit', bad])).toThrow(/--rate-limit must be an integer in \[1, 1000\].*\nusage/s);
            expect(() => parseFlags(['--key-rate-limit', bad])).toThrow(/--key-rate-limit must be an integer in \[1, 1000\]/);
        }
    });

    it('refuses a bad rate in startDevnet too', async () => {
        await expect(startDevnet({ port: 0, rateLimit: 0 })).rejects.toThrow(/rateLimit/);
        await expect(startDevnet({ port: 0, keyRateLimit: -1 })).rejects.toThrow(/keyRateLimit/);
    });
});
