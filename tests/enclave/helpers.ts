/** Builders for the runner tests: a runner context, a sealed job as the relayer posts it, and checks on outcomes. */
import { randomBytes } from 'node:crypto';
import { Address, Cell } from '@ton/core';
import { bytesToTree, treeToBytes } from '../../protocol/bytesTree';
import { bigintFromBytes, declineCell, DeclineReason, receiptCell, verifyCell } from '../../protocol/signed';
import { generateX25519KeyPair, openResult, REQUEST_INFO, requestAad, sealRequest } from '../../crypto';
import { sealUnpadded } from '../envelope/helpers';
import type { X25519KeyPair } from '../../crypto';
import { createEnclaveKeys, EnclaveKeys } from '../../enclave/keys';
import { modelIdFor, modelTable, REFERENCE_MODEL, REFERENCE_MODEL_NAME, ModelEntry } from '../../enclave/models';
import { referenceBackend } from '../../enclave/backends/reference';
import type { InferenceBackend } from '../../enclave/backends/backend';
import type { RunnerContext } from '../../enclave/handleJob';
import type { JobInputJson } from '../../enclave/jobInput';
import type { JobOutcome } from '../../enclave/outcome';
import type { JobSource, OpenJob } from '../../enclave/chainJobs';
import { DEV_GLOBAL_ID } from '../../protocol/networks';

export const GLOBAL_ID = DEV_GLOBAL_ID; // dev quotes: a dev network's id (protocol/networks.ts)
export const PROVIDER = new Address(0, Buffer.alloc(32, 0x5a));

export function context(over: Partial<RunnerContext> & { extraModels?: ModelEntry[]; openai?: InferenceBackend } = {}): RunnerContext {
    const backends: RunnerContext['backends'] = { reference: referenceBackend() };
    if (over.openai) backends.openai = over.openai;
    return {
        keys: over.keys ?? createEnclaveKeys(),
        models: over.models ?? modelTable([REFERENCE_MODEL, ...(over.extraModels ?? [])]),
        backends: over.backends ?? backends,
        jobTimeoutMs: over.jobTimeoutMs ?? 5000,
    };
}

export interface SealedJob {
    json: JobInputJson;
    client: X25519KeyPair;
}

export interface JobSpec {
    body?: unknown; // request plaintext as JSON, or raw bytes
    raw?: Uint8Array;
    model?: string; // job's model name (modelId is its hash)
    maxInputTokens?: number;
    maxOutputTokens?: number;
    jobId?: bigint;
    sealTo?: Uint8Array; // enclave key to seal to (default: the runner's)
    unpadded?: boolean; // seal the plaintext without the envelope's padding (authentic, malformed)
}

export function sealedJob(keys: EnclaveKeys, spec: JobSpec = {}): SealedJob {
    const client = generateX25519KeyPair();
    const modelId = modelIdFor(spec.model ?? REFERENCE_MODEL_NAME);
    const binding = {
        globalId: GLOBAL_ID,
        provider: PROVIDER,
        clientResultKey: client.publicKey,
        modelId,
        maxInputTokens: spec.maxInputTokens ?? 1000,
        maxOutputTokens: spec.maxOutputTokens ?? 100,
    };
    const plaintext = spec.raw ?? Buffer.from(JSON.stringify(spec.body ?? { model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'hello secret world' }] }));
    const enclaveX25519 = spec.sealTo ?? keys.x25519Public;
    const envelope = spec.unpadded ? sealUnpadded(enclaveX25519, REQUEST_INFO, requestAad(binding), plaintext) : sealRequest({ ...binding, enclaveX25519 }, plaintext);
    const json: JobInputJson = {
        globalId: GLOBAL_ID,
        provider: PROVIDER.toRawString(),
        jobId: (spec.jobId ?? 7n).toString(),
        modelId: modelId.toString('hex'),
        maxInputTokens: binding.maxInputTokens,
        maxOutputTokens: binding.maxOutputTokens,
        clientResultKey: Buffer.from(client.publicKey).toString('hex'),
        payload: bytesToTree(envelope).toBoc().toString('base64'),
    };
    return { json, client };
}

/** Checks the receipt signature against the cell the contract rebuilds, and returns the decrypted response. */
/** The hash of the payload tree the job carries, which receipts and declines sign (0 when it is not a BOC). */
export function payloadHashOf(job: SealedJob): bigint {
    let tree: Cell;
    try {
        tree = Cell.fromBoc(Buffer.from(job.json.payload, 'base64'))[0];
    } catch {
        return 0n;
    }
    return bigintFromBytes(tree.hash());
}

export function openReceipt(keys: EnclaveKeys, job: SealedJob, outcome: JobOutcome): Record<string, any> {
    if (outcome.kind !== 'receipt') throw new Error(`expected a receipt, got decline ${DeclineReason[outcome.reason]}`);
    const tree = Cell.fromBoc(Buffer.from(outcome.result, 'base64'))[0];
    const cell = receiptCell({
        globalId: GLOBAL_ID,
        provider: PROVIDER,
        jobId: BigInt(job.json.jobId),
        payloadHash: payloadHashOf(job),
        resultHash: bigintFromBytes(tree.hash()),
        inputTokens: outcome.inputTokens,
        outputTokens: outcome.outputTokens,
    });
    expect(verifyCell(cell, Buffer.from(outcome.signature, 'hex'), keys.ed25519Public)).toBe(true);
    const plaintext = openResult(job.client.secretKey, { globalId: GLOBAL_ID, provider: PROVIDER, jobId: BigInt(job.json.jobId) }, treeToBytes(tree));
    return JSON.parse(plaintext.toString('utf8'));
}

export function expectDecline(keys: EnclaveKeys, job: SealedJob, outcome: JobOutcome, reason: DeclineReason): void {
    expect(outcome.kind).toBe('decline');
    if (outcome.kind !== 'decline') return;
    expect(DeclineReason[outcome.reason]).toBe(DeclineReason[reason]);
    const cell = declineCell({ globalId: GLOBAL_ID, provider: PROVIDER, jobId: BigInt(job.json.jobId), payloadHash: payloadHashOf(job), reason });
    expect(verifyCell(cell, Buffer.from(outcome.signature, 'hex'), keys.ed25519Public)).toBe(true);
}

export const randomHex32 = () => randomBytes(32).toString('hex');

/** A Provider's open jobs as the runner reads them on chain (enclave/chainJobs.ts), held in memory. */
export class FakeChain implements JobSource {
    readonly jobs = new Map<bigint, OpenJob>();
    reads = 0;

    async openJob(jobId: bigint): Promise<OpenJob | null> {
        this.reads++;
        return this.jobs.get(jobId) ?? null;
    }

    /** Records `job` as created on chain for `keys`, with its payload and limits, open until `deadline`. */
    open(keys: EnclaveKeys, job: SealedJob, deadline = Math.floor(Date.now() / 1000) + 600): SealedJob {
        this.jobs.set(BigInt(job.json.jobId), {
            payloadHash: payloadHashOf(job),
            enclaveKey: bigintFromBytes(keys.ed25519Public),
            maxInputTokens: job.json.maxInputTokens,
            maxOutputTokens: job.json.maxOutputTokens,
            deadline,
        });
        return job;
    }
}
