// toncenter's rate tiers on the devnet (docs/spec/devnet.md, "Rate limit"): a request with an API key
// (X-API-Key, or api_key in the query) spends from that key's bucket at the keyed rate, as toncenter
// gives each key its own; one without spends from its client IP's bucket at the keyless rate. Keys
// listed as unlimited pass (the demo's own relayer, runner and setup: a plan without a limit), so
// that they never eat into a user's share. Refusals are counted, by tier, for /devnet/status.
import { IncomingMessage } from 'node:http';
import { MillisClock, TokenBucket } from '../http/rateLimit';

export type RateLimitOptions = {
    /** Requests per second per client IP, for requests without an API key (toncenter: 1); unlimited when unset. */
    perIp?: number;
    /** Requests per second per API key (toncenter's free key: 10); unlimited when unset. */
    perKey?: number;
    /** API keys that are never limited. */
    unlimitedKeys?: string[];
};

export class ApiRateLimit {
    /** Limited requests let through since start (unlimited keys are not counted), without a key and with one. */
    readonly admitted = { withoutKey: 0, withKey: 0 };
    /** 429 answers given since start. */
    readonly refused = { withoutKey: 0, withKey: 0 };
    private readonly ip?: TokenBucket;
    private readonly key?: TokenBucket;
    private readonly unlimited: Set<string>;

    constructor(readonly options: RateLimitOptions, clock?: MillisClock) {
        this.ip = options.perIp === undefined ? undefined : new TokenBucket(options.perIp, clock);
        this.key = options.perKey === undefined ? undefined : new TokenBucket(options.perKey, clock);
        this.unlimited = new Set(options.unlimitedKeys ?? []);
    }

    /** No limit: nothing admitted or refused is counted. */
    static readonly OFF = new ApiRateLimit({});

    /** A copy of the counters, for /devnet/status. */
    counts(): { admitted: ApiRateLimit['admitted']; refused: ApiRateLimit['refused'] } {
        return { admitted: { ...this.admitted }, refused: { ...this.refused } };
    }

    /** Spends one request of the caller's bucket; false (and counted) when the caller is over its rate. */
    admit(req: IncomingMessage, url: URL): boolean {
        const key = apiKeyOf(req, url);
        if (key !== undefined && this.unlimited.has(key)) return true;
        const [bucket, caller, tier] = key === undefined ? [this.ip, req.socket.remoteAddress ?? '', 'withoutKey' as const] : [this.key, key, 'withKey' as const];
        if (!bucket) return true;
        const admitted = bucket.take(caller);
        (admitted ? this.admitted : this.refused)[tier]++;
        return admitted;
    }
}

function apiKeyOf(req: IncomingMessage, url: URL): string | undefined {
    const header = req.headers['x-api-key'];
    return (Array.isArray(header) ? header[0] : header) || url.searchParams.get('api_key') || undefined;
}
