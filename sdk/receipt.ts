/**
 * Checking what the settling transaction carried, without trusting the RPC endpoint that served it:
 * the receipt signature against the attested enclave key, the event against the SubmitResult, then
 * opening the result with the job's fresh key.
 */
import type { Address, Cell } from '@ton/core';
import { openResult } from '../crypto';
import { treeToBytes } from '../protocol/bytesTree';
import { bigintFromBytes, bytesFromBigint, receiptCell, verifyCell } from '../protocol/signed';
import { BadReceiptSignatureError, BadResultError } from './errors';

export interface SettledJob {
    globalId: number;
    provider: Address;
    jobId: bigint;
    enclaveKey: bigint;
    /** Hash of the payload this client sent: the receipt must be for exactly this request. */
    payloadHash: bigint;
    result: Cell;
    signature: Buffer;
    inputTokens: number;
    outputTokens: number;
    /** Result hash the JobSettled event names. */
    eventResultHash: bigint;
    eventInputTokens: number;
    eventOutputTokens: number;
}

export function verifyReceipt(s: SettledJob): void {
    const resultHash = bigintFromBytes(s.result.hash());
    if (resultHash !== s.eventResultHash || s.inputTokens !== s.eventInputTokens || s.outputTokens !== s.eventOutputTokens) {
        throw new BadReceiptSignatureError(s.jobId, 'the JobSettled event does not match the SubmitResult that settled the job');
    }
    const cell = receiptCell({ globalId: s.globalId, provider: s.provider, jobId: s.jobId, payloadHash: s.payloadHash, resultHash, inputTokens: s.inputTokens, outputTokens: s.outputTokens });
    let ok = false;
    try {
        ok = s.signature.length === 64 && verifyCell(cell, s.signature, bytesFromBigint(s.enclaveKey));
    } catch {
        ok = false;
    }
    if (!ok) throw new BadReceiptSignatureError(s.jobId);
}

/** Opens the result envelope and parses the OpenAI response JSON. */
export function openJobResult(s: Pick<SettledJob, 'globalId' | 'provider' | 'jobId' | 'result'>, resultSecret: Uint8Array): Record<string, unknown> {
    let plaintext: Buffer;
    try {
        plaintext = openResult(resultSecret, { globalId: s.globalId, provider: s.provider, jobId: s.jobId }, treeToBytes(s.result));
    } catch (e) {
        throw new BadResultError(s.jobId, `result does not open: ${(e as Error).message}`);
    }
    try {
        const json = JSON.parse(plaintext.toString('utf8'));
        if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not an object');
        return json as Record<string, unknown>;
    } catch {
        throw new BadResultError(s.jobId, 'result is not an OpenAI response object');
    }
}
