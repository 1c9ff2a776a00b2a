// Errors as toncenter reports them: {ok: false, error, code}, where code mirrors the HTTP status.
//   400 the request itself is malformed (bad JSON, missing method)
//   403 a devnet admin route called from a web page (any Origin)
//   404 unknown method, or the thing asked about does not exist (e.g. a transaction)
//   422 the parameters are invalid, or the chain refused the message (not accepted, bad BOC)
//   500 anything else: a devnet bug
export class RpcError extends Error {
    constructor(readonly status: 400 | 403 | 404 | 422 | 500, message: string) {
        super(message);
    }
}

export const badRequest = (message: string) => new RpcError(400, message);
export const notFound = (message: string) => new RpcError(404, message);
export const forbidden = (message: string) => new RpcError(403, message);
export const invalid = (message: string) => new RpcError(422, message);

export function errorBody(error: unknown): { status: number; body: { ok: false; error: string; code: number } } {
    const status = error instanceof RpcError ? error.status : 500;
    const message = error instanceof Error ? error.message : String(error);
    return { status, body: { ok: false, error: message, code: status } };
}
