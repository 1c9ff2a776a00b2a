/**
 * Retryable vs fatal. A retryable error (network, timeout, 5xx, 429, a busy or garbled runner) is
 * tried again with backoff until the job's grace period or deadline; a fatal one (the chain or the
 * runner refusing the request itself) ends the job's handling at once. Messages carry the stage and
 * a status, never a request or response body: bodies hold ciphertext and signatures.
 */
import { refusalExitCode } from '../sdk/chain';

export type Stage = 'watch' | 'dispatch' | 'deliver' | 'confirm' | 'expire' | 'sync' | 'wallet' | 'feed' | 'settle';

export class RelayerError extends Error {
    constructor(
        readonly stage: Stage,
        readonly retryable: boolean,
        message: string,
        /** The contract's exit code when the endpoint refused an external message (not accepted), else null. */
        readonly exitCode: number | null = null,
    ) {
        super(message);
    }
}

export const retryable = (stage: Stage, message: string) => new RelayerError(stage, true, message);
export const fatal = (stage: Stage, message: string) => new RelayerError(stage, false, message);

// 409: the runner has not (yet) read the job as open on chain; its endpoint may lag the one the
// relayer watches, so the relayer tries again until the job's deadline rather than giving up.
const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'ERR_BAD_RESPONSE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

export function isRetryableStatus(status: number): boolean {
    return RETRYABLE_STATUS.has(status) || status >= 500;
}

interface HttpishError {
    name?: string;
    code?: string;
    message?: string;
    response?: { status?: number; data?: { error?: unknown } };
    cause?: { code?: string };
}

/** An error from TonClient (axios) or fetch, as a RelayerError of `stage`. */
export function classify(stage: Stage, e: unknown): RelayerError {
    if (e instanceof RelayerError) return e;
    const err = (e ?? {}) as HttpishError;
    const status = err.response?.status;
    if (status !== undefined) {
        const reason = typeof err.response?.data?.error === 'string' ? `: ${err.response.data.error.slice(0, 200)}` : '';
        return new RelayerError(stage, isRetryableStatus(status), `HTTP ${status}${reason}`, refusalExitCode(e));
    }
    // A DOMException (an aborted or timed-out fetch, its body included) has a numeric legacy code: its name says more.
    const code = typeof err.code === 'string' ? err.code : err.cause?.code;
    if (err.name === 'TimeoutError' || err.name === 'AbortError' || (code && NETWORK_CODES.has(code))) {
        return retryable(stage, `${code ?? err.name}`);
    }
    // TonClient validates every answer with zod; a malformed answer is a flaky endpoint, not a verdict.
    if (err.name === 'ZodError' || err.name === 'SyntaxError') return retryable(stage, `malformed answer (${err.name})`);
    return retryable(stage, `${err.name ?? 'Error'}: ${(err.message ?? '').slice(0, 200)}`);
}
