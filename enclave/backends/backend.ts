/**
 * One interface for every inference engine the runner can drive.
 *
 * A backend receives the validated request with `max_tokens` already clamped to the job, and
 * returns the OpenAI response object plus the token counts that will be signed in the receipt.
 * It must honour `signal` (the per-job timeout) and throw on any upstream failure; the runner turns
 * every throw into a signed BackendFailure decline (per-job mode) or an error chunk (session mode).
 *
 * `onDelta`, when given (session mode), is called with each piece of answer text as the engine
 * produces it, in order; the pieces joined are the answer the client receives and is billed for.
 */
import type { InferenceRequest } from '../request';

export interface InferenceResult {
    response: Record<string, unknown>; // OpenAI response object, including `usage`
    inputTokens: number;
    outputTokens: number;
}

export interface InferenceBackend {
    readonly kind: 'reference' | 'openai';
    run(request: InferenceRequest, signal: AbortSignal, onDelta?: (text: string) => void): Promise<InferenceResult>;
}

export class BackendError extends Error {}
