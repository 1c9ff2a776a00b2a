/**
 * The relayer's durable state in SQLite: one cursor per watched Provider (lt + hash of the last
 * transaction whose events are recorded), the progress of every job it has seen, and the session
 * vouchers it settles (sessionStore.ts).
 *
 * A batch of events and the cursor move in one SQLite transaction, so a crash (kill -9) either
 * records the whole batch or none of it; replaying a batch is harmless (INSERT OR IGNORE). WAL mode
 * keeps committed data across a process crash. The store holds only ciphertext: the runner input
 * until it is dispatched, the runner's signed outcome until the job is final; both are then erased.
 *
 * Deliveries are written ahead: the send count and the earliest resend time are committed before
 * the external leaves, so a relayer killed mid-send (or whose send answer was lost) never re-sends
 * at once after a restart; it confirms first and re-sends only on the backoff schedule.
 */
import Database from 'better-sqlite3';
import { SessionStore } from './sessionStore';

export type JobState = 'seen' | 'dispatched' | 'delivered' | 'final' | 'abandoned';
export type FinalKind = 'settled' | 'declined' | 'expired' | 'gone';
export const OPEN_STATES: JobState[] = ['seen', 'dispatched', 'delivered'];
export const ALL_STATES: JobState[] = ['seen', 'dispatched', 'delivered', 'final', 'abandoned'];

export interface Cursor {
    lt: bigint;
    hash: string; // hex
    utime: number;
}

export interface JobRow {
    provider: string; // raw address
    jobId: bigint;
    state: JobState;
    deadline: number;
    enclaveKey: string; // hex
    input: string | null; // runner input JSON (ciphertext payload)
    outcome: string | null; // runner outcome JSON (ciphertext result, signature)
    finalKind: FinalKind | null;
    seenAt: number; // ms, this relayer's clock
    attempts: number;
    nextAttemptAt: number;
    lastError: string | null;
    sends: number; // externals sent (or attempted: an answer may be lost although the chain took it)
    resendAt: number; // ms, this relayer's clock: no external for the job leaves before then
    acceptedLt: bigint | null; // a Provider transaction that consumed a delivery of this job
}

export interface NewJob {
    provider: string;
    jobId: bigint;
    deadline: number;
    enclaveKey: string;
    input: string;
}

const SCHEMA = `
create table if not exists cursors (provider text primary key, lt text not null, hash text not null, utime integer not null);
create table if not exists jobs (
    provider text not null,
    job_id text not null,
    state text not null,
    deadline integer not null,
    enclave_key text not null,
    input text,
    outcome text,
    final_kind text,
    seen_at integer not null,
    attempts integer not null default 0,
    next_attempt_at integer not null default 0,
    last_error text,
    sends integer not null default 0,
    resend_at integer not null default 0,
    accepted_lt text,
    primary key (provider, job_id)
);
create index if not exists jobs_open on jobs (state, next_attempt_at);
`;

/** Columns added after the first release: a database written by an older relayer gains them on open. */
const ADDED_COLUMNS: [string, string][] = [
    ['sends', 'integer not null default 0'],
    ['resend_at', 'integer not null default 0'],
    ['accepted_lt', 'text'],
];

type Raw = Record<string, any>;
const rowOf = (r: Raw): JobRow => ({
    provider: r.provider,
    jobId: BigInt(r.job_id),
    state: r.state,
    deadline: r.deadline,
    enclaveKey: r.enclave_key,
    input: r.input,
    outcome: r.outcome,
    finalKind: r.final_kind,
    seenAt: r.seen_at,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    sends: r.sends,
    resendAt: r.resend_at,
    acceptedLt: r.accepted_lt === null ? null : BigInt(r.accepted_lt),
});

/** A Provider transaction whose in-message was a delivery (SubmitResult / SubmitDecline external) of the job. */
export interface AcceptedDelivery {
    provider: string;
    jobId: bigint;
    lt: bigint;
}

export type Batch = { created: NewJob[]; finished: { provider: string; jobId: bigint; kind: FinalKind }[]; accepted?: AcceptedDelivery[] };

export class Store {
    private readonly db: Database.Database;
    /** The settlement service's vouchers and progress, in the same database (sessionStore.ts). */
    readonly sessions: SessionStore;

    constructor(path: string) {
        this.db = new Database(path);
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
        this.db.pragma('busy_timeout = 5000');
        this.db.exec(SCHEMA);
        const have = new Set((this.db.prepare('pragma table_info(jobs)').all() as Raw[]).map((c) => c.name));
        for (const [name, type] of ADDED_COLUMNS) if (!have.has(name)) this.db.exec(`alter table jobs add column ${name} ${type}`);
        // A database written before sessions gains their table here.
        this.sessions = new SessionStore(this.db);
    }

    cursor(provider: string): Cursor | null {
        const r = this.db.prepare('select lt, hash, utime from cursors where provider = ?').get(provider) as Raw | undefined;
        return r ? { lt: BigInt(r.lt), hash: r.hash, utime: r.utime } : null;
    }

    /**
     * Forgets the cursor: the next poll reads the history again from the start. Recording is
     * idempotent (a known job is not inserted twice, an ending is recorded once), so this recovers
     * from a cursor that a lying chain API moved onto a transaction that is not in the history.
     */
    rewind(provider: string): void {
        this.db.prepare('delete from cursors where provider = ?').run(provider);
    }

