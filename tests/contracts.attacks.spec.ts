/**
 * The outside review's attacks on the contracts (issue 10), one case per finding, each run against
 * the real Registry and Provider in the sandbox. Every case first reproduces what the attacker did and
 * then asserts that nobody who follows the rules lost anything: on the code before the fixes each of
 * these cases failed with the loss the review measured (docs/THREATS.md lists them).
 */
import '@ton/test-utils';
import { Address, beginCell, Cell, external, toNano } from '@ton/core';
import { internal } from '@ton/sandbox';
import { protocol, Protocol, signedResult, signedDecline, newEnclave, equivocationEvidence, DEFAULT_PAYLOAD_HASH } from './fixtures/protocol';
import { Provider, storeAddStake, storeSubmitResult, storeSubmitDecline } from '../wrappers/Provider';
import { bytesToTree } from '../protocol/bytesTree';
import { Exit } from '../protocol/errors';

let p: Protocol;
beforeAll(async () => {
    p = await protocol();
    p.checkpoint();
});
beforeEach(() => p.reset());

const keys = () => ({ provider: p.provider.address, enclave: p.enclave });
const balanceOf = async (a: Address) => (await p.blockchain.getContract(a)).balance;
/** What the Provider holds beyond everything its ledger owes (solvency: never negative). */
const margin = async (provider = p.provider) => {
    const l = await provider.getLedger();
    return (await balanceOf(provider.address)) - (l.stake + l.unbonding + l.earnings + l.fees + l.escrowed + l.claimable);
};
const sync = () => p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', queryId: 0n });
const expire = (jobId: bigint) => p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'ExpireJob', queryId: 0n, jobId });
const revoke = (enclaveKey: bigint) => p.provider.send(p.providerOwner.getSender(), { value: toNano('0.05') }, { $$type: 'RevokeEnclave', queryId: 0n, enclaveKey });
/** Sends an external message with exactly this body (and optionally a StateInit); false when the contract refused it. */
const sendRawExternal = async (to: Address, body: Cell, init?: { code: Cell; data: Cell }) => {
    try {
        await p.blockchain.sendMessage(external({ to, body, init }));
        return true;
    } catch {
        return false;
    }
};

afterEach(async () => {
    expect(await margin()).toBeGreaterThanOrEqual(0n);
});

describe('1. phantom stake: a Provider deployed from its public StateInit before the Registry', () => {
    it('refuses stake before the first sync, so a later DeployProvider cannot return value still counted as stake', async () => {
        const owner = await p.blockchain.treasury('phantom-owner');
        const early = p.blockchain.openContract(await Provider.fromInit(p.registry.address, owner.address));
        // The attack: deploy straight from the StateInit with 100 TON of "stake".
        const pre = await early.send(owner.getSender(), { value: toNano('100') }, { $$type: 'AddStake', queryId: 0n });
        expect(pre.transactions).toHaveTransaction({ to: early.address, exitCode: Exit.ERR_NOT_DEPLOYED });
        // The same with a non-bounceable message: the value stays at the address, unrecorded.
        const body = beginCell().store(storeAddStake({ $$type: 'AddStake', queryId: 0n })).endCell();
        await p.blockchain.sendMessage(internal({ from: owner.address, to: early.address, value: toNano('100'), bounce: false, body, stateInit: early.init }));
        const ownerBefore = await balanceOf(owner.address);
        await p.registry.send(owner.getSender(), { value: toNano('0.2') }, { $$type: 'DeployProvider', queryId: 0n });
        const l = await early.getLedger();
        expect(l.stake).toBe(0n);
        // The first sync keeps the reserve and returns the unowed rest to the owner: no phantom.
        expect(await balanceOf(owner.address)).toBeGreaterThan(ownerBefore + toNano('99.5'));
        expect(await margin(early)).toBeGreaterThanOrEqual(0n);
        // A stake-less Provider takes no client's escrow.
        await p.register(newEnclave()); // (on the fixture's provider: unrelated, keeps the snapshot honest)
        const offer = { $$type: 'ModelOffer' as const, pricePerMillionIn: toNano('1'), pricePerMillionOut: toNano('4'), maxContext: 8192n };
        await early.send(owner.getSender(), { value: toNano('0.1') }, { $$type: 'SetModelOffer', queryId: 0n, modelId: p.terms().modelId, offer });
        const job = await early.send(p.client.getSender(), { value: toNano('90') }, { $$type: 'CreateJob', terms: p.terms(), payload: bytesToTree(Buffer.alloc(10)) });
        expect(job.transactions).toHaveTransaction({ to: early.address, success: false });
        expect((await early.getLedger()).openJobs).toBe(0n);
    });
});

