/**
 * What a receipt bills: never more than the runner's own count. The engine's `usage` is a claim by
 * software the client did not choose; the runner, which is attested, counts the prompt text and the
 * answer text itself with the attested tokenizer (attestation/runtimeConfig.ts, `tokenizer`) and
 * bills the smaller of the two, so an engine that inflates `usage` cannot make a client pay for
 * tokens it did not receive. An engine that under-counts only costs its own provider.
 *
 * The own count covers what the runner can see as text: message contents with their role prefixes
 * and every other input field as JSON (enclave/request.ts, inputText), and every choice's answer
 * text. Tokens an engine adds by itself (its chat template) are not billed.
 */
import type { InferenceResult } from './backends/backend';
import type { JobInput } from './jobInput';
import { countTokens } from './tokens';

export interface Billed {
    inputTokens: number;
    outputTokens: number;
    /** The engine's response with `usage` rewritten to the billed counts, so the client sees what it pays for. */
    response: Record<string, unknown>;
}

/**
 * `ownInputTokens`: the runner's count of the request's input (countTokens(inputText(req))), made once
 * when the limit was checked. `answer`: the text the client receives, by default every choice's text
 * in the response; in session mode the text streamed to the client (enclave/sessions.ts).
 */
export function bill(limits: Pick<JobInput, 'maxOutputTokens'>, ownInputTokens: number, result: InferenceResult, answer = answerText(result.response)): Billed {
    const inputTokens = Math.min(result.inputTokens, ownInputTokens);
    const outputTokens = Math.min(result.outputTokens, countTokens(answer), limits.maxOutputTokens);
    const usage = { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
    return { inputTokens, outputTokens, response: { ...result.response, usage } };
}

/** Every choice's generated text, however the engine shaped it (chat message, completion text, content parts). */
function answerText(response: Record<string, unknown>): string {
    const choices = Array.isArray(response.choices) ? response.choices : [];
    return choices
        .map((c) => {
            const choice = (c ?? {}) as { message?: { content?: unknown; tool_calls?: unknown }; text?: unknown };
            const parts = [choice.text, choice.message?.content, choice.message?.tool_calls].filter((p) => p !== undefined && p !== null);
            return parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('\n');
        })
        .join('\n');
}
