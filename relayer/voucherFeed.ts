/**
 * The runner's voucher feed: `GET {runnerUrl}/v1/session/vouchers` with `Authorization: Bearer
 * <token>` answers `{ "vouchers": VoucherJson[] }`, the latest voucher the enclave signed for each
 * session it still holds (protocol/voucherJson.ts). The feed is not trusted: the answer is capped in
 * size (read no further past the cap) and in time (the whole exchange, body included), redirects
 * are refused (the token goes to the configured runner only), and every voucher in it is checked
 * against the chain by the settlement service before it is kept (sessions.ts).
 */
import type { Address } from '@ton/core';
import { fatal, retryable } from './errors';
import { runnerJson } from './runnerClient';
import type { RunnerDirectory } from './runners';

export const VOUCHER_FEED_PATH = '/v1/session/vouchers';
/** About 9,000 vouchers in their JSON form (~450 bytes each): far more sessions than one runner holds. */
export const MAX_FEED_BYTES = 4 * 1024 * 1024;

/** The vouchers one Provider's feed lists now, unchecked (each item is parsed and verified on its own). */
export type VoucherSource = (provider: Address, signal?: AbortSignal) => Promise<unknown[]>;

export interface FeedLimits {
    timeoutMs: number;
    maxBytes?: number;
}

export async function fetchVoucherFeed(runnerUrl: string, token: string, limits: FeedLimits, signal?: AbortSignal): Promise<unknown[]> {
    const body = await runnerJson('feed', 'voucher feed', `${runnerUrl}${VOUCHER_FEED_PATH}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, {
        timeoutMs: limits.timeoutMs,
        maxBytes: limits.maxBytes ?? MAX_FEED_BYTES,
        signal,
        statusHint: (status) => (status === 401 || status === 403 ? " (is the feed token the runner's?)" : ''),
    });
    const vouchers = (body as { vouchers?: unknown } | null)?.vouchers;
    if (typeof body !== 'object' || body === null || !Array.isArray(vouchers)) throw retryable('feed', 'voucher feed answer has no "vouchers" array');
    return vouchers;
}

/** The feed of each Provider at its runner's URL (configured, or published on chain), with its token. */
export function httpVoucherSource(runners: Pick<RunnerDirectory, 'urlFor'>, tokens: ReadonlyMap<string, string>, limits: FeedLimits): VoucherSource {
    return async (provider, signal) => {
        const raw = provider.toRawString();
        const token = tokens.get(raw);
        if (token === undefined) throw fatal('feed', `no feed token for ${provider.toString()}`);
        return fetchVoucherFeed(await runners.urlFor(raw), token, limits, signal);
    };
}
