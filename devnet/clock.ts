// The devnet's notion of "now" (unix seconds): wall-clock time plus an offset that tests can grow
// with /devnet/advance. It never goes backwards, because the sandbox rejects a transaction whose
// time is earlier than the account's previous one (TimeError), e.g. after a restart on a machine
// whose clock was set back.
export type ClockState = { offsetSeconds: number; lastNow: number };

export class Clock {
    private offsetSeconds: number;
    private lastNow: number;

    constructor(state: ClockState = { offsetSeconds: 0, lastNow: 0 }, private readonly wallSeconds = defaultWallSeconds) {
        this.offsetSeconds = state.offsetSeconds;
        this.lastNow = state.lastNow;
    }

    now(): number {
        this.lastNow = Math.max(this.lastNow, this.wallSeconds() + this.offsetSeconds);
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

function defaultWallSeconds(): number {
    return Math.floor(Date.now() / 1000);
}
