/** Reputation from the Provider's on-chain counters (Ledger.completed / declined / expired). */
import type { Reputation } from './types';

/**
 * A Laplace-smoothed success rate where an expiry weighs twice a decline: an expiry costs the
 * client a deadline, a decline only a round trip. A newcomer scores 0.5.
 */
export function reputationScore(completed: number, declined: number, expired: number): number {
    return (completed + 1) / (completed + declined + 2 * expired + 2);
}

export function reputationOf(l: { completed: bigint; declined: bigint; expired: bigint; totalSlashed: bigint }): Reputation {
    const completed = Number(l.completed);
    const declined = Number(l.declined);
    const expired = Number(l.expired);
    return { completed, declined, expired, totalSlashed: l.totalSlashed, score: reputationScore(completed, declined, expired) };
}