describe('2. padded external deliveries', () => {
    const resultBody = (jobId: bigint, pad: (b: ReturnType<typeof beginCell>) => void) => {
        const b = beginCell().store(storeSubmitResult(signedResult(keys(), jobId)));
        pad(b);
        return b.endCell();
    };
    // ~60 KB of distinct cells in three extra refs.
    const padding = () => {
        const chunk = (i: number) => bytesToTree(Buffer.alloc(20_000, i + 1));
        return [chunk(0), chunk(1), chunk(2)];
    };

    it('refuses a receipt with trailing refs or bits before accepting it, so the padding costs the contract nothing', async () => {
        await p.createJob();
        const before = await margin();
        const refs = padding();
        expect(await sendRawExternal(p.provider.address, resultBody(0n, (b) => refs.forEach((r) => b.storeRef(r))))).toBe(false);
        expect(await sendRawExternal(p.provider.address, resultBody(0n, (b) => b.storeUint(1, 1)))).toBe(false);
        const decline = beginCell().store(storeSubmitDecline(signedDecline(keys(), 0n))).storeRef(refs[0]).endCell();
        expect(await sendRawExternal(p.provider.address, decline)).toBe(false);
        expect(await margin()).toBe(before);
        // The exact message still settles.
        expect(await sendRawExternal(p.provider.address, resultBody(0n, () => {}))).toBe(true);
        expect((await p.provider.getLedger()).completed).toBe(1n);
    });

    it('refuses a delivery carrying a StateInit: the Provider\'s own public one would be imported at its expense', async () => {
        await p.createJob();
        const before = await margin();
        // The genuine StateInit matches the address, so the network takes the message and charges
        // its import (~0.037 TON measured) to the account; a foreign one is refused by the network.
        const own = (await Provider.fromInit(p.registry.address, p.providerOwner.address)).init!;
        expect(await sendRawExternal(p.provider.address, resultBody(0n, () => {}), own)).toBe(false);
        expect(await sendRawExternal(p.provider.address, beginCell().store(storeSubmitDecline(signedDecline(keys(), 0n))).endCell(), own)).toBe(false);
        expect(await margin()).toBe(before);
        expect((await p.provider.getLedger()).openJobs).toBe(1n);
    });
});

describe('3. masterchain clients', () => {
    it('refuses a job from a masterchain wallet, whose refund the escrow could not pay to send', async () => {
        const mc = await p.blockchain.treasury('masterchain-client', { workchain: -1 });
        const res = await p.createJob({ via: mc });
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_WRONG_WORKCHAIN });
        expect((await p.provider.getLedger()).openJobs).toBe(0n);
    });
});

describe('4. equivocation evidence must name a real request', () => {
    it('refuses evidence for a job that does not exist yet', async () => {
        await p.createJob();
        const res = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, equivocationEvidence(keys(), 5n, 1n, 2n));
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_EVIDENCE_MISMATCH });
        expect((await p.provider.getLedger()).totalSlashed).toBe(0n);
    });

    it('refuses evidence over another payload, or another key, than the open job\'s', async () => {
        await p.createJob();
        const otherPayload = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, equivocationEvidence(keys(), 0n, 1n, 2n, { payloadHash: 77n }));
        expect(otherPayload.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_EVIDENCE_MISMATCH });
        const second = newEnclave();
        await p.register(second);
        const otherKey = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, equivocationEvidence({ provider: p.provider.address, enclave: second }, 0n, 1n, 2n));
        expect(otherKey.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_EVIDENCE_MISMATCH });
        expect((await p.provider.getLedger()).totalSlashed).toBe(0n);
    });

    it('settles or declines a job only with an answer signed for the job\'s own payload', async () => {
        await p.createJob();
        const replayed = signedResult(keys(), 0n, { payloadHash: 0xdeadn });
        await expect(p.provider.sendExternal(replayed)).rejects.toThrow();
        const internalTry = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, signedDecline(keys(), 0n, undefined, undefined, 0xdeadn));
        expect(internalTry.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_BAD_SIGNATURE });
        expect((await p.provider.getLedger()).openJobs).toBe(1n);
        await p.provider.sendExternal(signedResult(keys(), 0n, { payloadHash: DEFAULT_PAYLOAD_HASH }));
        expect((await p.provider.getLedger()).completed).toBe(1n);
    });
});

