// A test server on the shared layer with short limits, and a raw-socket client that writes exactly
// the bytes an attacker would (no HTTP library to fix up lengths, hosts or framing) and reports
// the first answer and whether the server closed the connection.
import { request, Server } from 'node:http';
import { connect, Socket } from 'node:net';
import { readJson } from '../../http/body';
import { methodNotAllowed, notFound } from '../../http/errors';
import { createHttpServer, HttpServerOptions, listen, sendJson } from '../../http/server';

export const LIMITS = { bodyLimitBytes: 1024, headersTimeoutMs: 200, requestTimeoutMs: 300, keepAliveTimeoutMs: 5_000 };

/** POST /echo answers the JSON it read; GET /hello; GET /boom is a bug. */
export async function startTestServer(options: HttpServerOptions = {}, host = '127.0.0.1'): Promise<{ server: Server; url: string; port: number; errors: string[] }> {
    const errors: string[] = [];
    const server = createHttpServer({ limits: LIMITS, onError: (e) => errors.push(`${e.status} ${e.code}`), ...options }, async (req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path === '/echo' && req.method === 'POST') return sendJson(res, 200, { got: await readJson(req, LIMITS.bodyLimitBytes) });
        if (path === '/hello' && req.method === 'GET') return sendJson(res, 200, { hello: 'world' });
        if (path === '/boom') throw new Error('secret detail of a bug');
        if (path === '/echo' || path === '/hello') throw methodNotAllowed(req.method ?? '', path, path === '/echo' ? ['POST'] : ['GET']);
        throw notFound(req.method ?? '', path);
    });
    const url = await listen(server, 0, host);
    return { server, url, port: Number(new URL(url).port), errors };
}

export function stop(server: Server): Promise<void> {
    return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
    });
}

export interface Answer {
    status: number;
    headers: Record<string, string>;
    body: string;
}

/** A raw connection: `answer` is the first complete response, `closed` resolves when the server hangs up. */
/** `forHead`: the answer to a HEAD request, whose Content-Length announces a body that never comes (as a 204 has none). */
export function rawClient(port: number, forHead = false) {
    const socket: Socket = connect(port, '127.0.0.1');
    socket.on('error', () => {}); // a reset shows as `answer` never arriving, which the test reports
    let data = Buffer.alloc(0);
    let answered: (a: Answer) => void;
    const answer = new Promise<Answer>((resolve) => (answered = resolve));
    const parse = (final: boolean) => {
        const text = data.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
        const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const status = Number(statusLine.split(' ')[1]);
        const length = forHead || status === 204 ? 0 : headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
        const body = data.subarray(end + 4);
        if (length !== undefined && body.length >= length) answered({ status, headers, body: body.subarray(0, length).toString('utf8') });
        else if (length === undefined && final) answered({ status, headers, body: body.toString('utf8') });
    };
    socket.on('data', (d) => {
        data = Buffer.concat([data, d]);
        parse(false);
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => (parse(true), resolve())));
    return { socket, answer, closed, write: (s: string | Buffer) => socket.write(s), received: () => data.toString('latin1') };
}

export const head = (lines: string[]) => lines.join('\r\n') + '\r\n\r\n';

/** A GET with a chosen Host header (fetch will not send a foreign one), as a DNS-rebinding page's request arrives. */
export function getWithHost(url: string, path: string, host: string): Promise<{ status: number; body: string }> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
        const req = request({ host: u.hostname, port: u.port, path, headers: { host: `${host}:${u.port}` } }, (res) => {
            let body = '';
            res.on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject).end();
    });
}

/** A JSON POST whose body is streamed chunked, with no Content-Length to check before reading. */
export function postChunked(url: string, chunkBytes: number, chunks: number): Promise<Response> {
    const chunk = new TextEncoder().encode('A'.repeat(chunkBytes));
    let sent = 0;
    const body = new ReadableStream({ pull: (c) => (sent++ < chunks ? c.enqueue(chunk) : c.close()) });
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
}
