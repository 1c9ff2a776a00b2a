// Errors as toncenter reports them: {ok: false, error, code}, where code mirrors the HTTP status.
//   400 the request itself is malformed (bad JSON, missing method)
//   403 a devnet admin route called from a web page (any Origin)
//   404 unknown method, or the thing asked about does not exist (e.g. a transaction)
//   422 the parameters are invalid, or the chain refused the message (not accepted, bad BOC)
//   500 anything else: a devnet bug
// plus the failures the shared HTTP layer answers for every server (http/errors.ts: 403, 408, 413, 415...).
import { HttpError } from '../../http/errors';

const CODES = { 400: 'bad_request', 403: 'forbidden', 404: 'not_found', 422: 'invalid_params', 500: 'internal_error' } as const;

export class RpcError extends HttpError {
    constructor(status: keyof typeof CODES, message: string) {
        super(status, CODES[status], message);
    }
}

export const badRequest = (message: string) => new RpcError(400, message);
export const notFound = (message: string) => new RpcError(404, message);
export const forbidden = (message: string) => new RpcError(403, message);
export const invalid = (message: string) => new RpcError(422, message);

/** toncenter's shape (TonClient shows `error`); the code string stays in our logs. */
export function errorBody(error: HttpError): { ok: false; error: string; code: number } {
    return { ok: false, error: error.message, code: error.status };
}
