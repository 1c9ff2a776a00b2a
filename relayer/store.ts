/**
 * The relayer's durable state in SQLite: one cursor per watched Provider (lt + hash of the last
 * transaction whose events are recorded) and the progress of every job it has seen.
 *
 * A batch of events and the cursor move in one SQLite transaction, so a crash (kill -9) either
 * records the whole batch or none of it; replaying a batch is harmless (INSERT OR IGNORE). WAL mode
 * keeps committed data across a process crash. The store holds only ciphertext: the runner input
 * until it is dispatched, the runner's signed outcome until the job is final; both are then erased.
 */
import Database from 'better-sqlite3';

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
    primary key (provider, job_id)
);
create index if not exists jobs_open on jobs (state, next_attempt_at);
`;

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
});

export type Batch = { created: NewJob[]; finished: { provider: string; jobId: bigint; kind: FinalKind }[] };

export class Store {
    private readonly db: Database.Database;

    constructor(path: string) {
        this.db = new Database(path);
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
        this.db.pragma('busy_timeout = 5000');
        this.db.exec(SCHEMA);
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

    /** Records a batch of events and moves the cursor past them, atomically. */
    commit(provider: string, cursor: Cursor, batch: Batch, now = Date.now()): void {
        const insert = this.db.prepare(
            `insert or ignore into jobs (provider, job_id, state, deadline, enclave_key, input, seen_at) values (?, ?, 'seen', ?, ?, ?, ?)`,
        );
        const finish = this.db.prepare(`update jobs set state = 'final', final_kind = ?, input = null, outcome = null where provider = ? and job_id = ?`);
        const move = this.db.prepare('insert into cursors (provider, lt, hash, utime) values (?, ?, ?, ?) on conflict(provider) do update set lt = excluded.lt, hash = excluded.hash, utime = excluded.utime');
        this.db.transaction(() => {
            for (const j of batch.created) insert.run(j.provider, j.jobId.toString(), j.deadline, j.enclaveKey, j.input, now);
            for (const f of batch.finished) finish.run(f.kind, f.provider, f.jobId.toString());
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

    delivered(provider: string, jobId: bigint, recheckAt: number): void {
        this.db.prepare(`update jobs set state = 'delivered', attempts = 0, next_attempt_at = ?, last_error = null where provider = ? and job_id = ? and state in ('dispatched', 'delivered')`).run(recheckAt, provider, jobId.toString());
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

    close(): void {
        if (this.db.open) this.db.close();
    }
}