describe('5. a cancelled governance change', () => {
    it('is never applied by a Provider that synced while it was pending', async () => {
        const newTreasury = await p.blockchain.treasury('cancelled-treasury');
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'ProposeParams', queryId: 0n, params: { ...p.params, protocolFeeBps: 3000n, treasury: newTreasury.address } });
        const activatesAt = p.blockchain.now! + Number(p.params.governanceDelay);
        await sync(); // the Provider sees the pending change
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'CancelParams', queryId: 0n });
        // A job open across the activation time is settled at the fee the Registry still has.
        p.advance(activatesAt - p.blockchain.now! - 100);
        await p.createJob();
        p.advance(110);
        const res = await p.provider.sendExternal(signedResult(keys(), 0n));
        const before = await p.provider.getLedger();
        const settled = res.externals.length;
        expect(settled).toBe(1);
        const price = (500n * toNano('1') + 700n * toNano('4')) / 1_000_000n;
        expect(before.fees).toBe((price * 500n) / 10_000n);
        // The copy is stale past the activation time: no new jobs and no fee payout until a sync.
        const stale = await p.createJob();
        expect(stale.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_PARAMS_STALE });
        await sync();
        expect((await p.provider.getParams())?.protocolFeeBps).toBe(500n);
        // Slashes of an expired job go to fees, paid to the treasury the Registry still names.
        await p.createJob({ terms: p.terms({ maxInputTokens: 4000n, maxOutputTokens: 4000n }) });
        p.advance(601);
        await expire(1n);
        await sync();
        const flush = await p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, { $$type: 'FlushFees', queryId: 0n });
        expect(flush.transactions).toHaveTransaction({ from: p.provider.address, to: p.treasury.address, success: true });
        expect(flush.transactions).not.toHaveTransaction({ to: newTreasury.address });
    });

    it('refuses FlushFees on a stale copy, whose treasury may have been replaced', async () => {
        await p.createJob();
        p.advance(601);
        await expire(0n);
        p.advance(Number(p.params.governanceDelay));
        const res = await p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, { $$type: 'FlushFees', queryId: 0n });
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_PARAMS_STALE });
    });
});

describe('6. storage rent over years', () => {
    it('is paid from the owner\'s money, never from what is owed, and the full stake can still leave', async () => {
        const stake = (await p.provider.getLedger()).stake;
        p.advance(3 * 365 * 86400);
        await sync();
        const l = await p.provider.getLedger();
        expect(l.rentPaid).toBeGreaterThan(0n);
        expect(l.stake).toBe(stake - l.rentPaid);
        await p.provider.send(p.providerOwner.getSender(), { value: toNano('0.05') }, { $$type: 'RequestUnbond', queryId: 0n, amount: l.stake });
        p.advance(Number(p.params.unbondingPeriod));
        const res = await p.provider.send(p.providerOwner.getSender(), { value: toNano('0.05') }, { $$type: 'WithdrawStake', queryId: 0n });
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.providerOwner.address, success: true, value: (v) => v! > l.stake - toNano('0.01') });
        expect(res.transactions).not.toHaveTransaction({ on: p.provider.address, actionResultCode: 37 });
    });

    it('never touches a client\'s claim: anyone can fund the reserve of a Provider whose owner left', async () => {
        const ghost = new Address(0, Buffer.alloc(32, 9));
        const payload = bytesToTree(Buffer.alloc(10));
        await p.provider.send(p.blockchain.sender(ghost), { value: await p.requiredEscrow() }, { $$type: 'CreateJob', terms: p.terms(), payload });
        await p.provider.sendExternal(signedResult(keys(), 0n, { payloadHash: BigInt('0x' + payload.hash().toString('hex')) }));
        const claim = await p.provider.getClaim(ghost);
        expect(claim).toBeGreaterThan(0n);
        const l = await p.provider.getLedger();
        await p.provider.send(p.providerOwner.getSender(), { value: toNano('0.05') }, { $$type: 'WithdrawEarnings', queryId: 0n });
        await p.provider.send(p.providerOwner.getSender(), { value: toNano('0.05') }, { $$type: 'RequestUnbond', queryId: 0n, amount: l.stake });
        p.advance(Number(p.params.unbondingPeriod));
        await p.provider.send(p.providerOwner.getSender(), { value: toNano('0.05') }, { $$type: 'WithdrawStake', queryId: 0n });
        await p.provider.send(p.stranger.getSender(), { value: toNano('1') }, { $$type: 'FundReserve', queryId: 0n });
        p.advance(5 * 365 * 86400);
        await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', queryId: 0n });
        expect(await p.provider.getClaim(ghost)).toBe(claim);
        expect((await p.provider.getLedger()).claimable).toBe(claim);
    });
});

