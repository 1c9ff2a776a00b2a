/**
 * Reading a job's life from the Provider's transactions: the CreateJob that opened it (matched by
 * its body hash, which is unique per job because the result key is fresh), and the event that
 * ended it — JobSettled with the SubmitResult that carried the encrypted result, JobDeclined or
 * JobExpired (external-out messages of the Provider, contracts/common/messages.tact); and a session's
 * SessionOpened event and the SessionRefund that ended it.
 */
import { Address, Cell, Transaction } from '@ton/core';
import {
    loadJobCreated, loadJobDeclined, loadJobExpired, loadJobSettled, loadSessionOpened, loadSessionRefund, loadSubmitResult,
    JobCreated, JobDeclined, JobExpired, JobSettled, SessionOpened,
} from '../wrappers/Provider';

export const OP = {
    JobCreated: 0x45000001,
    JobSettled: 0x45000002,
    JobDeclined: 0x45000003,
    JobExpired: 0x45000004,
    SubmitResult: 0x51000021,
    SessionOpened: 0x45000006,
    JobRefund: 0x43000001,
    SessionRefund: 0x43000003,
} as const;

function op(body: Cell): number | null {
    const s = body.beginParse();
    return s.remainingBits >= 32 ? s.preloadUint(32) : null;
}

function events(tx: Transaction): Cell[] {
    const out: Cell[] = [];
    for (const m of tx.outMessages.values()) if (m.info.type === 'external-out') out.push(m.body);
    return out;
}

/** Exit code of the compute phase, or null when it did not run (or the transaction is not generic). */
export function exitCodeOf(tx: Transaction): number | null {
    const d = tx.description;
    if (d.type !== 'generic' || d.computePhase.type !== 'vm') return null;
    return d.computePhase.exitCode;
}

export type CreationOutcome = { created: JobCreated } | { refused: number };

/** The outcome of the CreateJob whose body hash is `bodyHash`, or null if `tx` is not that message's transaction. */
export function creationIn(tx: Transaction, bodyHash: Buffer): CreationOutcome | null {
    if (tx.inMessage?.info.type !== 'internal' || !tx.inMessage.body.hash().equals(bodyHash)) return null;
    for (const body of events(tx)) if (op(body) === OP.JobCreated) return { created: loadJobCreated(body.beginParse()) };
    const code = exitCodeOf(tx);
    return { refused: code === null || code === 0 ? -1 : code };
}

export type JobEnd =
    | { kind: 'settled'; event: JobSettled; result: Cell; signature: Buffer; inputTokens: number; outputTokens: number; tx: Transaction }
    | { kind: 'declined'; event: JobDeclined; tx: Transaction }
    | { kind: 'expired'; event: JobExpired; tx: Transaction };

/** The end of job `jobId` if `tx` is where it ended. */
export function jobEndIn(tx: Transaction, jobId: bigint): JobEnd | null {
    for (const body of events(tx)) {
        const code = op(body);
        if (code === OP.JobSettled) {
            const event = loadJobSettled(body.beginParse());
            if (event.jobId !== jobId) continue;
            const inBody = tx.inMessage?.body;
            if (!inBody || op(inBody) !== OP.SubmitResult) continue;
            const submit = loadSubmitResult(inBody.beginParse());
            return {
                kind: 'settled', event, tx,
                result: submit.result,
                signature: submit.signature,
                inputTokens: Number(submit.inputTokens),
                outputTokens: Number(submit.outputTokens),
            };
        }
        if (code === OP.JobDeclined) {
            const event = loadJobDeclined(body.beginParse());
            if (event.jobId === jobId) return { kind: 'declined', event, tx };
        }
        if (code === OP.JobExpired) {
            const event = loadJobExpired(body.beginParse());
            if (event.jobId === jobId) return { kind: 'expired', event, tx };
        }
    }
    return null;
}

/** The SessionOpened event of `tx` (an OpenSession the Provider took), or null. */
export function sessionOpenedIn(tx: Transaction): SessionOpened | null {
    for (const body of events(tx)) if (op(body) === OP.SessionOpened) return loadSessionOpened(body.beginParse());
    return null;
}

/** What the Provider refunded to session `sessionId`'s client in `tx` (SessionRefund, sent when the session ended), or null. */
export function sessionRefundIn(tx: Transaction, sessionId: bigint): { to: Address; amount: bigint } | null {
    for (const m of tx.outMessages.values()) {
        if (m.info.type !== 'internal' || op(m.body) !== OP.SessionRefund) continue;
        try {
            if (loadSessionRefund(m.body.beginParse()).sessionId === sessionId) return { to: m.info.dest, amount: m.info.value.coins };
        } catch {
            // not a refund body we can read
        }
    }
    return null;
}
