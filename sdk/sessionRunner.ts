/**
 * The client's side of the runner's session routes (docs/spec/enclave.md, "Sessions"): the
 * handshake, and a sealed request whose answer arrives as length-prefixed frames of sealed chunks,
 * read as they come. Nothing here opens anything; sdk/session.ts holds the channel keys.
 */
import { FrameError, FrameReader } from '../protocol/sessionWire';
import { RunnerUnreachableError } from './errors';

/** A refusal the runner answered as HTTP (`{error: code, message}`), before anything was opened. */
export class RunnerRefusal extends Error {
    /** `retryAfterMs`: the runner's Retry-After, when it named one (when asking again may be answered otherwise). */
    constructor(readonly status: number, readonly code: string, message: string, readonly retryAfterMs?: number) {
        super(message);
    }
}

/** Retry-After in delay-seconds (the runner's form); an HTTP date or anything else is ignored. */
function retryAfterOf(res: Response): number | undefined {
    const v = res.headers.get('retry-after');
    return v !== null && /^\d{1,6}$/.test(v.trim()) ? Number(v.trim()) * 1000 : undefined;
}

const BINARY = { 'content-type': 'application/octet-stream' };

/**
 * How long a handshake keeps asking again when the runner says "later" (docs/spec/sdk.md,
 * "Sessions"): 429 TooManyLookups and 503 ChainUnavailable always, 404 SessionUnknown only when
 * the session may not be visible to the runner yet. Each wait is the runner's Retry-After (1 s without one).
 */
export const HELLO_RETRY_MS = 15_000;

export class SessionRunnerClient {
    readonly url: string;

    constructor(url: string, private readonly timeoutMs = 10_000, private readonly retryMs = HELLO_RETRY_MS) {
        this.url = url.replace(/\/+$/, '');
    }

    /**
     * POST /v1/session/hello: the Welcome and the channel id the runner names (both sides derive it
     * too). Sent again (the same bytes: a refused Hello left nothing at the runner) while the runner
     * answers "later", within `retryMs`; `sessionMayLag`: the session was opened a moment ago, so
     * SessionUnknown means "not visible yet" too.
     */
    async hello(hello: Uint8Array, opts: { sessionMayLag?: boolean } = {}): Promise<{ welcome: Buffer; channelId: string | null }> {
        const giveUpAt = Date.now() + this.retryMs;
        for (;;) {
            try {
                return await this.helloOnce(hello);
            } catch (e) {
                const later = e instanceof RunnerRefusal && (e.code === 'TooManyLookups' || e.code === 'ChainUnavailable' || (e.code === 'SessionUnknown' && opts.sessionMayLag));
                const waitMs = later ? (e as RunnerRefusal).retryAfterMs ?? 1000 : Infinity;
                if (Date.now() + waitMs > giveUpAt) throw e;
                await new Promise((r) => setTimeout(r, waitMs));
            }
        }
    }

    private async helloOnce(hello: Uint8Array): Promise<{ welcome: Buffer; channelId: string | null }> {
        const res = await this.post('/v1/session/hello', hello, AbortSignal.timeout(this.timeoutMs));
        let welcome: Buffer;
        try {
            welcome = Buffer.from(await res.arrayBuffer());
        } catch (e) {
            throw new RunnerUnreachableError(this.url, `the Welcome broke off (${(e as Error).message})`);
        }
        return { welcome, channelId: res.headers.get('x-cocoon-channel') };
    }

    /**
     * POST /v1/session/request or /close. Resolves once the runner answered 200 (RunnerRefusal for an
     * HTTP refusal: nothing was opened), to the sealed chunks as their frames complete; the iteration
     * throws RunnerUnreachableError when the stream breaks off, mid-frame or not. `signal` aborts the
     * request (and so the engine, at the runner).
     */
    async exchange(route: 'request' | 'close', channelId: string, seq: number, sealed: Uint8Array, signal?: AbortSignal): Promise<AsyncGenerator<Buffer>> {
        const res = await this.post(`/v1/session/${route}?channel=${channelId}&seq=${seq}`, sealed, signal);
        return this.frames(res, signal);
    }

    private async *frames(res: Response, signal?: AbortSignal): AsyncGenerator<Buffer> {
        if (!res.body) throw new RunnerUnreachableError(this.url, 'the answer has no body');
        const frames = new FrameReader();
        try {
            for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) yield* frames.push(bytes);
        } catch (e) {
            if (e instanceof FrameError) throw new RunnerUnreachableError(this.url, `the answer is not framed: ${e.message}`);
            if (signal?.aborted) throw e;
            throw new RunnerUnreachableError(this.url, `the answer's stream broke off (${(e as Error).message})`);
        }
        if (frames.pending) throw new RunnerUnreachableError(this.url, 'the answer\'s stream ended inside a frame');
    }

    private async post(path: string, body: Uint8Array, signal?: AbortSignal): Promise<Response> {
        let res: Response;
        try {
            // No redirects: the runner URL comes from chain, and a redirect would aim the request anywhere.
            res = await fetch(this.url + path, { method: 'POST', headers: BINARY, body, signal, redirect: 'error' });
        } catch (e) {
            if (signal?.aborted) throw e;
            throw new RunnerUnreachableError(this.url, `cannot reach the runner (${(e as Error).message})`);
        }
        if (res.ok) return res;
        let refusal: { error?: unknown; message?: unknown } = {};
        try {
            refusal = (await res.json()) as typeof refusal;
        } catch {
            // not the runner's JSON error: the status alone
        }
        throw new RunnerRefusal(res.status, typeof refusal.error === 'string' ? refusal.error : `http_${res.status}`, typeof refusal.message === 'string' ? refusal.message : `HTTP ${res.status}`, retryAfterOf(res));
    }
}
