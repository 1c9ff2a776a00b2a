/**
 * The node:http server every Cocoon service runs on (docs/spec/http.md): the same timeouts, the
 * same request deadline, the same Host/Origin policy and the same error handling; each service
 * brings its routes and the shape its documented errors take.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrowserPolicy, checkBrowser, isLoopback, preflightHeaders } from './browser';
import { HttpError, internalError, requestTimeout } from './errors';

export interface HttpLimits {
    /** Largest request body a handler reads (413 beyond it); each server sets its own. */
    bodyLimitBytes: number;
    /** A request's headers must arrive within this (else node answers 408 and closes). */
    headersTimeoutMs: number;
    /** Its body within this after the headers (else 408 and the connection is closed). */
    requestTimeoutMs: number;
    /** An idle kept-alive connection is closed after this. */
    keepAliveTimeoutMs: number;
}

/** Node's defaults are 60 s for headers and 300 s for a request: long enough for a few slow clients to hold every socket. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = { bodyLimitBytes: 64 * 1024, headersTimeoutMs: 5_000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 };

export interface HttpServerOptions {
    limits?: Partial<HttpLimits>;
    /** Hosts and origins allowed beyond loopback names and non-browser clients (browser.ts). */
    browser?: Partial<BrowserPolicy>;
    /** Every route wants a credential (the gateway's API keys): any Host may reach it (browser.ts). */
    keyed?: boolean;
    /** The server's documented error shape; `{error: code, message}` unless it has another. */
    errorBody?: (e: HttpError) => unknown;
    /** Headers on every error answer (the gateway's `x-should-retry: false`). */
    errorHeaders?: Record<string, string>;
    /** Maps what a handler throws beyond HttpError to an answer; anything left is a 500 internal_error. */
    classify?: (e: unknown) => HttpError | undefined;
    /** Once per error answer, for logs and metrics: `cause` is what was thrown, `ms` since the request arrived. */
    onError?: (e: HttpError, about: { cause: unknown; req: IncomingMessage; ms: number }) => void;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export const plainErrorBody = (e: HttpError) => ({ error: e.code, message: e.message });

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
}

/** Node checks its header timeout only this often (30 s by default), so a short timeout needs a short interval. */
const checkEvery = (l: HttpLimits) => Math.max(10, Math.min(1000, l.headersTimeoutMs));

export function createHttpServer(options: HttpServerOptions, handler: Handler): Server {
    const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
    const policy: BrowserPolicy = { allowedHosts: options.browser?.allowedHosts ?? [], corsOrigins: options.browser?.corsOrigins ?? [] };
    const errorBody = options.errorBody ?? plainErrorBody;
    const server = createServer({
        headersTimeout: limits.headersTimeoutMs,
        // Node's own whole-request timeout only backs up the deadline below, which answers 408 with
        // a body; it cannot be shorter than the header timeout, and must not race the deadline.
        requestTimeout: limits.headersTimeoutMs + limits.requestTimeoutMs + 1_000,
        connectionsCheckingInterval: checkEvery(limits),
    });
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;

    // Bound to loopback (not 0.0.0.0): only this machine, and so its browser pages, can reach it.
    const onLoopback = () => {
        const a = server.address() as AddressInfo | null;
        return a !== null && typeof a === 'object' && isLoopback(a.address);
    };

    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        const arrived = Date.now();
        let failed = false;
        const fail = (cause: unknown) => {
            if (failed) return; // the deadline answered already; the handler's own failure that follows is the same one
            failed = true;
            const e = cause instanceof HttpError ? cause : (options.classify?.(cause) ?? internalError());
            options.onError?.(e, { cause, req, ms: Date.now() - arrived });
            if (res.headersSent) return void res.end(); // a stream that broke: its status is already gone
            sendJson(res, e.status, errorBody(e), { ...options.errorHeaders, ...e.headers });
        };
        watchDeadline(req, res, limits.requestTimeoutMs, fail);
        // HEAD is GET without the body (RFC 9110 §9.3.2): node already made this response body-less.
        if (req.method === 'HEAD') req.method = 'GET';
        const serve = async () => {
            const cors = checkBrowser(req, !options.keyed && onLoopback(), policy);
            for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
            if (req.method === 'OPTIONS') {
                res.writeHead(204, req.headers.origin === undefined ? { allow: 'GET, HEAD, POST, OPTIONS' } : preflightHeaders(req));
                return void res.end();
            }
            await handler(req, res);
        };
        serve().catch(fail);
    });
    return server;
}

/**
 * The whole body must arrive within `ms` of the headers, whether or not the handler reads it (a
 * 404, a 413 still draining, a handler busy elsewhere): a slow sender holds only its own
 * connection, and not for long. Not yet answered: 408 with the server's error body and
 * `Connection: close`; already answered: the connection is dropped.
 */
function watchDeadline(req: IncomingMessage, res: ServerResponse, ms: number, fail: (e: unknown) => void): void {
    const timer = setTimeout(() => {
        if (req.complete || req.socket.destroyed) return;
        if (res.headersSent) return void req.socket.destroy();
        res.setHeader('connection', 'close');
        fail(requestTimeout(ms));
    }, ms);
    // Requests that are complete (most, and every GET) need it no longer; an idle timer must not keep a process alive.
    timer.unref();
    req.once('end', () => clearTimeout(timer));
    res.once('finish', () => req.complete && clearTimeout(timer));
}

/** Listens and resolves to the base URL (`http://127.0.0.1:8080`, IPv6 in brackets). */
export function listen(server: Server, port: number, host: string): Promise<string> {
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
            server.off('error', reject);
            const { address, port: bound } = server.address() as AddressInfo;
            resolve(`http://${address.includes(':') ? `[${address}]` : address}:${bound}`);
        });
    });
}
