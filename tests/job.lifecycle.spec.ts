import '@ton/test-utils';
import { randomBytes } from 'node:crypto';
import { Address, beginCell, toNano } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { protocol, Protocol, signedResult, signedDecline, newEnclave, equivocationEvidence, GLOBAL_ID } from './fixtures/protocol';
import { bytesToTree } from '../protocol/bytesTree';
import { bigintFromBytes, receiptCell, signCell } from '../protocol/signed';
import { Exit } from '../protocol/errors';
import { loadJobCreated, loadJobSettled, loadJobRefund, loadJobDeclined, loadJobExpired, loadProviderSlashed } from '../wrappers/Provider';

let p: Protocol;
beforeAll(async () => {
    p = await protocol();
    await p.createJob(); // job 0 is open in every test
    p.checkpoint();
});
beforeEach(() => p.reset());
// Whatever a test did, the Provider holds at least everything it owes (strict solvency).
afterEach(async () => {
    const l = await p.provider.getLedger();
    const owed = l.stake + l.unbonding + l.earnings + l.fees + l.escrowed + l.claimable;
    expect((await p.blockchain.getContract(p.provider.address)).balance).toBeGreaterThanOrEqual(owed);
});

const keys = () => ({ provider: p.provider.address, enclave: p.enclave });
const expectRefused = async (promise: Promise<unknown>, code: number) => {
    await expect(promise).rejects.toThrow(new RegExp(`[Ee]xit code:? ${code}\\b|exitCode[^0-9]*${code}\\b|${code}`));
};

describe('Job creation', () => {
    it('records the job, counts it open and announces it in one event cell', async () => {
        const job = await p.provider.getJob(0n);
        expect(job?.client.equals(p.client.address)).toBe(true);
        expect(job?.payloadHash).toBe(bigintFromBytes(bytesToTree(Buffer.alloc(1024, 1)).hash()));
        const l = await p.provider.getLedger();
        expect(l.openJobs).toBe(1n);
        expect(l.escrowed).toBe(job!.escrow);
        const res = await p.createJob();
        const events = res.externals;
        expect(events).toHaveLength(1);
        expect(events[0].body.refs).toHaveLength(0);
        const created = loadJobCreated(events[0].body.beginParse());
        expect(created.jobId).toBe(1n);
        expect(created.enclaveKey).toBe(p.enclave.publicKey);
        expect(created.payloadHash).toBe(bigintFromBytes(bytesToTree(Buffer.alloc(1024, 1)).hash()));
        expect(created.deadline).toBe(BigInt(p.blockchain.now! + 600));
    });

    it('refuses one nanoton less than the required escrow, and refunds it', async () => {
        const need = await p.requiredEscrow();
        const res = await p.createJob({ value: need - 1n });
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_ESCROW_TOO_LOW });
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.client.address, inMessageBounced: true });
        const ok = await p.createJob({ value: need });
        expect(ok.transactions).toHaveTransaction({ to: p.provider.address, success: true });
    });

    it('refuses unknown or revoked enclaves, unoffered models, bad limits, bad deadlines and oversize payloads', async () => {
        const cases: [Parameters<Protocol['terms']>[0], number][] = [
            [{ enclaveKey: 123n }, Exit.ERR_ENCLAVE_UNKNOWN],
            [{ modelId: 77n }, Exit.ERR_MODEL_NOT_OFFERED],
            [{ maxInputTokens: 0n }, Exit.ERR_LIMITS],
            [{ maxInputTokens: 8000n, maxOutputTokens: 1000n }, Exit.ERR_LIMITS],
            [{ ttl: 5n }, Exit.ERR_DEADLINE_BOUNDS],
            [{ ttl: 86401n }, Exit.ERR_DEADLINE_BOUNDS],
        ];
        for (const [terms, code] of cases) {
            const res = await p.createJob({ terms: p.terms(terms), value: toNano('5') });
            expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: code });
        }
        let deep = beginCell().endCell();
        for (let i = 0; i < 8; i++) deep = beginCell().storeRef(deep).endCell();
        const oversize = await p.createJob({ payload: deep, value: toNano('5') });
        expect(oversize.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_OVERSIZE });
        expect((await p.provider.getLedger()).openJobs).toBe(1n);
    });

    it('carries a 64 KB payload in the creation message without storing it', async () => {
        const res = await p.createJob({ payload: bytesToTree(Buffer.alloc(64 * 1024, 9)), value: toNano('5') });
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, success: true });
    });
});

