/**
 * The runner's session routes (docs/spec/enclave.md, "Sessions"):
 *
 *   POST /v1/session/hello                          body: the 174-byte Hello → 200 the 97-byte Welcome, header x-cocoon-channel
 *   POST /v1/session/request?channel=<hex>&seq=<n>  body: a sealed request → 200 frames of sealed chunks, streamed
 *   POST /v1/session/close?channel=<hex>&seq=<n>    body: a sealed close    → 200 one frame: the final voucher
 *   GET  /v1/session/vouchers                       Authorization: Bearer <token> → 200 {vouchers: VoucherJson[]}
 *
 * Bodies are `application/octet-stream` (415 otherwise: a web page cannot send that cross-site
 * without a preflight), read in full under the server's body cap before anything is opened. Refusals
 * before a request is opened are HTTP errors `{error: code, message}`; once a request is opened its
 * answer is always 200 and ends with a sealed final chunk, an error inside when it was refused.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionError, SessionErrorCode } from '../crypto';
import { readBinary } from '../http/body';
import { HttpError, methodNotAllowed, notFound } from '../http/errors';
import { sendJson } from '../http/server';
import { encodeFrame } from '../protocol/sessionWire';
import type { Gate } from './gate';
import type { Logger } from './log';
import type { RunnerMetrics } from './metrics';
import { AnswerSummary, OpenedRequest, SessionBook, SessionRefusal, SessionRefusalCode } from './sessions';

/** A Hello is 174 bytes; anything much larger is refused while it is read. */
const HELLO_BODY_LIMIT = 1024;

export interface SessionRoutesDeps {
    book: SessionBook;
    gate: Gate;
    bodyLimitBytes: number;
    logger: Logger;
    metrics: RunnerMetrics;
    /** The voucher feed's bearer token; the feed is off without one. */
    voucherToken?: string;
}

const REFUSAL_STATUS: Record<SessionRefusalCode, number> = {
    SessionUnknown: 404, UnknownChannel: 404, WrongEnclave: 403, SessionClosing: 409, SessionExpired: 409, SessionClosed: 409, ModelNotServed: 409, ChainUnavailable: 503, TooManyLookups: 429,
};

const CHANNEL_STATUS: Partial<Record<SessionErrorCode, number>> = {
    BadSignature: 403, WrongEnclave: 403, WrongSession: 403, WrongProvider: 403, WrongNetwork: 403, DecryptFailed: 403,
    Replayed: 409, OutOfOrder: 409, LimitReached: 409,
};

/** What the session layer throws, as the HTTP answer (the server's `classify`); undefined for anything else. */
export function sessionHttpError(e: unknown): HttpError | undefined {
    if (e instanceof SessionRefusal) {
        // Whole seconds (RFC 9110), never 0: a client that honours it does not come straight back.
        const headers = e.retryAfterMs === undefined ? undefined : { 'retry-after': String(Math.max(1, Math.ceil(e.retryAfterMs / 1000))) };
        return new HttpError(REFUSAL_STATUS[e.code], e.code, e.message, { headers });
    }
    if (e instanceof SessionError) return new HttpError(CHANNEL_STATUS[e.code] ?? 400, e.code, e.message.replace(/^session: /, ''));
    return undefined;
}

const ROUTES: Record<string, string> = { '/v1/session/hello': 'POST', '/v1/session/request': 'POST', '/v1/session/close': 'POST', '/v1/session/vouchers': 'GET' };

/** Routes `/v1/session/*`; false for any other path. */
export function sessionRoutes(deps: SessionRoutesDeps | undefined): (req: IncomingMessage, res: ServerResponse, path: string, method: string) => Promise<boolean> {
    return async (req, res, path, method) => {
        if (!path.startsWith('/v1/session/')) return false;
        if (!deps) throw new HttpError(404, 'not_found', 'this runner serves no sessions (no chain reader for them)');
        const allowed = ROUTES[path];
        if (!allowed) throw notFound(method, path);
        if (method !== allowed) throw methodNotAllowed(method, path, [allowed]);
        if (path === '/v1/session/hello') await postHello(deps, req, res);
        else if (path === '/v1/session/request') await postSealed(deps, req, res, 'request');
        else if (path === '/v1/session/close') await postSealed(deps, req, res, 'close');
        else getVouchers(deps, req, res);
        return true;
    };
}

