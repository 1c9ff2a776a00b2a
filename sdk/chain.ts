/**
 * The SDK's view of the chain: a TonClient (toncenter v2 API, the devnet speaks it too) plus the
 * chain's notion of "now". Contract clocks run on block time, which can differ from this machine's
 * clock (and does on a devnet whose clock was advanced), so every time check uses `chainTime`.
 *
 * Struct getters go through `open` (protocol/tonClient.ts), which makes the generated wrappers
 * readable over TonClient.
 *
 * `chainClient` is the one way Cocoon's off-chain parts build a client: public endpoints answer
 * 429 when a key's rate is exceeded, and a burst of discovery reads would otherwise fail a job.
 */
import axios, { AxiosAdapter, AxiosError } from 'axios';
import { Address } from '@ton/core';
import { TonClient } from '@ton/ton';
import { contractProvider, open } from '../protocol/tonClient';
import { Provider } from '../wrappers/Provider';
import { Registry } from '../wrappers/Registry';

export { contractProvider, open };

export type Chain = TonClient;

/** How 429 answers are retried: `retries` more attempts, waiting Retry-After or base·2^attempt, at most maxMs. */
export interface Backoff {
    retries: number;
    baseMs: number;
    maxMs: number;
}

/** toncenter's free tier allows 1 request/s without a key: four retries from 500 ms cover a burst of ~15 reads. */
export const RATE_LIMIT_BACKOFF: Backoff = { retries: 4, baseMs: 500, maxMs: 8000 };

export interface ChainClientOptions {
    /** toncenter API key (X-API-Key). Sent to this endpoint only; other endpoints can carry theirs as `?api_key=`. */
    apiKey?: string;
    timeoutMs?: number;
    backoff?: Backoff;
    /** Requests per second this client starts at most; default: just under toncenter's tier for toncenter.com (0.9, or 9 with a key), else unpaced. */
    rps?: number;
}

export function chainClient(endpoint: string, opts: ChainClientOptions = {}): Chain {
    const rps = opts.rps ?? toncenterTier(endpoint, opts.apiKey);
    const adapter = retryRateLimited(opts.backoff ?? RATE_LIMIT_BACKOFF);
    return new TonClient({ endpoint, apiKey: opts.apiKey, timeout: opts.timeoutMs, httpAdapter: rps ? paced(adapter, rps) : adapter });
}

/**
 * toncenter's public rate: 1 request/s without a key, 10 with a free one (429 beyond). Pacing to it
 * turns a command's burst of reads (a status page reads ~15 getters) into a sequence that succeeds,
 * instead of a burst that mostly answers 429 and is then retried.
 */
export function toncenterTier(endpoint: string, apiKey?: string): number | undefined {
    let url: URL;
    try {
        url = new URL(endpoint);
    } catch {
        return undefined;
    }
    if (!/(^|\.)toncenter\.com$/i.test(url.hostname)) return undefined;
    // 10% under the tier: a request paced exactly at the limit that arrives a little early is refused.
    return apiKey || url.searchParams.get('api_key') ? 9 : 0.9;
}

/** Starts requests at least 1000/rps ms apart, in the order they were made; `clock` is injectable for tests. */
export function paced(adapter: AxiosAdapter, rps: number, clock: { now(): number; sleep(ms: number): Promise<void> } = realClock): AxiosAdapter {
    if (!(rps > 0)) throw new Error('rps must be positive');
    const gap = 1000 / rps;
    let nextStart = 0;
    return async (config) => {
        const start = Math.max(clock.now(), nextStart);
        nextStart = start + gap;
        const wait = start - clock.now();
        if (wait > 0) await clock.sleep(wait);
        return adapter(config);
    };
}

const realClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

/**
 * An axios adapter that retries HTTP 429 only: any other failure is the caller's to classify
 * (the relayer retries 5xx and timeouts itself; the SDK reports them). The final 429 is thrown
 * as axios threw it, so callers see the same error shape as without the adapter.
 */
export function retryRateLimited(b: Backoff): AxiosAdapter {
    const base = axios.getAdapter(axios.defaults.adapter);
    return async (config) => {
        for (let attempt = 0; ; attempt++) {
            try {
                return await base(config);
            } catch (e) {
                const res = (e as AxiosError).response;
                if (res?.status !== 429 || attempt >= b.retries) throw e;
                await new Promise((r) => setTimeout(r, backoffMs(attempt, res.headers?.['retry-after'], b)));
            }
        }
    };
}

export function backoffMs(attempt: number, retryAfter: unknown, b: Backoff): number {
    const asked = Number(retryAfter);
    const ms = typeof retryAfter === 'string' && retryAfter.trim() !== '' && Number.isFinite(asked) && asked >= 0 ? asked * 1000 : b.baseMs * 2 ** attempt;
    return Math.min(ms, b.maxMs);
}

/** The endpoint a client talks to, for error messages (never its API key: it is a header, not in the URL... unless put there). */
export function endpointOf(client: Chain): string {
    const url = (client as { parameters?: { endpoint?: string } }).parameters?.endpoint ?? 'an endpoint';
    return url.replace(/([?&]api_key=)[^&]*/i, '$1…');
}

/**
 * The exit code a liteserver (and the devnet, which answers as one) reports for an external message
 * the contract refused before accepting it ("...rejected by transaction ...: exitcode=1218, steps=..."),
 * from the error TonClient throws; null for any other failure.
 */
export function refusalExitCode(e: unknown): number | null {
    const text = (e as { response?: { data?: { error?: unknown } } })?.response?.data?.error;
    const m = typeof text === 'string' ? /exitcode=(\d+)/.exec(text) : null;
    return m ? Number(m[1]) : null;
}

/** Time of the latest block the endpoint knows, in unix seconds. */
export async function chainTime(client: Chain, anyAddress: Address): Promise<number> {
    return (await client.getContractState(anyAddress)).timestampt;
}

export function openRegistry(client: Chain, address: Address) {
    return open(client, Registry.fromAddress(address));
}

export function openProvider(client: Chain, address: Address) {
    return open(client, Provider.fromAddress(address));
}
