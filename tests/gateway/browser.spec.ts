// A web page on the user's machine must not spend a loopback gateway's wallet: the review's
// cross-site text/plain POST got 200 and a paid job, and any Host header was accepted, so a DNS
// rebinding page could read answers. Each attack is sent with node:http (a browser's exact headers).
import { request } from 'node:http';
import OpenAI from 'openai';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { startGateway, Gateway } from '../../gateway/server';
import { startWorld, World } from '../sdk/world';
import { open } from '../../protocol/tonClient';
import { Provider } from '../../wrappers/Provider';

const BODY = JSON.stringify({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'paid by whom' }] });

function send(url: string, opts: { method?: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
        const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: opts.method ?? 'POST', headers: opts.headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end(opts.body);
    });
}

describe('gateway: browser pages on the user\'s machine', () => {
    let w: World;
    let gateway: Gateway;
    let chat: string;
    let host: string;
    const openJobs = async () => (await open(w.demo.client, Provider.fromAddress(w.provider)).getLedger()).nextJobId;
    beforeAll(async () => {
        w = await startWorld({ relayer: true });
        gateway = await startGateway({ sdk: w.newSdk(), port: 0, browser: { corsOrigins: ['https://app.example'] } });
        chat = `${gateway.url}/chat/completions`;
        host = new URL(gateway.url).host;
    });
    afterAll(async () => {
        await gateway.close();
        await w.stop();
    });

    it('refuses a cross-site text/plain POST from a foreign origin, and creates no job', async () => {
        const before = await openJobs();
        const r = await send(chat, { headers: { host, origin: 'https://evil.example', 'content-type': 'text/plain' }, body: BODY });
        expect(r.status).toBe(403);
        expect(JSON.parse(r.body).error.code).toBe('forbidden_origin');
        expect(r.headers['access-control-allow-origin']).toBeUndefined();
        expect(await openJobs()).toBe(before);
    });

    it('refuses a body that is not application/json, even without an Origin', async () => {
        const r = await send(chat, { headers: { host, 'content-type': 'text/plain' }, body: BODY });
        expect(r.status).toBe(415);
        expect(JSON.parse(r.body).error.code).toBe('unsupported_media_type');
    });

    it('refuses a DNS-rebinding page: a Host that is not a loopback name', async () => {
        const r = await send(`${gateway.url}/models`, { method: 'GET', headers: { host: `evil.example:${new URL(gateway.url).port}` } });
        expect(r.status).toBe(403);
        expect(JSON.parse(r.body).error.code).toBe('forbidden_host');
    });

    it('serves an allow-listed browser app with CORS, including the preflight', async () => {
        const pre = await send(chat, { method: 'OPTIONS', headers: { host, origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
        expect(pre.status).toBe(204);
        expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
        expect(String(pre.headers['access-control-allow-headers'])).toContain('content-type');
        const r = await send(`${gateway.url}/models`, { method: 'GET', headers: { host, origin: 'https://app.example' } });
        expect(r.status).toBe(200);
        expect(r.headers['access-control-allow-origin']).toBe('https://app.example');
    });

    it('still serves the official openai client (no Origin, JSON body)', async () => {
        const openai = new OpenAI({ baseURL: gateway.url, apiKey: 'loopback' });
        const r = await openai.chat.completions.create({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'hello there' }] });
        expect(r.choices[0].message.content).toBe('there hello');
    });
});
