// Browser pages against a loopback server (docs/spec/http.md, "Browser pages"): a DNS-rebinding
// page's Host and any unlisted Origin are refused before a handler runs; allowed origins get CORS.
// Also the plumbing every server shares: HEAD, OPTIONS, 404/405, hidden 500s, the error shape hook.
import { Server } from 'node:http';
import { head, rawClient, startTestServer, stop } from './helpers';

type Started = { server: Server; url: string; port: number; errors: string[] };

async function ask(port: number, lines: string[], body = '') {
    const c = rawClient(port);
    c.write(head(body ? [...lines, `Content-Length: ${Buffer.byteLength(body)}`] : lines) + body);
    const a = await c.answer;
    c.socket.destroy();
    return { ...a, json: a.body ? JSON.parse(a.body) : undefined };
}

describe('shared HTTP layer: browser pages on a loopback server without credentials', () => {
    let s: Started;
    beforeAll(async () => (s = await startTestServer({ browser: { allowedHosts: ['cocoon.internal'], corsOrigins: ['https://app.example'] } })));
    afterAll(() => stop(s.server));

    it('refuses a Host that is not a loopback name (a DNS-rebinding page) with 403, and a missing Host', async () => {
        const r = await ask(s.port, ['GET /hello HTTP/1.1', `Host: evil.example:${s.port}`]);
        expect([r.status, r.json.error]).toEqual([403, 'forbidden_host']);
        expect((await ask(s.port, ['GET /hello HTTP/1.0'])).status).toBe(403);
    });

    it('serves loopback names and the allowed hosts', async () => {
        for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, `[::1]:${s.port}`, 'cocoon.internal']) {
            expect((await ask(s.port, ['GET /hello HTTP/1.1', `Host: ${host}`])).status).toBe(200);
        }
    });

    it('refuses a cross-site text/plain POST (no preflight) by its Origin, and the handler never runs', async () => {
        const before = s.errors.length;
        const r = await ask(s.port, ['POST /echo HTTP/1.1', 'Host: 127.0.0.1', 'Origin: https://evil.example', 'Content-Type: text/plain'], '{"a":1}');
        expect([r.status, r.json.error]).toEqual([403, 'forbidden_origin']);
        expect(r.headers['access-control-allow-origin']).toBeUndefined();
        expect(s.errors.slice(before)).toEqual(['403 forbidden_origin']);
    });

    it('answers an allowed origin with CORS headers, on its preflight, its answers and its errors', async () => {
        const pre = await ask(s.port, ['OPTIONS /echo HTTP/1.1', 'Host: 127.0.0.1', 'Origin: https://app.example', 'Access-Control-Request-Method: POST', 'Access-Control-Request-Headers: content-type, authorization']);
        expect(pre.status).toBe(204);
        expect(pre.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.example', 'access-control-allow-headers': 'content-type, authorization' });
        const ok = await ask(s.port, ['POST /echo HTTP/1.1', 'Host: 127.0.0.1', 'Origin: https://app.example', 'Content-Type: application/json'], '{"a":1}');
        expect([ok.status, ok.headers['access-control-allow-origin']]).toEqual([200, 'https://app.example']);
        const bad = await ask(s.port, ['POST /echo HTTP/1.1', 'Host: 127.0.0.1', 'Origin: https://app.example', 'Content-Type: application/json'], '{');
        expect([bad.status, bad.headers['access-control-allow-origin']]).toEqual([400, 'https://app.example']);
    });

    it('refuses the preflight of an origin it does not allow', async () => {
        const r = await ask(s.port, ['OPTIONS /echo HTTP/1.1', 'Host: 127.0.0.1', 'Origin: https://evil.example', 'Access-Control-Request-Method: POST']);
        expect(r.status).toBe(403);
    });
});

describe('shared HTTP layer: servers a rebinding page cannot use', () => {
    it('lets any Host reach a server that wants credentials (a page has none)', async () => {
        const s = await startTestServer({ keyed: true });
        try {
            expect((await ask(s.port, ['GET /hello HTTP/1.1', 'Host: gateway.example'])).status).toBe(200);
            expect((await ask(s.port, ['GET /hello HTTP/1.1', 'Host: gateway.example', 'Origin: https://evil.example'])).status).toBe(403);
        } finally {
            await stop(s.server);
        }
    });

    it('lets any Host reach a server bound beyond loopback (it is on the network anyway)', async () => {
        const s = await startTestServer({}, '0.0.0.0');
        try {
            expect((await ask(s.port, ['GET /hello HTTP/1.1', 'Host: runner.example'])).status).toBe(200);
        } finally {
            await stop(s.server);
        }
    });
});

describe('shared HTTP layer: routing plumbing', () => {
    let s: Started;
    beforeAll(async () => (s = await startTestServer({ errorBody: (e) => ({ problem: e.code }), errorHeaders: { 'x-should-retry': 'false' } })));
    afterAll(() => stop(s.server));

    it('serves HEAD as GET without a body', async () => {
        const c = rawClient(s.port, true);
        c.write(head(['HEAD /hello HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close']));
        await c.closed;
        const a = await c.answer;
        expect([a.status, a.headers['content-length'], a.body]).toEqual([200, '17', '']);
    });

    it('answers 405 with Allow, 404, and OPTIONS without an Origin', async () => {
        const wrong = await ask(s.port, ['GET /echo HTTP/1.1', 'Host: 127.0.0.1']);
        expect([wrong.status, wrong.headers.allow, wrong.json]).toEqual([405, 'POST', { problem: 'method_not_allowed' }]);
        expect((await ask(s.port, ['GET /nowhere HTTP/1.1', 'Host: 127.0.0.1'])).json).toEqual({ problem: 'not_found' });
        const options = await ask(s.port, ['OPTIONS /echo HTTP/1.1', 'Host: 127.0.0.1']);
        expect([options.status, options.headers.allow]).toEqual([204, 'GET, HEAD, POST, OPTIONS']);
    });

    it("answers a bug with 500 internal_error in the server's shape, without its message", async () => {
        const r = await ask(s.port, ['GET /boom HTTP/1.1', 'Host: 127.0.0.1']);
        expect([r.status, r.json, r.headers['x-should-retry']]).toEqual([500, { problem: 'internal_error' }, 'false']);
        expect(r.body).not.toContain('secret');
    });
});
