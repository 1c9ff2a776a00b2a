/**
 * A token bucket per key (a client IP, an API key): `rate` requests per second on average, bursts
 * of up to `rate` at once, as toncenter's tiers allow (1 rps without a key, 10 with a free one).
 * The clock is injected so tests can say exactly when each request arrives.
 */
export type MillisClock = () => number;

type Bucket = { tokens: number; at: number };

/** Idle buckets are full again after this long, so they can be forgotten: memory stays bounded by recent clients. */
const SWEEP_EVERY_MS = 60_000;

export class TokenBucket {
    private readonly buckets = new Map<string, Bucket>();
    private sweptAt: number;

    constructor(readonly rate: number, private readonly clock: MillisClock = Date.now) {
        if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`rate must be a positive number of requests per second, got ${rate}`);
        this.sweptAt = clock();
    }

    /** Spends one token of `key`'s bucket; false when it is empty (the request is over the rate). */
    take(key: string): boolean {
        const now = this.clock();
        this.sweep(now);
        const b = this.buckets.get(key) ?? { tokens: this.rate, at: now };
        // A clock that steps back (NTP) must not mint tokens or take them away.
        b.tokens = Math.min(this.rate, b.tokens + (Math.max(0, now - b.at) * this.rate) / 1000);
        b.at = Math.max(b.at, now);
        const allowed = b.tokens >= 1;
        if (allowed) b.tokens -= 1;
        this.buckets.set(key, b);
        return allowed;
    }

    private sweep(now: number): void {
        if (now - this.sweptAt < SWEEP_EVERY_MS) return;
        this.sweptAt = now;
        for (const [key, b] of this.buckets) if (now - b.at >= SWEEP_EVERY_MS) this.buckets.delete(key);
    }
}
