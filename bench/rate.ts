/**
 * Timing loops shared by the CPU benchmarks (bench/crypto.ts, bench/session.ts). Each figure is the
 * best of ROUNDS rounds of ~ROUND_MS, so a GC pause or a noisy neighbour does not decide it. And the
 * latency benchmarks' percentile (bench/pipeline.ts, bench/gateway.ts).
 */

/** The p-th percentile by nearest rank (the smallest sample with at least p % at or below it); NaN without samples. */
export function percentile(samples: number[], p: number): number {
    const s = [...samples].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : NaN;
}
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 250);

/**
 * What a rate is measured against: wall time, or this process's CPU time (user + system, all its
 * threads), which stays put when other processes share the cores (the reference machine is shared).
 */
export type Clock = 'wall' | 'cpu';

/** Milliseconds on `clock`, from an arbitrary origin. */
export function clockMs(clock: Clock): number {
    if (clock === 'wall') return performance.now();
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
}

/** Calls of `fn` per second in one round of about ROUND_MS of wall time. */
function roundRate(fn: () => unknown, clock: Clock = 'wall'): number {
    let n = 0;
    const wallStart = performance.now();
    const start = clockMs(clock);
    while (performance.now() - wallStart < ROUND_MS) {
        for (let i = 0; i < 8; i++) fn();
        n += 8;
    }
    return (n * 1000) / (clockMs(clock) - start);
}

/** Operations per second of `fn`, best of ROUNDS rounds. */
export function opsPerSec(fn: () => unknown, clock: Clock = 'wall'): number {
    let best = 0;
    for (let r = 0; r < ROUNDS; r++) best = Math.max(best, roundRate(fn, clock));
    return best;
}

/**
 * Operations per second of each function, measured side by side: the rounds alternate between them
 * (a, b, a, b, ...), so a change in the machine's load falls on all of them alike; best round each.
 * `setup` (untimed) runs before each function's round and returns the function to time.
 */
export function sideBySide<K extends string>(setups: Record<K, () => () => unknown>, rounds = ROUNDS, clock: Clock = 'wall'): Record<K, number> {
    const best = Object.fromEntries(Object.keys(setups).map((k) => [k, 0])) as Record<K, number>;
    for (let r = 0; r < rounds; r++) {
        for (const k of Object.keys(setups) as K[]) best[k] = Math.max(best[k], roundRate(setups[k](), clock));
    }
    return best;
}

export async function asyncOpsPerSec(fn: () => Promise<unknown>): Promise<number> {
    let best = 0;
    for (let r = 0; r < ROUNDS; r++) {
        let n = 0;
        const start = performance.now();
        while (performance.now() - start < ROUND_MS) {
            await fn();
            n++;
        }
        best = Math.max(best, (n * 1000) / (performance.now() - start));
    }
    return best;
}

export const mbps = (ops: number, bytes: number) => (ops * bytes) / 1e6;
export const round = (x: number, digits = 1) => Number(x.toFixed(digits));
