import '@ton/test-utils';
import { toNano } from '@ton/core';
import { protocol, Protocol, signedResult } from './fixtures/protocol';
import { Exit } from '../protocol/errors';

let p: Protocol;
beforeAll(async () => {
    p = await protocol();
    p.checkpoint();
});
beforeEach(() => p.reset());

const unbond = (amount: bigint, via = p.providerOwner) =>
    p.provider.send(via.getSender(), { value: toNano('0.05') }, { $$type: 'RequestUnbond', queryId: 0n, amount });
const withdraw = (via = p.providerOwner) => p.provider.send(via.getSender(), { value: toNano('0.05') }, { $$type: 'WithdrawStake', queryId: 0n });
const sync = () => p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', queryId: 0n });

describe('Provider staking and unbonding', () => {
    it('lets anyone add stake, and refuses a stake message that cannot pay its gas', async () => {
        const before = (await p.provider.getLedger()).stake;
        await p.provider.send(p.stranger.getSender(), { value: toNano('3') }, { $$type: 'AddStake', queryId: 0n });
        expect((await p.provider.getLedger()).stake).toBeGreaterThan(before + toNano('2.99'));
        const tiny = await p.provider.send(p.stranger.getSender(), { value: 1000n }, { $$type: 'AddStake', queryId: 0n });
        expect(tiny.transactions).toHaveTransaction({ to: p.provider.address, success: false });
    });

    it('unbonds after the period and pays exactly the requested amount once', async () => {
        await unbond(toNano('5'));
        const early = await withdraw();
        expect(early.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_UNBONDING_NOT_DONE });
        p.advance(Number(p.params.unbondingPeriod));
        await sync();
        const res = await withdraw();
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.providerOwner.address, value: (v) => v! > toNano('5') && v! < toNano('5.05') });
        const again = await withdraw();
        expect(again.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_NOTHING_TO_PAY });
    });

    // The reference system lets a deposit made while closing leave twice; here it stays bonded.
    it('a deposit made during unbonding is never withdrawable twice', async () => {
        const stake = (await p.provider.getLedger()).stake;
        await unbond(stake);
        await p.provider.send(p.stranger.getSender(), { value: toNano('4') }, { $$type: 'AddStake', queryId: 0n });
        p.advance(Number(p.params.unbondingPeriod));
        const res = await withdraw();
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.providerOwner.address, value: (v) => v! < stake + toNano('0.05') });
        const l = await p.provider.getLedger();
        expect(l.unbonding).toBe(0n);
        expect(l.stake).toBeGreaterThan(toNano('3.99'));
        const again = await withdraw();
        expect(again.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_NOTHING_TO_PAY });
    });

    it('refuses unbonding while jobs are open, for more than the stake, or from a stranger', async () => {
        await p.createJob();
        expect((await unbond(toNano('1'))).transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_JOBS_OPEN });
        await p.reset();
        expect((await unbond(toNano('1000'))).transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_AMOUNT });
        expect((await unbond(toNano('1'), p.stranger)).transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_WRONG_SENDER });
        expect((await p.provider.getLedger()).unbonding).toBe(0n);
    });

    // The reference system never enforces its minimum stake; here CreateJob checks it on-chain.
    it('takes no jobs while the stake is below the minimum', async () => {
        const stake = (await p.provider.getLedger()).stake;
        await unbond(stake - toNano('9'));
        const res = await p.createJob();
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_STAKE_TOO_LOW });
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.client.address, inMessageBounced: true });
        expect((await p.provider.getLedger()).openJobs).toBe(0n);
    });

    it('pays earnings to the owner only', async () => {
        await p.createJob();
        await p.provider.sendExternal(signedResult({ provider: p.provider.address, enclave: p.enclave }, 0n));
        const earned = (await p.provider.getLedger()).earnings;
        expect(earned).toBeGreaterThan(0n);
        const stranger = await p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, { $$type: 'WithdrawEarnings', queryId: 0n });
        expect(stranger.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_WRONG_SENDER });
        const res = await p.provider.send(p.providerOwner.getSender(), { value: toNano('0.05') }, { $$type: 'WithdrawEarnings', queryId: 0n });
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.providerOwner.address, value: (v) => v! > earned });
        expect((await p.provider.getLedger()).earnings).toBe(0n);
    });
});
