/**
 * The OpenAI-compatible HTTP gateway (docs/spec/gateway.md): /v1/chat/completions (also streamed),
 * /v1/completions and /v1/models. By default each model in use has one session (gateway/sessions.ts):
 * requests go to the enclave directly and stream as the engine produces tokens, and `usage` is what
 * the enclave's voucher billed. `mode: 'job'` makes each request one Cocoon job instead, paid from the
 * gateway's wallet through the SDK, with `usage` the token counts the enclave's receipt signed.
 *
 * It binds loopback unless API keys are configured: anyone who can reach it spends its wallet.
 */
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { CocoonClient, CocoonError, JobResult, OpenAIRequest, SubmitOptions } from '../sdk';
import { ApiKeys, ApiKeySpec, KeyAccount, reserve } from './auth';
import { apiErrorOf, errorBody, invalidRequest } from './errors';
import { modelObject, streamEvents, toolCallDeltas } from './openai';
import { REFERENCE_MODEL_NAME } from '../protocol/defaults';
import { readJson } from '../http/body';
import { BrowserPolicy, isLoopback } from '../http/browser';
import { HttpError, methodNotAllowed, notFound } from '../http/errors';
import { createHttpServer, listen, sendJson } from '../http/server';
import { SessionPolicy, SessionPool } from './sessions';
import { priceOf } from '../protocol/voucher';
import { countTokens } from '../enclave/tokens';
import { inputText, parseRequest } from '../enclave/request';
import { toNano } from '@ton/core';

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
    /** 'session' (default): one session per model in use; 'job': one on-chain job per request. */
    mode?: 'session' | 'job';
    /** Deposit, top-up threshold and amount, lifetime of the gateway's sessions. */
    sessions?: Partial<SessionPolicy>;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { deposit: toNano('1'), topUpBelow: toNano('0.2'), topUpAmount: toNano('1'), ttl: 86400 };

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
    const mode = o.mode ?? 'session';
    const pool = mode === 'session' ? new SessionPool(o.sdk, { ...DEFAULT_SESSION_POLICY, ...o.sessions }, log) : undefined;

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
        if (pool) return completeInSession(pool, res, kind, body, model, stream, includeUsage, account);
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

    /**
     * One request in the model's session: headers go out at once, then each text delta as the runner
     * streams it (SSE), or the whole response once the voucher is checked. The voucher that billed
     * the request is at GET /v1/cocoon/vouchers/<session>/<seq> (named by response headers, and in
     * the final SSE chunk's `cocoon` field), so an end user can verify what was charged.
     */
    const completeInSession = async (
        pool: SessionPool, res: ServerResponse, kind: 'chat' | 'completion', body: OpenAIRequest,
        model: { pricePerMillionIn: bigint; pricePerMillionOut: bigint; maxContext: number }, stream: boolean, includeUsage: boolean, account: KeyAccount | null,
    ) => {
        // What the request could cost at most, reserved against the API key's limit until the voucher
        // says; without API keys there is nothing to reserve against, and counting tokens is CPU.
        const worstCase = () => {
            const input = countTokens(inputText(parseRequest(Buffer.from(JSON.stringify(body)))));
            const maxOut = Math.max(0, Math.min(((body.max_completion_tokens ?? body.max_tokens) as number | undefined) ?? model.maxContext, model.maxContext) - input);
            return priceOf(input, maxOut, model.pricePerMillionIn, model.pricePerMillionOut);
        };
        const release = reserve(account, account ? worstCase() : 0n);
        let charged = 0n;
        try {
            const session = await pool.forModel(body.model as string);
            const before = session.latestVoucher?.charge ?? 0n;
            const chat = session.chat(body);
            const kept = pool.keep(session.ref, chat);
            const id = `cocoon-${session.id}-${Date.now().toString(36)}`;
            const created = Math.floor(Date.now() / 1000);
            const headers = { 'x-cocoon-session-id': session.id.toString(), 'x-cocoon-provider': session.provider.toString() };
            const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
            const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) => `data: ${JSON.stringify({ id, object, created, model: body.model, choices: [choice], ...extra })}\n\n`;
            if (stream) {
                res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
                if (kind === 'chat') res.write(chunk({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }));
                for await (const text of chat) {
                    res.write(kind === 'chat' ? chunk({ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }) : chunk({ index: 0, text, logprobs: null, finish_reason: null }));
                }
            }
            const r = await chat.result;
            charged = r.voucher.charge - before;
            const voucherKey = await kept;
            const usage = { prompt_tokens: r.usage.inputTokens, completion_tokens: r.usage.outputTokens, total_tokens: r.usage.inputTokens + r.usage.outputTokens };
            const cocoon = { session_id: session.id.toString(), voucher_seq: r.voucher.seq.toString(), charged_nanoton: charged.toString(), voucher_url: voucherKey ? `/v1/cocoon/vouchers/${voucherKey.replace(':', '/')}` : undefined };
            log({ route: kind, sessionId: session.id.toString(), seq: r.voucher.seq.toString(), inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens, charged: charged.toString() });
            if (stream) {
                const finish = r.finishReason ?? 'stop';
                // The session gives tool calls whole, with the answer's end: one delta carries them all.
                if (kind === 'chat' && r.toolCalls) res.write(chunk({ index: 0, delta: { tool_calls: toolCallDeltas(r.toolCalls) }, logprobs: null, finish_reason: null }));
                res.write(kind === 'chat' ? chunk({ index: 0, delta: {}, logprobs: null, finish_reason: finish }) : chunk({ index: 0, text: '', logprobs: null, finish_reason: finish }));
                if (includeUsage) res.write(`data: ${JSON.stringify({ id, object, created, model: body.model, choices: [], usage, cocoon })}\n\n`);
                res.write('data: [DONE]\n\n');
                res.end();
                return;
            }
            const voucherHeaders = { ...headers, 'x-cocoon-voucher-seq': r.voucher.seq.toString(), 'x-cocoon-charged-nanoton': charged.toString(), ...(cocoon.voucher_url ? { 'x-cocoon-voucher-url': cocoon.voucher_url } : {}) };
            const choice = kind === 'chat'
                ? { index: 0, message: { role: 'assistant', content: r.toolCalls && !r.text ? null : r.text, refusal: null, ...(r.toolCalls ? { tool_calls: r.toolCalls } : {}) }, logprobs: null, finish_reason: r.finishReason ?? 'stop' }
                : { index: 0, text: r.text, logprobs: null, finish_reason: r.finishReason ?? 'stop' };
            return sendJson(res, 200, { id, object: kind === 'chat' ? 'chat.completion' : 'text_completion', created, model: body.model, choices: [choice], usage, cocoon }, voucherHeaders);
        } catch (e) {
            // Once streaming has begun the status is sent: the stream ends with an error event instead.
            if (res.headersSent) {
                res.write(`data: ${JSON.stringify({ error: { message: (e as Error).message, type: 'cocoon_error' } })}\n\n`);
                res.end();
                return;
            }
            throw e;
        } finally {
            release(charged);
        }
    };

    const route = async (req: IncomingMessage, res: ServerResponse) => {
        const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
        const method = req.method ?? 'GET';
        const account = keys.authenticate(req.headers.authorization);
        const voucherPath = /^\/v1\/cocoon\/vouchers\/(\d{1,20})\/(\d{1,15})$/.exec(path);
        if (voucherPath && method === 'GET') {
            const v = pool?.voucher(voucherPath[1], voucherPath[2]);
            if (!v) throw new HttpError(404, 'voucher_not_found', 'this gateway holds no such voucher (it keeps the latest few hundred)');
            return sendJson(res, 200, v);
        }
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
    // Sessions close cooperatively on shutdown: the final voucher pays the provider, the rest returns.
    const close = () =>
        (closing ??= new Promise<void>((resolve) => {
            server.close(() => {
                keys.close();
                void (pool?.close() ?? Promise.resolve()).then(() => resolve());
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
