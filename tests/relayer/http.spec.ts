// The relayer's /healthz and /metrics are wired to the shared HTTP layer (whose hostile cases are
// tested once in tests/http): a DNS-rebinding page cannot read them, and errors have the one shape.
import { Server } from 'node:http';
import { getWithHost } from '../http/helpers';
import { startHttp } from '../../relayer/http';
import { createMetrics } from '../../relayer/metrics';

describe('relayer: health and metrics over HTTP', () => {
    let server: Server;
    let url: string;
    let ok = true;
    beforeAll(async () => ({ server, url } = await startHttp('127.0.0.1', 0, createMetrics(() => undefined), () => ({ ok, lag: 0 }))));
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('answers /healthz with 200 while healthy and 503 when not, and serves /metrics', async () => {
        expect([(await fetch(`${url}/healthz`)).status]).toEqual([200]);
        ok = false;
        const sick = await fetch(`${url}/healthz`);
        expect([sick.status, await sick.json()]).toEqual([503, { ok: false, lag: 0 }]);
        ok = true;
        expect(await (await fetch(`${url}/metrics`)).text()).toContain('cocoon_relayer_');
    });

    it('refuses a DNS-rebinding Host, and answers other routes and methods in the shared shape', async () => {
        expect((await getWithHost(url, '/metrics', 'evil.example')).status).toBe(403);
        const missing = await fetch(`${url}/nothing`);
        expect([missing.status, await missing.json()]).toEqual([404, { error: 'not_found', message: 'no route GET /nothing' }]);
        const wrong = await fetch(`${url}/healthz`, { method: 'POST' });
        expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'GET']);
    });
});
