// A job nobody answers (no relayer runs): once chain time passes the deadline the SDK sends
// ExpireJob itself and reports the refund with the compensation slashed from the provider.
import { toNano } from '@ton/core';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { JobExpiredError } from '../../sdk';
import { openProvider } from '../../sdk/chain';
import { startWorld, untilOpenJobs, World } from './world';

describe('sdk: an unanswered job expires', () => {
    let w: World;
    beforeAll(async () => {
        w = await startWorld({ relayer: false });
    });
    afterAll(() => w.stop());

    it('expires after the deadline with refund and compensation, and the provider\'s counter moves', async () => {
        const ttl = 60;
        const pending = w.sdk.run({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'anyone there' }] }, { ttl }).catch((e) => e);
        await untilOpenJobs(w, 1);
        await w.advance(ttl + 1);
        const err = await pending;
        expect(err).toBeInstanceOf(JobExpiredError);
        const e = err as JobExpiredError;
        // The contract slashes expirySlashBps of the price cap and pays the client its share on top of the escrow.
        expect(e.slashed).toBeGreaterThan(0n);
        expect(e.compensation).toBe((e.slashed * w.demo.protocol.params.expiryClientShareBps) / 10_000n);
        expect(e.compensation).toBeGreaterThan(0n);
        // Refund = escrow − CreateJob gas + compensation.
        expect(e.refund - e.compensation).toBeLessThan(e.escrow!);
        expect(e.refund - e.compensation).toBeGreaterThan(e.escrow! - toNano('0.02'));
        const ledger = await openProvider(w.demo.client, w.provider).getLedger();
        expect(ledger.expired).toBe(1n);
        expect(ledger.openJobs).toBe(0n);
    });
});