async function postHello(d: SessionRoutesDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bytes = await readBinary(req, HELLO_BODY_LIMIT);
    try {
        const { welcome, channelId, sessionId } = await d.book.hello(bytes);
        d.metrics.sessionEvents.inc({ event: 'handshake', outcome: 'accepted' });
        d.logger.info({ sessionId: sessionId.toString(), sessions: d.book.size }, 'session handshake accepted');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': welcome.length, 'cache-control': 'no-store', 'x-cocoon-channel': channelId });
        res.end(welcome);
    } catch (e) {
        const refused = sessionHttpError(e);
        if (refused) d.metrics.sessionEvents.inc({ event: 'handshake', outcome: refused.code });
        throw e;
    }
}

/** `channel`: 32 lowercase hex digits; `seq`: a decimal uint32. */
function channelQuery(url: string | undefined): { channel: string; seq: number } {
    const q = new URL(url ?? '/', 'http://runner').searchParams;
    const channel = q.get('channel') ?? '';
    const seq = q.get('seq') ?? '';
    if (!/^[0-9a-f]{32}$/.test(channel)) throw new HttpError(400, 'BadQuery', '"channel" must be the channel id: 32 lowercase hex digits');
    if (!/^(0|[1-9][0-9]{0,9})$/.test(seq) || Number(seq) > 0xffffffff) throw new HttpError(400, 'BadQuery', '"seq" must be a decimal uint32');
    return { channel, seq: Number(seq) };
}

async function postSealed(d: SessionRoutesDeps, req: IncomingMessage, res: ServerResponse, kind: 'request' | 'close'): Promise<void> {
    const { channel, seq } = channelQuery(req.url);
    const sealed = await readBinary(req, d.bodyLimitBytes);
    // An engine slot is taken before the request is opened: a 503 leaves its sequence number
    // unused, so the client resends the same bytes (docs/spec/session-channel.md, "Using it correctly").
    let release: (() => void) | undefined;
    if (kind === 'request') {
        const entered = d.gate.tryEnter();
        if (!entered) throw new HttpError(503, 'Busy', 'every engine slot and the queue are taken; resend the same bytes later');
        release = await entered;
    }
    const started = process.hrtime.bigint();
    try {
        // A client gone while its request waited for a slot: nothing is opened, its sequence number stays unused.
        if (res.destroyed || req.socket.destroyed) return;
        const gone = new AbortController();
        res.once('close', () => {
            if (!res.writableFinished) gone.abort();
        });
        let opened: OpenedRequest;
        try {
            opened = d.book.open(channel, seq, sealed);
        } catch (e) {
            const refused = sessionHttpError(e);
            if (refused) d.metrics.sessionEvents.inc({ event: kind, outcome: refused.code });
            throw e;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
        res.flushHeaders();
        const emit = (chunk: Buffer) => {
            if (!res.destroyed) res.write(encodeFrame(chunk));
        };
        const summary = kind === 'request' ? await d.book.answer(opened, emit, gone.signal) : await d.book.close(opened, emit);
        res.end();
        report(d, kind, summary, started);
    } finally {
        release?.();
    }
}

function report(d: SessionRoutesDeps, kind: 'request' | 'close', s: AnswerSummary, started: bigint): void {
    d.metrics.sessionEvents.inc({ event: kind, outcome: s.outcome });
    const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    const counts = s.voucherSeq === undefined ? {} : { voucherSeq: s.voucherSeq.toString(), inputTokens: s.inputTokens, outputTokens: s.outputTokens };
    d.logger.info({ sessionId: s.sessionId.toString(), outcome: s.outcome, ...counts, ms }, kind === 'close' ? 'session closed' : 'session request answered');
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

function getVouchers(d: SessionRoutesDeps, req: IncomingMessage, res: ServerResponse): void {
    if (!d.voucherToken) throw new HttpError(404, 'not_found', 'the voucher feed is off (COCOON_RUNNER_VOUCHER_TOKEN is not set)');
    const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    // Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first differing byte.
    if (!timingSafeEqual(digest(given), digest(d.voucherToken))) {
        throw new HttpError(401, 'unauthorized', 'the voucher feed needs the runner\'s bearer token', { headers: { 'www-authenticate': 'Bearer' } });
    }
    sendJson(res, 200, { vouchers: d.book.vouchers() });
}
