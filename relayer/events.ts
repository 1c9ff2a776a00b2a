/**
 * What a Provider transaction means to the relayer: JobCreated (an external-out event) together with
 * the CreateJob in-message of the same transaction (terms and the encrypted payload), and the
 * events that end a job. Anything else is ignored.
 */
import { Cell, Transaction } from '@ton/core';
import {
    loadCreateJob, loadSubmitDecline, loadSubmitResult, loadJobCreated, loadJobDeclined, loadJobExpired, loadJobSettled, JobTerms,
    loadCloseSession, loadCloseWithVoucher, loadFinishSession, loadSettleVoucher, loadTopUpSession,
} from '../wrappers/Provider';
import type { FinalKind } from './store';

export const OP_CREATE_JOB = 0x51000020;
export const OP_SUBMIT_RESULT = 0x51000021;
export const OP_SUBMIT_DECLINE = 0x51000022;
export const OP_JOB_CREATED = 0x45000001;
export const OP_JOB_SETTLED = 0x45000002;
export const OP_JOB_DECLINED = 0x45000003;
export const OP_JOB_EXPIRED = 0x45000004;
/** The messages that change a session's record, and how to read the session id from each. */
const SESSION_MESSAGES: Record<number, (body: Cell) => bigint> = {
    0x51000031: (b) => loadSettleVoucher(b.beginParse()).sessionId,
    0x51000032: (b) => loadTopUpSession(b.beginParse()).sessionId,
    0x51000033: (b) => loadCloseSession(b.beginParse()).sessionId,
    0x51000034: (b) => loadCloseWithVoucher(b.beginParse()).sessionId,
    0x51000035: (b) => loadFinishSession(b.beginParse()).sessionId,
};

export type ProviderEvent =
    | { kind: 'created'; jobId: bigint; enclaveKey: bigint; deadline: number; terms: JobTerms; payload: Cell }
    | { kind: 'finished'; jobId: bigint; final: FinalKind; price?: bigint; refund: bigint };

function opOf(body: Cell): number | null {
    const s = body.beginParse();
    return s.remainingBits >= 32 ? s.preloadUint(32) : null;
}

export function eventsOf(tx: Transaction): ProviderEvent[] {
    const out: ProviderEvent[] = [];
    for (const m of tx.outMessages.values()) {
        if (m.info.type !== 'external-out') continue;
        const op = opOf(m.body);
        try {
            if (op === OP_JOB_CREATED) {
                const created = loadJobCreated(m.body.beginParse());
                const inBody = tx.inMessage?.body;
                if (!inBody || opOf(inBody) !== OP_CREATE_JOB) continue;
                const create = loadCreateJob(inBody.beginParse());
                out.push({ kind: 'created', jobId: created.jobId, enclaveKey: created.enclaveKey, deadline: Number(created.deadline), terms: create.terms, payload: create.payload });
            } else if (op === OP_JOB_SETTLED) {
                const e = loadJobSettled(m.body.beginParse());
                out.push({ kind: 'finished', jobId: e.jobId, final: 'settled', price: e.price, refund: e.refund });
            } else if (op === OP_JOB_DECLINED) {
                const e = loadJobDeclined(m.body.beginParse());
                out.push({ kind: 'finished', jobId: e.jobId, final: 'declined', refund: e.refund });
            } else if (op === OP_JOB_EXPIRED) {
                const e = loadJobExpired(m.body.beginParse());
                out.push({ kind: 'finished', jobId: e.jobId, final: 'expired', refund: e.refund });
            }
        } catch {
            // A body that does not parse as its opcode says is not an event we understand.
        }
    }
    return out;
}

/**
 * The job whose delivery this transaction consumed, if its in-message is a SubmitResult or
 * SubmitDecline external. An external only makes a transaction once the contract accepted it (and
 * paid for it), so this is the chain's own word that a delivery got in, whatever the job's state.
 */
export function deliveryOf(tx: Transaction): bigint | null {
    const m = tx.inMessage;
    if (!m || m.info.type !== 'external-in') return null;
    const op = opOf(m.body);
    try {
        if (op === OP_SUBMIT_RESULT) return loadSubmitResult(m.body.beginParse()).jobId;
        if (op === OP_SUBMIT_DECLINE) return loadSubmitDecline(m.body.beginParse()).jobId;
    } catch {
        // Not a delivery we can read; a transaction that ended the job still says so by its event.
    }
    return null;
}

/**
 * The session whose record this transaction's in-message may have changed (a settlement by anyone,
 * a top-up, a close request, a cooperative close, the end), or null. Whether it succeeded is left to
 * the settlement service, which reads the record again: a failed one only costs that read.
 */
export function sessionTouchedBy(tx: Transaction): bigint | null {
    const body = tx.inMessage?.body;
    const op = body ? opOf(body) : null;
    const read = op === null ? undefined : SESSION_MESSAGES[op];
    if (!read) return null;
    try {
        return read(body!);
    } catch {
        return null;
    }
}
