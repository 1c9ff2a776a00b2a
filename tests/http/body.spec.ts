// The shared body reader against hostile senders (docs/spec/http.md): every too-large body gets a
// 413 the client can read, whatever it declares, and a body is JSON or it is refused.
import { Server } from 'node:http';
import { head, LIMITS, rawClient, startTestServer, stop } from './helpers';

let s: { server: Server; url: string; port: number; errors: string[] };
beforeAll(async () => (s = await startTestServer()));
afterAll(() => stop(s.server));

const post = (body: string | Blob, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${s.url}/echo`, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
const codeOf = async (res: Response) => ((await res.json()) as { error: string }).error;

describe('shared HTTP layer: request bodies', () => {
    it('reads a JSON body within the limit', async () => {
        const res = await post(JSON.stringify({ a: 1 }));
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ got: { a: 1 } });
    });

    it('answers 413 with a body, not a reset, to a client that sends 8 MiB against the 1 KiB limit', async () => {
        const res = await post('x'.repeat(8 * 1024 * 1024));
        expect(res.status).toBe(413);
        expect(await codeOf(res)).toBe('request_too_large');
    });

    it('answers 413 to a chunked body above the limit (no Content-Length to trust), then serves the next request on the connection', async () => {
        const c = rawClient(s.port);
        c.write(head(['POST /echo HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', 'Transfer-Encoding: chunked']));
        for (let i = 0; i < 64; i++) c.write(`400\r\n${'y'.repeat(1024)}\r\n`);
        c.write('0\r\n\r\n');
        const first = await c.answer;
        expect(first.status).toBe(413);
        expect(JSON.parse(first.body)).toEqual({ error: 'request_too_large', message: `request body above ${LIMITS.bodyLimitBytes} bytes` });
        expect(first.headers.connection).not.toBe('close');
        c.write(head(['GET /hello HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close']));
        await c.closed;
        expect(c.received()).toMatch(/HTTP\/1\.1 413 [^]*HTTP\/1\.1 200 [^]*\{"hello":"world"\}$/);
    });

    it('answers 413 at once to a declared length above the limit, and drops the connection when the body does not follow', async () => {
        const c = rawClient(s.port);
        c.write(head(['POST /echo HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', 'Content-Length: 10000000000']) + '{"a":');
        expect((await c.answer).status).toBe(413);
        await c.closed; // the request deadline (300 ms here) ends the drain
    });

    it('refuses a request framed twice (Content-Length and chunked: request smuggling) with 400, and closes', async () => {
        const c = rawClient(s.port);
        c.write(head(['POST /echo HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', 'Content-Length: 4', 'Transfer-Encoding: chunked']) + '2\r\n{}\r\n0\r\n\r\n');
        expect((await c.answer).status).toBe(400);
        await c.closed;
    });

    it('answers 400 invalid_json to a body that is not JSON, and to an empty one', async () => {
        expect([(await post('{"a": ')).status, await codeOf(await post('{"a": '))]).toEqual([400, 'invalid_json']);
        expect(await codeOf(await post(''))).toBe('invalid_json');
    });

    it('answers 415 to a body that is not labelled application/json, without reading it', async () => {
        const plain = await post('{"a":1}', { 'content-type': 'text/plain' });
        expect([plain.status, await codeOf(plain)]).toEqual([415, 'unsupported_media_type']);
        const unlabelled = await post(new Blob(['{"a":1}']), {});
        expect(unlabelled.status).toBe(415);
        expect((await post('{"a":1}', { 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
    });
});
