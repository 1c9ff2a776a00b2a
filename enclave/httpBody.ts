/**
 * Reading a JSON request body with a hard size cap and a deadline, and writing JSON answers.
 * The cap is enforced while streaming, so a lying or absent Content-Length cannot bypass it; the
 * deadline is our own timer, because Node's requestTimeout did not fire for a handler that is
 * reading the body (measured on Node 20: a trickling body stayed open indefinitely).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

export async function readJson(req: IncomingMessage, limitBytes: number, timeoutMs?: number): Promise<unknown> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limitBytes) throw new HttpError(413, 'BodyTooLarge', `body exceeds ${limitBytes} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    let late = false;
    const timedOut = () => new HttpError(408, 'BodyTimeout', `body not received within ${timeoutMs} ms`);
    // A body that has not arrived in time: the connection is dropped (nobody is left to answer).
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => ((late = true), req.socket.destroy()), timeoutMs);
    try {
        for await (const chunk of req) {
            size += (chunk as Buffer).length;
            if (size > limitBytes) throw new HttpError(413, 'BodyTooLarge', `body exceeds ${limitBytes} bytes`);
            chunks.push(chunk as Buffer);
        }
    } catch (e) {
        if (late) throw timedOut();
        throw e;
    } finally {
        clearTimeout(timer);
    }
    if (late) throw timedOut();
    try {
        return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
        throw new HttpError(400, 'BadJson', 'body is not valid JSON');
    }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
    // Connection: close after an error mid-body so the unread rest is not parsed as a new request.
    res.setHeader('connection', 'close');
    sendJson(res, error.status, { error: { code: error.code, message: error.message } });
}
