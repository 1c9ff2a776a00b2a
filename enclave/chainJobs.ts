/**
 * What the runner reads on chain before it signs anything: the job as its Provider holds it.
 *
 * The runner answers only a job that is open on chain, was created for this runner's key, with
 * exactly the payload it is handed and the token limits it is told. Without this, anyone who can
 * reach the runner (every relayer must) obtained signed answers for jobs that did not exist yet, for
 * payloads other than the job's, or for an old public payload replayed under a new job id.
 *
 * The chain endpoint is the provider's own choice (a toncenter v2 URL). A lying endpoint can make
 * the runner refuse real jobs (they expire: its own provider is slashed) or answer a job that is not
 * open (an answer that ends nothing on chain). It cannot make the runner sign two outcomes for one
 * request (oneOutcome.ts), so it cannot produce equivocation evidence: it can only hurt its own
 * provider. docs/spec/enclave.md, "Chain check".
 */
import { Address } from '@ton/core';
import type { TonClient } from '@ton/ton';
import { Provider } from '../wrappers/Provider';
import { open } from '../protocol/tonClient';

export interface OpenJob {
    payloadHash: bigint;
    enclaveKey: bigint;
    maxInputTokens: number;
    maxOutputTokens: number;
    deadline: number; // unix seconds
}

export interface JobSource {
    /** The job as the Provider holds it, or null when it is not open (never created, or already final). */
    openJob(jobId: bigint): Promise<OpenJob | null>;
}

/** Reads jobs through the Provider's `job(jobId)` getter on a toncenter v2 endpoint. */
export function chainJobSource(client: TonClient, provider: Address): JobSource {
    const contract = open(client, Provider.fromAddress(provider));
    return {
        async openJob(jobId) {
            const job = await contract.getJob(jobId);
            if (!job) return null;
            return {
                payloadHash: job.payloadHash,
                enclaveKey: job.enclaveKey,
                maxInputTokens: Number(job.maxInputTokens),
                maxOutputTokens: Number(job.maxOutputTokens),
                deadline: Number(job.deadline),
            };
        },
    };
}

/** Why a request does not match the job on chain, or null when it does. */
export function mismatch(onChain: OpenJob | null, request: { payloadHash: bigint; maxInputTokens: number; maxOutputTokens: number }, enclaveKey: bigint): string | null {
    if (!onChain) return 'no open job with this id on chain';
    if (onChain.enclaveKey !== enclaveKey) return 'the job was created for another enclave key';
    if (onChain.payloadHash !== request.payloadHash) return 'the payload is not the one the job was created with';
    if (onChain.maxInputTokens !== request.maxInputTokens || onChain.maxOutputTokens !== request.maxOutputTokens) return 'the token limits are not the job\'s';
    return null;
}
