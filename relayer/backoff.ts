/** Backoff between attempts of one stage of one job: exponential, capped, with jitter. */
export const BACKOFF_BASE_MS = 100;
export const BACKOFF_FACTOR = 2;
export const BACKOFF_MAX_MS = 5_000;
export const BACKOFF_JITTER = 0.2; // ± fraction, so relayers that failed together retry apart

export function backoffMs(attempt: number, random: () => number = Math.random): number {
    const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * BACKOFF_FACTOR ** Math.max(0, attempt - 1));
    return Math.round(exp * (1 + BACKOFF_JITTER * (2 * random() - 1)));
}

export const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const t = setTimeout(done, ms);
        function done() {
            clearTimeout(t);
            signal?.removeEventListener('abort', done);
            resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
    });

/**
 * Re-sending a delivery external that the chain has not shown applied. Unlike a failed request, a
 * send may have worked (the answer lost, or the block not yet seen), so the first resend waits 20
 * poll intervals and each further one twice as long, up to 320: a lagging endpoint then costs a
 * handful of sends per job, not one per poll. No jitter: it is one relayer's own message. The job's
 * deadline (chain time) ends the schedule.
 */
export const RESEND_FIRST_AFTER_POLLS = 20;
export const RESEND_MAX_AFTER_POLLS = 320;

/** How long after its `sends`-th send (1 = the first) a delivery may be sent again. */
export function resendDelayMs(sends: number, pollMs: number): number {
    if (!Number.isInteger(sends) || sends < 1) throw new RangeError(`sends must be a whole number ≥ 1, got ${sends}`);
    return pollMs * Math.min(RESEND_MAX_AFTER_POLLS, RESEND_FIRST_AFTER_POLLS * 2 ** Math.min(sends - 1, 30));
}
