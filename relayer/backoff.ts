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
