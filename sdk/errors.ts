/**
 * Typed errors of the Cocoon SDK. Every error carries a stable `code` so callers (the gateway, the
 * CLI, scripts) can branch without parsing messages, and `retryable` says whether sending the same
 * request again could succeed without changing anything (docs/spec/sdk.md, "Errors").
 */
import { DeclineReason } from '../protocol/signed';

export type CocoonErrorCode =
    | 'job_declined'
    | 'job_expired'
    | 'bad_receipt_signature'
    | 'timeout'
    | 'insufficient_balance'
    | 'attestation_failed'
    | 'no_provider'
    | 'job_rejected'
    | 'bad_result'
    | 'request_too_large'
    | 'chain_disagreement'
    | 'session_rejected'
    | 'session_gone'
    | 'session_refused'
    | 'bad_voucher'
    | 'runner_unreachable';

export abstract class CocoonError extends Error {
    abstract readonly code: CocoonErrorCode;
    /** True when the same call may succeed later (another provider, a funded wallet, a retry). */
    abstract readonly retryable: boolean;
    constructor(message: string) {
        super(message);
        this.name = new.target.name;
    }
}

/** The enclave signed a decline; the escrow less the creation gas came back as `refund`. */
export class JobDeclinedError extends CocoonError {
    readonly code = 'job_declined';
    readonly retryable: boolean;
    constructor(readonly jobId: bigint, readonly reason: DeclineReason, readonly refund: bigint, readonly escrow?: bigint) {
        super(`job ${jobId} declined by the enclave: ${DeclineReason[reason] ?? `reason ${reason}`}`);
        // A backend failure may pass on retry; a request the enclave cannot serve will not.
        this.retryable = reason === DeclineReason.BackendFailure;
    }
    get reasonName(): string {
        return DeclineReason[this.reason] ?? `reason ${this.reason}`;
    }
}

/** Nobody answered before the deadline: the escrow came back with `compensation` slashed from the provider. */
export class JobExpiredError extends CocoonError {
    readonly code = 'job_expired';
    readonly retryable = true;
    constructor(readonly jobId: bigint, readonly refund: bigint, readonly compensation: bigint, readonly slashed: bigint, readonly escrow?: bigint) {
        super(`job ${jobId} expired: refund ${refund} nanotons including ${compensation} nanotons compensation`);
    }
}

/** The settling transaction's receipt does not verify against the attested enclave key. */
export class BadReceiptSignatureError extends CocoonError {
    readonly code = 'bad_receipt_signature';
    readonly retryable = false;
    constructor(readonly jobId: bigint, detail = 'receipt signature does not verify against the attested enclave key') {
        super(`job ${jobId}: ${detail}`);
    }
}

/** The SDK stopped waiting; the job may still end on chain (see `jobId`, when known). */
export class TimeoutError extends CocoonError {
    readonly code = 'timeout';
    readonly retryable = true;
    constructor(readonly what: string, readonly jobId?: bigint) {
        super(`timed out waiting for ${what}${jobId === undefined ? '' : ` (job ${jobId})`}`);
    }
}

/** The wallet cannot pay the escrow plus fees; nothing was sent. */
export class InsufficientBalanceError extends CocoonError {
    readonly code = 'insufficient_balance';
    readonly retryable = false;
    constructor(readonly needed: bigint, readonly available: bigint) {
        super(`wallet balance too low: needs ${needed} nanotons, has ${available} available`);
    }
}

export type AttestationFailure =
    | 'unknown_key'
    | 'revoked'
    | 'expired'
    | 'image_not_allowed'
    | 'no_bundle'
    | 'bad_quote'
    | 'report_data_mismatch'
    | 'key_mismatch'
    | 'image_mismatch'
    | 'bad_runtime'
    | 'dev_root_on_public_network'
    | 'unknown_provider'
    | 'verifier_not_allowed'
    | 'no_collateral';

/** The enclave key is not attested for an allow-listed image, or its quote does not check out. Nothing was sent. */
export class AttestationError extends CocoonError {
    readonly code = 'attestation_failed';
    readonly retryable = false;
    constructor(readonly failure: AttestationFailure, detail: string) {
        super(`attestation refused (${failure}): ${detail}`);
    }
}

