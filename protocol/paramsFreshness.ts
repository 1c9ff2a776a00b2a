/**
 * Keeps each watched Provider's copy of the Registry parameters fresh. A copy goes stale at
 * `paramsStaleAt` (min(syncedAt + governance delay, activation of a pending set)); from then on the
 * Provider takes no jobs and cannot unbond until someone sends RequestSync. The relayer's keeper
 * sends it when the copy is within SYNC_MARGIN_SECONDS of going stale, judged by chain time;
 * `cocoon provider status` warns from the same margin and `cocoon provider sync` sends one by hand.
 *
 * A sync cannot move `staleAt` past the activation of a pending set (the Registry reports it and the
 * Provider never applies a set by itself), so after one sync for a horizon that did not move it, the
 * keeper waits until that horizon has passed — the sync right after activation is the one that helps.
 */
export const SYNC_MARGIN_SECONDS = 3600;
export const SYNC_RETRY_SECONDS = 60;
export const SYNC_VALUE_TON = '0.05'; // RequestSync needs ≥ 0.03 TON (Registry round trip); the rest comes back

export interface LastSync {
    staleAt: number; // the horizon the sync was sent for
    at: number; // chain time it was sent
}

export function syncDue(staleAt: number, chainNow: number, last: LastSync | undefined): boolean {
    if (staleAt - chainNow > SYNC_MARGIN_SECONDS) return false;
    if (!last || last.staleAt !== staleAt) return true;
    return chainNow >= staleAt && chainNow - last.at >= SYNC_RETRY_SECONDS;
}
