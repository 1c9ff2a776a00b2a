/** The cursor: paging from the head down to the stored (lt, hash), oldest first, never replaying or skipping. */
import { Transaction } from '@ton/core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { advance, ChainGapError, newTransactions, PageQuery, PageSource } from '../../relayer/cursor';
import { GAPS_BEFORE_REWIND, HEAD_CHECK_EVERY, Watcher } from '../../relayer/watcher';
import { createMetrics } from '../../relayer/metrics';
import { createLogger } from '../../relayer/log';
import { Address } from '@ton/core';
import { Store } from '../../relayer/store';
import { parseConfig, ConfigError } from '../../relayer/config';

const hashOf = (lt: number) => Buffer.from(lt.toString(16).padStart(64, '0'), 'hex');
/** A transaction at `lt` whose predecessor on the account is at `prevLt` (0: the first). */
const tx = (lt: number, prevLt = 0): Transaction =>
    ({ lt: BigInt(lt), hash: () => hashOf(lt), now: lt, prevTransactionLt: BigInt(prevLt), prevTransactionHash: prevLt ? BigInt('0x' + hashOf(prevLt).toString('hex')) : 0n, outMessages: new Map() } as unknown as Transaction);
/** An account history: each transaction names the one before it. */
const history = (lts: number[]): Transaction[] => [...lts].sort((a, b) => a - b).map((lt, i, all) => tx(lt, i ? all[i - 1] : 0));

/** toncenter semantics over a fixed history: newest first, from (lt, hash) exclusive, stopping before toLt. */
function source(lts: number[] | Transaction[], opts: { includeToLt?: boolean } = {}): { page: PageSource; queries: PageQuery[] } {
    const txs = typeof lts[0] === 'number' ? history(lts as number[]) : (lts as Transaction[]);
    const all = [...txs].sort((a, b) => Number(b.lt - a.lt));
    const queries: PageQuery[] = [];
    const page: PageSource = async (q) => {
        queries.push(q);
        let start = 0;
        if (q.lt) start = all.findIndex((t) => t.lt === BigInt(q.lt!) && t.hash().toString('base64') === q.hash) + 1;
        const below = all.slice(start).filter((t) => !q.toLt || (opts.includeToLt ? t.lt >= BigInt(q.toLt) : t.lt > BigInt(q.toLt)));
        return below.slice(0, q.limit);
    };
    return { page, queries };
}

const lts = (txs: Transaction[]) => txs.map((t) => Number(t.lt));

describe('cursor', () => {
    it('reads the whole history oldest first when there is no cursor, across pages', async () => {
        const s = source([10, 20, 30, 40, 50, 60, 70]);
        expect(lts(await newTransactions(s.page, null, 3))).toEqual([10, 20, 30, 40, 50, 60, 70]);
        expect(s.queries.length).toBe(3);
        expect(s.queries[1]).toMatchObject({ lt: '50' });
    });

    it('returns only what came after the cursor, and nothing when caught up', async () => {
        const s = source([10, 20, 30, 40, 50]);
        const cursor = { lt: 30n, hash: tx(30).hash() };
        expect(lts(await newTransactions(s.page, cursor, 2))).toEqual([40, 50]);
        expect(s.queries.every((q) => q.toLt === '30')).toBe(true);
        expect(await newTransactions(s.page, { lt: 50n, hash: tx(50).hash() }, 2)).toEqual([]);
    });

    it('does not replay the cursor transaction when the endpoint includes toLt', async () => {
        const s = source([10, 20, 30, 40], { includeToLt: true });
        expect(lts(await newTransactions(s.page, { lt: 20n, hash: tx(20).hash() }, 2))).toEqual([30, 40]);
    });

    it('stops exactly at a page boundary that ends at the cursor', async () => {
        const s = source([10, 20, 30, 40, 50]);
        expect(lts(await newTransactions(s.page, { lt: 10n, hash: tx(10).hash() }, 2))).toEqual([20, 30, 40, 50]);
    });

    // The review: one forged transaction in a chain API's answer moved the cursor past every real job.
    it('refuses an answer that is not one account history: a batch must chain within itself and onto the cursor', async () => {
        const forgedInside = [...history([10, 20, 30]), tx(25, 10)];
        await expect(newTransactions(source(forgedInside).page, null, 10)).rejects.toBeInstanceOf(ChainGapError);
        const offCursor = [tx(10), tx(40, 35)];
        await expect(newTransactions(source(offCursor).page, { lt: 10n, hash: tx(10).hash() }, 10)).rejects.toBeInstanceOf(ChainGapError);
    });

    it('moves the cursor to the newest recorded transaction, or keeps it', () => {
        expect(advance(null, [tx(1), tx(2)])).toEqual({ lt: 2n, hash: tx(2).hash() });
        const c = { lt: 5n, hash: tx(5).hash() };
        expect(advance(c, [])).toBe(c);
    });
});