describe('Job settlement', () => {
    it('settles by external message: pays the provider, accrues the fee and refunds the client', async () => {
        const job = (await p.provider.getJob(0n))!;
        const res = await p.provider.sendExternal(signedResult(keys(), 0n, { inputTokens: 500, outputTokens: 700 }));
        const price = (500n * toNano('1') + 700n * toNano('4') + 999999n) / 1000000n;
        const fee = (price * 500n) / 10000n;
        const l = await p.provider.getLedger();
        expect(l.earnings).toBe(price - fee);
        expect(l.fees).toBe(fee);
        expect(l.openJobs).toBe(0n);
        expect(l.completed).toBe(1n);
        expect(l.escrowed).toBe(0n);
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.client.address, value: (v) => v! > job.escrow - price - toNano('0.05') && v! < job.escrow - price });
        expect(await p.provider.getJob(0n)).toBeNull();
        const settled = loadJobSettled(res.externals[0].body.beginParse());
        expect(settled).toMatchObject({ jobId: 0n, inputTokens: 500n, outputTokens: 700n, price });
        expect(settled.resultHash).toBe(bigintFromBytes(bytesToTree(Buffer.alloc(1024, 2)).hash()));
        const refundMsg = res.transactions.find((t) => t.inMessage?.info.dest?.toString() === p.client.address.toString())!;
        expect(loadJobRefund(refundMsg.inMessage!.body.beginParse()).jobId).toBe(0n);
        // The refund pays its own forward fee (mode 0), so it arrives as the event's figure less that fee.
        const delivered = refundMsg.inMessage!.info.type === 'internal' ? refundMsg.inMessage!.info.value.coins : 0n;
        expect(settled.refund - delivered).toBeGreaterThan(0n);
        expect(settled.refund - delivered).toBeLessThan(toNano('0.001'));
    });

    it('keeps the pre-accept gas of the external settlement under the 10,000 credit', async () => {
        await p.blockchain.setVerbosityForAddress(p.provider.address, { vmLogs: 'vm_logs_gas', print: false, blockchainLogs: false, debugLogs: false });
        const res = await p.provider.sendExternal(signedResult(keys(), 0n));
        const logs = res.transactions[0].vmLogs.split('\n');
        const start = Number(/gas remaining: (\d+)/.exec(logs.join('\n'))![1]);
        const acceptAt = logs.findIndex((l) => l.includes('execute ACCEPT'));
        const beforeAccept = Number(/gas remaining: (-?\d+)/.exec(logs.slice(0, acceptAt).reverse().find((l) => l.startsWith('gas remaining'))!)![1]);
        const preAcceptGas = 10000 - beforeAccept;
        expect(start).toBeLessThanOrEqual(10000);
        expect(preAcceptGas).toBeLessThan(9000); // keep 10 % headroom under the credit
        await p.blockchain.setVerbosityForAddress(p.provider.address, undefined);
    });

    it('charges an oversize result beyond the allowance to the provider and stays solvent', async () => {
        const big = bytesToTree(randomBytes(60 * 1024)); // random: identical cells would be deduplicated
        await p.provider.sendExternal(signedResult(keys(), 0n, { result: big }));
        const l = await p.provider.getLedger();
        const price = (500n * toNano('1') + 700n * toNano('4') + 999999n) / 1000000n;
        expect(l.completed).toBe(1n);
        expect(l.earnings).toBeLessThan(price - (price * 500n) / 10000n);
        const balance = (await p.blockchain.getContract(p.provider.address)).balance;
        const owed = l.stake + l.unbonding + l.earnings + l.fees + l.escrowed + l.claimable;
        expect(balance).toBeGreaterThanOrEqual(owed);
    });

    it('settles by internal message from any wallet and returns the deliverer its excess', async () => {
        const res = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, signedResult(keys(), 0n));
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.stranger.address, success: true });
        expect((await p.provider.getLedger()).completed).toBe(1n);
    });

    it('drops invalid external receipts at no cost to the contract', async () => {
        const balance = (await p.blockchain.getContract(p.provider.address)).balance;
        const rogue = ed25519.keygen().secretKey;
        await expect(p.provider.sendExternal(signedResult(keys(), 0n, { signer: rogue }))).rejects.toThrow();
        await expect(p.provider.sendExternal(signedResult({ ...keys(), globalId: GLOBAL_ID + 1 }, 0n))).rejects.toThrow();
        await expect(p.provider.sendExternal(signedResult({ ...keys(), provider: p.stranger.address }, 0n))).rejects.toThrow();
        await expect(p.provider.sendExternal(signedResult(keys(), 0n, { outputTokens: 1001 }))).rejects.toThrow();
        await expect(p.provider.sendExternal(signedResult(keys(), 5n))).rejects.toThrow();
        expect((await p.blockchain.getContract(p.provider.address)).balance).toBe(balance);
    });

    it('names the refusal of each bad receipt delivered by internal message', async () => {
        const send = (msg: ReturnType<typeof signedResult>) => p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, msg);
        const rogue = ed25519.keygen().secretKey;
        const cases: [ReturnType<typeof signedResult>, number][] = [
            [signedResult(keys(), 0n, { signer: rogue }), Exit.ERR_BAD_SIGNATURE],
            [signedResult({ ...keys(), globalId: GLOBAL_ID + 1 }, 0n), Exit.ERR_BAD_SIGNATURE], // bound to the network
            [signedResult({ ...keys(), provider: p.stranger.address }, 0n), Exit.ERR_BAD_SIGNATURE], // bound to the contract
            [signedResult(keys(), 0n, { inputTokens: 1001 }), Exit.ERR_TOKENS_ABOVE_LIMIT],
            [signedResult(keys(), 9n), Exit.ERR_JOB_UNKNOWN],
        ];
        for (const [msg, code] of cases) {
            expect((await send(msg)).transactions).toHaveTransaction({ to: p.provider.address, exitCode: code });
        }
        // A receipt signed for job 0, delivered as the settlement of job 1.
        await p.createJob();
        const forJob0 = signedResult(keys(), 0n);
        expect((await send({ ...forJob0, jobId: 1n })).transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_BAD_SIGNATURE });
        const other = newEnclave();
        await p.register(other);
        expect((await send(signedResult({ ...keys(), enclave: other }, 0n))).transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_BAD_SIGNATURE });
        expect((await p.provider.getLedger()).openJobs).toBe(2n);
    });

    it('refuses a replayed receipt, a decline after the result and a late result', async () => {
        const receipt = signedResult(keys(), 0n);
        await p.provider.sendExternal(receipt);
        await expect(p.provider.sendExternal(receipt)).rejects.toThrow();
        const dup = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, receipt);
        expect(dup.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_JOB_UNKNOWN });
        const decl = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, signedDecline(keys(), 0n));
        expect(decl.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_JOB_UNKNOWN });
        expect((await p.provider.getLedger()).completed).toBe(1n);

        await p.reset();
        p.advance(601);
        const late = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, signedResult(keys(), 0n));
        expect(late.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_JOB_LATE });
    });

    it('refuses a receipt from a revoked key', async () => {
        await p.provider.send(p.providerOwner.getSender(), { value: toNano('0.05') }, { $$type: 'RevokeEnclave', queryId: 0n, enclaveKey: p.enclave.publicKey });
        const res = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, signedResult(keys(), 0n));
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_ENCLAVE_REVOKED });
    });
});

