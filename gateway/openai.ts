/**
 * OpenAI wire shapes the gateway produces: the model list, and a whole response replayed as SSE
 * chunks for `stream: true` (chat.completion.chunk / text_completion; tool calls as one delta),
 * ending with `data: [DONE]`.
 */
import type { ModelSummary } from '../sdk';

export function modelObject(m: ModelSummary) {
    return {
        id: m.name,
        object: 'model' as const,
        created: m.activatesAt,
        owned_by: 'cocoon',
        // Not part of OpenAI's schema; clients ignore unknown fields.
        cocoon: {
            model_id: m.modelId.toString(16).padStart(64, '0'),
            providers: m.providers,
            max_context: m.maxContext,
            price_per_million_input_nanoton: m.pricePerMillionIn.toString(),
            price_per_million_output_nanoton: m.pricePerMillionOut.toString(),
        },
    };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Splits text into pieces of a few words, keeping whitespace, so a stream has more than one delta. */
export function pieces(text: string, wordsPerPiece = 4): string[] {
    const words = text.match(/\S+\s*|\s+/g) ?? [];
    const out: string[] = [];
    for (let i = 0; i < words.length; i += wordsPerPiece) out.push(words.slice(i, i + wordsPerPiece).join(''));
    return out;
}

/** Whole tool calls as the one streamed delta that carries them: each with its `index`, as OpenAI streams them. */
export function toolCallDeltas(calls: ReadonlyArray<Json>): Json[] {
    return calls.map((c, index) => ({ index, ...c }));
}

/** The SSE events (`data:` payloads) of a complete response. */
export function streamEvents(kind: 'chat' | 'completion', response: Json, includeUsage: boolean): string[] {
    const base = { id: response.id, created: response.created, model: response.model, system_fingerprint: response.system_fingerprint };
    const events: Json[] = [];
    const choices: Json[] = Array.isArray(response.choices) ? response.choices : [];
    if (kind === 'chat') {
        const object = 'chat.completion.chunk';
        for (const c of choices) {
            const msg = c.message ?? {};
            events.push({ ...base, object, choices: [{ index: c.index ?? 0, delta: { role: msg.role ?? 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
            for (const p of pieces(typeof msg.content === 'string' ? msg.content : '')) {
                events.push({ ...base, object, choices: [{ index: c.index ?? 0, delta: { content: p }, logprobs: null, finish_reason: null }] });
            }
            if (Array.isArray(msg.tool_calls) && msg.tool_calls.length) {
                events.push({ ...base, object, choices: [{ index: c.index ?? 0, delta: { tool_calls: toolCallDeltas(msg.tool_calls) }, logprobs: null, finish_reason: null }] });
            }
            events.push({ ...base, object, choices: [{ index: c.index ?? 0, delta: {}, logprobs: null, finish_reason: c.finish_reason ?? 'stop' }] });
        }
        if (includeUsage) events.push({ ...base, object, choices: [], usage: response.usage });
    } else {
        const object = 'text_completion';
        for (const c of choices) {
            for (const p of pieces(typeof c.text === 'string' ? c.text : '')) {
                events.push({ ...base, object, choices: [{ index: c.index ?? 0, text: p, logprobs: null, finish_reason: null }] });
            }
            events.push({ ...base, object, choices: [{ index: c.index ?? 0, text: '', logprobs: null, finish_reason: c.finish_reason ?? 'stop' }] });
        }
        if (includeUsage) events.push({ ...base, object, choices: [], usage: response.usage });
    }
    return [...events.map((e) => JSON.stringify(e)), '[DONE]'];
}
