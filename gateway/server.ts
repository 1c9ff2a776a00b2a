/**
 * The OpenAI-compatible HTTP gateway (docs/spec/gateway.md): /v1/chat/completions (also streamed),
 * /v1/completions and /v1/models. Each completion request becomes one Cocoon job paid from the
 * gateway's wallet through the SDK; the response's `usage` is the token counts the enclave signed.
 *
 * It binds loopback unless API keys are configured: anyone who can reach it spends its wallet.
 */
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { CocoonClient, CocoonError, JobResult, OpenAIRequest, SubmitOptions } from '../sdk';
import { ApiKeys, ApiKeySpec, KeyAccount, reserve } from './auth';
import { apiErrorOf, errorBody, invalidRequest } from './errors';
import { modelObject, streamEvents } from './openai';
import { REFERENCE_MODEL_NAME } from '../protocol/defaults';
import { readJson } from '../http/body';
import { BrowserPolicy, isLoopback } from '../http/browser';
import { HttpError, methodNotAllowed, notFound } from '../http/errors';
import { createHttpServer, listen, sendJson } from '../http/server';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface GatewayOptions {
    sdk: CocoonClient;
    host?: string;
    port?: number; // 0 picks a free port
    apiKeys?: ApiKeySpec[];
    /** Passed to every job (ttl, price limits, selection preference...). */
    jobOptions?: Omit<SubmitOptions, 'onProgress' | 'beforeSend'>;
    /** One line per request, without payloads, keys or plaintext. */
    log?: (entry: Record<string, unknown>) => void;
    /** SQLite file keeping each API key's spending across restarts (gateway/auth.ts); in memory when absent. */
    spendingDb?: string;
    /** Host names and browser origins allowed beyond loopback names and non-browser clients (http/browser.ts). */
    browser?: Partial<BrowserPolicy>;
}

export interface Gateway {
    server: Server;
    /** Base URL of the API, e.g. http://127.0.0.1:8080/v1 */
    url: string;
    close(): Promise<void>;
}

export class GatewayConfigError extends Error {}

export { isLoopback };

function validate(body: unknown, kind: 'chat' | 'completion'): OpenAIRequest {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidRequest('request body must be a JSON object');
    const b = body as Record<string, unknown>;
    if (typeof b.model !== 'string' || !b.model) throw invalidRequest('"model" is required', 'model');
    if (kind === 'chat' && (!Array.isArray(b.messages) || b.messages.length === 0)) throw invalidRequest('"messages" must be a non-empty array', 'messages');
    if (kind === 'chat') (b.messages as unknown[]).forEach(checkMessage);
    if (kind === 'completion' && typeof b.prompt !== 'string' && !(Array.isArray(b.prompt) && b.prompt.every((p) => typeof p === 'string'))) {
        throw invalidRequest('"prompt" must be a string or an array of strings', 'prompt');
    }
    for (const f of ['max_tokens', 'max_completion_tokens']) {
        if (b[f] !== undefined && b[f] !== null && !(Number.isInteger(b[f]) && (b[f] as number) > 0)) throw invalidRequest(`"${f}" must be a positive integer`, f);
        if (b[f] === null) delete b[f];
    }
    if (b.n !== undefined && b.n !== null && b.n !== 1) throw invalidRequest('only n = 1 is supported', 'n');
    return b as OpenAIRequest;
}

/**
 * Parameters that change what the answer is (its form, its tools, where it stops), which the
 * reference engine cannot honour: refused with a clear 400 rather than silently dropped (the review
 * found them dropped). Engines behind the openai backend receive every parameter as sent.
 */
const UNHONOURED_BY_REFERENCE = ['tools', 'tool_choice', 'functions', 'function_call', 'response_format', 'logprobs', 'top_logprobs', 'stop', 'logit_bias', 'audio', 'modalities', 'prediction'];

