/**
 * The demo network's relayer settles the vouchers of sessions its runner serves: startDemo makes the
 * runner's voucher feed token and gives it to both (COCOON_RUNNER_VOUCHER_TOKEN, and
 * COCOON_RELAYER_SESSION_FEEDS for the demo's Provider), so a session opened with the SDK, as the
 * gateway does in `npm start`, gets its voucher stored and settled by the demo relayer without
 * anything more. The threshold and the feed's poll are lowered to keep it fast.
 */
import { toNano } from '@ton/core';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { openProvider } from '../../sdk/chain';
import { startWorld, World } from '../sdk/world';
import { until } from './helpers';

jest.setTimeout(120_000);

describe('demo: the relayer reads the runner\'s voucher feed', () => {
    let w: World;
    beforeAll(async () => {
        w = await startWorld({ relayerOverrides: { COCOON_RELAYER_SESSION_THRESHOLD_TON: '0.01', COCOON_RELAYER_SESSION_POLL_MS: '50' } });
    });
    afterAll(() => w?.stop());

    it('serves the feed only with the token the relayer was given', async () => {
        const feed = `${w.runnerUrl}/v1/session/vouchers`;
        expect((await fetch(feed)).status).toBe(401);
        expect((await fetch(feed, { headers: { authorization: `Bearer ${w.demo.voucherToken}` } })).status).toBe(200);
        expect(w.demo.relayerEnv().COCOON_RELAYER_SESSION_FEEDS).toBe(`${w.provider.toString()}=${w.demo.voucherToken}`);
    });

    it('stores a session\'s voucher from the feed and settles it on chain once it passes the threshold', async () => {
        const session = await w.sdk.openSession({ model: REFERENCE_MODEL_NAME, deposit: toNano('1') });
        // About 6,000 input and 2,000 output tokens: ~0.014 TON, above the threshold and what an external settlement needs.
        const r = await session.chat({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'word '.repeat(6000) }], max_tokens: 2000 }).result;
        expect(r.voucher.charge).toBeGreaterThan(toNano('0.01'));

        const raw = w.provider.toRawString();
        const row = await until('the voucher stored and settled by the demo relayer', () => {
            const got = w.demo.relayer!.store.sessions.get(raw, session.id);
            return got?.state === 'settled' ? got : undefined;
        }, 50);
        expect(row.seq).toBe(r.voucher.seq);
        const record = (await openProvider(w.demo.client, w.provider).getSession(session.id))!;
        expect([record.lastSeq, record.paid]).toEqual([r.voucher.seq, r.voucher.charge]);
    });
});