describe('watcher against a lying chain API', () => {
    const provider = new Address(0, Buffer.alloc(32, 3));
    const fresh = () => new Store(join(mkdtempSync(join(tmpdir(), 'cocoon-watch-')), 'w.sqlite'));
    /** A chain whose answers a test can change: the real history, a forged head once, the account state. */
    function liar(real: Transaction[]) {
        let forged: Transaction | null = null;
        const chain = {
            pages: () => source(forged ? [...real, forged] : real).page,
            lastTransaction: async () => {
                const head = real[real.length - 1];
                return head ? { lt: head.lt, hash: head.hash() } : null;
            },
            globalId: async () => -239,
        };
        return { chain, forgeOnce: (t: Transaction) => (forged = t), heal: () => (forged = null) };
    }
    const watcher = (chain: unknown, store: Store) =>
        new Watcher(provider, { chain: chain as never, store, log: createLogger('silent'), metrics: createMetrics(() => store), pageSize: 5 });

    it('rewinds a cursor a forged huge-lt transaction moved beyond the account\'s head, and reads the real history again', async () => {
        const real = history([10, 20, 30]);
        const api = liar(real);
        const store = fresh();
        const w = watcher(api.chain, store);
        api.forgeOnce(tx(10 ** 15, 30)); // chains onto the real head, so the batch itself looks sound
        await w.poll();
        expect(store.cursor(provider.toRawString())?.lt).toBe(10n ** 15n);
        api.heal();
        real.push(tx(40, 30)); // a real job arrives; a toLt of 10^15 hides it from every page
        for (let i = 0; i < HEAD_CHECK_EVERY; i++) await w.poll();
        expect(store.cursor(provider.toRawString())).toBeNull(); // rewound: not deleted, not stuck
        await w.poll();
        expect(store.cursor(provider.toRawString())?.lt).toBe(40n);
        store.close();
    });

    it('reports no progress while answers do not chain, and distrusts the cursor after a few in a row', async () => {
        const real = history([10, 20]);
        const api = liar(real);
        const store = fresh();
        const w = watcher(api.chain, store);
        await w.poll();
        const headAt = w.lastHeadAt;
        real.push(tx(30, 25)); // does not follow 20: this endpoint's answers are not one history
        for (let i = 0; i < GAPS_BEFORE_REWIND - 1; i++) await expect(w.poll()).rejects.toBeInstanceOf(ChainGapError);
        expect(store.cursor(provider.toRawString())?.lt).toBe(20n);
        expect(w.lastHeadAt).toBe(headAt); // health turns 503 once this is stale
        await expect(w.poll()).rejects.toBeInstanceOf(ChainGapError);
        expect(store.cursor(provider.toRawString())).toBeNull();
        store.close();
    });
});

describe('store', () => {
    const fresh = () => new Store(join(mkdtempSync(join(tmpdir(), 'cocoon-store-')), 'r.sqlite'));
    const job = (id: bigint) => ({ provider: '0:' + '1'.repeat(64), jobId: id, deadline: 100, enclaveKey: 'ab', input: '{}' });

    it('records a batch and its cursor together, and a replayed batch changes nothing', () => {
        const s = fresh();
        const batch = { created: [job(1n), job(2n)], finished: [] };
        s.commit(job(1n).provider, { lt: 7n, hash: 'aa', utime: 1 }, batch);
        s.dispatched(job(1n).provider, 1n, '{"kind":"decline"}');
        s.commit(job(1n).provider, { lt: 7n, hash: 'aa', utime: 1 }, batch);
        expect(s.cursor(job(1n).provider)).toEqual({ lt: 7n, hash: 'aa', utime: 1 });
        expect(s.countsByState()).toMatchObject({ seen: 1, dispatched: 1 });
        s.close();
    });

    it('a job ending in the same batch that created it is final and never due', () => {
        const s = fresh();
        s.commit(job(1n).provider, { lt: 9n, hash: 'bb', utime: 1 }, { created: [job(3n)], finished: [{ provider: job(1n).provider, jobId: 3n, kind: 'settled' }] });
        expect(s.get(job(1n).provider, 3n)).toMatchObject({ state: 'final', finalKind: 'settled', input: null });
        expect(s.due(Date.now(), 10)).toEqual([]);
        s.close();
    });
});

describe('config', () => {
    it('reports every problem at once', () => {
        let err: ConfigError | undefined;
        try {
            parseConfig({ COCOON_RELAYER_PROVIDERS: 'nope', COCOON_RELAYER_POLL_MS: 'x', COCOON_RELAYER_KEEPER: '1' });
        } catch (e) {
            err = e as ConfigError;
        }
        expect(err).toBeInstanceOf(ConfigError);
        const text = err!.problems.join('\n');
        for (const part of ['COCOON_RELAYER_ENDPOINT is required', '"nope" is not a TON address', 'COCOON_RELAYER_POLL_MS must be an integer', 'COCOON_RELAYER_KEEPER_MNEMONIC']) expect(text).toContain(part);
    });

    it('reads a valid environment into a frozen config', () => {
        const c = parseConfig({ COCOON_RELAYER_ENDPOINT: 'http://127.0.0.1:8081/jsonRPC', COCOON_RELAYER_PROVIDERS: `EQBzKQXEMymiggWuqpIK3Ui8nrtOwdh-G8upjHRAE_aA8ZUF=http://127.0.0.1:8700/` });
        expect(c.providers[0].runnerUrl).toBe('http://127.0.0.1:8700');
        expect(c.keeper).toBe(false);
        expect(c.runnerUrlRefreshMs).toBe(60_000);
        expect(Object.isFrozen(c)).toBe(true);
    });

    it('takes a provider listed by address alone: its runner URL is then read from chain', () => {
        const c = parseConfig({ COCOON_RELAYER_ENDPOINT: 'http://127.0.0.1:8081/jsonRPC', COCOON_RELAYER_PROVIDERS: 'EQBzKQXEMymiggWuqpIK3Ui8nrtOwdh-G8upjHRAE_aA8ZUF', COCOON_RELAYER_RUNNER_URL_REFRESH_MS: '500' });
        expect(c.providers).toHaveLength(1);
        expect(c.providers[0].runnerUrl).toBeUndefined();
        expect(c.runnerUrlRefreshMs).toBe(500);
    });
});
