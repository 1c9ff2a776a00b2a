// URL -> handler. toncenter's two calling conventions map onto the same method registry:
//   POST /jsonRPC (also /api/v2/jsonRPC)  {id, jsonrpc, method, params}  -> {ok, result, id, jsonrpc}
//   GET|POST /api/v2/<method>              query string or JSON body       -> {ok, result}
// plus the devnet's own admin routes under /faucet and /devnet/.
import { Address } from '@ton/core';
import { IncomingMessage } from 'node:http';
import { hashToBase64 } from '../format/hash';
import { RpcContext } from '../rpc/context';
import { forbidden, invalid, notFound, withEcho } from '../rpc/errors';
import { HttpError, methodNotAllowed } from '../../http/errors';
import { address, optionalInt } from '../rpc/params';
import { callMethod } from '../rpc/registry';
import { readJson } from '../../http/body';

export type AdminActions = {
    faucet: (to: Address, amount?: bigint) => Promise<{ amount: bigint; lt: bigint; hash: Buffer }>;
    advance: (seconds: number) => Promise<number>;
    status: () => Record<string, unknown>;
};

export type Reply = Record<string, unknown>;

// Contract deploy BOCs can be large, but an unbounded body is an easy way to exhaust memory.
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** toncenter's POST body: a JSON object; an empty body is `{}` (a method without parameters). */
async function readObject(req: IncomingMessage): Promise<Record<string, unknown>> {
    // toncenter answers a body it cannot parse as it answers any invalid request: 422, not 400.
    const value = await readJson(req, MAX_BODY_BYTES, { emptyAs: {} }).catch((e) =>
        Promise.reject(e instanceof HttpError && e.code === 'invalid_json' ? invalid(e.message) : e),
    );
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('body must be a JSON object');
    return value as Record<string, unknown>;
}

export async function route(req: IncomingMessage, ctx: RpcContext, admin: AdminActions): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://devnet');
    const path = url.pathname.replace(/\/+$/, '');
    const post = req.method === 'POST';
    const api = isApiPath(path);
    if (api && !post && req.method !== 'GET') throw methodNotAllowed(req.method ?? '', path, ['GET', 'POST']);
    if (post && (path === '/jsonRPC' || path === '/api/v2/jsonRPC')) return jsonRpc(req, ctx);
    if (api) {
        const { '@extra': extra, ...params } = post ? await readObject(req) : Object.fromEntries(url.searchParams);
        const echo = extra === undefined ? {} : { '@extra': extra };
        try {
            return { ok: true, result: await callMethod(ctx, path.slice('/api/v2/'.length), params), ...echo };
        } catch (error) {
            throw withEcho(error, echo);
        }
    }
    // The toncenter API answers any web page (CORS *), like toncenter; the admin routes move money and
    // the clock, so a page on the developer's machine may not call them (a cross-site text/plain POST
    // needs no preflight). Browsers send Origin on every such request; scripts and tests do not.
    if ((path === '/faucet' || path.startsWith('/devnet/')) && req.headers.origin !== undefined) {
        throw forbidden(`the devnet admin route ${path} refuses requests from web pages (Origin ${req.headers.origin})`);
    }
    if (post && path === '/faucet') return faucet(req, admin);
    if (post && path === '/devnet/advance') return advance(req, admin);
    if (req.method === 'GET' && path === '/devnet/status') return { ok: true, result: admin.status() };
    throw notFound(`no route ${req.method} ${url.pathname}`);
}

/** toncenter's API (rate-limited with --rate-limit); the rest are the devnet's own admin routes. */
export function isApiPath(path: string): boolean {
    return path === '/jsonRPC' || path.startsWith('/api/v2/');
}

// JSON-RPC answers echo the request's id and "@extra", errors included: a client matching answers
// to requests by either must find them on every answer, as toncenter sends them.
async function jsonRpc(req: IncomingMessage, ctx: RpcContext): Promise<Reply> {
    const body = await readObject(req);
    const echo = { id: body.id, jsonrpc: '2.0', ...(body['@extra'] === undefined ? {} : { '@extra': body['@extra'] }) };
    try {
        if (typeof body.method !== 'string') throw invalid('jsonRPC: "method" missing');
        const params = (body.params ?? {}) as Record<string, unknown>;
        if (typeof params !== 'object' || Array.isArray(params)) throw invalid('jsonRPC: "params" must be an object');
        return { ok: true, result: await callMethod(ctx, body.method, params), ...echo };
    } catch (error) {
        throw withEcho(error, echo);
    }
}

async function faucet(req: IncomingMessage, admin: AdminActions): Promise<Reply> {
    const body = await readObject(req);
    const to = address(body);
    const paid = await admin.faucet(to, optionalInt(body, 'amount'));
    return {
        ok: true,
        result: {
            address: to.toString(),
            amount: paid.amount.toString(),
            transaction_id: { lt: paid.lt.toString(), hash: hashToBase64(paid.hash) },
        },
    };
}

async function advance(req: IncomingMessage, admin: AdminActions): Promise<Reply> {
    const body = await readObject(req);
    const seconds = Number(optionalInt(body, 'seconds') ?? NaN);
    if (!Number.isSafeInteger(seconds) || seconds < 0) throw invalid('seconds: non-negative integer required');
    return { ok: true, result: { now: await admin.advance(seconds) } };
}
