/**
 * Pure invariant checks of the money property tests. Each returns a list of violations (empty when
 * the invariant holds), so a failing run reports every broken equation of a step at once.
 */
import { Address, Dictionary, Transaction } from '@ton/core';
import type { SessionRecord } from '../../wrappers/Provider';
import type { SignedVoucher } from '../../protocol/voucher';

export const OP_JOB_REFUND = 0x43000001;
export const OP_SESSION_REFUND = 0x43000003;
export const OP_JOB_CREATED = 0x45000001;
export const OP_JOB_EXPIRED = 0x45000004;
export const OP_SESSION_OPENED = 0x45000006;
export const OP_SESSION_SLASHED = 0x45000007;

export interface LedgerView {
    stake: bigint;
    unbonding: bigint;
    earnings: bigint;
    fees: bigint;
    escrowed: bigint;
    claimable: bigint;
    nextJobId: bigint;
    nextSessionId: bigint;
    sessionDeposits: bigint;
    sessions: Dictionary<bigint, SessionRecord>;
    openJobs: bigint;
    completed: bigint;
    declined: bigint;
    expired: bigint;
    totalSlashed: bigint;
    rentPaid: bigint;
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
    /**
     * SessionRefund messages, with what the sending transaction took in and spent: when the client
     * itself ends its session, the refund carries the rest of its value (less compute and forward fee).
     */
    sessionRefunds: { provider: Address; sessionId: bigint; to: Address; value: bigint; from: Address | null; inValue: bigint; gasFees: bigint; fwdFees: bigint }[];
    /** SessionOpened events. */
    sessionsOpened: { provider: Address; sessionId: bigint; client: Address; enclaveKey: bigint; deposit: bigint; expiresAt: bigint }[];
    /** SessionSlashed events. */
    sessionsSlashed: { provider: Address; sessionId: bigint; slashed: bigint }[];
    accounts: Address[];
}