function refuseUnhonoured(body: Record<string, unknown>): void {
    for (const name of UNHONOURED_BY_REFERENCE) {
        const v = body[name];
        if (v === undefined || v === null || v === false) continue;
        if (name === 'response_format' && (v as { type?: unknown }).type === 'text') continue;
        throw new HttpError(400, 'unsupported_parameter', `\`${name}\` is not supported by the model \`${REFERENCE_MODEL_NAME}\``, { param: name });
    }
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** A chat message as OpenAI accepts it: a known role and text content (a string or text parts). */
function checkMessage(m: unknown, i: number): void {
    const where = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalidRequest(`${where} must be an object`, where);
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.has(role)) throw invalidRequest(`${where}.role must be one of ${[...ROLES].join(', ')}`, `${where}.role`);
    const text = typeof content === 'string' || (Array.isArray(content) && content.every((p) => typeof p === 'object' && p !== null && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string'));
    const absentOk = role === 'assistant' && (content === null || content === undefined);
    if (!text && !absentOk) throw invalidRequest(`${where}.content must be a string or an array of text parts`, `${where}.content`);
}

export async function startGateway(o: GatewayOptions): Promise<Gateway> {
    const host = o.host ?? DEFAULT_HOST;
    const keys = new ApiKeys(o.apiKeys ?? [], o.spendingDb);
    if (!isLoopback(host) && !keys.enabled) {
        throw new GatewayConfigError(`refusing to bind ${host} without API keys: anyone reaching it would spend the wallet (set API keys or bind 127.0.0.1)`);
    }
    const log = o.log ?? (() => {});

    const complete = async (req: IncomingMessage, res: ServerResponse, kind: 'chat' | 'completion', account: KeyAccount | null) => {
        const body = validate(await readJson(req, BODY_LIMIT_BYTES), kind);
        const models = await o.sdk.models();
        const model = models.find((m) => m.name === body.model);
        if (!model) {
            throw new HttpError(404, 'model_not_found', `the model \`${body.model}\` is not allow-listed or no provider serves it (GET /v1/models lists them)`, { param: 'model' });
        }
        if (model.name === REFERENCE_MODEL_NAME) refuseUnhonoured(body);
        const maxTokens = (body.max_completion_tokens ?? body.max_tokens) as number | undefined;
        if (maxTokens !== undefined && maxTokens >= model.maxContext) {
            throw new HttpError(400, 'context_length_exceeded', `max_tokens ${maxTokens} leaves no room for the prompt in the model's context of ${model.maxContext} tokens`, { param: 'max_tokens' });
        }
        const stream = body.stream === true;
        const includeUsage = Boolean((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage);
        let release: ((cost: bigint) => void) | null = null;
        let escrow = 0n;
        let sent = false;
        let result: JobResult;
        try {
            result = await o.sdk.run(body, {
                ...o.jobOptions,
                beforeSend: (e) => {
                    escrow = e;
                    release = reserve(account, e);
                },
                onProgress: (stage) => {
                    if (stage === 'sent') sent = true;
                },
            });
        } catch (e) {
            const refund = (e as { refund?: bigint }).refund;
            (release as ((c: bigint) => void) | null)?.(!sent ? 0n : refund !== undefined ? escrow - refund : escrow);
            throw e;
        }
        (release as ((c: bigint) => void) | null)?.(result.escrow - result.refund);
        log({ route: kind, jobId: result.jobId.toString(), inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens, price: result.price.toString() });
        const headers = { 'x-cocoon-job-id': result.jobId.toString(), 'x-cocoon-provider': result.provider.toString(), 'x-cocoon-price-nanoton': result.price.toString() };
        if (!stream) return sendJson(res, 200, result.response, headers);
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
        for (const data of streamEvents(kind, result.response, includeUsage)) res.write(`data: ${data}\n\n`);
        res.end();
    };

    const route = async (req: IncomingMessage, res: ServerResponse) => {
        const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
        const method = req.method ?? 'GET';
        const account = keys.authenticate(req.headers.authorization);
        if (path === '/v1/models' && method === 'GET') {
            return sendJson(res, 200, { object: 'list', data: (await o.sdk.models()).map(modelObject) });
        }
        if (path.startsWith('/v1/models/') && method === 'GET') {
            const id = decodeURIComponent(path.slice('/v1/models/'.length));
            const m = (await o.sdk.models()).find((x) => x.name === id);
            if (!m) throw new HttpError(404, 'model_not_found', `the model \`${id}\` does not exist`, { param: 'model' });
            return sendJson(res, 200, modelObject(m));
        }
        if (path === '/v1/chat/completions' && method === 'POST') return complete(req, res, 'chat', account);
        if (path === '/v1/completions' && method === 'POST') return complete(req, res, 'completion', account);
        if (path === '/v1/models') throw methodNotAllowed(method, path, ['GET']);
        if (path === '/v1/chat/completions' || path === '/v1/completions') throw methodNotAllowed(method, path, ['POST']);
        throw notFound(method, path);
    };

    const server = createHttpServer(
        {
            keyed: keys.enabled,
            browser: o.browser,
            limits: { bodyLimitBytes: BODY_LIMIT_BYTES },
            errorBody,
            errorHeaders: { 'x-should-retry': 'false' },
            classify: apiErrorOf,
            // A 5xx says only "internal_error" or the SDK's code to the client; the log says why (issue 12:
            // an opaque 500 logged as a bare code). Error messages carry ids and amounts, never prompts.
            onError: (err, { req, ms, cause }) => log({ route: req.url, status: err.status, code: err.code, ms, ...(err.status >= 500 ? { cause: causeOf(cause) } : {}) }),
        },
        route,
    );
    const url = `${await listen(server, o.port ?? DEFAULT_PORT, host)}/v1`;
    let closing: Promise<void> | undefined;
    const close = () =>
        (closing ??= new Promise<void>((resolve) => {
            server.close(() => {
                keys.close();
                resolve();
            });
            server.closeAllConnections();
        }));
    return { server, url, close };
}

/** What a failure was, for the log: the error's class and message (a bug's first stack frame too). */
export function causeOf(cause: unknown): string {
    if (!(cause instanceof Error)) return String(cause);
    const frame = cause instanceof CocoonError ? '' : (cause.stack?.split('\n')[1]?.trim() ?? '');
    return `${cause.name}: ${cause.message}${frame ? ` (${frame})` : ''}`;
}
