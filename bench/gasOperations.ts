/**
 * Every on-chain operation of Cocoon, run once in a fresh sandbox and measured (bench/measure.ts).
 * Shared by `npm run bench:gas` (the table and bench/results/gas.json) and tests/gas.snapshot.spec.ts
 * (which fails when an operation's gas grows past the committed snapshot).
 */
import { Address, beginCell, Cell, internal, SendMode, toNano } from '@ton/core';
import { WalletContractV5R1 } from '@ton/ton';
import { ed25519 } from '@noble/curves/ed25519.js';
import { protocol, signedResult, signedDecline, newEnclave, equivocationEvidence } from '../tests/fixtures/protocol';
import { bytesToTree } from '../protocol/bytesTree';
import { storeCloseSession, storeCloseWithVoucher, storeCreateJob, storeFinishSession, storeOpenSession, storeSettleVoucher, storeTopUpSession } from '../wrappers/Provider';
import { voucherMessage } from '../protocol/voucher';
import { SETTLE_VALUE, voucher } from '../tests/fixtures/session';
import { costOf, Cost } from './measure';
import type { BlockchainTransaction } from '@ton/sandbox';
import { createHash } from 'node:crypto';

/** Deterministic incompressible bytes: identical cells would be deduplicated and cost less. */
export function noise(length: number, seed: string): Buffer {
    const out: Buffer[] = [];
    for (let i = 0; out.length * 32 < length; i++) out.push(createHash('sha256').update(`${seed}:${i}`).digest());
    return Buffer.concat(out).subarray(0, length);
}

export interface Operation extends Cost {
    name: string;
}

export interface GasReport {
    operations: Operation[];
    jobLifecycleTon: number;
    jobLifecycle: Operation[];
    /** Open + one settlement + cooperative close (the enclave's final voucher), every fee counted. */
    sessionLifecycleTon: number;
    /** Open + one settlement + the client's close request + the finish after the window. */
    sessionUnilateralTon: number;
    sessionLifecycle: Operation[];
}

