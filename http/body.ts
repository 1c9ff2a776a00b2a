/**
 * Reading a request body with a hard size cap (docs/spec/http.md).
 *
 * - The cap is counted while streaming, so a lying Content-Length or a chunked body without one
 *   cannot pass it; a declared length above the cap is refused before anything is read.
 * - Past the cap the rest of the body is read and thrown away rather than left unread: a socket
 *   closed with unread bytes makes the kernel send a reset, and a client still sending its body
 *   then sees "connection reset" instead of the 413 (RFC 9112 §9.6). The request deadline of
 *   `createHttpServer` bounds how long such a drain may last.
 * - The deadline itself is not here: the server arms it for every request, whether or not the
 *   handler reads the body (see server.ts).
 */
import type { IncomingMessage } from 'node:http';
import { invalidJson, requestAborted, tooLarge, unsupportedMediaType } from './errors';

export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let settled = false;
        const fail = (e: Error) => {
            if (settled) return;
            settled = true;
            chunks.length = 0;
            reject(e);
        };
        if (Number(req.headers['content-length'] ?? 0) > limitBytes) fail(tooLarge(limitBytes));
        // Flowing mode from here on: after a failure the listener keeps draining (see above).
        req.on('data', (chunk: Buffer) => {
            if (settled) return;
            size += chunk.length;
            if (size > limitBytes) return fail(tooLarge(limitBytes));
            chunks.push(chunk);
        });
        req.on('end', () => {
            if (settled) return;
            settled = true;
            resolve(Buffer.concat(chunks));
        });
        req.on('error', () => fail(requestAborted()));
        req.on('close', () => fail(requestAborted()));
    });
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const BINARY_TYPE = /^application\/octet-stream\s*(;|$)/i;

/** Whether the request carries a body at all (a GET, or a POST with Content-Length 0, does not). */
function hasBody(req: IncomingMessage): boolean {
    return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * The body parsed as JSON. A body must be labelled `application/json` (415 otherwise): a web page
 * cannot send that type cross-site without a CORS preflight, which the browser policy answers, so
 * a `text/plain` "simple" POST from any page is refused before it is read. `emptyAs`: the value
 * of a request without a body (the devnet's toncenter API takes one as `{}`); without it an empty
 * body is invalid JSON.
 */
export async function readJson(req: IncomingMessage, limitBytes: number, options: { emptyAs?: unknown } = {}): Promise<unknown> {
    if (hasBody(req) && !JSON_TYPE.test(req.headers['content-type'] ?? '')) throw unsupportedMediaType();
    const raw = await readBody(req, limitBytes);
    if (raw.length === 0 && options.emptyAs !== undefined) return options.emptyAs;
    try {
        return JSON.parse(raw.toString('utf8'));
    } catch {
        throw invalidJson();
    }
}

/**
 * A binary body (the runner's session messages): it must be labelled `application/octet-stream`
 * (415 otherwise), which, like `application/json`, a web page cannot send cross-site without a
 * CORS preflight. Bodies are read with the same cap as JSON ones.
 */
export async function readBinary(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
    if (!BINARY_TYPE.test(req.headers['content-type'] ?? '')) throw unsupportedMediaType('application/octet-stream');
    return readBody(req, limitBytes);
}
