/**
 * The settlement service's durable state, in the relayer's SQLite database (store.ts opens it; WAL):
 * per (Provider, session) the latest voucher that passed every check, the session's fixed terms read
 * on chain (enclave key, prices, challenge window), the last reading of its record, and the progress
 * of its settlement.
 *
 * A voucher is committed here before anything is sent for it, so a relayer killed at any point
 * (kill -9) still holds every voucher it accepted; a newer voucher replaces an older one only when
 * its sequence number is higher, in the one statement that writes it. Sends are written ahead like
 * job deliveries: the send count and the earliest resend are committed before the message leaves,
 * so a restarted relayer reads the chain first and sends again only on the schedule.
 *
 * States: `pending` (a voucher above the last settled sequence, waiting for a reason to settle),
 * `sent` (a settlement left, not yet seen on chain), `settled` (the chain holds this voucher's
 * sequence or a later one; a newer voucher makes the row pending again), `ended` (the session is
 * gone or its window is over: nothing more is ever sent; `end_kind` says whether the voucher made it).
 */
import type Database from 'better-sqlite3';

export type SessionState = 'pending' | 'sent' | 'settled' | 'ended';
export const SESSION_STATES: SessionState[] = ['pending', 'sent', 'settled', 'ended'];
/** settled: the voucher was on chain when the session ended; lost: the window closed before it was; gone: the session ended (FinishSession, CloseWithVoucher) before the voucher was seen settled. */
export type SessionEnd = 'settled' | 'lost' | 'gone';
export type SettleVia = 'external' | 'wallet';

/** A session's terms, fixed when it opened: what a voucher is checked against. */
export interface SessionTerms {
    enclaveKey: string; // hex, 32 bytes
    priceIn: bigint; // nanotons per million tokens
    priceOut: bigint;
    window: number; // challenge window, seconds
    feeBps: number;
}

/** A reading of the session's record on chain. */
export interface SessionSnapshot {
    paid: bigint;
    lastSeq: bigint;
    deposit: bigint;
    expiresAt: number;
    settleUntil: number;
    closing: boolean;
}

export interface SessionRow extends SessionTerms, SessionSnapshot {
    provider: string; // raw address
    sessionId: bigint;
    seq: bigint;
    charge: bigint;
    final: boolean;
    voucher: string; // VoucherJson of the latest accepted voucher
    receivedAt: number; // ms, when this sequence was stored
    state: SessionState;
    endKind: SessionEnd | null;
    checkedAt: number; // ms, when the record was last read
    nextCheckAt: number; // ms
    sends: number; // sends of `sentSeq` (the count restarts with each new sequence sent)
    sentSeq: bigint | null;
    sentVia: SettleVia | null;
    firstSentAt: number | null; // ms, first send of `sentSeq`
    resendAt: number; // ms: no send of `sentSeq` before then
    tooSmallSeq: bigint | null; // an external settlement of this sequence was refused with ERR_NOTHING_TO_PAY
    attempts: number;
    lastError: string | null;
}

export interface NewVoucher {
    provider: string;
    sessionId: bigint;
    seq: bigint;
    charge: bigint;
    final: boolean;
    voucher: string;
    terms: SessionTerms;
    snapshot: SessionSnapshot; // the row's reading of the record (a fresh one, or the one it held)
    nextCheckAt: number;
}

export const SESSION_SCHEMA = `
create table if not exists session_vouchers (
    provider text not null,
    session_id text not null,
    seq integer not null,
    charge text not null,
    final integer not null,
    voucher text not null,
    received_at integer not null,
    enclave_key text not null,
    price_in text not null,
    price_out text not null,
    challenge_window integer not null,
    fee_bps integer not null,
    state text not null,
    end_kind text,
    paid text not null,
    last_seq integer not null,
    deposit text not null,
    expires_at integer not null,
    settle_until integer not null,
    closing integer not null,
    checked_at integer not null,
    next_check_at integer not null,
    sends integer not null default 0,
    sent_seq integer,
    sent_via text,
    first_sent_at integer,
    resend_at integer not null default 0,
    too_small_seq integer,
    attempts integer not null default 0,
    last_error text,
    primary key (provider, session_id)
);
create index if not exists session_vouchers_due on session_vouchers (state, next_check_at);
create table if not exists session_routes (
    provider text primary key,
    external_out_of_gas_at integer not null
);
`;

type Raw = Record<string, any>;
const big = (v: unknown) => (v === null || v === undefined ? null : BigInt(v as string | number));

