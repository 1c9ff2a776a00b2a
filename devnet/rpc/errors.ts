// Errors as toncenter reports them: {ok: false, error, code}, where code mirrors the HTTP status,
// with toncenter's statuses (docs.ton.org, "API v2 error codes"):
//   403 a devnet admin route called from a web page (any Origin)
//   404 unknown method, or the thing asked about does not exist (e.g. a transaction)
//   405 a route called with another HTTP method than GET or POST
//   422 the request or its parameters are invalid (not an object, no method, bad address, BOC…)
//   429 beyond --rate-limit
//   500 the "liteserver" refused an external message (LITE_SERVER_UNKNOWN …), or a devnet bug
// plus the failures the shared HTTP layer answers for every server (http/errors.ts: 403, 408, 413, 415...).
import { HttpError } from '../../http/errors';

const CODES = { 403: 'forbidden', 404: 'not_found', 422: 'invalid_params' } as const;

export class RpcError extends HttpError {
    constructor(status: keyof typeof CODES, message: string) {
        super(status, CODES[status], message);
    }
}

export const notFound = (message: string) => new RpcError(404, message);
export const forbidden = (message: string) => new RpcError(403, message);
export const invalid = (message: string) => new RpcError(422, message);

/** What a liteserver answers when an external message is not accepted: toncenter relays it as a 500. */
export const liteServerError = (message: string) => new HttpError(500, 'lite_server_unknown', `LITE_SERVER_UNKNOWN: ${message}`);

export const rateLimited = () => new HttpError(429, 'rate_limited', 'Ratelimit exceed');

/**
 * The fields a JSON-RPC request asks to have echoed (`id`, `jsonrpc`, `@extra`), kept beside the
 * error that answers it, so failures echo them as successes do.
 */
const echoes = new WeakMap<HttpError, Record<string, unknown>>();

export function withEcho(error: unknown, echo: Record<string, unknown>): unknown {
    if (error instanceof HttpError) echoes.set(error, echo);
    return error;
}

/** toncenter's shape (TonClient shows `error`); the code string stays in our logs. */
export function errorBody(error: HttpError): Record<string, unknown> {
    return { ok: false, error: error.message, code: error.status, ...echoes.get(error) };
}
