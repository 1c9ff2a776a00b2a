// Slow and oversized senders against the shared server (docs/spec/http.md): a slow body gets 408
// and its connection closed at the configured deadline, whether or not the handler reads it; slow
// headers and oversized headers are node's to refuse. Slowness is driven with raw sockets that
// simply stop sending; every wait is for an event (an answer, a close), never a sleep.
import { Server } from 'node:http';
import { head, LIMITS, rawClient, startTestServer, stop } from './helpers';

let s: { server: Server; url: string; port: number; errors: string[] };
beforeAll(async () => (s = await startTestServer()));
afterAll(() => stop(s.server));

const partialPost = (path: string) => head(['POST ' + path + ' HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', 'Content-Length: 100']) + '{"slow":';

describe('shared HTTP layer: deadlines', () => {
    it('answers 408 with a body to a body that stops arriving, and closes the connection', async () => {
        const c = rawClient(s.port);
        c.write(partialPost('/echo'));
        const a = await c.answer;
        expect(a.status).toBe(408);
        expect(a.headers.connection).toBe('close');
        expect(JSON.parse(a.body)).toEqual({ error: 'request_timeout', message: `request body not received within ${LIMITS.requestTimeoutMs} ms` });
        await c.closed;
        expect(s.errors).toContain('408 request_timeout');
    });

    it('drops a slow body that the handler never reads (an unknown route) at the same deadline', async () => {
        const c = rawClient(s.port);
        c.write(partialPost('/nowhere'));
        expect((await c.answer).status).toBe(404);
        await c.closed;
    });

    it('serves other clients while slow bodies trickle in, and releases every slow connection', async () => {
        const slow = Array.from({ length: 20 }, () => rawClient(s.port));
        for (const c of slow) c.write(partialPost('/echo'));
        const res = await fetch(`${s.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"fast":true}' });
        expect(await res.json()).toEqual({ got: { fast: true } });
        await Promise.all(slow.map((c) => c.closed)); // closed by the server: these clients never hang up
    });

    it('answers 408 to headers that stop arriving (node, within the configured header timeout), and closes', async () => {
        const c = rawClient(s.port);
        c.write('POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl');
        expect((await c.answer).status).toBe(408);
        await c.closed;
    });

    it("refuses headers beyond node's 16 KiB, one large or many small, with 431", async () => {
        const big = rawClient(s.port);
        big.write(head(['GET /hello HTTP/1.1', 'Host: 127.0.0.1', `X-Big: ${'a'.repeat(20 * 1024)}`]));
        expect((await big.answer).status).toBe(431);
        const many = rawClient(s.port);
        many.write(head(['GET /hello HTTP/1.1', 'Host: 127.0.0.1', ...Array.from({ length: 3000 }, (_, i) => `X-${i}: v`)]));
        expect((await many.answer).status).toBe(431);
        await Promise.all([big.closed, many.closed]);
    });
});
