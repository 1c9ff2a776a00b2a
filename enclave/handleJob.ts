/**
 * One job, end to end inside the enclave: open → validate → infer → bill → seal → sign.
 *
 * Every way a job can fail ends in a signed decline naming the job (docs/spec/enclave.md, "Decline
 * mapping"), so the relayer always has something the contract accepts and escrow never hangs.
 * Nothing here logs or returns plaintext; the only outputs are ciphertext, counts and signatures.
 */
import { Cell } from '@ton/core';
import { bigintFromBytes, declineCell, DeclineReason, receiptCell } from '../protocol/signed';
import { bytesToTree, treeToBytes } from '../protocol/bytesTree';
import { EnvelopeError, openRequest, sealResult } from '../crypto';
import type { InferenceBackend, InferenceResult } from './backends/backend';
import type { EnclaveKeys } from './keys';
import type { JobInput } from './jobInput';
import type { BackendKind, ModelEntry, ModelTable } from './models';
import { Decline, JobOutcome } from './outcome';
import { InferenceRequest, inputText, parseRequest, RequestFormatError } from './request';
import { countTokens } from './tokens';
import { bill } from './billing';

export interface RunnerContext {
    keys: EnclaveKeys;
    models: ModelTable;
    backends: Partial<Record<BackendKind, InferenceBackend>>;
    jobTimeoutMs: number;
    /** Told about failures that are bugs rather than job outcomes (they still end in a decline). */
    onInternalError?: (error: unknown) => void;
}

function openPayload(ctx: RunnerContext, job: JobInput): InferenceRequest {
    try {
        const envelope = treeToBytes(Cell.fromBoc(Buffer.from(job.payload, 'base64'))[0]);
        return parseRequest(openRequest(ctx.keys.recipient(), job, envelope));
    } catch (e) {
        const why =
            e instanceof RequestFormatError ? 'plaintext is not a valid request'
            : e instanceof EnvelopeError && e.code === 'BadPadding' ? 'payload padding is malformed'
            : 'payload does not open';
        throw new Decline(DeclineReason.PayloadUndecryptable, why);
    }
}

function modelFor(ctx: RunnerContext, job: JobInput, req: InferenceRequest): { entry: ModelEntry; backend: InferenceBackend } {
    const entry = ctx.models.get(job.modelId.toString('hex'));
    if (!entry) throw new Decline(DeclineReason.ModelUnknown, 'job names a model this runner does not serve');
    if (entry.name !== req.body.model) throw new Decline(DeclineReason.ModelUnknown, 'request names another model than the job');
    const backend = ctx.backends[entry.backend];
    if (!backend) throw new Decline(DeclineReason.ModelUnknown, `no ${entry.backend} backend configured`);
    return { entry, backend };
}

/** Enforces the job's input limit and the model's context, and clamps the output limit to what escrow pays for. */
function withinLimits(job: JobInput, entry: ModelEntry, req: InferenceRequest): { req: InferenceRequest; inputTokens: number } {
    // Counted once: the same count caps the bill (enclave/billing.ts), and tokenising 256 KB is not free.
    const inputTokens = countTokens(inputText(req));
    if (inputTokens > job.maxInputTokens) throw new Decline(DeclineReason.InputTooLong, 'input exceeds the job limit');
    const clamped = clampOutput(req, entry, inputTokens, job.maxOutputTokens);
    if (!clamped) throw new Decline(DeclineReason.InputTooLong, 'no room left for output in the context');
    return { req: clamped.req, inputTokens };
}

/**
 * The request with its output limit clamped to `cap` (what is paid for) and to the model's context
 * after `inputTokens`; `cap` is also the limit when the request sets none. Null when not even one
 * output token fits. Shared by jobs and sessions (enclave/sessions.ts).
 */
export function clampOutput(req: InferenceRequest, entry: ModelEntry, inputTokens: number, cap: number): { req: InferenceRequest; maxTokens: number } | null {
    const asked = Math.min(req.body.max_tokens ?? cap, (req.body.max_completion_tokens as number | undefined) ?? cap);
    const maxTokens = Math.min(asked, cap, entry.maxContext - inputTokens);
    if (maxTokens < 1) return null;
    // Engines read either name (vLLM prefers max_completion_tokens): both carry the clamp.
    const limit = req.body.max_completion_tokens === undefined ? { max_tokens: maxTokens } : { max_tokens: maxTokens, max_completion_tokens: maxTokens };
    return { req: { ...req, body: { ...req.body, ...limit } } as InferenceRequest, maxTokens };
}

async function infer(ctx: RunnerContext, backend: InferenceBackend, req: InferenceRequest, signal?: AbortSignal): Promise<InferenceResult> {
    const timeout = AbortSignal.timeout(ctx.jobTimeoutMs);
    try {
        return await backend.run(req, signal ? AbortSignal.any([signal, timeout]) : timeout);
    } catch (e) {
        throw new Decline(DeclineReason.BackendFailure, timeout.aborted ? 'backend timed out' : 'backend failed');
    }
}

function receipt(ctx: RunnerContext, job: JobInput, ownInputTokens: number, result: InferenceResult): JobOutcome {
    const billed = bill(job, ownInputTokens, result);
    let envelope: Buffer;
    try {
        envelope = sealResult(job, Buffer.from(JSON.stringify(billed.response), 'utf8'));
    } catch (e) {
        // An answer past the largest tree the Provider accepts could never settle; declining now
        // releases the escrow instead of letting the job expire.
        if (e instanceof EnvelopeError && e.code === 'TooLarge') throw new Decline(DeclineReason.BackendFailure, 'answer too large for an on-chain result');
        // Otherwise only a malformed (e.g. low-order) client result key gets here: the job is undeliverable.
        throw new Decline(DeclineReason.PayloadUndecryptable, 'client result key is unusable');
    }
    const tree = bytesToTree(envelope);
    const { inputTokens, outputTokens } = billed;
    const cell = receiptCell({ globalId: job.globalId, provider: job.provider, jobId: job.jobId, payloadHash: job.payloadHash, resultHash: bigintFromBytes(tree.hash()), inputTokens, outputTokens });
    return {
        kind: 'receipt',
        jobId: job.jobId.toString(),
        inputTokens,
        outputTokens,
        result: tree.toBoc().toString('base64'),
        signature: ctx.keys.sign(cell).toString('hex'),
    };
}

function decline(ctx: RunnerContext, job: JobInput, reason: DeclineReason): JobOutcome {
    const cell = declineCell({ globalId: job.globalId, provider: job.provider, jobId: job.jobId, payloadHash: job.payloadHash, reason });
    return { kind: 'decline', jobId: job.jobId.toString(), reason, signature: ctx.keys.sign(cell).toString('hex') };
}

export async function handleJob(ctx: RunnerContext, job: JobInput, signal?: AbortSignal): Promise<JobOutcome> {
    try {
        const req = openPayload(ctx, job);
        const { entry, backend } = modelFor(ctx, job, req);
        const limited = withinLimits(job, entry, req);
        return receipt(ctx, job, limited.inputTokens, await infer(ctx, backend, limited.req, signal));
    } catch (e) {
        if (e instanceof Decline) return decline(ctx, job, e.reason);
        // A bug, not a job failure; still decline so the client's escrow is released, never dropped.
        ctx.onInternalError?.(e);
        return decline(ctx, job, DeclineReason.BackendFailure);
    }
}