const rowOf = (r: Raw): SessionRow => ({
    provider: r.provider,
    sessionId: BigInt(r.session_id),
    seq: BigInt(r.seq),
    charge: BigInt(r.charge),
    final: r.final === 1,
    voucher: r.voucher,
    receivedAt: r.received_at,
    enclaveKey: r.enclave_key,
    priceIn: BigInt(r.price_in),
    priceOut: BigInt(r.price_out),
    window: r.challenge_window,
    feeBps: r.fee_bps,
    state: r.state,
    endKind: r.end_kind,
    paid: BigInt(r.paid),
    lastSeq: BigInt(r.last_seq),
    deposit: BigInt(r.deposit),
    expiresAt: r.expires_at,
    settleUntil: r.settle_until,
    closing: r.closing === 1,
    checkedAt: r.checked_at,
    nextCheckAt: r.next_check_at,
    sends: r.sends,
    sentSeq: big(r.sent_seq),
    sentVia: r.sent_via,
    firstSentAt: r.first_sent_at,
    resendAt: r.resend_at,
    tooSmallSeq: big(r.too_small_seq),
    attempts: r.attempts,
    lastError: r.last_error,
});

const snapshotArgs = (s: SessionSnapshot) => [s.paid.toString(), Number(s.lastSeq), s.deposit.toString(), s.expiresAt, s.settleUntil, s.closing ? 1 : 0];

export class SessionStore {
    constructor(private readonly db: Database.Database) {
        db.exec(SESSION_SCHEMA);
    }

    get(provider: string, sessionId: bigint): SessionRow | null {
        const r = this.db.prepare('select * from session_vouchers where provider = ? and session_id = ?').get(provider, sessionId.toString()) as Raw | undefined;
        return r ? rowOf(r) : null;
    }

    /**
     * Stores a checked voucher when it is the session's first, or its sequence is above the one held
     * (and the session has not ended for this relayer). True when it was written. The row turns
     * `pending`; its next check moves earlier if `nextCheckAt` is earlier.
     */
    record(v: NewVoucher, now = Date.now()): boolean {
        const t = v.terms;
        return this.db.prepare(`
            insert into session_vouchers (provider, session_id, seq, charge, final, voucher, received_at, enclave_key, price_in, price_out, challenge_window, fee_bps,
                state, paid, last_seq, deposit, expires_at, settle_until, closing, checked_at, next_check_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (provider, session_id) do update set
                seq = excluded.seq, charge = excluded.charge, final = excluded.final, voucher = excluded.voucher, received_at = excluded.received_at,
                state = 'pending', attempts = 0, last_error = null, next_check_at = min(session_vouchers.next_check_at, excluded.next_check_at)
            where session_vouchers.state != 'ended' and session_vouchers.seq < excluded.seq`)
            .run(v.provider, v.sessionId.toString(), Number(v.seq), v.charge.toString(), v.final ? 1 : 0, v.voucher, now, t.enclaveKey, t.priceIn.toString(), t.priceOut.toString(), t.window, t.feeBps,
                ...snapshotArgs(v.snapshot), now, v.nextCheckAt).changes === 1;
    }

    /** Rows waiting for a settlement or its confirmation whose check is due, soonest first. */
    due(provider: string, now: number, limit: number): SessionRow[] {
        return (this.db
            .prepare(`select * from session_vouchers where provider = ? and state in ('pending', 'sent') and next_check_at <= ? order by next_check_at limit ?`)
            .all(provider, now, limit) as Raw[]).map(rowOf);
    }

    /** Makes the named sessions' rows (those still waiting) due now: a transaction may have changed their record. */
    touch(provider: string, sessionIds: Iterable<bigint>): number {
        const stmt = this.db.prepare(`update session_vouchers set next_check_at = 0 where provider = ? and session_id = ? and state in ('pending', 'sent')`);
        let n = 0;
        this.db.transaction(() => {
            for (const id of sessionIds) n += stmt.run(provider, id.toString()).changes;
        })();
        return n;
    }

    /** Every waiting row due now (at start: whatever happened while the relayer was down is read first). */
    touchAll(): number {
        return this.db.prepare(`update session_vouchers set next_check_at = 0 where state in ('pending', 'sent')`).run().changes;
    }

    /** A reading of the record, and when to look next. */
    observed(provider: string, sessionId: bigint, s: SessionSnapshot, nextCheckAt: number, now = Date.now()): void {
        this.db
            .prepare(`update session_vouchers set paid = ?, last_seq = ?, deposit = ?, expires_at = ?, settle_until = ?, closing = ?, checked_at = ?, next_check_at = ?, attempts = 0, last_error = null where provider = ? and session_id = ?`)
            .run(...snapshotArgs(s), now, nextCheckAt, provider, sessionId.toString());
    }

