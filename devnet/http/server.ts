// The HTTP front: the shared HTTP layer (http/: limits, timeouts, Host check on loopback), JSON in
// and out, toncenter's error shape, and CORS for any page, as toncenter allows, so a browser demo
// page on another port can talk to the devnet (its admin routes refuse pages: routes.ts).
import { Server } from 'node:http';
import { createHttpServer, sendJson } from '../../http/server';
import { RpcContext } from '../rpc/context';
import { errorBody } from '../rpc/errors';
import { AdminActions, MAX_BODY_BYTES, route } from './routes';

export function createDevnetServer(ctx: RpcContext, admin: AdminActions): Server {
    return createHttpServer(
        {
            limits: { bodyLimitBytes: MAX_BODY_BYTES },
            browser: { corsOrigins: ['*'] },
            errorBody,
            onError: (e, { cause }) => e.status === 500 && console.error('devnet: internal error', cause),
        },
        async (req, res) => sendJson(res, 200, await route(req, ctx, admin)),
    );
}
