/**
 * Gateway failures as OpenAI API errors: `{error: {message, type, param, code}}` with a fitting
 * HTTP status (docs/spec/gateway.md, "Errors"). Every error answer carries `x-should-retry: false`:
 * a job that ended badly has already been paid for, and the openai client would otherwise retry
 * 5xx answers on its own and pay again.
 */
import { DeclineReason } from '../protocol/signed';
import {
    AttestationError, BadReceiptSignatureError, BadResultError, CocoonError, InsufficientBalanceError, JobDeclinedError,
    JobExpiredError, JobRejectedError, NoProviderError, RequestTooLargeError, TimeoutError,
} from '../sdk';

export interface ApiError {
    status: number;
    type: string;
    code: string;
    message: string;
    param?: string | null;
}

export class HttpError extends Error {
    constructor(readonly status: number, readonly type: string, readonly code: string, message: string, readonly param: string | null = null) {
        super(message);
    }
}

export const invalidRequest = (message: string, param: string | null = null, code = 'invalid_request') => new HttpError(400, 'invalid_request_error', code, message, param);

export function apiErrorOf(e: unknown): ApiError {
    if (e instanceof HttpError) return { status: e.status, type: e.type, code: e.code, message: e.message, param: e.param };
    if (e instanceof JobDeclinedError) {
        const refund = ` (job ${e.jobId}, refund ${e.refund} nanotons)`;
        if (e.reason === DeclineReason.InputTooLong) return { status: 400, type: 'invalid_request_error', code: 'context_length_exceeded', message: `the enclave declined the job: input too long${refund}` };
        // Any other decline is the provider's fault (the gateway already checked the model is offered).
        return { status: 502, type: 'api_error', code: 'job_declined', message: `the enclave declined the job: ${e.reasonName}${refund}` };
    }
    if (e instanceof JobExpiredError) {
        return { status: 504, type: 'api_error', code: 'job_expired', message: `the provider did not answer before the deadline; job ${e.jobId} expired, refund ${e.refund} nanotons including ${e.compensation} compensation` };
    }
    if (e instanceof TimeoutError) return { status: 504, type: 'api_error', code: 'timeout', message: e.message };
    if (e instanceof NoProviderError) return { status: 503, type: 'api_error', code: 'no_provider', message: e.message };
    if (e instanceof InsufficientBalanceError) return { status: 402, type: 'insufficient_quota', code: 'insufficient_quota', message: `the gateway's wallet cannot pay for this job: ${e.message}` };
    if (e instanceof AttestationError) return { status: 502, type: 'api_error', code: 'attestation_failed', message: e.message };
    if (e instanceof BadReceiptSignatureError || e instanceof BadResultError) return { status: 502, type: 'api_error', code: e.code, message: e.message };
    if (e instanceof RequestTooLargeError) return { status: 413, type: 'invalid_request_error', code: 'request_too_large', message: e.message };
    if (e instanceof JobRejectedError) return { status: 502, type: 'api_error', code: 'job_rejected', message: e.message };
    if (e instanceof CocoonError) return { status: 502, type: 'api_error', code: e.code, message: e.message };
    return { status: 500, type: 'api_error', code: 'internal_error', message: 'internal gateway error' };
}

export function errorBody(e: ApiError) {
    return { error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code } };
}