describe('7. keys attested by a removed verifier', () => {
    it('stop taking jobs once anyone reports the removal, and their open jobs end without a slash', async () => {
        await p.createJob();
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'RemoveVerifier', queryId: 0n, publicKey: p.verifierKey });
        const report = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'ReportVerifierRemoved', queryId: 0n, verifierKey: p.verifierKey });
        expect(report.transactions).toHaveTransaction({ from: p.provider.address, to: p.stranger.address, success: true });
        expect((await p.provider.getEnclave(p.enclave.publicKey))?.revoked).toBe(true);
        const res = await p.createJob();
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_ENCLAVE_REVOKED });
        p.advance(601);
        await expire(0n);
        expect((await p.provider.getLedger()).totalSlashed).toBe(0n);
    });

    it('a report about a verifier still listed changes nothing', async () => {
        await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'ReportVerifierRemoved', queryId: 0n, verifierKey: p.verifierKey });
        expect((await p.provider.getEnclave(p.enclave.publicKey))?.revoked).toBe(false);
    });
});

describe('8. runner restart (key rotation)', () => {
    it('costs an honest provider no slash, and strangers cannot farm the old key', async () => {
        await p.createJob(); // in flight when the runner restarts
        const job = (await p.provider.getJob(0n))!;
        const stakeBefore = (await p.provider.getLedger()).stake;
        // The restarted runner has new keys: the owner revokes the old one and registers the new one.
        await revoke(p.enclave.publicKey);
        const next = newEnclave();
        await p.register(next);
        const farmed = await p.createJob();
        expect(farmed.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_ENCLAVE_REVOKED });
        p.advance(601);
        const res = await expire(0n);
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.client.address, value: (v) => v! > job.escrow - toNano('0.001') && v! <= job.escrow });
        const l = await p.provider.getLedger();
        expect(l.stake).toBe(stakeBefore);
        expect(l.totalSlashed).toBe(0n);
        expect(l.expired).toBe(1n);
        const fresh = await p.createJob({ terms: p.terms({ enclaveKey: next.publicKey }) });
        expect(fresh.transactions).toHaveTransaction({ to: p.provider.address, success: true });
    });

    it('still slashes the expiry of a job on a key that is merely unanswered', async () => {
        await p.createJob();
        p.advance(601);
        await expire(0n);
        expect((await p.provider.getLedger()).totalSlashed).toBeGreaterThan(0n);
    });
});

