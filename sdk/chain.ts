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

/**
 * How 429 answers are ridden out (`throttled`): a request is refused at most `retries` times more;
 * the gap between request starts never exceeds `maxMs`, and doubles from `baseMs` when the endpoint
 * let nothing through in the last second; Retry-After, when sent, is waited (at most `maxMs`).
 */
export interface Backoff {
    retries: number;
    baseMs: number;
    maxMs: number;
}

/**
 * toncenter answers 429 without Retry-After: the first refusal of a burst finds its rate, and a
 * request is rarely refused more than twice; six leave room for a limit shared with another process.
 */
export const RATE_LIMIT_BACKOFF: Backoff = { retries: 6, baseMs: 250, maxMs: 8000 };

export interface ChainClientOptions {
    /** toncenter API key (X-API-Key). Sent to this endpoint only; other endpoints can carry theirs as `?api_key=`. */
    apiKey?: string;
    timeoutMs?: number;
    backoff?: Backoff;
    /** Requests per second this client starts at most; default: just under toncenter's tier for toncenter.com (0.9, or 9 with a key), else unpaced until refused. */
    rps?: number;
}

export function chainClient(endpoint: string, opts: ChainClientOptions = {}): Chain {
    const rps = opts.rps ?? toncenterTier(endpoint, opts.apiKey);
    return new TonClient({ endpoint, apiKey: opts.apiKey, timeout: opts.timeoutMs, httpAdapter: throttled(opts.backoff ?? RATE_LIMIT_BACKOFF, rps) });
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

export interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

const realClock: Clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

/**
 * The one throttle of a chain client (an axios adapter): requests start in the order they were made,
 * at least a gap apart — 1000/rps ms, or none when unpaced. An HTTP 429 sends the refused request
 * back to the end of the line and, unless the endpoint said when to come back (Retry-After), sets the
 * gap from what the endpoint let through in the last second (toncenter's bucket holds a second's
 * worth: 1 request, or 10 with a key), 10% wider; when it let nothing through, the gap doubles from
 * `baseMs`. So an endpoint whose rate is unknown (the devnet's --rate-limit, a node provider's plan)
 * is found from the first refusal of a burst instead of being hit by every retry of it at once. Only
 * a request scheduled at the current gap resets it (the rest of a burst sent faster was refused for
 * the same reason). Each answer narrows the gap by 10%, never under 1000/rps nor, for a minute, back
 * to a spacing that was refused. Other failures are the caller's to classify (the relayer retries
 * 5xx and timeouts itself; the SDK reports them), and the last 429 is thrown as axios threw it.
 * `base` and `clock` are injectable for tests.
 */
export function throttled(b: Backoff, rps?: number, clock: Clock = realClock, base: AxiosAdapter = axios.getAdapter(axios.defaults.adapter)): AxiosAdapter {
    if (rps !== undefined && !(rps > 0)) throw new Error('rps must be positive');
    const floor = rps ? 1000 / rps : 0;
    let gap = floor;
    let pace = 0; // how many times the gap was reset: a refusal resets it only if its request was scheduled at the current one
    let nextStart = 0;
    let lastStart = -Infinity;
    let admitted: number[] = []; // when the answers of the last second came
    let refused = { spacing: 0, at: -Infinity }; // the last spacing found too short, and when
    let line: Promise<unknown> = Promise.resolve();
    /** Waits for this request's turn; resolves with the pace it was scheduled at and how long after the one before it starts. */
    const turn = (): Promise<{ pace: number; spacing: number }> => {
        const scheduled = line.then(async () => {
            const now = clock.now();
            const at = Math.max(now, nextStart);
            nextStart = at + gap;
            const slot = { pace, spacing: at - lastStart };
            lastStart = at;
            if (at > now) await clock.sleep(at - now);
            return slot;
        });
        line = scheduled;
        return scheduled;
    };
    return async (config) => {
        for (let refusals = 0; ; refusals++) {
            const slot = await turn();
            try {
                const answer = await base(config);
                const now = clock.now();
                admitted = [...admitted.filter((t) => t > now - 1000), now];
                const known = now - refused.at < REMEMBER_REFUSAL_MS ? refused.spacing * MARGIN : 0;
                gap = Math.max(floor, Math.min(gap, known), gap * NARROW);
                return answer;
            } catch (e) {
                const res = (e as AxiosError).response;
                if (res?.status !== 429 || refusals >= b.retries) throw e;
                const asked = retryAfterMs(res.headers?.['retry-after']);
                if (asked === undefined && slot.pace === pace) {
                    const now = clock.now();
                    admitted = admitted.filter((t) => t > now - 1000);
                    const found = admitted.length ? (MARGIN * 1000) / admitted.length : Math.max(b.baseMs, 2 * gap);
                    gap = Math.min(b.maxMs, Math.max(floor, found, MARGIN * slot.spacing));
                    refused = { spacing: slot.spacing, at: now };
                    pace++;
                }
                nextStart = Math.max(nextStart, asked === undefined ? lastStart + gap : clock.now() + Math.min(asked, b.maxMs));
            }
        }
    };
}

/** How much wider than a rate found (or a spacing refused) the gap is kept: a request that arrives a little early is refused. */
const MARGIN = 1.1;
/** Each answer narrows the gap by this factor, so that the pace comes back up after a spell of refusals... */
const NARROW = 0.9;
/** ...but not to a spacing refused this recently: a long-lived client (relayer, gateway) tries it again after this long. */
const REMEMBER_REFUSAL_MS = 60_000;

/** Retry-After in seconds (toncenter sends none; a date is not honoured), as ms. */
function retryAfterMs(value: unknown): number | undefined {
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    const s = Number(value);
    return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
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
    const m = typeof text === 'string' ? /exitcode=(-?\d+)/.exec(text) : null;
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
