/**
 * What a web page on the user's machine may do with the gateway. A loopback gateway without API keys
 * spends its wallet for whoever reaches it, and a browser reaches it from any page: by a cross-site
 * `text/plain` POST (no CORS preflight), or by DNS rebinding (a page on evil.example whose name now
 * resolves to 127.0.0.1 reads the answers, since to the browser it is same-origin). So:
 * - without API keys, the Host header must be a loopback name or a configured host (a rebinding
 *   page sends its own name);
 * - a request with an Origin (every browser POST carries one) is refused unless that origin is
 *   allow-listed (CORS for browser apps the user chose: `corsOrigins`), and then gets CORS headers;
 * - POST bodies must be `application/json`, which a page cannot send cross-site without a preflight.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

export function isLoopback(host: string): boolean {
    return LOOPBACK.has(host) || /^127\./.test(host);
}

export interface BrowserPolicy {
    /** Host names (without port) this gateway answers to beyond loopback names. */
    allowedHosts: string[];
    /** Origins allowed to call from a browser, e.g. "https://app.example" ("*" allows any). */
    corsOrigins: string[];
}

function hostName(header: string | undefined): string | null {
    if (!header) return null;
    const m = /^(\[[0-9a-f:.]+\]|[^:]+)(:\d+)?$/i.exec(header.trim());
    return m ? m[1].replace(/^\[|\]$/g, '').toLowerCase() : null;
}

const forbidden = (code: string, message: string) => new HttpError(403, 'invalid_request_error', code, message);

/**
 * Checks a request against the policy; returns the CORS headers to add (none for non-browser
 * clients). `keyed`: the gateway wants API keys, which a rebinding page does not have, so any Host
 * may reach it (a reverse proxy's name, say); without keys only loopback names and allowed hosts.
 */
export function checkBrowser(req: IncomingMessage, keyed: boolean, policy: BrowserPolicy): Record<string, string> {
    const host = hostName(req.headers.host);
    const hostOk = keyed || (host !== null && (isLoopback(host) || policy.allowedHosts.includes(host)));
    if (!hostOk) throw forbidden('forbidden_host', `the Host header ${JSON.stringify(req.headers.host ?? '')} does not name this gateway (add it to the allowed hosts)`);
    const origin = req.headers.origin;
    let cors: Record<string, string> = {};
    if (origin !== undefined) {
        if (!policy.corsOrigins.includes('*') && !policy.corsOrigins.includes(origin)) {
            throw forbidden('forbidden_origin', `requests from the web origin ${JSON.stringify(origin)} are not allowed (add it to the CORS origins)`);
        }
        cors = { 'access-control-allow-origin': origin, vary: 'Origin' };
    }
    if (req.method === 'POST' && !/^application\/json(\s*;|$)/i.test(req.headers['content-type'] ?? '')) {
        throw new HttpError(415, 'invalid_request_error', 'unsupported_media_type', 'request bodies must be sent as application/json');
    }
    return cors;
}

/** Headers answering a CORS preflight from an allowed origin. */
export const PREFLIGHT_HEADERS = {
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type, openai-organization, openai-project, x-stainless-arch, x-stainless-lang, x-stainless-os, x-stainless-package-version, x-stainless-runtime, x-stainless-runtime-version, x-stainless-retry-count, x-stainless-timeout',
    'access-control-max-age': '600',
};
