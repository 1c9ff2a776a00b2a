/**
 * The chain reads Hellos cause (enclave/sessionLookups.ts), counted on a fake chain under a clock the
 * test moves: a flood of Hellos for made-up or not-yet-open session ids reads the chain at most the
 * budget, answered 429 TooManyLookups with Retry-After beyond it; one id is read at most once per
 * freshness interval, however many Hellos name it, together or in a row; sessions held here keep
 * their handshakes during a flood; a session opened a moment after a Hello for it gets in once the
 * Retry-After has passed, and the SDK's runner client waits exactly for that.
 */
import { startHandshake } from '../../crypto';
import type { OnChainSession, SessionSource } from '../../enclave/chainSessions';
import { LookupThrottled, SessionLookups } from '../../enclave/sessionLookups';
import { RunnerRefusal, SessionRunnerClient } from '../../sdk/sessionRunner';
import { binding, Harness, mustHandshake, newClientKey, post, startHarness } from './runnerHarness';

const FRESH_MS = 1_000;
const PER_SECOND = 2;
const BURST = 4;

let h: Harness;
let clock = 1_700_000_000_000;
let nextId = 1_000n;

beforeAll(async () => {
    h = await startHarness({ lookups: { freshMs: FRESH_MS, unknownPerSecond: PER_SECOND, unknownBurst: BURST, maxInflight: 4, nowMs: () => clock } });
});
afterAll(() => h.close());
beforeEach(() => {
    clock += 60_000; // a quiet minute: the budget is full and every remembered read is stale
    h.chain.afterRead = undefined;
});

/** A Hello for `id` signed by `client` (a stranger's key for a made-up id: the signature is checked only after the read). */
const hello = (id: bigint, client = newClientKey()) => post(h.url, '/v1/session/hello', startHandshake({ ...binding(id), enclaveKey: h.runner.ctx.keys.ed25519Public, client }).hello);
const outcome = async (res: Response) => [res.status, ((await res.json()) as { error: string }).error, res.headers.get('retry-after')];

describe('session runner: chain reads caused by Hellos', () => {
    it('reads the chain at most the budget for a flood of made-up session ids, answers 429 with Retry-After beyond it, and refills with time', async () => {
        const reads = h.chain.reads;
        const answers = [];
        for (let i = 0; i < 30; i++) answers.push(await outcome(await hello(nextId++)));
        expect(h.chain.reads - reads).toBe(BURST);
        expect(answers.slice(0, BURST)).toEqual(Array(BURST).fill([404, 'SessionUnknown', String(FRESH_MS / 1000)]));
        // One token comes every 500 ms: "1 s" is the nearest whole second not before it.
        expect(answers.slice(BURST)).toEqual(Array(30 - BURST).fill([429, 'TooManyLookups', '1']));

        clock += 1_000; // two tokens
        const later = [];
        for (let i = 0; i < 3; i++) later.push((await hello(nextId++)).status);
        expect(later).toEqual([404, 404, 429]);
        expect(h.chain.reads - reads).toBe(BURST + 2);
    });

    it('reads one id once per freshness interval however many Hellos name it', async () => {
        const id = nextId++;
        const reads = h.chain.reads;
        for (let i = 0; i < 10; i++) expect(await outcome(await hello(id))).toEqual([404, 'SessionUnknown', '1']);
        expect(h.chain.reads - reads).toBe(1);
        clock += FRESH_MS;
        expect((await hello(id)).status).toBe(404);
        expect(h.chain.reads - reads).toBe(2);
    });

    it('lets a session opened a moment after a Hello for it in once the Retry-After has passed, with one more read', async () => {
        const id = nextId++;
        const client = newClientKey();
        const reads = h.chain.reads;
        const first = await hello(id, client);
        expect(await outcome(first)).toEqual([404, 'SessionUnknown', '1']);
        h.open(id, client); // the opening lands on chain just after the runner's read
        expect((await hello(id, client)).status).toBe(404); // the remembered read, no new one
        expect(h.chain.reads - reads).toBe(1);
        clock += FRESH_MS;
        await mustHandshake(h, id, client);
        expect(h.chain.reads - reads).toBe(2);
    });

    it('keeps taking handshakes of sessions it holds while made-up ids have used the budget up', async () => {
        const id = nextId++;
        const client = newClientKey();
        h.open(id, client);
        await mustHandshake(h, id, client); // held from here
        for (let i = 0; i < BURST; i++) await hello(nextId++);
        expect((await hello(nextId++)).status).toBe(429);
        // The held session's read is stale by now (the clock did not move, but a fresh one would do the same): it is read without a token.
        clock += FRESH_MS; // refills 2 tokens: use them up again
        for (let i = 0; i < 2; i++) expect((await hello(nextId++)).status).toBe(404);
        expect((await hello(nextId++)).status).toBe(429);
        const reads = h.chain.reads;
        await mustHandshake(h, id, client);
        expect(h.chain.reads - reads).toBe(1);
        // And within the freshness interval its Hellos cost no read at all.
        for (let i = 0; i < 5; i++) await mustHandshake(h, id, client);
        expect(h.chain.reads - reads).toBe(1);
    });

    it('does not remember a failed read: the next Hello reads again', async () => {
        const id = nextId++;
        const client = newClientKey();
        h.open(id, client);
        h.chain.failing = true;
        try {
            expect((await hello(id, client)).status).toBe(503);
        } finally {
            h.chain.failing = false;
        }
        await mustHandshake(h, id, client);
    });
});