export async function measureOperations(): Promise<GasReport> {
    const p = await protocol();
    const ops: Operation[] = [];
    const contracts = [p.registry.address, p.provider.address];
    const record = async (name: string, run: () => Promise<{ transactions: any[] }>) => {
        const res = await run();
        const failed = res.transactions.find((t) => t.description.type === 'generic' && t.description.computePhase.type === 'vm' && t.description.computePhase.exitCode !== 0);
        if (failed) throw new Error(`${name}: a transaction failed with exit code ${failed.description.computePhase.exitCode}`);
        ops.push({ name, ...costOf(res.transactions, contracts) });
    };
    const q = { queryId: 0n };
    const own = p.owner.getSender();
    const po = p.providerOwner.getSender();

    // Registry governance
    await record('registry.ProposeParams', () => p.registry.send(own, { value: toNano('0.05') }, { $$type: 'ProposeParams', ...q, params: { ...p.params, protocolFeeBps: 500n } }));
    await record('registry.CancelParams', () => p.registry.send(own, { value: toNano('0.05') }, { $$type: 'CancelParams', ...q }));
    await record('registry.AllowImage', () => p.registry.send(own, { value: toNano('0.05') }, { $$type: 'AllowImage', ...q, imageHash: 99n }));
    await record('registry.RemoveImage', () => p.registry.send(own, { value: toNano('0.05') }, { $$type: 'RemoveImage', ...q, imageHash: 99n }));
    await record('registry.AllowModel', () => p.registry.send(own, { value: toNano('0.05') }, { $$type: 'AllowModel', ...q, modelId: 98n, name: 'model-98' }));
    await record('registry.RemoveModel', () => p.registry.send(own, { value: toNano('0.05') }, { $$type: 'RemoveModel', ...q, modelId: 98n }));
    await record('registry.AllowVerifier', () => p.registry.send(own, { value: toNano('0.05') }, { $$type: 'AllowVerifier', ...q, publicKey: 97n }));
    await record('registry.RemoveVerifier', () => p.registry.send(own, { value: toNano('0.05') }, { $$type: 'RemoveVerifier', ...q, publicKey: 97n }));
    await record('registry.ProposeOwner', () => p.registry.send(own, { value: toNano('0.05') }, { $$type: 'ProposeOwner', ...q, newOwner: p.owner.address }));
    await record('registry.AcceptOwner', () => p.registry.send(own, { value: toNano('0.05') }, { $$type: 'AcceptOwner', ...q }));
    await record('registry.DeployProvider', () => p.registry.send(p.stranger.getSender(), { value: toNano('0.2') }, { $$type: 'DeployProvider', ...q }));

    // Provider administration
    await record('provider.AddStake', () => p.provider.send(po, { value: toNano('5') }, { $$type: 'AddStake', ...q }));
    const second = newEnclave();
    await record('provider.RegisterEnclave', () => p.register(second));
    await record('provider.SetModelOffer', () => p.provider.send(po, { value: toNano('0.1') }, { $$type: 'SetModelOffer', ...q, modelId: p.terms().modelId, offer: { $$type: 'ModelOffer', pricePerMillionIn: toNano('1'), pricePerMillionOut: toNano('4'), maxContext: 8192n } }));
    await record('provider.RequestSync', () => p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', ...q }));
    await record('provider.ReportImageRemoved', () => p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'ReportImageRemoved', ...q, imageHash: 12345n }));
    await record('provider.RevokeEnclave', () => p.provider.send(po, { value: toNano('0.05') }, { $$type: 'RevokeEnclave', ...q, enclaveKey: second.publicKey }));
    await record('provider.SetRunnerUrl', () => p.provider.send(po, { value: toNano('0.05') }, { $$type: 'SetRunnerUrl', ...q, url: 'https://runner-0.provider.example:8443' }));

    // Jobs
    const keys = { provider: p.provider.address, enclave: p.enclave };
    const payload = bytesToTree(noise(1024, 'payload'));
    const payloadHash = BigInt('0x' + payload.hash().toString('hex'));
    const result = bytesToTree(noise(1024, 'result'));
    await record('job.CreateJob (1 KB payload)', () => p.createJob({ payload }));
    await record('job.SubmitResult external (1 KB result)', () => p.provider.sendExternal(signedResult(keys, 0n, { result, payloadHash })));
    await p.createJob();
    await record('job.SubmitResult internal (1 KB result)', () => p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, signedResult(keys, 1n, { result })));
    await p.createJob();
    await record('job.SubmitDecline external', () => p.provider.sendExternal(signedDecline(keys, 2n)));
    await p.createJob();
    p.advance(601);
    await record('job.ExpireJob', () => p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, { $$type: 'ExpireJob', ...q, jobId: 3n }));
    await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', ...q });
    await record('job.ReportEquivocation', () => p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, equivocationEvidence(keys, 0n, 1n, 2n, { payloadHash })));
    await record('provider.FlushFees', () => p.provider.send(p.stranger.getSender(), { value: toNano('0.05') }, { $$type: 'FlushFees', ...q }));
    await record('provider.WithdrawEarnings', () => p.provider.send(po, { value: toNano('0.05') }, { $$type: 'WithdrawEarnings', ...q }));
    await record('provider.RequestUnbond', () => p.provider.send(po, { value: toNano('0.05') }, { $$type: 'RequestUnbond', ...q, amount: toNano('1') }));
    p.advance(Number(p.params.unbondingPeriod));
    await record('provider.WithdrawStake', () => p.provider.send(po, { value: toNano('0.05') }, { $$type: 'WithdrawStake', ...q }));

    const lifecycle = await measureJobLifecycle();
    const jobLifecycleNano = lifecycle.reduce((s, o) => s + o.feesNano, 0n);
    const sessions = await measureSessionLifecycle();
    const tonOf = (names: string[]) => Number(sessions.filter((o) => names.includes(o.name)).reduce((s, o) => s + o.feesNano, 0n)) / 1e9;
    return {
        operations: ops,
        jobLifecycle: lifecycle,
        jobLifecycleTon: Number(jobLifecycleNano) / 1e9,
        sessionLifecycle: sessions,
        sessionLifecycleTon: tonOf([SESSION_OPEN, SESSION_SETTLE, SESSION_CLOSE_FINAL]),
        sessionUnilateralTon: tonOf([SESSION_OPEN, SESSION_SETTLE, SESSION_CLOSE_REQUEST, SESSION_FINISH]),
    };
}