    /** The chain holds this row's sequence: settled (the row waits for a newer voucher). */
    settled(provider: string, sessionId: bigint): void {
        this.db.prepare(`update session_vouchers set state = 'settled', sent_seq = null, first_sent_at = null where provider = ? and session_id = ? and state in ('pending', 'sent') and seq <= last_seq`).run(provider, sessionId.toString());
    }

    /** A send that the chain shows applied (its sequence is settled, perhaps under a newer voucher): forget it. */
    sendConfirmed(provider: string, sessionId: bigint): void {
        this.db.prepare(`update session_vouchers set sent_seq = null, first_sent_at = null, sends = 0, state = case when state = 'sent' then 'pending' else state end where provider = ? and session_id = ?`).run(provider, sessionId.toString());
    }

    ended(provider: string, sessionId: bigint, kind: SessionEnd, why: string | null = null): void {
        this.db.prepare(`update session_vouchers set state = 'ended', end_kind = ?, last_error = coalesce(?, last_error) where provider = ? and session_id = ? and state != 'ended'`).run(kind, why, provider, sessionId.toString());
    }

    /**
     * Written before a settlement leaves: one more send of `seq`, the first confirmation check and the
     * earliest resend. False when the row no longer holds `seq` as its waiting voucher: nothing is sent.
     */
    sending(provider: string, sessionId: bigint, seq: bigint, via: SettleVia, at: { now: number; checkAt: number; resendAt: number }): boolean {
        return this.db
            .prepare(`update session_vouchers set state = 'sent', sends = case when sent_seq = @seq then sends + 1 else 1 end,
                first_sent_at = case when sent_seq = @seq then first_sent_at else @now end, sent_seq = @seq, sent_via = @via, next_check_at = @checkAt, resend_at = @resendAt, attempts = 0, last_error = null
                where provider = @provider and session_id = @sessionId and seq = @seq and state in ('pending', 'sent')`)
            .run({ seq: Number(seq), now: at.now, via, checkAt: at.checkAt, resendAt: at.resendAt, provider, sessionId: sessionId.toString() }).changes === 1;
    }

    /** The external settlement of `seq` was refused: the voucher adds too little to pay its delivery. */
    tooSmall(provider: string, sessionId: bigint, seq: bigint, nextCheckAt: number): void {
        this.db.prepare(`update session_vouchers set too_small_seq = ?, state = 'pending', next_check_at = ? where provider = ? and session_id = ? and seq = ?`).run(Number(seq), nextCheckAt, provider, sessionId.toString(), Number(seq));
    }

    /** Look again at `at` (the state does not change). */
    checkAt(provider: string, sessionId: bigint, at: number): void {
        this.db.prepare(`update session_vouchers set next_check_at = ? where provider = ? and session_id = ?`).run(at, provider, sessionId.toString());
    }

    /**
     * An external settlement to `provider` ran out of gas before acceptance (its session map is larger
     * than the external's gas credit covers): its vouchers go by wallet until `since` is old enough to try again.
     */
    externalOutOfGas(provider: string, since: number): void {
        this.db.prepare(`insert into session_routes (provider, external_out_of_gas_at) values (?, ?) on conflict (provider) do update set external_out_of_gas_at = excluded.external_out_of_gas_at`).run(provider, since);
    }

    /** When an external settlement to `provider` was last refused out of gas (ms), or null. */
    externalOutOfGasSince(provider: string): number | null {
        const r = this.db.prepare('select external_out_of_gas_at as at from session_routes where provider = ?').get(provider) as { at: number } | undefined;
        return r ? r.at : null;
    }

    externalFits(provider: string): void {
        this.db.prepare('delete from session_routes where provider = ?').run(provider);
    }

    retryLater(provider: string, sessionId: bigint, at: number, error: string): void {
        this.db.prepare(`update session_vouchers set attempts = attempts + 1, next_check_at = ?, last_error = ? where provider = ? and session_id = ?`).run(at, error, provider, sessionId.toString());
    }

    countsByState(): Record<SessionState, number> {
        const out = Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as Record<SessionState, number>;
        for (const r of this.db.prepare('select state, count(*) as n from session_vouchers group by state').all() as Raw[]) out[r.state as SessionState] = r.n;
        return out;
    }

    /** What the held vouchers add above what the chain had settled at the last reading, over every session still waiting (nanotons). */
    owed(): bigint {
        let sum = 0n;
        for (const r of this.db.prepare(`select charge, paid from session_vouchers where state in ('pending', 'sent')`).all() as Raw[]) {
            const d = BigInt(r.charge) - BigInt(r.paid);
            if (d > 0n) sum += d;
        }
        return sum;
    }
}