describe('9. low-severity findings', () => {
    it('(a) a key revoked by an image removal mid-job lets the job end without a slash', async () => {
        await p.createJob();
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'RemoveImage', queryId: 0n, imageHash: (await p.provider.getEnclave(p.enclave.publicKey))!.imageHash });
        await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'ReportImageRemoved', queryId: 0n, imageHash: (await p.provider.getEnclave(p.enclave.publicKey))!.imageHash });
        p.advance(601);
        await expire(0n);
        expect((await p.provider.getLedger()).totalSlashed).toBe(0n);
    });

    // A job pays its costs in two parts: the creation charge (kept from the escrow at creation; it
    // also prepays the job's final event) and the external delivery's charge, which is measured, so
    // it stays true however deep the jobs map is. Only the creation's extra gas on a deep map (about
    // 500 gas a doubling of open jobs, bench/gas.ts) is not charged to the client: it comes out of
    // the reserve, which the owner's money refills; nothing owed to anyone is touched.
    it.each([
        [1, 0n],
        [200, 2_000_000n],
    ])('(b) a job settled or declined by external message, with %i jobs open, costs the reserve at most %i nanotons', async (open, bound) => {
        for (let i = 0; i < open - 1; i++) await p.createJob();
        const noise = (seed: number) => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + seed * 7 + ((i * i) >> 3)) & 0xff));
        let before = await margin();
        await p.createJob();
        await p.provider.sendExternal(signedResult(keys(), BigInt(open - 1), { result: bytesToTree(noise(1)) }));
        expect(before - (await margin())).toBeLessThanOrEqual(bound);
        before = await margin();
        await p.createJob();
        await p.provider.sendExternal(signedDecline(keys(), BigInt(open)));
        expect(before - (await margin())).toBeLessThanOrEqual(bound);
    });

    // The delivery alone, on a deep map: what it costs the contract beyond its charge may only be the
    // job's final event, which the creation charge prepaid (one forward fee of a 1-cell message). The
    // review measured 25,166 gas used against 24,000 charged at 1,000 open jobs.
    it.each(['result', 'decline'])('(b) an external %s on a deep jobs map (256 open) is charged at least what it cost, but its prepaid event', async (kind) => {
        for (let i = 0; i < 256; i++) await p.createJob();
        const prepaidEvent = 849_001n; // forwardFee(1 cell, 1023 bits) at the sandbox's basechain prices
        const before = await margin();
        await p.provider.sendExternal(kind === 'result' ? signedResult(keys(), 150n, { result: bytesToTree(Buffer.from('short answer')) }) : signedDecline(keys(), 150n));
        expect(before - (await margin())).toBeLessThanOrEqual(prepaidEvent);
    });

    it('(c) the equivocation report pays its own event and compute from the reporter\'s value', async () => {
        await p.createJob();
        const before = await margin();
        const res = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, equivocationEvidence(keys(), 0n, 1n, 2n));
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.stranger.address, success: true });
        expect(await margin()).toBeGreaterThanOrEqual(before);
    });

    it('(e) an allow-listed model name is measured whole, not by its first cell', async () => {
        // A 255-byte name as a snake whose first cell holds only 64 bytes (the review's way past the check).
        const tail = beginCell().storeBuffer(Buffer.alloc(127, 0x6d)).storeRef(beginCell().storeBuffer(Buffer.alloc(64, 0x6d))).endCell();
        const name = beginCell().storeBuffer(Buffer.alloc(64, 0x6d)).storeRef(tail).endCell();
        const body = beginCell().storeUint(0x52000005, 32).storeUint(0, 64).storeUint(4242n, 256).storeRef(name).endCell();
        const res = await p.owner.send({ to: p.registry.address, value: toNano('0.05'), body });
        expect(res.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_OVERSIZE });
        expect(await p.registry.getModel(4242n)).toBeNull();
        const long = await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'AllowModel', queryId: 0n, modelId: 4244n, name: 'm'.repeat(255) });
        expect(long.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_OVERSIZE });
        const ok = await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'AllowModel', queryId: 0n, modelId: 4243n, name: 'm'.repeat(64) });
        expect(ok.transactions).toHaveTransaction({ to: p.registry.address, success: true });
    });
});

describe('10. also checked', () => {
    it('CancelParams after the change took effect is refused instead of answering success', async () => {
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'ProposeParams', queryId: 0n, params: { ...p.params, protocolFeeBps: 700n } });
        p.advance(Number(p.params.governanceDelay));
        const res = await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'CancelParams', queryId: 0n });
        expect(res.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_NO_PENDING });
        expect((await p.registry.getParams()).protocolFeeBps).toBe(700n);
    });

    it('a stranger\'s question to the Registry is answered to the stranger, never bounced to the owner', async () => {
        const ownerBefore = await balanceOf(p.providerOwner.address);
        for (const body of [
            { $$type: 'RequestSync' as const, queryId: 0n },
            { $$type: 'ReportImageRemoved' as const, queryId: 0n, imageHash: 5n },
            { $$type: 'ReportModelRemoved' as const, queryId: 0n, modelId: 5n },
            { $$type: 'ReportVerifierRemoved' as const, queryId: 0n, verifierKey: 5n },
        ]) {
            const res = await p.provider.send(p.stranger.getSender(), { value: toNano('0.03') }, body);
            expect(res.transactions).toHaveTransaction({ from: p.registry.address, to: p.provider.address, success: true });
            expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.stranger.address });
            expect(res.transactions).not.toHaveTransaction({ inMessageBounced: true });
        }
        expect(await balanceOf(p.providerOwner.address)).toBe(ownerBefore);
    });
});
