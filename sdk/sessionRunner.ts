/**
 * The client's side of the runner's session routes (docs/spec/enclave.md, "Sessions"): the
 * handshake, and a sealed request whose answer arrives as length-prefixed frames of sealed chunks,
 * read as they come. Nothing here opens anything; sdk/session.ts holds the channel keys.
 */
import { FrameError, FrameReader } from '../protocol/sessionWire';
import { RunnerUnreachableError } from './errors';

/** A refusal the runner answered as HTTP (`{error: code, message}`), before anything was opened. */
export class RunnerRefusal extends Error {
    constructor(readonly status: number, readonly code: string, message: string) {
        super(message);
    }
}

const BINARY = { 'content-type': 'application/octet-stream' };

export class SessionRunnerClient {
    readonly url: string;

    constructor(url: string, private readonly timeoutMs = 10_000) {
        this.url = url.replace(/\/+$/, '');
    }

    /** POST /v1/session/hello: the Welcome and the channel id the runner names (both sides derive it too). */
    async hello(hello: Uint8Array): Promise<{ welcome: Buffer; channelId: string | null }> {
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
        throw new RunnerRefusal(res.status, typeof refusal.error === 'string' ? refusal.error : `http_${res.status}`, typeof refusal.message === 'string' ? refusal.message : `HTTP ${res.status}`);
    }
}
