import { main } from '../../scripts/walkthrough';

describe('walkthrough (npm start)', () => {
    it('runs the protocol end to end: a settled job with a refund and earnings, an expired job with a slash', async () => {
        const lines: string[] = [];
        const summary = await main((line) => lines.push(line));
        const text = lines.join('\n');

        // Every sending step shows its value and fees in TON with 4 to 9 decimals.
        const steps = lines.filter((l) => l.includes(': sent '));
        expect(steps.length).toBeGreaterThanOrEqual(11);
        for (const l of steps) expect(l).toMatch(/: sent \d+\.\d{4,9} TON, fees \d+\.\d{4,9} TON$/);

        expect(text).toMatch(/^job 0 settled: 500 input \+ 700 output tokens, price \d+\.\d{4,9} TON$/m);
        const paid = /^client paid (\d+\.\d+) TON, refunded (\d+\.\d+) TON, net cost/m.exec(text);
        expect(paid).not.toBeNull();
        expect(Number(paid![2])).toBeGreaterThan(0);
        expect(Number(paid![2])).toBeLessThan(Number(paid![1]));
        const earned = /^provider earned (\d+\.\d+) TON, protocol fee (\d+\.\d+) TON$/m.exec(text);
        expect(Number(earned![1])).toBeGreaterThan(0);
        expect(Number(earned![2])).toBeGreaterThan(0);
        const slash = /^job 1 expired: slashed (\d+\.\d+) TON from the stake, client compensation (\d+\.\d+) TON/m.exec(text);
        expect(Number(slash![1])).toBeGreaterThan(0);
        expect(Number(slash![2])).toBeGreaterThan(0);

        // The printed figures are the on-chain ones: price = earnings + protocol fee, slash split by the parameters.
        expect(summary.earned + summary.protocolFee).toBe(summary.price);
        expect(summary.refund).toBeGreaterThan(0n);
        expect(summary.slashed).toBeGreaterThan(0n);
        expect(summary.compensation * 2n).toBe(summary.slashed); // expiryClientShareBps = 5000
    });
});
