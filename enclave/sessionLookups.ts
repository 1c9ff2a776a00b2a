/**
 * The chain reads a Hello causes, bounded (docs/spec/enclave.md, "Handshake checks"). Every field of
 * a Hello but its signature is public, and the signature can only be checked against the client key
 * the chain records, so anyone can make the runner read the chain by sending Hellos for session ids
 * that do not exist or are not open yet. The chain API is rate-limited (toncenter: 1–10 requests a
 * second, then 429s) and jobs read it too, so these reads must not follow what strangers send:
 *
 * - A read is reused for `freshMs` by every Hello of that id, whether it found the session or not
 *   (a negative answer tells the client when to ask again: `retryAfterMs`). One id costs at most one
 *   read per `freshMs`, and a client whose session became visible a moment after a read waits at most that.
 * - Hellos of one id arriving together share one read.
 * - Reads for ids this runner does not hold yet (no Hello of theirs accepted) take a token from one
 *   bucket (`unknownPerSecond`, up to `unknownBurst` saved) and at most `maxInflight` run at once;
 *   beyond that the Hello is refused with `TooManyLookups` and when a token will be there. Sessions
 *   already held do not take tokens: a flood of made-up ids cannot lock out the sessions being served.
 * - A failed read is not remembered: it says nothing about the session.
 */
import type { OnChainSession, SessionSource } from './chainSessions';

export interface LookupLimits {
    /** How long one read of a session answers the Hellos of its id (ms). */
    freshMs: number;
    /** Sustained chain reads per second for sessions not held here. */
    unknownPerSecond: number;
    /** Reads for sessions not held here that may come at once after a quiet spell. */
    unknownBurst: number;
    /** Reads for sessions not held here running at once. */
    maxInflight: number;
    /** Session ids whose read is remembered; the oldest is forgotten first. */
    maxRemembered: number;
}

/** A few Hellos a second from new clients fit; toncenter's free tier is 1 a second, a key's 10. */
export const DEFAULT_LOOKUP_LIMITS: LookupLimits = { freshMs: 2_000, unknownPerSecond: 4, unknownBurst: 8, maxInflight: 4, maxRemembered: 10_000 };

/** A Hello refused because the reads for unknown sessions are used up: ask again in `retryAfterMs`. */
export class LookupThrottled extends Error {
    constructor(readonly retryAfterMs: number) {
        super('too many handshakes for sessions this runner does not hold yet: retry later');
    }
}

export interface Lookup {
    session: OnChainSession | null;
    /** For a session not open: when a new read may tell otherwise (ms from now). */
    retryAfterMs: number;
}

export class SessionLookups {
    private readonly limits: LookupLimits;
    private readonly remembered = new Map<bigint, { session: OnChainSession | null; until: number }>(); // oldest first
    private readonly inflight = new Map<bigint, Promise<OnChainSession | null>>();
    private tokens: number;
    private refilledAt: number;
    private unknownInflight = 0;

    constructor(private readonly source: SessionSource, limits: Partial<LookupLimits> = {}, private readonly nowMs: () => number = Date.now) {
        this.limits = { ...DEFAULT_LOOKUP_LIMITS, ...limits };
        this.tokens = this.limits.unknownBurst;
        this.refilledAt = nowMs();
    }

    /**
     * The session as a Hello needs it: a read younger than `freshMs`, the read under way, or a new
     * read. `held`: this runner serves the session already (its read takes no token). Throws
     * LookupThrottled when no read may be made now; a failed read throws the source's error.
     */
    async forHello(sessionId: bigint, held: boolean): Promise<Lookup> {
        const now = this.nowMs();
        const known = this.remembered.get(sessionId);
        if (known && now < known.until) return { session: copy(known.session), retryAfterMs: known.until - now };
        const running = this.inflight.get(sessionId);
        if (running) return { session: copy(await running), retryAfterMs: this.limits.freshMs };
        if (held) return { session: copy(await this.read(sessionId)), retryAfterMs: this.limits.freshMs };
        this.refill(now);
        if (this.unknownInflight >= this.limits.maxInflight) throw new LookupThrottled(1_000 / this.limits.unknownPerSecond);
        if (this.tokens < 1) throw new LookupThrottled(Math.ceil(((1 - this.tokens) * 1_000) / this.limits.unknownPerSecond));
        this.tokens -= 1;
        this.unknownInflight++;
        try {
            return { session: copy(await this.read(sessionId)), retryAfterMs: this.limits.freshMs };
        } finally {
            this.unknownInflight--;
        }
    }

    /** A new read of a session (a request checking for a top-up): shared with Hellos under way, and remembered for them. */
    read(sessionId: bigint): Promise<OnChainSession | null> {
        const running = this.inflight.get(sessionId);
        if (running) return running;
        const read = this.source.session(sessionId).then((session) => {
            this.remember(sessionId, session);
            return session;
        });
        this.inflight.set(sessionId, read);
        const done = () => this.inflight.delete(sessionId);
        read.then(done, done);
        return read;
    }

    private remember(sessionId: bigint, session: OnChainSession | null): void {
        this.remembered.delete(sessionId); // re-inserted last: the map stays oldest first
        this.remembered.set(sessionId, { session, until: this.nowMs() + this.limits.freshMs });
        while (this.remembered.size > this.limits.maxRemembered) this.remembered.delete(this.remembered.keys().next().value!);
    }

    private refill(now: number): void {
        const { unknownPerSecond, unknownBurst } = this.limits;
        this.tokens = Math.min(unknownBurst, this.tokens + (Math.max(0, now - this.refilledAt) * unknownPerSecond) / 1_000);
        this.refilledAt = now;
    }
}

// Each caller gets its own copy: the book mutates what it keeps.
const copy = (s: OnChainSession | null) => (s ? { ...s } : null);
