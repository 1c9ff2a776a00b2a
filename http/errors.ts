/**
 * One error type for every Cocoon HTTP server (docs/spec/http.md): a status, a stable code and a
 * message for people. Each server renders it in its documented shape (the gateway as OpenAI's
 * `{error: {message, type, param, code}}`, the devnet as toncenter's `{ok: false, error, code}`, the
 * others as `{error: code, message}`); the failures every server shares are built here, once, so a
 * too-large body is the same 413 `request_too_large` wherever it is sent.
 */
export class HttpError extends Error {
    /** The request field at fault, where one is (the gateway reports it as OpenAI's `param`). */
    readonly param: string | null;
    /** Headers the answer must carry (405's `Allow`). */
    readonly headers: Record<string, string>;

    constructor(readonly status: number, readonly code: string, message: string, extra: { param?: string | null; headers?: Record<string, string> } = {}) {
        super(message);
        this.param = extra.param ?? null;
        this.headers = extra.headers ?? {};
    }
}

export const tooLarge = (limitBytes: number) => new HttpError(413, 'request_too_large', `request body above ${limitBytes} bytes`);
export const requestTimeout = (ms: number) => new HttpError(408, 'request_timeout', `request body not received within ${ms} ms`);
/** The client hung up before its body arrived: logged and counted, though nobody is left to read it. */
export const requestAborted = () => new HttpError(400, 'request_aborted', 'the connection closed before the request body arrived');
export const invalidJson = () => new HttpError(400, 'invalid_json', 'request body is not valid JSON');
export const unsupportedMediaType = (type = 'application/json') => new HttpError(415, 'unsupported_media_type', `request bodies must be sent as ${type}`);
export const forbiddenHost = (host: string | undefined) =>
    new HttpError(403, 'forbidden_host', `the Host header ${JSON.stringify(host ?? '')} does not name this loopback server (a DNS-rebinding page sends its own name)`);
export const forbiddenOrigin = (origin: string) => new HttpError(403, 'forbidden_origin', `requests from the web origin ${JSON.stringify(origin)} are not allowed here`);
export const notFound = (method: string, path: string) => new HttpError(404, 'not_found', `no route ${method} ${path}`);
export const methodNotAllowed = (method: string, path: string, allow: string[]) =>
    new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path}`, { headers: { allow: allow.join(', ') } });
/** What a bug becomes: no message from inside the server reaches the client. */
export const internalError = () => new HttpError(500, 'internal_error', 'internal error');