export function summarize(transactions: Transaction[]): TxSummary {
    const s: TxSummary = { totalFees: 0n, inTransitFees: 0n, refunds: [], created: [], expired: [], sessionRefunds: [], sessionsOpened: [], sessionsSlashed: [], accounts: [] };
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
                } else if (!info.bounced && body.remainingBits >= 32 + 64 && body.preloadUint(32) === OP_SESSION_REFUND) {
                    body.skip(32);
                    const inInfo = tx.inMessage?.info;
                    const d = tx.description;
                    s.sessionRefunds.push({
                        provider: info.src,
                        sessionId: body.loadUintBig(64),
                        to: info.dest,
                        value: info.value.coins,
                        from: inInfo?.type === 'internal' ? inInfo.src : null,
                        inValue: inInfo?.type === 'internal' ? inInfo.value.coins : 0n,
                        gasFees: d.type === 'generic' && d.computePhase.type === 'vm' ? d.computePhase.gasFees : 0n,
                        fwdFees: d.type === 'generic' ? d.actionPhase?.totalFwdFees ?? 0n : 0n,
                    });
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
                } else if (body.remainingBits >= 32 && body.preloadUint(32) === OP_SESSION_OPENED) {
                    body.skip(32);
                    const sessionId = body.loadUintBig(64);
                    const client = body.loadAddress();
                    const enclaveKey = body.loadUintBig(256);
                    s.sessionsOpened.push({ provider: info.src, sessionId, client, enclaveKey, deposit: body.loadCoins(), expiresAt: body.loadUintBig(32) });
                } else if (body.remainingBits >= 32 && body.preloadUint(32) === OP_SESSION_SLASHED) {
                    body.skip(32 + 256);
                    const sessionId = body.loadUintBig(64);
                    body.skip(48);
                    s.sessionsSlashed.push({ provider: info.src, sessionId, slashed: body.loadCoins() });
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
    return l.stake + l.unbonding + l.earnings + l.fees + l.escrowed + l.claimable + l.sessionDeposits;
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

/** What the model knows of one session, from its opening on: nothing here is read back from the ledger but the opening's terms. */
export interface SessionModel {
    id: bigint;
    client: Address;
    enclaveKey: bigint;
    pricePerMillionIn: bigint;
    pricePerMillionOut: bigint;
    feeBps: bigint;
    window: bigint;
    /** Everything deposited: the opening's deposit plus every top-up's credit. */
    deposit: bigint;
    /** The charge of the last voucher that paid. */
    paid: bigint;
    lastSeq: bigint;
    expiresAt: bigint;
    settleUntil: bigint;
    closing: boolean;
    /** Every voucher the session's (honest) enclave signed, in order: signed[i].seq = i + 1. */
    signed: SignedVoucher[];
    /** The enclave signed a final voucher: it serves the session no more. */
    finalSigned: boolean;
    /** SessionRefund messages seen for it, and what they returned of the deposit (a client's own excess aside). */
    refunds: number;
    recovered: bigint;
}

/**
 * 3b. The session ledger agrees with the model: the same open sessions with the same deposit, pay,
 * sequence, state and deadlines; sessionDeposits = Σ (deposit − paid) over open sessions; every ended
 * session refunded exactly once; no client charged more than its enclave signed.
 */
export function sessionCounters(name: string, l: LedgerView, sessions: Map<bigint, SessionModel>): string[] {
    const errs: string[] = [];
    if (l.nextSessionId !== BigInt(sessions.size)) errs.push(`${name}: nextSessionId ${l.nextSessionId} != sessions opened ${sessions.size}`);
    let owedToClients = 0n;
    for (const m of sessions.values()) {
        const r = l.sessions.get(m.id);
        const maxSigned = m.signed.reduce((a, v) => (v.charge > a ? v.charge : a), 0n);
        if (m.paid > maxSigned) errs.push(`${name}: session ${m.id} paid ${m.paid}, more than any voucher its enclave signed (${maxSigned})`);
        if (m.paid > m.deposit) errs.push(`${name}: session ${m.id} paid ${m.paid} > deposit ${m.deposit}`);
        if (m.refunds > 1) errs.push(`${name}: session ${m.id} refunded ${m.refunds} times`);
        if (m.refunds > 0) {
            if (r) errs.push(`${name}: session ${m.id} refunded but still in the ledger`);
            continue;
        }
        if (!r) {
            errs.push(`${name}: open session ${m.id} missing from the ledger (ended without a refund)`);
            continue;
        }
        owedToClients += m.deposit - m.paid;
        const want = { deposit: m.deposit, paid: m.paid, lastSeq: m.lastSeq, expiresAt: m.expiresAt, settleUntil: m.settleUntil, closing: m.closing, enclaveKey: m.enclaveKey };
        for (const [k, v] of Object.entries(want)) {
            const got = (r as unknown as Record<string, unknown>)[k];
            if (got !== v) errs.push(`${name}: session ${m.id} ${k} ${got} != model ${v}`);
        }
        if (!r.client.equals(m.client)) errs.push(`${name}: session ${m.id} client ${r.client} != ${m.client}`);
    }
    for (const id of l.sessions.keys()) if (!sessions.has(id)) errs.push(`${name}: ledger holds session ${id} that no SessionOpened announced`);
    if (l.sessionDeposits !== owedToClients) errs.push(`${name}: sessionDeposits ${l.sessionDeposits} != Σ (deposit − paid) of open sessions ${owedToClients}`);
    return errs;
}

/** 4. Nothing left in escrow or in session deposits once every deadline and window has passed and everything was ended. */
export function drained(name: string, l: LedgerView): string[] {
    return l.openJobs === 0n && l.escrowed === 0n && l.sessionDeposits === 0n && l.sessions.size === 0
        ? []
        : [`liveness ${name}: openJobs ${l.openJobs}, escrowed ${l.escrowed}, open sessions ${l.sessions.size}, sessionDeposits ${l.sessionDeposits} after ending everything`];
}

export function fmt(l: LedgerView): string {
    return Object.entries(l)
        .filter(([k]) => k !== '$$type')
        .map(([k, v]) => (k === 'sessions' ? `sessions=${l.sessions.size}` : `${k}=${v}`))
        .join(' ');
}