    /**
     * Records a batch of events and moves the cursor past them, atomically. An accepted delivery
     * that did not end its job (the transaction failed after acceptMessage) leaves the job
     * `abandoned`: the same external would be accepted, and charged to the Provider, again.
     */
    commit(provider: string, cursor: Cursor, batch: Batch, now = Date.now()): void {
        const insert = this.db.prepare(
            `insert or ignore into jobs (provider, job_id, state, deadline, enclave_key, input, seen_at) values (?, ?, 'seen', ?, ?, ?, ?)`,
        );
        const finish = this.db.prepare(`update jobs set state = 'final', final_kind = ?, input = null, outcome = null where provider = ? and job_id = ?`);
        const accept = this.db.prepare(`update jobs set accepted_lt = coalesce(accepted_lt, ?) where provider = ? and job_id = ?`);
        const stuck = this.db.prepare(
            `update jobs set state = 'abandoned', input = null, last_error = ? where provider = ? and job_id = ? and state not in ('final', 'abandoned')`,
        );
        const move = this.db.prepare('insert into cursors (provider, lt, hash, utime) values (?, ?, ?, ?) on conflict(provider) do update set lt = excluded.lt, hash = excluded.hash, utime = excluded.utime');
        this.db.transaction(() => {
            for (const j of batch.created) insert.run(j.provider, j.jobId.toString(), j.deadline, j.enclaveKey, j.input, now);
            for (const f of batch.finished) finish.run(f.kind, f.provider, f.jobId.toString());
            for (const a of batch.accepted ?? []) {
                accept.run(a.lt.toString(), a.provider, a.jobId.toString());
                stuck.run(`a delivery was accepted on chain (lt ${a.lt}) without ending the job; not re-sending it`, a.provider, a.jobId.toString());
            }
            move.run(provider, cursor.lt.toString(), cursor.hash, cursor.utime);
        })();
    }

    get(provider: string, jobId: bigint): JobRow | null {
        const r = this.db.prepare('select * from jobs where provider = ? and job_id = ?').get(provider, jobId.toString()) as Raw | undefined;
        return r ? rowOf(r) : null;
    }

    /** Open jobs whose next attempt is due, oldest first. */
    due(now: number, limit: number): JobRow[] {
        return (this.db
            .prepare(`select * from jobs where state in ('seen', 'dispatched', 'delivered') and next_attempt_at <= ? order by seen_at limit ?`)
            .all(now, limit) as Raw[]).map(rowOf);
    }

    /** Jobs not known to be final whose deadline is before `chainNow` (keeper candidates). */
    overdue(chainNow: number, limit: number): JobRow[] {
        return (this.db.prepare(`select * from jobs where state != 'final' and deadline < ? order by deadline limit ?`).all(chainNow, limit) as Raw[]).map(rowOf);
    }

    dispatched(provider: string, jobId: bigint, outcome: string): void {
        this.db.prepare(`update jobs set state = 'dispatched', outcome = ?, input = null, attempts = 0, next_attempt_at = 0, last_error = null where provider = ? and job_id = ? and state = 'seen'`).run(outcome, provider, jobId.toString());
    }

    /**
     * Written before an external leaves: one more send, the first confirmation check at `recheckAt`
     * and no further send before `resendAt`. False when the job is no longer waiting for a delivery
     * (the watcher recorded its end or an accepted delivery meanwhile): then nothing is sent.
     */
    sending(provider: string, jobId: bigint, recheckAt: number, resendAt: number): boolean {
        return this.db
            .prepare(`update jobs set state = 'delivered', sends = sends + 1, resend_at = ?, attempts = 0, next_attempt_at = ?, last_error = null where provider = ? and job_id = ? and state in ('dispatched', 'delivered') and accepted_lt is null`)
            .run(resendAt, recheckAt, provider, jobId.toString()).changes === 1;
    }

    redeliver(provider: string, jobId: bigint): void {
        this.db.prepare(`update jobs set state = 'dispatched', attempts = 0, next_attempt_at = 0 where provider = ? and job_id = ? and state = 'delivered'`).run(provider, jobId.toString());
    }

    /** Final as far as this relayer is concerned; the kind may be filled in later by the event. */
    final(provider: string, jobId: bigint, kind: FinalKind): void {
        this.db
            .prepare(`update jobs set state = 'final', final_kind = case when final_kind is null or final_kind = 'gone' then ? else final_kind end, input = null, outcome = null where provider = ? and job_id = ?`)
            .run(kind, provider, jobId.toString());
    }

    abandoned(provider: string, jobId: bigint, why: string): void {
        this.db.prepare(`update jobs set state = 'abandoned', input = null, last_error = ? where provider = ? and job_id = ? and state != 'final'`).run(why, provider, jobId.toString());
    }

    retryLater(provider: string, jobId: bigint, at: number, error: string): void {
        this.db.prepare(`update jobs set attempts = attempts + 1, next_attempt_at = ?, last_error = ? where provider = ? and job_id = ?`).run(at, error, provider, jobId.toString());
    }

    countsByState(): Record<JobState, number> {
        const out = Object.fromEntries(ALL_STATES.map((s) => [s, 0])) as Record<JobState, number>;
        for (const r of this.db.prepare('select state, count(*) as n from jobs group by state').all() as Raw[]) out[r.state as JobState] = r.n;
        return out;
    }

    /** Over every job in the store, so it survives restarts (the Prometheus counters do not): externals sent, of them resends, and jobs whose delivery the watcher saw consumed on chain. */
    deliveryCounts(): { sent: number; resent: number; accepted: number } {
        const r = this.db.prepare(`select coalesce(sum(sends), 0) as sent, coalesce(sum(max(sends - 1, 0)), 0) as resent, count(accepted_lt) as accepted from jobs`).get() as Raw;
        return { sent: r.sent, resent: r.resent, accepted: r.accepted };
    }

    close(): void {
        if (this.db.open) this.db.close();
    }
}