/** Fees of one job's whole life, split as the two client-visible steps of bench/results/gas.json. */
export interface JobLifecycleCost {
    create: Cost;
    settle: Cost;
}

/**
 * One job's whole life, as a real client sees it: CreateJob with an encrypted payload from a V5R1
 * wallet, the enclave's receipt with an encrypted result delivered by external message, and
 * settlement with its refund landing in the client's wallet. Every transaction is counted.
 * Returns a meter that runs such a job for any payload and result size on one protocol and wallet
 * (bench/padding.ts prices the envelope sizes of each padding scheme with it).
 */
export async function jobLifecycleMeter(opts: { extraStake?: bigint } = {}): Promise<(payloadBytes: number, resultBytes: number) => Promise<JobLifecycleCost>> {
    const p = await protocol();
    const contracts = [p.provider.address];
    const { secretKey, publicKey } = ed25519.keygen();
    const signingKey = Buffer.concat([Buffer.from(secretKey), Buffer.from(publicKey)]);
    const wallet = p.blockchain.openContract(WalletContractV5R1.create({ workchain: 0, publicKey: Buffer.from(publicKey) }));
    await p.stranger.send({ to: wallet.address, value: toNano('1000'), bounce: false });
    // Deploy the wallet with a first, unrelated transfer so the job does not pay for it.
    await wallet.sendTransfer({ seqno: 0, timeout: p.blockchain.now! + 60, secretKey: signingKey, sendMode: SendMode.PAY_GAS_SEPARATELY, messages: [internal({ to: p.stranger.address, value: toNano('0.01') })] });
    const value = await p.requiredEscrow();
    // A result beyond the job's settlement allowance is charged to the provider, then to its stake:
    // a caller pricing hundreds of large results adds stake so it never falls under the minimum.
    if (opts.extraStake) await p.provider.send(p.providerOwner.getSender(), { value: opts.extraStake }, { $$type: 'AddStake', queryId: 0n });
    const failed = (txs: BlockchainTransaction[]) => txs.find((tx) => tx.description.type === 'generic' && tx.description.computePhase.type === 'vm' && tx.description.computePhase.exitCode !== 0);
    let n = 0;
    return async (payloadBytes, resultBytes) => {
        n++; // fresh bytes per job: cells identical to an earlier job's would cost the same, but keep runs independent
        const payload = bytesToTree(noise(payloadBytes, `payload:${n}`));
        const body = beginCell().store(storeCreateJob({ $$type: 'CreateJob', terms: p.terms(), payload })).endCell();
        const create = await wallet.sendTransfer({
            seqno: await wallet.getSeqno(),
            timeout: p.blockchain.now! + 60,
            secretKey: signingKey,
            sendMode: SendMode.PAY_GAS_SEPARATELY,
            messages: [internal({ to: p.provider.address, value, body, bounce: true })],
        });
        if (failed(create.transactions)) throw new Error(`job lifecycle: CreateJob with a ${payloadBytes}-byte payload failed`);
        const jobId = (await p.provider.getLedger()).nextJobId - 1n;
        const settle = await p.provider.sendExternal(signedResult({ provider: p.provider.address, enclave: p.enclave }, jobId, { result: bytesToTree(noise(resultBytes, `result:${n}`)), payloadHash: BigInt('0x' + payload.hash().toString('hex')) }));
        if (failed(settle.transactions)) throw new Error(`job lifecycle: settling with a ${resultBytes}-byte result failed`);
        return { create: costOf(create.transactions, contracts), settle: costOf(settle.transactions, contracts) };
    };
}

async function measureJobLifecycle(): Promise<Operation[]> {
    const { create, settle } = await (await jobLifecycleMeter())(1024, 1024);
    return [
        { name: 'lifecycle: client wallet → CreateJob (1 KB payload)', ...create },
        { name: 'lifecycle: external receipt (1 KB result) → settlement → refund', ...settle },
    ];
}

