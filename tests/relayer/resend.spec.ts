/**
 * The delivery resend loop against a lagging, lying or lossy chain API: an external is sent again
 * only on the backoff schedule, never once the chain shows the job ended or a delivery of it
 * consumed, never after the job's deadline in chain time, and a restart does not forget a send.
 * The chain is a fake the test steers; the relayer's clock is Date.now, stepped by the test.
 */
import { Address, beginCell, Cell, Transaction } from '@ton/core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resendDelayMs, RESEND_FIRST_AFTER_POLLS, RESEND_MAX_AFTER_POLLS } from '../../relayer/backoff';
import type { Chain } from '../../relayer/chain';
import { deliveryBody } from '../../relayer/delivery';
import { createLogger } from '../../relayer/log';
import { createMetrics } from '../../relayer/metrics';
import { Pipeline } from '../../relayer/pipeline';
import { RunnerDirectory } from '../../relayer/runners';
import type { Outcome } from '../../relayer/runnerClient';
import { Store } from '../../relayer/store';
import { Watcher } from '../../relayer/watcher';

const POLL_MS = 100;
const PROVIDER = new Address(0, Buffer.alloc(32, 7));
const RAW = PROVIDER.toRawString();
const JOB = 1n;
const DEADLINE = 1_700_000_000; // chain seconds
const OUTCOME: Outcome = { kind: 'decline', jobId: JOB.toString(), reason: 1, signature: 'ab'.repeat(64) };

type SendFate = 'ok' | 'http-500' | 'timeout' | 'hang';

/** A chain API the test steers: the getter's answer, the chain's time, what a send answers. */
function fakeChain() {
    const api = {
        open: true, // what the `job` getter says (a lagging endpoint keeps saying true)
        chainNow: DEADLINE - 3600,
        fate: (_n: number): SendFate => 'ok',
        beforeJobAnswer: () => {},
        sends: [] as number[], // Date.now() of each send
    };
    const chain = {
        jobOpen: async () => {
            api.beforeJobAnswer();
            return api.open;
        },
        chainTime: async () => api.chainNow,
        sendExternal: async (_to: Address, _body: Cell) => {
            const fate = api.fate(api.sends.length);
            api.sends.push(Date.now());
            if (fate === 'http-500') throw { response: { status: 500, data: { error: 'LITE_SERVER_UNKNOWN' } } };
            if (fate === 'timeout') throw { code: 'ECONNABORTED', message: 'timeout of 10000ms exceeded' };
            if (fate === 'hang') await new Promise(() => {}); // the process dies before any answer
        },
    };
    return { api, chain };
}

let wallMs = 0;
beforeEach(() => {
    wallMs = 1_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => wallMs);
});
afterEach(() => jest.restoreAllMocks());

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'cocoon-resend-')), 'r.sqlite');

/** A store holding one job whose signed outcome is in hand, waiting to be delivered. */
function storeWithOutcome(path = dbPath()): Store {
    const store = new Store(path);
    store.commit(RAW, { lt: 1n, hash: '00'.repeat(32), utime: 0 }, { created: [{ provider: RAW, jobId: JOB, deadline: DEADLINE, enclaveKey: '11'.repeat(32), input: '{}' }], finished: [] });
    store.dispatched(RAW, JOB, JSON.stringify(OUTCOME));
    return store;
}

function relayer(chain: unknown, store: Store) {
    const metrics = createMetrics(() => store);
    const deps = { chain: chain as Chain, store, log: createLogger('silent'), metrics };
    const pipeline = new Pipeline(deps, { runners: new RunnerDirectory({ runnerUrl: async () => null }, new Map()), concurrency: 4, graceSeconds: 300, pollMs: POLL_MS, runnerTimeoutMs: 1000 });
    return { pipeline, metrics, deps };
}

/** Steps the relayer's clock by one poll interval at a time for `ms`, advancing every due job at each step. */
async function runFor(pipeline: Pipeline, ms: number): Promise<void> {
    for (let t = 0; t < ms; t += POLL_MS) {
        await pipeline.settle();
        wallMs += POLL_MS;
    }
    await pipeline.settle();
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);
const counter = async (m: ReturnType<typeof createMetrics>, name: string) => (await m.registry.getSingleMetricAsString(name));

