/**
 * What a web page on the user's machine may do with a Cocoon server (docs/spec/http.md, "Browser
 * pages"). A server on loopback without credentials serves whoever reaches it, and a browser
 * reaches loopback from any page: by a cross-site "simple" request (a `text/plain` POST needs no
 * CORS preflight), or by DNS rebinding (a page on evil.example whose name now resolves to
 * 127.0.0.1 is same-origin to the browser and reads the answers). So:
 * - on a loopback server without credentials the Host header must be a loopback name or an allowed
 *   host (a rebinding page sends its own name);
 * - a request with an Origin (every browser POST carries one) is refused unless that origin is
 *   allowed, and then gets CORS headers;
 * - bodies must be `application/json` (body.ts), which a page cannot send cross-site without the
 *   preflight that this policy answers.
 */
import type { IncomingMessage } from 'node:http';
import { forbiddenHost, forbiddenOrigin } from './errors';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

export function isLoopback(host: string): boolean {
    return LOOPBACK.has(host) || /^127\./.test(host);
}

export interface BrowserPolicy {
    /** Host names (without port) answered beyond loopback names. */
    allowedHosts: string[];
    /** Origins allowed to call from a browser, e.g. "https://app.example" ("*" allows any). */
    corsOrigins: string[];
}

function hostName(header: string | undefined): string | null {
    if (!header) return null;
    const m = /^(\[[0-9a-f:.]+\]|[^:]+)(:\d+)?$/i.exec(header.trim());
    return m ? m[1].replace(/^\[|\]$/g, '').toLowerCase() : null;
}

/**
 * Checks a request against the policy; returns the CORS headers to add (none for non-browser
 * clients). `checkHost`: the server is on loopback and wants no credential; a server that wants
 * API keys may be reached under any name (a reverse proxy's), since a rebinding page has no key.
 */
export function checkBrowser(req: IncomingMessage, checkHost: boolean, policy: BrowserPolicy): Record<string, string> {
    if (checkHost) {
        const host = hostName(req.headers.host);
        if (host === null || !(isLoopback(host) || policy.allowedHosts.includes(host))) throw forbiddenHost(req.headers.host);
    }
    const origin = req.headers.origin;
    if (origin === undefined) return {};
    if (!policy.corsOrigins.includes('*') && !policy.corsOrigins.includes(origin)) throw forbiddenOrigin(origin);
    return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

/** The answer to an allowed origin's CORS preflight: what it asked for (the origin is trusted). */
export function preflightHeaders(req: IncomingMessage): Record<string, string> {
    const asked = req.headers['access-control-request-headers'];
    return {
        'access-control-allow-methods': 'GET, HEAD, POST, OPTIONS',
        ...(asked ? { 'access-control-allow-headers': asked } : {}),
        'access-control-max-age': '600',
    };
}