const SESSION_OPEN = 'session: client wallet → OpenSession';
const SESSION_SETTLE = 'session: relayer external SettleVoucher (wallet-free)';
const SESSION_CLOSE_FINAL = 'session: external CloseWithVoucher (final, wallet-free) → refund';
const SESSION_CLOSE_FINAL_WALLET = 'session: client wallet → CloseWithVoucher (final) → refund';
const SESSION_SETTLE_FINAL = 'session: relayer external SettleVoucher (final: ends it, provider pays) → refund';
const SESSION_TOP_UP = 'session: client wallet → TopUpSession';
const SESSION_CLOSE_REQUEST = 'session: client wallet → CloseSession';
const SESSION_FINISH = 'session: wallet → FinishSession after the window → refund';

/**
 * One session's life as real parties see it, every transaction counted: the client opens it from a
 * V5R1 wallet, the provider's relayer settles a voucher by external message (no wallet: the
 * provider pays the delivery out of what the voucher adds), and the client closes it cooperatively
 * with the enclave's final voucher, also by external message (the refund pays it); then the same
 * close from the client's wallet, the final voucher settled by the relayer (which ends the session
 * too), and on another session the unilateral close (request, window, finish).
 */
async function measureSessionLifecycle(): Promise<Operation[]> {
    const p = await protocol();
    const contracts = [p.provider.address];
    const client = await v5Wallet(p, 'client');
    const relayer = await v5Wallet(p, 'relayer');
    const ops: Operation[] = [];
    const run = async (name: string, w: V5Wallet, value: bigint, body: Cell) => {
        const res = await w.send(p.provider.address, value, body);
        const failed = res.transactions.find((t) => t.description.type === 'generic' && t.description.computePhase.type === 'vm' && t.description.computePhase.exitCode !== 0);
        if (failed) throw new Error(`${name}: exit code ${(failed.description as any).computePhase.exitCode}`);
        ops.push({ name, ...costOf(res.transactions, contracts) });
    };
    const open = async () => {
        const sessionId = (await p.provider.getLedger()).nextSessionId;
        const body = beginCell().store(storeOpenSession({ $$type: 'OpenSession', queryId: 0n, modelId: p.terms().modelId, enclaveKey: p.enclave.publicKey, clientKey: 1n, ttl: 86400n })).endCell();
        await run(SESSION_OPEN, client, toNano('1'), body);
        return sessionId;
    };
    const settleBody = (sessionId: bigint, seq: bigint, tokens: bigint, final: boolean) => {
        const v = voucherMessage(voucher(p, sessionId, seq, tokens, tokens, { final }));
        return beginCell().store(final ? storeCloseWithVoucher({ $$type: 'CloseWithVoucher', sessionId, voucher: v }) : storeSettleVoucher({ $$type: 'SettleVoucher', sessionId, voucher: v })).endCell();
    };
    const q = { queryId: 0n };

    const a = await open();
    const settled = await p.provider.sendExternal({ $$type: 'SettleVoucher', sessionId: a, voucher: voucherMessage(voucher(p, a, 1n, 50_000n, 10_000n)) });
    ops.push({ name: SESSION_SETTLE, ...costOf(settled.transactions, contracts) });
    const closed = await p.provider.sendExternal({ $$type: 'CloseWithVoucher', sessionId: a, voucher: voucherMessage(voucher(p, a, 2n, 60_000n, 10_000n, { final: true })) });
    ops.push({ name: SESSION_CLOSE_FINAL, ...costOf(closed.transactions, contracts) });

    const c = await open();
    ops.pop(); // every opening costs what the first did
    await run(SESSION_CLOSE_FINAL_WALLET, client, SETTLE_VALUE, settleBody(c, 1n, 60_000n, true));

    const d = await open();
    ops.pop();
    const ended = await p.provider.sendExternal({ $$type: 'SettleVoucher', sessionId: d, voucher: voucherMessage(voucher(p, d, 1n, 60_000n, 10_000n, { final: true })) });
    ops.push({ name: SESSION_SETTLE_FINAL, ...costOf(ended.transactions, contracts) });

    const b = await open();
    ops.pop();
    await relayer.send(p.provider.address, SETTLE_VALUE, settleBody(b, 1n, 1000n, false));
    await run(SESSION_TOP_UP, client, toNano('0.5'), beginCell().store(storeTopUpSession({ $$type: 'TopUpSession', ...q, sessionId: b })).endCell());
    await run(SESSION_CLOSE_REQUEST, client, toNano('0.02'), beginCell().store(storeCloseSession({ $$type: 'CloseSession', ...q, sessionId: b })).endCell());
    p.advance(Number(p.params.sessionChallengeWindow) + 1);
    await run(SESSION_FINISH, client, toNano('0.02'), beginCell().store(storeFinishSession({ $$type: 'FinishSession', ...q, sessionId: b })).endCell());
    return ops;
}

