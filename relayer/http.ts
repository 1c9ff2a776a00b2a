/**
 * GET /healthz (200 while every watcher reached its Provider's head recently, else 503) and GET
 * /metrics, on the shared HTTP layer (http/: timeouts, web pages refused, `{error: code, message}`).
 */
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { methodNotAllowed, notFound } from '../http/errors';
import { createHttpServer, listen, sendJson } from '../http/server';
import type { RelayerMetrics } from './metrics';

export interface Health {
    ok: boolean;
    [key: string]: unknown;
}

export async function startHttp(host: string, port: number, metrics: RelayerMetrics, health: () => Health): Promise<{ server: Server; url: string }> {
    const route = async (req: IncomingMessage, res: ServerResponse) => {
        const path = (req.url ?? '/').split('?')[0];
        if (req.method === 'GET' && path === '/healthz') {
            const h = health();
            return sendJson(res, h.ok ? 200 : 503, h);
        }
        if (req.method === 'GET' && path === '/metrics') {
            const text = await metrics.registry.metrics();
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            return void res.end(text);
        }
        if (path === '/healthz' || path === '/metrics') throw methodNotAllowed(req.method ?? '', path, ['GET']);
        throw notFound(req.method ?? '', path);
    };
    const server = createHttpServer({}, route);
    return { server, url: await listen(server, port, host) };
}
