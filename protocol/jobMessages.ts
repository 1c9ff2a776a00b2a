/**
 * The enclave's two answers to a job, as the Provider's SubmitResult / SubmitDecline messages:
 * the receipt or decline cell of protocol/signed.ts, signed with the enclave's Ed25519 key.
 * Delivered by anyone, usually as an external message (`provider.sendExternal(...)`).
 */
import { Address, Cell } from '@ton/core';
import type { SubmitDecline, SubmitResult } from '../wrappers/Provider';
import { bigintFromBytes, declineCell, DeclineReason, receiptCell, signCell } from './signed';

/** The request an answer is for: the job and the hash of the payload it was created with. */
export interface JobTarget {
    globalId: number;
    provider: Address;
    jobId: bigint;
    payloadHash: bigint;
}

/** A result delivery: `result` is the byte tree of the encrypted result, whose hash is signed. */
export function submitResult(
    target: JobTarget,
    enclaveSecretKey: Uint8Array,
    answer: { result: Cell; inputTokens: number; outputTokens: number },
): SubmitResult {
    const cell = receiptCell({ ...target, resultHash: bigintFromBytes(answer.result.hash()), inputTokens: answer.inputTokens, outputTokens: answer.outputTokens });
    return {
        $$type: 'SubmitResult',
        jobId: target.jobId,
        inputTokens: BigInt(answer.inputTokens),
        outputTokens: BigInt(answer.outputTokens),
        signature: signCell(cell, enclaveSecretKey),
        result: answer.result,
    };
}

export function submitDecline(target: JobTarget, enclaveSecretKey: Uint8Array, reason: DeclineReason): SubmitDecline {
    const cell = declineCell({ ...target, reason });
    return { $$type: 'SubmitDecline', jobId: target.jobId, reason: BigInt(reason), signature: signCell(cell, enclaveSecretKey) };
}
