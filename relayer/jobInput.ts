/** The runner's job input (enclave/jobInput.ts) built from a JobCreated event and its CreateJob. */
import { Address } from '@ton/core';
import { bytesFromBigint } from '../protocol/signed';
import type { ProviderEvent } from './events';
import type { JobInputJson } from './runnerClient';

type Created = Extract<ProviderEvent, { kind: 'created' }>;

export function jobInputOf(globalId: number, provider: Address, e: Created): JobInputJson {
    return {
        globalId,
        provider: provider.toRawString(),
        jobId: e.jobId.toString(),
        modelId: bytesFromBigint(e.terms.modelId).toString('hex'),
        maxInputTokens: Number(e.terms.maxInputTokens),
        maxOutputTokens: Number(e.terms.maxOutputTokens),
        clientResultKey: bytesFromBigint(e.terms.resultKey).toString('hex'),
        payload: e.payload.toBoc().toString('base64'),
    };
}