describe('relayer: delivery resends', () => {
    it('schedule: the first resend waits 20 poll intervals, each next one twice as long, capped at 320', () => {
        expect([1, 2, 3, 4, 5, 6, 40].map((n) => resendDelayMs(n, POLL_MS) / POLL_MS)).toEqual([20, 40, 80, 160, 320, 320, 320]);
        expect(RESEND_FIRST_AFTER_POLLS).toBe(20);
        expect(RESEND_MAX_AFTER_POLLS).toBe(320);
        expect(() => resendDelayMs(0, POLL_MS)).toThrow(/sends must be a whole number ≥ 1/);
    });

    it('a send answered with HTTP 500 or a timeout although the chain took it is confirmed, and re-sent only on the schedule while the endpoint lags', async () => {
        const { api, chain } = fakeChain();
        api.fate = (n) => (n % 2 ? 'timeout' : 'http-500');
        const store = storeWithOutcome();
        const { pipeline, metrics } = relayer(chain, store);
        await runFor(pipeline, 60_000);
        // Before: each lost answer was a retryable error, re-sent after 0.1-5 s, ~20 sends a minute.
        expect(gaps(api.sends)).toEqual([20, 40, 80, 160].map((polls) => polls * POLL_MS));
        expect(store.get(RAW, JOB)).toMatchObject({ state: 'delivered', sends: 5 });
        expect(await counter(metrics, 'cocoon_relayer_externals_sent_total')).toMatch(/attempt="first"} 1\n.*attempt="resend"} 4/);
        expect(store.deliveryCounts()).toEqual({ sent: 5, resent: 4, accepted: 0 });
        await pipeline.stop();
        store.close();
    });

    it('a job the watcher records as ended while the lagging getter still says open gets no external', async () => {
        const { api, chain } = fakeChain();
        const store = storeWithOutcome();
        // The ending event lands between the getter's answer (stale: open) and the send.
        api.beforeJobAnswer = () => store.commit(RAW, { lt: 2n, hash: '22'.repeat(32), utime: 0 }, { created: [], finished: [{ provider: RAW, jobId: JOB, kind: 'declined' }] });
        const { pipeline } = relayer(chain, store);
        await runFor(pipeline, 10_000);
        expect(api.sends).toEqual([]);
        expect(store.get(RAW, JOB)).toMatchObject({ state: 'final', finalKind: 'declined', sends: 0 });
        await pipeline.stop();
        store.close();
    });

    it("stops re-sending once the job's deadline has passed in chain time, and not before, even with the relayer's clock far ahead", async () => {
        const { api, chain } = fakeChain();
        wallMs = (DEADLINE + 86_400) * 1000; // a day ahead of the deadline by our clock: it must not matter
        const store = storeWithOutcome();
        const { pipeline } = relayer(chain, store);
        await runFor(pipeline, 10_000);
        expect(api.sends.length).toBe(3); // at 0, 2 s and 6 s: chain time is still before the deadline
        api.chainNow = DEADLINE + 1;
        await runFor(pipeline, 120_000);
        // Before: the confirm loop never asked the time and re-sent every 20 checks until the keeper expired the job.
        expect(api.sends.length).toBe(3);
        expect(store.get(RAW, JOB)).toMatchObject({ state: 'abandoned', lastError: expect.stringMatching(/deadline passed on chain/) });
        await pipeline.stop();
        store.close();
    });

    it('a relayer killed during a send does not send again at once after a restart: it confirms first and resends on the schedule', async () => {
        const { api, chain } = fakeChain();
        api.fate = (n) => (n === 0 ? 'hang' : 'ok');
        const path = dbPath();
        const first = relayer(chain, storeWithOutcome(path));
        void first.pipeline.settle(); // the send never answers: the process is killed (its store is left as it is)
        await new Promise((r) => setImmediate(r));
        expect(api.sends.length).toBe(1);

        const store = new Store(path); // the restarted relayer
        const second = relayer(chain, store);
        await runFor(second.pipeline, resendDelayMs(1, POLL_MS) - POLL_MS);
        // Before: the job was still `dispatched` in the store, so the new life sent it again at once.
        expect(api.sends.length).toBe(1);
        await runFor(second.pipeline, POLL_MS);
        expect(api.sends.length).toBe(2);
        expect(store.get(RAW, JOB)).toMatchObject({ state: 'delivered', sends: 2 });
        await second.pipeline.stop();
        store.close();
    });

    it('a transaction that consumed a delivery but left the job open (failed after acceptMessage) stops every resend: each would be charged again', async () => {
        const { api, chain } = fakeChain();
        const store = storeWithOutcome();
        const { pipeline, metrics, deps } = relayer(chain, store);
        await runFor(pipeline, 1_000);
        expect(api.sends.length).toBe(1);

        // The Provider's transaction for our external: in-message SubmitDecline, no JobDeclined event.
        const consumed = {
            lt: 50n,
            now: DEADLINE - 3000,
            hash: () => Buffer.alloc(32, 5),
            prevTransactionLt: 0n,
            prevTransactionHash: 0n,
            inMessage: { info: { type: 'external-in', dest: PROVIDER, importFee: 0n }, body: deliveryBody(OUTCOME) },
            outMessages: new Map(),
        } as unknown as Transaction;
        store.rewind(RAW); // the fake history holds only this transaction
        const history = { pages: () => async () => [consumed], globalId: async () => -239, lastTransaction: async () => ({ lt: consumed.lt, hash: consumed.hash() }) };
        await new Watcher(PROVIDER, { ...deps, chain: history as never, pageSize: 5 }).poll();

        await runFor(pipeline, 120_000); // the getter still says open: the job really is
        // Before: the watcher ignored the in-message and the job was re-sent every 20 checks.
        expect(api.sends.length).toBe(1);
        expect(store.get(RAW, JOB)).toMatchObject({ state: 'abandoned', acceptedLt: 50n, lastError: expect.stringMatching(/accepted on chain \(lt 50\) without ending the job/) });
        expect(await counter(metrics, 'cocoon_relayer_deliveries_accepted_total')).toMatch(/ended="no"} 1/);
        expect(store.deliveryCounts()).toEqual({ sent: 1, resent: 0, accepted: 1 });
        await pipeline.stop();
        store.close();
    });

    it('opens a database written before the send bookkeeping existed and keeps its jobs', () => {
        const path = dbPath();
        const Database = require('better-sqlite3');
        const old = new Database(path);
        old.exec(`create table jobs (provider text not null, job_id text not null, state text not null, deadline integer not null, enclave_key text not null, input text, outcome text, final_kind text, seen_at integer not null, attempts integer not null default 0, next_attempt_at integer not null default 0, last_error text, primary key (provider, job_id))`);
        old.prepare(`insert into jobs (provider, job_id, state, deadline, enclave_key, outcome, seen_at) values (?, '1', 'delivered', ?, ?, ?, 0)`).run(RAW, DEADLINE, '11'.repeat(32), JSON.stringify(OUTCOME));
        old.close();
        const store = new Store(path);
        expect(store.get(RAW, JOB)).toMatchObject({ state: 'delivered', sends: 0, resendAt: 0, acceptedLt: null });
        store.close();
    });
});
