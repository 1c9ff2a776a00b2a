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
    if (Array.isArray(body.messages) && body.messages.every((m) => isObject(m) && typeof m.role === 'string')) {
        return { kind: 'chat', body: body as never };
    }
    const prompt = body.prompt;
    if (typeof prompt === 'string' || (Array.isArray(prompt) && prompt.every((p) => typeof p === 'string'))) {
        return { kind: 'completion', body: body as never };
    }
    throw new RequestFormatError('request has neither "messages" nor "prompt"');
}

function contentText(content: ChatMessage['content']): string {
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
    return '';
}

/** The request rendered as one string: chat as "role: content" lines, completions as the prompt(s). */
export function promptText(req: InferenceRequest): string {
    if (req.kind === 'chat') return req.body.messages.map((m) => `${m.role}: ${contentText(m.content)}`).join('\n');
    return Array.isArray(req.body.prompt) ? req.body.prompt.join('\n') : req.body.prompt;
}