type V5Wallet = Awaited<ReturnType<typeof v5Wallet>>;

/** A deployed V5R1 wallet that sends one message per transfer, as users' wallets do. */
async function v5Wallet(p: Awaited<ReturnType<typeof protocol>>, seed: string) {
    const { secretKey, publicKey } = ed25519.keygen(createHash('sha256').update(seed).digest());
    const signingKey = Buffer.concat([Buffer.from(secretKey), Buffer.from(publicKey)]);
    const wallet = p.blockchain.openContract(WalletContractV5R1.create({ workchain: 0, publicKey: Buffer.from(publicKey) }));
    await p.stranger.send({ to: wallet.address, value: toNano('100'), bounce: false });
    const send = async (to: Address, value: bigint, body?: Cell) => wallet.sendTransfer({
        seqno: await wallet.getSeqno(),
        timeout: p.blockchain.now! + 60,
        secretKey: signingKey,
        sendMode: SendMode.PAY_GAS_SEPARATELY,
        messages: [internal({ to, value, body, bounce: true })],
    });
    await send(p.stranger.address, toNano('0.01')); // deploys it
    return { address: wallet.address, send };
}

export interface ScalePoint {
    openJobs: number;
    createJobGas: number;
    settleExternalGas: number;
    declineExternalGas: number;
}

/**
 * Gas of the operations whose cost grows with the number of open jobs (the jobs map deepens), at
 * each of `counts` open jobs: the figures the contract's gas constants must bound (GAS_CREATE_JOB,
 * GAS_SETTLE_EXTERNAL). Jobs are created by real CreateJob messages; at 10,000 this takes a while.
 */
export async function measureAtScale(counts: number[]): Promise<ScalePoint[]> {
    const p = await protocol();
    const keys = { provider: p.provider.address, enclave: p.enclave };
    const gasOf = (res: { transactions: any[] }) => {
        const tx = res.transactions.find((t) => t.inMessage?.info.dest?.equals?.(p.provider.address));
        if (!tx || tx.description.computePhase.type !== 'vm' || !tx.description.computePhase.success) throw new Error('scale: an operation failed');
        return Number(tx.description.computePhase.gasUsed);
    };
    await p.provider.send(p.providerOwner.getSender(), { value: toNano('1000') }, { $$type: 'AddStake', queryId: 0n });
    const payload = bytesToTree(noise(1024, 'payload'));
    const payloadHash = BigInt('0x' + payload.hash().toString('hex'));
    const result = bytesToTree(noise(1024, 'result'));
    const points: ScalePoint[] = [];
    let open = 0;
    for (const target of counts) {
        // Fill to target - 1, then measure the creation of the target-th open job.
        for (; open < target - 1; open++) await p.createJob({ payload });
        const createJobGas = gasOf(await p.createJob({ payload }));
        open++;
        const next = (await p.provider.getLedger()).nextJobId;
        const settleExternalGas = gasOf(await p.provider.sendExternal(signedResult(keys, next - 1n, { result, payloadHash })));
        await p.createJob({ payload });
        const declineExternalGas = gasOf(await p.provider.sendExternal(signedDecline(keys, next, undefined, undefined, payloadHash)));
        points.push({ openJobs: target, createJobGas, settleExternalGas, declineExternalGas });
        open--; // the settled job left; the declined one was created and left
        // Keep jobs alive past their deadline: the fixture's ttl is 600 s and the clock does not move.
    }
    return points;
}
