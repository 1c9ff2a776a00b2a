/** GET /healthz (200 while every watcher reached its Provider's head recently, else 503) and GET /metrics. */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { RelayerMetrics } from './metrics';

export interface Health {
    ok: boolean;
    [key: string]: unknown;
}

export async function startHttp(host: string, port: number, metrics: RelayerMetrics, health: () => Health): Promise<{ server: Server; url: string }> {
    const server = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (req.method === 'GET' && path === '/healthz') {
            const h = health();
            res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
            return void res.end(JSON.stringify(h));
        }
        if (req.method === 'GET' && path === '/metrics') {
            metrics.registry.metrics().then(
                (text) => {
                    res.writeHead(200, { 'content-type': metrics.registry.contentType });
                    res.end(text);
                },
                () => {
                    res.writeHead(500);
                    res.end();
                },
            );
            return;
        }
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'not found' }));
    });
    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, resolve);
    });
    const a = server.address() as AddressInfo;
    return { server, url: `http://${host}:${a.port}` };
}
