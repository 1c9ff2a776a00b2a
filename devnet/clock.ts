// The devnet's notion of "now" (unix seconds): wall-clock time plus an offset that only the admin
// advance (/devnet/advance) grows, so by default wallets that sign a valid_until from their own
// clock agree with it. It never goes backwards, because the sandbox rejects a transaction whose
// time is earlier than the account's previous one (TimeError), e.g. after a restart on a machine
// whose clock was set back.
/** Milliseconds since the epoch, like Date.now; tests inject their own. */
export type WallClock = () => number;

export type ClockState = { offsetSeconds: number; lastNow: number };

export class Clock {
    private offsetSeconds: number;
    private lastNow: number;

    constructor(state: ClockState = { offsetSeconds: 0, lastNow: 0 }, private readonly wallMs: WallClock = Date.now) {
        this.offsetSeconds = state.offsetSeconds;
        this.lastNow = state.lastNow;
    }

    now(): number {
        this.lastNow = Math.max(this.lastNow, Math.floor(this.wallMs() / 1000) + this.offsetSeconds);
        return this.lastNow;
    }

    advance(seconds: number): number {
        if (!Number.isSafeInteger(seconds) || seconds < 0) {
            throw new RangeError('advance takes a non-negative whole number of seconds');
        }
        this.offsetSeconds += seconds;
        return this.now();
    }

    state(): ClockState {
        return { offsetSeconds: this.offsetSeconds, lastNow: this.lastNow };
    }
}