describe('Job declines and expiry', () => {
    it('refunds the client in full less gas on a signed decline, without slashing', async () => {
        const job = (await p.provider.getJob(0n))!;
        const stake = (await p.provider.getLedger()).stake;
        const res = await p.provider.sendExternal(signedDecline(keys(), 0n));
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.client.address, value: (v) => v! > job.escrow - toNano('0.03') });
        const l = await p.provider.getLedger();
        expect(loadJobDeclined(res.externals[0].body.beginParse())).toMatchObject({ jobId: 0n, reason: 4n });
        expect(l.declined).toBe(1n);
        expect(l.stake).toBe(stake);
        expect(l.openJobs).toBe(0n);
    });

    it('refuses a decline with an undefined reason or a bad signature', async () => {
        const bad = { ...signedDecline(keys(), 0n), reason: 9n };
        expect((await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, bad)).transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_BAD_REASON });
        const forged = signedDecline(keys(), 0n, 1, ed25519.keygen().secretKey);
        expect((await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, forged)).transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_BAD_SIGNATURE });
    });

    it('refuses expiry before the deadline', async () => {
        const res = await p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, { $$type: 'ExpireJob', queryId: 0n, jobId: 0n });
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_JOB_NOT_EXPIRED });
    });

    it('expires after the deadline: escrow back plus compensation from the stake, the rest to the treasury', async () => {
        const job = (await p.provider.getJob(0n))!;
        const before = await p.provider.getLedger();
        p.advance(601);
        const res = await p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, { $$type: 'ExpireJob', queryId: 0n, jobId: 0n });
        const priceCap = (job.maxInputTokens * job.pricePerMillionIn + job.maxOutputTokens * job.pricePerMillionOut + 999999n) / 1000000n;
        const slash = (priceCap * 20000n) / 10000n;
        const l = await p.provider.getLedger();
        expect(l.stake).toBe(before.stake - slash);
        expect(l.totalSlashed).toBe(slash);
        expect(l.fees).toBe(slash - slash / 2n);
        expect(l.expired).toBe(1n);
        expect(loadJobExpired(res.externals[0].body.beginParse())).toMatchObject({ jobId: 0n, slashed: slash });
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.client.address, value: (v) => v! > job.escrow + slash / 2n - toNano('0.02') });
        const again = await p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, { $$type: 'ExpireJob', queryId: 0n, jobId: 0n });
        expect(again.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_JOB_UNKNOWN });
    });
});

