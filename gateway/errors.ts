/**
 * Gateway failures as OpenAI API errors: `{error: {message, type, param, code}}` with a fitting
 * HTTP status (docs/spec/gateway.md, "Errors"). Every error answer carries `x-should-retry: false`:
 * a job that ended badly has already been paid for, and the openai client would otherwise retry
 * 5xx answers on its own and pay again. The HTTP failures every server shares (413, 408, 415,
 * 403...) come from http/errors.ts; this file adds the SDK's outcomes and OpenAI's shape.
 */
import { DeclineReason } from '../protocol/signed';
import {
    AttestationError, BadReceiptSignatureError, BadResultError, CocoonError, InsufficientBalanceError, JobDeclinedError,
    JobExpiredError, JobRejectedError, NoProviderError, RequestTooLargeError, TimeoutError,
} from '../sdk';
import { HttpError } from '../http/errors';

export const invalidRequest = (message: string, param: string | null = null, code = 'invalid_request') => new HttpError(400, code, message, { param });

/** The SDK's failures as answers; undefined for anything else (a gateway bug: 500 internal_error). */
export function apiErrorOf(e: unknown): HttpError | undefined {
    if (e instanceof JobDeclinedError) {
        const refund = ` (job ${e.jobId}, refund ${e.refund} nanotons)`;
        if (e.reason === DeclineReason.InputTooLong) return new HttpError(400, 'context_length_exceeded', `the enclave declined the job: input too long${refund}`);
        // Any other decline is the provider's fault (the gateway already checked the model is offered).
        return new HttpError(502, 'job_declined', `the enclave declined the job: ${e.reasonName}${refund}`);
    }
    if (e instanceof JobExpiredError) {
        return new HttpError(504, 'job_expired', `the provider did not answer before the deadline; job ${e.jobId} expired, refund ${e.refund} nanotons including ${e.compensation} compensation`);
    }
    if (e instanceof TimeoutError) return new HttpError(504, 'timeout', e.message);
    if (e instanceof NoProviderError) return new HttpError(503, 'no_provider', e.message);
    if (e instanceof InsufficientBalanceError) return new HttpError(402, 'insufficient_quota', `the gateway's wallet cannot pay for this job: ${e.message}`);
    if (e instanceof AttestationError) return new HttpError(502, 'attestation_failed', e.message);
    if (e instanceof BadReceiptSignatureError || e instanceof BadResultError) return new HttpError(502, e.code, e.message);
    if (e instanceof RequestTooLargeError) return new HttpError(413, 'request_too_large', e.message);
    if (e instanceof JobRejectedError) return new HttpError(502, 'job_rejected', e.message);
    if (e instanceof CocoonError) return new HttpError(502, e.code, e.message);
    return undefined;
}

/** OpenAI's error `type` follows from the status: quota (402, 429), the request (other 4xx), or the API (5xx). */
function openAiType(status: number): string {
    if (status === 402 || status === 429) return 'insufficient_quota';
    return status >= 500 ? 'api_error' : 'invalid_request_error';
}

export function errorBody(e: HttpError) {
    return { error: { message: e.message, type: openAiType(e.status), param: e.param, code: e.code } };
}
