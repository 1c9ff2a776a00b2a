// The HTTP front: node:http, JSON in and out, toncenter's error shape, permissive CORS so a
// browser demo page on another port can talk to the devnet.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { RpcContext } from '../rpc/context';
import { errorBody } from '../rpc/errors';
import { AdminActions, route } from './routes';

const CORS_HEADERS = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, X-API-Key, X-Ton-Client-Version',
};

export function createDevnetServer(ctx: RpcContext, admin: AdminActions): Server {
    return createServer((req, res) => void handle(req, res, ctx, admin));
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: RpcContext, admin: AdminActions): Promise<void> {
    if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS_HEADERS).end();
        return;
    }
    try {
        send(res, 200, await route(req, ctx, admin));
    } catch (error) {
        const { status, body } = errorBody(error);
        if (status === 500) console.error('devnet: internal error', error);
        send(res, status, body);
    }
}

function send(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    res.writeHead(status, { ...CORS_HEADERS, 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
}
