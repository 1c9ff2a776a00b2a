/**
 * The decrypted request plaintext: an OpenAI chat-completions or completions request body.
 *
 * Only the fields the runner must check are typed; everything else is passed to the backend
 * untouched. `promptText` is the text whose tokens count against the job's input limit.
 */
export interface ChatMessage {
    role: string;
    content: string | Array<{ type: string; text?: string }>;
    [extra: string]: unknown;
}

export type InferenceRequest =
    | { kind: 'chat'; body: { model: string; messages: ChatMessage[]; max_tokens?: number; [k: string]: unknown } }
    | { kind: 'completion'; body: { model: string; prompt: string | string[]; max_tokens?: number; [k: string]: unknown } };

export class RequestFormatError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseRequest(plaintext: Uint8Array): InferenceRequest {
    let body: unknown;
    try {
        body = JSON.parse(Buffer.from(plaintext).toString('utf8'));
    } catch {
        throw new RequestFormatError('request plaintext is not JSON');
    }
    if (!isObject(body) || typeof body.model !== 'string') throw new RequestFormatError('request has no string "model"');
    if (body.max_tokens !== undefined && !(Number.isInteger(body.max_tokens) && (body.max_tokens as number) > 0)) {
        throw new RequestFormatError('"max_tokens" must be a positive integer');
    }
    if (body.max_completion_tokens !== undefined && !(Number.isInteger(body.max_completion_tokens) && (body.max_completion_tokens as number) > 0)) {
        throw new RequestFormatError('"max_completion_tokens" must be a positive integer');
    }
    // One job is one answer: several choices would be generated and served for the price of one.
    for (const k of ['n', 'best_of']) {
        if (body[k] !== undefined && body[k] !== 1) throw new RequestFormatError(`"${k}" must be 1: one job, one answer`);
    }
    if (Array.isArray(body.messages) && body.messages.every((m) => isObject(m) && typeof m.role === 'string')) {
        // Images and other non-text parts cost an engine tokens the runner cannot count.
        const parts = body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : []));
        if (parts.some((p) => !isObject(p) || p.type !== 'text' || typeof p.text !== 'string')) throw new RequestFormatError('only text content parts are served');
        return { kind: 'chat', body: body as never };
    }
    const prompt = body.prompt;
    if (typeof prompt === 'string' || (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string')) {
        return { kind: 'completion', body: body as never };
    }
    if (Array.isArray(prompt)) throw new RequestFormatError('"prompt" must be one string: a list would be answered several times for the price of one');
    throw new RequestFormatError('request has neither "messages" nor "prompt"');
}

function contentText(content: ChatMessage['content']): string {
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
    return '';
}

/** Body fields that are not input an engine reads as text, or are the text promptText already renders. */
const NOT_INPUT = new Set(['model', 'messages', 'prompt', 'max_tokens', 'max_completion_tokens', 'stream', 'stream_options']);

/**
 * Everything an engine reads as input, as one string: the rendered prompt, then as JSON the other
 * body fields that carry text (tools, tool_choice, response_format, stop, suffix, ...) and each
 * message's fields besides role and content (tool_calls, name, ...). The job's input limit and the
 * runner's own billed count both use it (enclave/billing.ts), and the SDK sizes jobs with it, so a
 * client cannot hide input from the limit or the bill in fields the prompt text leaves out.
 */
export function inputText(req: InferenceRequest): string {
    const parts = [promptText(req)];
    const extras = Object.entries(req.body).filter(([k, v]) => !NOT_INPUT.has(k) && v !== null && typeof v !== 'number' && typeof v !== 'boolean');
    if (extras.length > 0) parts.push(JSON.stringify(Object.fromEntries(extras)));
    if (req.kind === 'chat') {
        for (const m of req.body.messages) {
            const { role: _role, content: _content, ...rest } = m;
            if (Object.keys(rest).length > 0) parts.push(JSON.stringify(rest));
        }
    }
    return parts.join('\n');
}

/** The request rendered as one string: chat as "role: content" lines, completions as the prompt(s). */
export function promptText(req: InferenceRequest): string {
    if (req.kind === 'chat') return req.body.messages.map((m) => `${m.role}: ${contentText(m.content)}`).join('\n');
    return Array.isArray(req.body.prompt) ? req.body.prompt.join('\n') : req.body.prompt;
}
