/**
 * Posting a job to a provider's enclave runner (POST /v1/jobs) and checking what comes back before
 * anything reaches the chain: the outcome must name the job and carry a valid Ed25519 signature by
 * the enclave key the job was created for. A runner that is down, busy or answers garbage is
 * retryable (it may come back); one that refuses the input (400, 413) is fatal for that job.
 */
import { Address, Cell } from '@ton/core';
import { bigintFromBytes, bytesFromBigint, declineCell, receiptCell, verifyCell } from '../protocol/signed';
import { readCappedText, ResponseTooLarge } from '../http/response';
import { classify, fatal, isRetryableStatus, retryable, Stage } from './errors';

export interface JobInputJson {
    globalId: number;
    provider: string;
    jobId: string;
    modelId: string;
    maxInputTokens: number;
    maxOutputTokens: number;
    clientResultKey: string;
    payload: string;
}

export type Outcome =
    | { kind: 'receipt'; jobId: string; inputTokens: number; outputTokens: number; result: string; signature: string }
    | { kind: 'decline'; jobId: string; reason: number; signature: string };

export async function postJob(runnerUrl: string, input: JobInputJson, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    return runnerJson('dispatch', 'runner', `${runnerUrl}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
    }, { timeoutMs, maxBytes: MAX_RUNNER_REPLY_BYTES, signal });
}

/**
 * One JSON exchange with a runner (a job, the voucher feed): within `timeoutMs` (the body included),
 * redirects refused (the URL may be the one a Provider publishes on chain: a redirect would let it
 * aim the request, and whatever it carries, anywhere), the answer read up to `maxBytes`. A status
 * other than 200 is retryable or fatal as errors.ts says; a too large or garbled answer is retryable.
 */
export async function runnerJson(
    stage: Stage,
    what: string,
    url: string,
    init: RequestInit,
    o: { timeoutMs: number; maxBytes: number; signal?: AbortSignal; statusHint?: (status: number) => string },
): Promise<unknown> {
    let res: Response;
    try {
        const timeout = AbortSignal.timeout(o.timeoutMs);
        res = await fetch(url, { ...init, redirect: 'error', signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout });
    } catch (e) {
        throw classify(stage, e);
    }
    if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        const message = `${what} answered HTTP ${res.status}${o.statusHint?.(res.status) ?? ''}`;
        throw isRetryableStatus(res.status) ? retryable(stage, message) : fatal(stage, message);
    }
    try {
        return JSON.parse(await readCappedText(res, o.maxBytes));
    } catch (e) {
        if (e instanceof ResponseTooLarge) throw retryable(stage, `${what} ${e.message}`);
        if (e instanceof SyntaxError) throw retryable(stage, `${what} answered something that is not JSON`);
        throw classify(stage, e);
    }
}

/**
 * The largest runner answer read: a receipt carries at most a 64 KB result (base64 in JSON); the
 * review sent three 400 MB replies and the relayer held them all in memory (RSS 176 → 1,805 MB).
 */
export const MAX_RUNNER_REPLY_BYTES = 1024 * 1024;

const isUint32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;

/** The runner's answer as an Outcome we can deliver, or a retryable error saying why not. */
export function checkOutcome(body: unknown, input: JobInputJson, enclaveKey: string): Outcome {
    const o = (body ?? {}) as Record<string, unknown>;
    const bad = (why: string) => retryable('dispatch', `runner outcome rejected: ${why}`);
    if (o.jobId !== input.jobId) throw bad('names another job');
    if (typeof o.signature !== 'string' || !/^[0-9a-f]{128}$/i.test(o.signature)) throw bad('signature is not 64 bytes of hex');
    const provider = Address.parseRaw(input.provider);
    const jobId = BigInt(input.jobId);
    // The payload came from the chain (relayer/jobInput.ts): the answer must be for exactly it.
    const payloadHash = bigintFromBytes(Cell.fromBoc(Buffer.from(input.payload, 'base64'))[0].hash());
    let signed: Cell;
    let outcome: Outcome;
    if (o.kind === 'receipt') {
        if (!isUint32(o.inputTokens) || !isUint32(o.outputTokens) || typeof o.result !== 'string') throw bad('malformed receipt');
        if (o.inputTokens > input.maxInputTokens || o.outputTokens > input.maxOutputTokens) throw bad('token counts above the job limits');
        let result: Cell;
        try {
            result = Cell.fromBoc(Buffer.from(o.result, 'base64'))[0];
        } catch {
            throw bad('result is not a BOC');
        }
        signed = receiptCell({ globalId: input.globalId, provider, jobId, payloadHash, resultHash: bigintFromBytes(result.hash()), inputTokens: o.inputTokens, outputTokens: o.outputTokens });
        outcome = { kind: 'receipt', jobId: input.jobId, inputTokens: o.inputTokens, outputTokens: o.outputTokens, result: o.result, signature: o.signature };
    } else if (o.kind === 'decline') {
        if (!Number.isInteger(o.reason) || (o.reason as number) < 1 || (o.reason as number) > 255) throw bad('malformed decline');
        signed = declineCell({ globalId: input.globalId, provider, jobId, payloadHash, reason: o.reason as number });
        outcome = { kind: 'decline', jobId: input.jobId, reason: o.reason as number, signature: o.signature };
    } else {
        throw bad('neither a receipt nor a decline');
    }
    const key = bytesFromBigint(BigInt('0x' + enclaveKey));
    if (!verifyCell(signed, Buffer.from(o.signature, 'hex'), key)) throw bad('signature does not verify against the job\'s enclave key');
    return outcome;
}