/** No provider offers the model within the constraints; `rejected` says why each candidate was left out. */
export class NoProviderError extends CocoonError {
    readonly code = 'no_provider';
    readonly retryable = true;
    constructor(readonly model: string, readonly rejected: { provider: string; reason: string }[] = []) {
        super(`no provider serves ${model}${rejected.length ? `: ${rejected.map((r) => `${r.provider} ${r.reason}`).join('; ')}` : ''}`);
    }
}

/** The Provider refused CreateJob (its exit code names why); the value bounced back to the wallet. */
export class JobRejectedError extends CocoonError {
    readonly code = 'job_rejected';
    readonly retryable = false;
    constructor(readonly exitCode: number, readonly exitName: string) {
        super(`CreateJob refused by the Provider: ${exitName} (exit code ${exitCode})`);
    }
}

/** The result does not open with the job's key or is not an OpenAI response. */
export class BadResultError extends CocoonError {
    readonly code = 'bad_result';
    readonly retryable = false;
    constructor(readonly jobId: bigint, detail: string) {
        super(`job ${jobId}: ${detail}`);
    }
}

/** The request does not fit the largest envelope a job can carry on chain; nothing was sent. */
export class RequestTooLargeError extends CocoonError {
    readonly code = 'request_too_large';
    readonly retryable = false;
    constructor(readonly bytes: number, readonly maxBytes: number) {
        super(`request of ${bytes} bytes does not fit a job (at most ${maxBytes} bytes once padded and sealed)`);
    }
}

/**
 * Two chain endpoints answered a read that decides trust (allow-list, enclave record, verifier,
 * time) differently; nothing was sent. One of them lags or lies: retrying helps with the first;
 * a lasting disagreement means an endpoint to drop (docs/spec/sdk.md, "Several chain endpoints").
 */
export class ChainDisagreementError extends CocoonError {
    readonly code = 'chain_disagreement';
    readonly retryable = true;
    constructor(readonly what: string, readonly answers: { endpoint: string; answer: string }[]) {
        super(`chain endpoints disagree on ${what}: ${answers.map((a) => `${a.endpoint} says ${a.answer}`).join('; ')}; nothing was sent`);
    }
}

/** The Provider refused a session message (OpenSession, TopUpSession, CloseSession, CloseWithVoucher, FinishSession); its value bounced back. */
export class SessionRejectedError extends CocoonError {
    readonly code = 'session_rejected';
    readonly retryable = false;
    constructor(readonly operation: string, readonly exitCode: number, readonly exitName: string) {
        super(`${operation} refused by the Provider: ${exitName} (exit code ${exitCode})`);
    }
}

/**
 * The runner no longer serves this session: it restarted (new keys: the session is bound to the old
 * one), or the session is closed, expired or unknown there. Vouchers already received still settle
 * on chain; `reopen()` (or `autoReopen`) opens a new session.
 */
export class SessionGoneError extends CocoonError {
    readonly code = 'session_gone';
    readonly retryable = false;
    constructor(readonly sessionId: bigint, readonly reason: string, detail: string) {
        super(`session ${sessionId} is gone at its runner (${reason}): ${detail}`);
    }
}

/**
 * The runner refused a request, or cut its answer short: `reason` is the runner's code (OverDeposit,
 * WrongModel, BadRequest, NoRoom, Busy, EngineFailed, EngineTimeout, SessionClosed...). `voucher` is
 * set when text was streamed before the cut (it was billed); `text` is what arrived.
 */
export class SessionRequestError extends CocoonError {
    readonly code = 'session_refused';
    readonly retryable: boolean;
    constructor(readonly sessionId: bigint, readonly reason: string, detail: string, readonly text = '', readonly voucher?: unknown) {
        super(`session ${sessionId}: the runner refused the request (${reason}): ${detail}`);
        this.retryable = ['Busy', 'EngineFailed', 'EngineTimeout', 'ChainUnavailable'].includes(reason);
    }
}

/** A voucher from the runner does not verify (signature, price, sequence, counts, deposit): the session is no longer used. */
export class BadVoucherError extends CocoonError {
    readonly code = 'bad_voucher';
    readonly retryable = false;
    constructor(readonly sessionId: bigint, detail: string) {
        super(`session ${sessionId}: refused a voucher from the runner: ${detail}`);
    }
}

/** The runner could not be reached, or the answer's stream broke off; `text` is what arrived before. */
export class RunnerUnreachableError extends CocoonError {
    readonly code = 'runner_unreachable';
    readonly retryable = true;
    constructor(readonly url: string, detail: string, readonly text = '') {
        super(`runner ${url}: ${detail}`);
    }
}
