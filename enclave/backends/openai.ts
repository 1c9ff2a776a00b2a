/**
 * Any OpenAI-compatible upstream (vLLM, llama.cpp server, OpenAI itself) over plain fetch.
 *
 * Streaming is supported because some upstreams only report usage on streams or behave better
 * with them; per-job mode still needs one whole response to encrypt, so chunks are assembled into
 * the equivalent non-streaming object, and session mode also passes each piece of text on as it
 * arrives (`onDelta`). Without upstream streaming, session mode gets the whole answer as one piece. Token counts are the upstream's own `usage` (requested with
 * stream_options.include_usage when streaming); the runner bills at most its own count of them
 * (enclave/billing.ts). The base URL is a loopback engine inside the same VM (checked at start).
 */
import type { InferenceRequest } from '../request';
import { BackendError, InferenceBackend, InferenceResult } from './backend';
import { assembleStream } from './sseAssemble';

export interface OpenAiBackendOptions {
    baseUrl: string; // e.g. http://127.0.0.1:8000/v1
    apiKey?: string;
    stream?: boolean;
}

function usageOf(response: Record<string, unknown>): { inputTokens: number; outputTokens: number } {
    const usage = response.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
    const input = usage?.prompt_tokens;
    const output = usage?.completion_tokens;
    if (!Number.isInteger(input) || !Number.isInteger(output) || (input as number) < 0 || (output as number) < 0) throw new BackendError('upstream reply has no valid token usage');
    return { inputTokens: input as number, outputTokens: output as number };
}

/** The text of choice 0 (the only one: requests for several are refused), as a chat message or a completion. */
function firstChoiceText(response: Record<string, unknown>): string {
    const choice = (Array.isArray(response.choices) ? response.choices[0] : undefined) as { message?: { content?: unknown }; text?: unknown } | undefined;
    const text = choice?.message?.content ?? choice?.text;
    return typeof text === 'string' ? text : '';
}

export function openAiBackend(options: OpenAiBackendOptions): InferenceBackend {
    const base = options.baseUrl.replace(/\/+$/, '');
    return {
        kind: 'openai',
        async run(req: InferenceRequest, signal: AbortSignal, onDelta?: (text: string) => void): Promise<InferenceResult> {
            const path = req.kind === 'chat' ? '/chat/completions' : '/completions';
            const body = options.stream ? { ...req.body, stream: true, stream_options: { include_usage: true } } : { ...req.body, stream: false };
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
            let res: Response;
            try {
                // redirect 'error': a 307/308 from the engine would make fetch re-send the decrypted
                // request to whatever host the redirect names, outside the attested VM.
                res = await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body), signal, redirect: 'error' });
            } catch (e) {
                throw new BackendError(`upstream unreachable: ${(e as Error).name}`);
            }
            if (!res.ok) throw new BackendError(`upstream answered HTTP ${res.status}`);
            const response = options.stream ? await assembleStream(req.kind, res, onDelta) : ((await res.json()) as Record<string, unknown>);
            const result = { response, ...usageOf(response) };
            if (onDelta && !options.stream) {
                const text = firstChoiceText(response);
                if (text) onDelta(text);
            }
            return result;
        },
    };
}
