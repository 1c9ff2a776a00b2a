// URL -> handler. toncenter's two calling conventions map onto the same method registry:
//   POST /jsonRPC (also /api/v2/jsonRPC)  {id, jsonrpc, method, params}  -> {ok, result, id, jsonrpc}
//   GET|POST /api/v2/<method>              query string or JSON body       -> {ok, result}
// plus the devnet's own admin routes under /faucet and /devnet/.
import { Address } from '@ton/core';
import { IncomingMessage } from 'node:http';
import { hashToBase64 } from '../format/hash';
import { RpcContext } from '../rpc/context';
import { badRequest, forbidden, invalid, notFound } from '../rpc/errors';
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
    const value = await readJson(req, MAX_BODY_BYTES, { emptyAs: {} });
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('body must be a JSON object');
    return value as Record<string, unknown>;
}

export async function route(req: IncomingMessage, ctx: RpcContext, admin: AdminActions): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://devnet');
    const path = url.pathname.replace(/\/+$/, '');
    const post = req.method === 'POST';
    if (post && (path === '/jsonRPC' || path === '/api/v2/jsonRPC')) return jsonRpc(req, ctx);
    if (path.startsWith('/api/v2/') && (post || req.method === 'GET')) {
        const params = post ? await readObject(req) : Object.fromEntries(url.searchParams);
        return { ok: true, result: await callMethod(ctx, path.slice('/api/v2/'.length), params) };
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

async function jsonRpc(req: IncomingMessage, ctx: RpcContext): Promise<Reply> {
    const body = await readObject(req);
    if (typeof body.method !== 'string') throw badRequest('jsonRPC: "method" missing');
    const params = (body.params ?? {}) as Record<string, unknown>;
    if (typeof params !== 'object' || Array.isArray(params)) throw badRequest('jsonRPC: "params" must be an object');
    const result = await callMethod(ctx, body.method, params);
    return { ok: true, result, id: body.id, jsonrpc: '2.0' };
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
