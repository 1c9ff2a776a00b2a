/**
 * "cocoon-reference": a tiny deterministic engine for tests and the offline demo, not a model.
 *
 * It answers with the request's last prompt text, words in reverse order, cut to `max_tokens`
 * cl100k tokens. Same request → same bytes (ids derive from the request hash, `created` is 0), so
 * tests and the demo can assert exact outputs, while token counts come from a real tokenizer.
 * Streamed (session mode), the answer comes word by word, each word with the space before it.
 */
import { createHash } from 'node:crypto';
import { countTokens, truncateTokens } from '../tokens';
import { InferenceRequest, promptText } from '../request';
import type { InferenceBackend, InferenceResult } from './backend';

export const REFERENCE_ENGINE = 'cocoon-reference';

function lastPrompt(req: InferenceRequest): string {
    if (req.kind === 'completion') return Array.isArray(req.body.prompt) ? req.body.prompt.join('\n') : req.body.prompt;
    const users = req.body.messages.filter((m) => m.role === 'user');
    const last = users[users.length - 1] ?? req.body.messages[req.body.messages.length - 1];
    return last ? promptText({ kind: 'chat', body: { ...req.body, messages: [last] } }).replace(/^[^:]*: /, '') : '';
}

function reply(req: InferenceRequest): string {
    return lastPrompt(req).split(/\s+/).filter(Boolean).reverse().join(' ');
}

function responseId(req: InferenceRequest): string {
    return createHash('sha256').update(JSON.stringify(req.body)).digest('hex').slice(0, 24);
}

export function referenceBackend(): InferenceBackend {
    return {
        kind: 'reference',
        async run(req: InferenceRequest, signal: AbortSignal, onDelta?: (text: string) => void): Promise<InferenceResult> {
            signal.throwIfAborted();
            const inputTokens = countTokens(promptText(req));
            const { text, tokens } = truncateTokens(reply(req), req.body.max_tokens ?? Number.MAX_SAFE_INTEGER);
            const finish = tokens < countTokens(reply(req)) ? 'length' : 'stop';
            if (onDelta) for (const word of text.split(/(?= )/)) if (word) onDelta(word);
            const usage = { prompt_tokens: inputTokens, completion_tokens: tokens, total_tokens: inputTokens + tokens };
            const base = { id: `${REFERENCE_ENGINE}-${responseId(req)}`, created: 0, model: req.body.model, system_fingerprint: REFERENCE_ENGINE, usage };
            const response =
                req.kind === 'chat'
                    ? { ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish }] }
                    : { ...base, object: 'text_completion', choices: [{ index: 0, text, finish_reason: finish, logprobs: null }] };
            return { response, inputTokens, outputTokens: tokens };
        },
    };
}
