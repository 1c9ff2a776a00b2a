/**
 * Issue 12: "a Provider's parameter copy goes stale after the governance delay; nothing keeps it
 * fresh". The keeper now sends RequestSync when the copy is within the margin of going stale, by
 * chain time, and reports the horizon in its metrics. The rule that decides when is tested on its
 * own, including a pending set whose activation caps what a sync can achieve.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo, DemoHandles } from '../../demo/startDemo';
import { syncDue, SYNC_MARGIN_SECONDS, SYNC_RETRY_SECONDS } from '../../protocol/paramsFreshness';
import { parseConfig } from '../../relayer/config';
import { startRelayer } from '../../relayer/relayer';
import { Provider } from '../../wrappers/Provider';
import { until } from './helpers';

jest.setTimeout(120_000);

describe('relayer keeper: parameter freshness rule', () => {
    const staleAt = 1_000_000;
    it('syncs within the margin, not before', () => {
        expect(syncDue(staleAt, staleAt - SYNC_MARGIN_SECONDS - 1, undefined)).toBe(false);
        expect(syncDue(staleAt, staleAt - SYNC_MARGIN_SECONDS, undefined)).toBe(true);
        expect(syncDue(staleAt, staleAt + 5, undefined)).toBe(true); // already stale
    });

    it('sends one sync per horizon; a horizon the sync did not move (a pending set activating) is retried only once it has passed', () => {
        const sent = { staleAt, at: staleAt - 100 };
        expect(syncDue(staleAt, staleAt - 50, sent)).toBe(false);
        expect(syncDue(staleAt, staleAt, sent)).toBe(true);
        const afterActivation = { staleAt, at: staleAt };
        expect(syncDue(staleAt, staleAt + SYNC_RETRY_SECONDS - 1, afterActivation)).toBe(false);
        expect(syncDue(staleAt, staleAt + SYNC_RETRY_SECONDS, afterActivation)).toBe(true);
        expect(syncDue(staleAt + 86_400, staleAt + 1, afterActivation)).toBe(false); // moved: fresh again
    });
});

describe('relayer keeper: keeps the copy fresh on a live network', () => {
    let demo: DemoHandles;
    beforeAll(async () => {
        demo = await startDemo({ relayer: false, pollMs: 50 });
    });
    afterAll(() => demo?.stop());

    it('refreshes a copy about to go stale, once, and reports the horizon', async () => {
        const provider = demo.client.open(Provider.fromAddress(demo.protocol.provider.address));
        const before = Number(await provider.getParamsStaleAt());
        // Move chain time to half the margin before the copy goes stale; a payment makes the block that shows it.
        const wallet = await demo.newClient();
        await demo.clock.advance(before - SYNC_MARGIN_SECONDS / 2 - demo.clock.now());
        await demo.devnet.faucet(wallet.address, 1n);
        const relayer = await startRelayer(parseConfig(demo.relayerEnv({ COCOON_RELAYER_DB: join(mkdtempSync(join(tmpdir(), 'cocoon-fresh-')), 'r.sqlite'), COCOON_RELAYER_KEEPER: '1', LOG_LEVEL: 'silent' })));
        try {
            await until('the copy to be refreshed', async () => Number(await provider.getParamsStaleAt()) > before, 200, 100);
            const after = Number(await provider.getParamsStaleAt());
            expect(after).toBeGreaterThanOrEqual(before + SYNC_MARGIN_SECONDS / 2);
            // A few more keeper rounds: nothing more to do.
            await new Promise((r) => setTimeout(r, 1500));
            const metrics = await (await fetch(`${relayer.url}/metrics`)).text();
            expect(metrics).toMatch(/cocoon_relayer_param_syncs_sent_total 1\n/);
            expect(metrics).toMatch(new RegExp(`cocoon_relayer_params_stale_in_seconds\\{provider="${demo.protocol.provider.address.toRawString()}"\\} \\d+`));
        } finally {
            await relayer.stop();
        }
    });
});
