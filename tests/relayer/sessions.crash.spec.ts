/**
 * kill -9 of the relayer (a child process) after it stored vouchers and before it settled them: the
 * runner has meanwhile forgotten them (its feed lists nothing), the clients close their sessions, and
 * the restarted relayer settles every stored voucher from its database inside the window.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorld, World } from '../sdk/world';
import { spawnRelayer, until } from './helpers';
import { closeSession, FEED_TOKEN, feedServer, openSession, session, tokensFor, voucherJson } from './sessionWorld';

jest.setTimeout(150_000);

describe('relayer: kill -9 with vouchers stored and not yet settled', () => {
    let w: World;
    let feed: Awaited<ReturnType<typeof feedServer>>;
    beforeAll(async () => {
        w = await startWorld({ relayer: false });
        feed = await feedServer();
    });
    afterAll(async () => {
        await feed?.close();
        await w?.stop();
    });

    it('settles them after a restart, from the database alone', async () => {
        const sessions = [await openSession(w), await openSession(w), await openSession(w)];
        const dbPath = join(mkdtempSync(join(tmpdir(), 'cocoon-sessions-crash-')), 'relayer.sqlite');
        const env = w.demo.relayerEnv({
            COCOON_RELAYER_PROVIDERS: `${w.provider.toString()}=${feed.url}`,
            COCOON_RELAYER_SESSION_FEEDS: `${w.provider.toString()}=${FEED_TOKEN}`,
            COCOON_RELAYER_SESSION_THRESHOLD_TON: '1', // nothing reaches it: only the close settles
            COCOON_RELAYER_SESSION_MARGIN_SECONDS: '60',
            COCOON_RELAYER_SESSION_POLL_MS: '50',
            COCOON_RELAYER_SESSION_CHECK_MS: '200',
            COCOON_RELAYER_POLL_MS: '50',
            COCOON_RELAYER_KEEPER: '0',
            COCOON_RELAYER_DB: dbPath,
            LOG_LEVEL: 'info',
        });
        const vouchers = sessions.map((s, i) => voucherJson(w, s.id, BigInt(i + 1), 100n, tokensFor(`0.0${i + 1}`)));
        feed.vouchers.push(...vouchers);

        const first = spawnRelayer(env);
        await until('every voucher stored', () => (first.output().match(/"msg":"voucher stored"/g)?.length ?? 0) >= sessions.length || undefined, 20, 3000);
        first.proc.kill('SIGKILL');
        await first.exited;

        // The runner restarted and holds nothing; nothing was settled; the clients close.
        feed.vouchers.length = 0;
        for (const s of sessions) expect((await session(w, s.id))!.lastSeq).toBe(0n);
        for (const s of sessions) await closeSession(w, s);

        const second = spawnRelayer(env);
        try {
            await until('the restarted relayer to start', () => second.output().includes('"msg":"relayer started"') || undefined, 20, 3000);
            for (const [i, s] of sessions.entries()) {
                const rec = await until(`session ${s.id} settled`, async () => {
                    const r = (await session(w, s.id))!;
                    return r.lastSeq === BigInt(i + 1) && r;
                });
                expect(rec.paid).toBe(BigInt(vouchers[i].charge));
                expect(w.demo.clock.now()).toBeLessThanOrEqual(Number(rec.settleUntil));
            }
            // The relayer confirms each on its next read of the record.
            await until('the relayer to confirm every settlement', () => (second.output().match(/"msg":"settled"/g)?.length ?? 0) >= sessions.length || undefined, 20, 3000);
            expect(second.output()).not.toContain('"msg":"voucher stored"'); // nothing came from the feed
        } finally {
            second.proc.kill('SIGTERM');
            expect(await second.exited).toBe(0);
        }
        const db = new Database(dbPath, { readonly: true });
        try {
            const rows = db.prepare('select session_id, seq, state, sends from session_vouchers order by session_id').all();
            expect(rows).toEqual(sessions.map((s, i) => ({ session_id: s.id.toString(), seq: i + 1, state: 'settled', sends: 0 })));
        } finally {
            db.close();
        }
    });
});
