/**
 * Pure invariant checks of the money property tests. Each returns a list of violations (empty when
 * the invariant holds), so a failing run reports every broken equation of a step at once.
 */
import { Address, Transaction } from '@ton/core';

export const OP_JOB_REFUND = 0x43000001;
export const OP_JOB_CREATED = 0x45000001;
export const OP_JOB_EXPIRED = 0x45000004;

export interface LedgerView {
    stake: bigint;
    unbonding: bigint;
    earnings: bigint;
    fees: bigint;
    escrowed: bigint;
    claimable: bigint;
    nextJobId: bigint;
    openJobs: bigint;
    completed: bigint;
    declined: bigint;
    expired: bigint;
    totalSlashed: bigint;
}

/** What a batch of transactions took out of circulation, and the JobRefunds it sent. */
export interface TxSummary {
    /** Σ total_fees: storage, compute, action (incl. the first part of forward fees), import and bounce fees. */
    totalFees: bigint;
    /**
     * Σ of the forward (and IHR) fee still carried by each internal message a transaction created.
     * The action and bounce phases book only the sender's share of a forward fee in total_fees; the
     * remainder travels in the message's `fwd_fee` field and is collected when the message is
     * routed, in no transaction. It has left every balance all the same.
     */
    inTransitFees: bigint;
    refunds: { provider: Address; jobId: bigint; to: Address }[];
    /** JobCreated events (external-out) per provider. */
    created: { provider: Address; jobId: bigint; deadline: bigint }[];
    /** JobExpired events (external-out) per provider. */
    expired: { provider: Address; jobId: bigint; refund: bigint; slashed: bigint }[];
    accounts: Address[];
}

export function summarize(transactions: Transaction[]): TxSummary {
    const s: TxSummary = { totalFees: 0n, inTransitFees: 0n, refunds: [], created: [], expired: [], accounts: [] };
    for (const tx of transactions) {
        s.totalFees += tx.totalFees.coins;
        const self = tx.inMessage?.info.dest;
        if (self && Address.isAddress(self)) s.accounts.push(self);
        for (const out of tx.outMessages.values()) {
            const info = out.info;
            if (info.type === 'internal') {
                s.inTransitFees += info.forwardFee + info.ihrFee;
                const body = out.body.beginParse();
                if (!info.bounced && body.remainingBits >= 32 + 64 && body.preloadUint(32) === OP_JOB_REFUND) {
                    body.skip(32);
                    s.refunds.push({ provider: info.src, jobId: body.loadUintBig(64), to: info.dest });
                }
            } else if (info.type === 'external-out') {
                const body = out.body.beginParse();
                if (body.remainingBits >= 32 && body.preloadUint(32) === OP_JOB_CREATED) {
                    body.skip(32);
                    const jobId = body.loadUintBig(64);
                    body.skip(256 + 256);
                    s.created.push({ provider: info.src, jobId, deadline: body.loadUintBig(32) });
                } else if (body.remainingBits >= 32 && body.preloadUint(32) === OP_JOB_EXPIRED) {
                    body.skip(32);
                    s.expired.push({ provider: info.src, jobId: body.loadUintBig(64), refund: body.loadCoins(), slashed: body.loadCoins() });
                }
            }
        }
    }
    return s;
}

/** 1. Σ balances + Σ fees + Σ in-transit forward fees = initial Σ balances + value injected from outside. */
export function conservation(t: { balances: bigint; fees: bigint; inTransit: bigint; initial: bigint; injected: bigint }): string[] {
    const lhs = t.balances + t.fees + t.inTransit;
    const rhs = t.initial + t.injected;
    return lhs === rhs
        ? []
        : [`conservation: balances ${t.balances} + fees ${t.fees} + in-transit ${t.inTransit} = ${lhs} != initial ${t.initial} + injected ${t.injected} = ${rhs} (diff ${lhs - rhs})`];
}

export function owed(l: LedgerView): bigint {
    return l.stake + l.unbonding + l.earnings + l.fees + l.escrowed + l.claimable;
}

/**
 * 2. The Provider holds at least what its ledger says it owes, less `allowance` (0 for the strict
 * invariant; the spec passes the known creation-charge gap of open jobs, see money.spec.ts).
 */
export function solvency(name: string, balance: bigint, l: LedgerView, allowance = 0n): string[] {
    const o = owed(l);
    return balance + allowance >= o
        ? []
        : [`solvency ${name}: balance ${balance}${allowance ? ` + allowance ${allowance}` : ''} < owed ${o} (short ${o - balance - allowance}) ledger ${fmt(l)}`];
}

export interface JobModel {
    /** jobId -> escrow reported by getJob (null when the getter says the job is gone). */
    getterEscrow: Map<bigint, bigint | null>;
    open: Set<bigint>;
    final: Set<bigint>;
    refunds: Map<bigint, number>;
}

/** 3. Counters agree with the jobs and the money; every final job was refunded exactly once. */
export function counters(name: string, l: LedgerView, m: JobModel): string[] {
    const errs: string[] = [];
    const created = m.open.size + m.final.size;
    if (l.nextJobId !== BigInt(created)) errs.push(`${name}: nextJobId ${l.nextJobId} != jobs created ${created}`);
    if (l.openJobs !== BigInt(m.open.size)) errs.push(`${name}: openJobs ${l.openJobs} != created and not final ${m.open.size}`);
    const sum = l.completed + l.declined + l.expired + l.openJobs;
    if (sum !== l.nextJobId) errs.push(`${name}: completed ${l.completed} + declined ${l.declined} + expired ${l.expired} + open ${l.openJobs} = ${sum} != nextJobId ${l.nextJobId}`);
    let escrow = 0n;
    for (const id of m.open) {
        const e = m.getterEscrow.get(id);
        if (e === null || e === undefined) errs.push(`${name}: open job ${id} missing from getJob`);
        else escrow += e;
    }
    for (const id of m.final) if (m.getterEscrow.get(id) != null) errs.push(`${name}: final job ${id} still returned by getJob`);
    if (escrow !== l.escrowed) errs.push(`${name}: escrowed ${l.escrowed} != Σ escrow of open jobs ${escrow}`);
    for (const [id, n] of m.refunds) {
        if (m.final.has(id) && n !== 1) errs.push(`${name}: final job ${id} refunded ${n} times`);
        if (!m.final.has(id) && n !== 0) errs.push(`${name}: job ${id} refunded ${n} times but not final`);
    }
    for (const id of m.final) if ((m.refunds.get(id) ?? 0) !== 1) errs.push(`${name}: final job ${id} refunded ${m.refunds.get(id) ?? 0} times`);
    return errs;
}

/** 4. Nothing left in escrow once every deadline has passed and every open job was expired. */
export function drained(name: string, l: LedgerView): string[] {
    return l.openJobs === 0n && l.escrowed === 0n ? [] : [`liveness ${name}: openJobs ${l.openJobs}, escrowed ${l.escrowed} after expiring everything`];
}

export function fmt(l: LedgerView): string {
    return Object.entries(l)
        .filter(([k]) => k !== '$$type')
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
}