describe('Equivocation', () => {
    const evidence = (a: bigint, b: bigint, signer = p.enclave.secretKey, jobId = 0n) => equivocationEvidence(keys(), jobId, a, b, { signer });

    it('slashes the provider, rewards the reporter, revokes the key, and refuses the same evidence twice', async () => {
        const before = await p.provider.getLedger();
        const res = await p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, evidence(1n, 2n));
        const slash = (before.stake * 5000n) / 10000n;
        const reward = (slash * 2000n) / 10000n;
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.stranger.address, value: (v) => v! > reward });
        const l = await p.provider.getLedger();
        expect(l.stake).toBe(before.stake - slash);
        expect(l.fees).toBe(slash - reward);
        expect(loadProviderSlashed(res.externals[0].body.beginParse())).toMatchObject({ enclaveKey: p.enclave.publicKey, jobId: 0n, slashed: slash });
        expect((await p.provider.getEnclave(p.enclave.publicKey))?.revoked).toBe(true);
        const again = await p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, evidence(1n, 3n));
        expect(again.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_EVIDENCE_USED });
    });

    it('refuses equal results and forged signatures', async () => {
        const same = await p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, evidence(1n, 1n));
        expect(same.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_NOT_EQUIVOCATION });
        const forged = await p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, evidence(1n, 2n, ed25519.keygen().secretKey));
        expect(forged.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_BAD_SIGNATURE });
        expect((await p.provider.getLedger()).totalSlashed).toBe(0n);
    });
});

describe('Bounced payouts', () => {
    // The reference system advances counters although the transfer bounced; here the bounced value
    // stays claimable by its recipient and every counter matches the money.
    it('keeps a bounced refund claimable by the client', async () => {
        // A client address with no account: the refund to it bounces back to the Provider.
        const ghost = new Address(0, Buffer.alloc(32, 7));
        const value = await p.requiredEscrow();
        const payload = bytesToTree(Buffer.alloc(10));
        await p.provider.send(p.blockchain.sender(ghost), { value }, { $$type: 'CreateJob', terms: p.terms(), payload });
        const settle = await p.provider.sendExternal(signedResult(keys(), 1n, { payloadHash: bigintFromBytes(payload.hash()) }));
        expect(settle.transactions).toHaveTransaction({ from: ghost, to: p.provider.address, inMessageBounced: true, success: true });
        const owed = await p.provider.getClaim(ghost);
        expect(owed).toBeGreaterThan(0n);
        const l = await p.provider.getLedger();
        expect(l.claimable).toBe(owed);
        expect(l.completed).toBe(1n);
        const claim = await p.provider.send(p.blockchain.sender(ghost), { value: toNano('0.05') }, { $$type: 'ClaimRefund', queryId: 0n });
        expect(claim.transactions).toHaveTransaction({ from: p.provider.address, to: ghost, value: (v) => v! > owed });
        // The ghost address still has no account, so the claim bounces again and stays claimable.
        const reclaimed = await p.provider.getClaim(ghost);
        expect(reclaimed).toBeGreaterThan(0n);
        expect((await p.provider.getLedger()).claimable).toBe(reclaimed);
        const nothing = await p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, { $$type: 'ClaimRefund', queryId: 0n });
        expect(nothing.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_NOTHING_TO_PAY });
    });
});
