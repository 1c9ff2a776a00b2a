/** Two relayers on the same Provider and runner: both try every job; each job still ends exactly once. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chat, startDemo, DemoHandles } from '../../demo/startDemo';
import { parseConfig } from '../../relayer/config';
import { startRelayer } from '../../relayer/relayer';
import { ledgerOf, refundsPerJob } from './helpers';

jest.setTimeout(90_000);

describe('relayer: two relayers racing', () => {
    let demo: DemoHandles;
    beforeAll(async () => {
        demo = await startDemo({ relayer: false, pollMs: 20, runnerLimits: { concurrency: 8, queue: 64 } });
    });
    afterAll(() => demo?.stop());

    it('settles each of 20 jobs once, and both relayers record every job as final', async () => {
        const start = () => startRelayer(parseConfig(demo.relayerEnv({ COCOON_RELAYER_DB: join(mkdtempSync(join(tmpdir(), 'cocoon-race-')), 'r.sqlite'), COCOON_RELAYER_POLL_MS: '20', COCOON_RELAYER_KEEPER: '0', LOG_LEVEL: 'silent' })));
        const [a, b] = await Promise.all([start(), start()]);
        try {
            const users = await Promise.all([0, 1, 2, 3].map(() => demo.newUser()));
            const runs = await Promise.all(users.flatMap(({ sdk }) => [0, 1, 2, 3, 4].map((i) => sdk.run(chat(`race ${i}`))))); // each settled, or it throws
            const provider = demo.protocol.provider.address;
            const refunds = await refundsPerJob(demo.client, provider);
            for (const r of runs) expect(refunds.get(r.jobId)).toBe(1);
            const raw = provider.toRawString();
            for (const relayer of [a, b]) {
                await new Promise((r) => setTimeout(r, 200));
                for (const r of runs) expect(relayer.store.get(raw, r.jobId)?.state).toBe('final');
            }
            const ledger = await ledgerOf(demo.client, provider);
            expect([ledger.openJobs, ledger.escrowed, ledger.completed]).toEqual([0n, 0n, 20n]);
        } finally {
            await Promise.all([a.stop(), b.stop()]);
        }
    });
});