describe('the SDK\'s runner client against those answers', () => {
    it('waits out a read that did not see its just-opened session yet, and gets in on the next one', async () => {
        const id = nextId++;
        const client = newClientKey();
        const reads = h.chain.reads;
        // The runner's endpoint lags: its first read misses the opening, which is there once the Retry-After has passed.
        h.chain.afterRead = (readId, found) => {
            if (readId !== id || found) return;
            h.open(id, client);
            setImmediate(() => (clock += FRESH_MS)); // once the miss is remembered: it has gone stale when the client asks again
        };
        const runner = new SessionRunnerClient(h.url);
        const hs = startHandshake({ ...binding(id), enclaveKey: h.runner.ctx.keys.ed25519Public, client });
        const { welcome } = await runner.hello(hs.hello, { sessionMayLag: true });
        expect(hs.finish(welcome).channelId.length).toBe(16);
        expect(h.chain.reads - reads).toBe(2);
    });

    it('gives up at once on SessionUnknown for a session it has handshaken before, and on 429 past its patience', async () => {
        const unknown = startHandshake({ ...binding(nextId++), enclaveKey: h.runner.ctx.keys.ed25519Public, client: newClientKey() });
        const e = await new SessionRunnerClient(h.url).hello(unknown.hello).catch((x) => x);
        expect(e).toBeInstanceOf(RunnerRefusal);
        expect([e.status, e.code, e.retryAfterMs]).toEqual([404, 'SessionUnknown', 1000]);

        for (let i = 0; i < BURST; i++) await hello(nextId++);
        const throttled = startHandshake({ ...binding(nextId++), enclaveKey: h.runner.ctx.keys.ed25519Public, client: newClientKey() });
        const impatient = new SessionRunnerClient(h.url, 10_000, 500); // less patience than the 1 s Retry-After
        const t = await impatient.hello(throttled.hello).catch((x) => x);
        expect([t.status, t.code, t.retryAfterMs]).toEqual([429, 'TooManyLookups', 1000]);
    });
});

describe('SessionLookups', () => {
    /** A source whose reads wait until released. */
    function heldSource() {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const source = { reads: 0, async session(): Promise<OnChainSession | null> {
            source.reads++;
            await gate;
            return null;
        } } satisfies SessionSource & { reads: number };
        return { source, release };
    }

    it('shares one read among Hellos of one id that arrive together', async () => {
        const { source, release } = heldSource();
        const lookups = new SessionLookups(source, { unknownBurst: 1 });
        const all = Promise.all(Array.from({ length: 10 }, () => lookups.forHello(7n, false)));
        release();
        expect((await all).map((l) => l.session)).toEqual(Array(10).fill(null));
        expect(source.reads).toBe(1);
    });

    it('runs at most maxInflight reads of unknown ids at once', async () => {
        const { source, release } = heldSource();
        const lookups = new SessionLookups(source, { unknownBurst: 100, maxInflight: 3 });
        const started = [1n, 2n, 3n].map((id) => lookups.forHello(id, false));
        await expect(lookups.forHello(4n, false)).rejects.toBeInstanceOf(LookupThrottled);
        started.push(lookups.forHello(5n, true)); // a session held here is not capped
        release();
        await Promise.all(started);
        expect(source.reads).toBe(4);
        await expect(lookups.forHello(4n, false)).resolves.toEqual({ session: null, retryAfterMs: expect.any(Number) });
    });
});
