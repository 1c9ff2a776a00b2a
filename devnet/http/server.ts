// The HTTP front: the shared HTTP layer (http/: limits, timeouts, Host check on loopback), JSON in
// and out, toncenter's error shape, and CORS for any page, as toncenter allows, so a browser demo
// page on another port can talk to the devnet (its admin routes refuse pages: routes.ts).
import { Server } from 'node:http';
import { createHttpServer, sendJson } from '../../http/server';
import { RpcContext } from '../rpc/context';
import { errorBody, rateLimited } from '../rpc/errors';
import { AdminActions, isApiPath, MAX_BODY_BYTES, route } from './routes';
import { ApiRateLimit } from '../rateLimit';

export function createDevnetServer(ctx: RpcContext, admin: AdminActions, limiter?: ApiRateLimit): Server {
    return createHttpServer(
        {
            limits: { bodyLimitBytes: MAX_BODY_BYTES },
            browser: { corsOrigins: ['*'] },
            errorBody,
            // A refused external is a 500 as on toncenter, but not a devnet bug worth a log line.
            onError: (e, { cause }) => e.code === 'internal_error' && console.error('devnet: internal error', cause),
        },
        async (req, res) => {
            // Per API key, else per client IP, as toncenter limits (devnet/rateLimit.ts); on loopback every
            // client without a key shares one address. Only the toncenter API is limited: the admin
            // routes (faucet, advance) are the devnet's own.
            const url = new URL(req.url ?? '/', 'http://devnet');
            if (limiter && isApiPath(url.pathname.replace(/\/+$/, '')) && !limiter.admit(req, url)) throw rateLimited();
            sendJson(res, 200, await route(req, ctx, admin));
        },
    );
}
