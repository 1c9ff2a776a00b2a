/**
 * Assembles a runner from its configuration: fresh keys, the quote over them, the model table and
 * backends. Kept apart from main.ts so tests build the exact same runner without a process.
 */
import { attest } from './attestation';
import { openAiBackend } from './backends/openai';
import { referenceBackend } from './backends/reference';
import type { RunnerConfig } from './config';
import type { RunnerContext } from './handleJob';
import { createEnclaveKeys } from './keys';
import { modelTable, REFERENCE_MODEL } from './models';
import { devQuoteProvider } from './quote/dev';
import { tdxQuoteProvider } from './quote/tdx';
import type { AttestationDocument } from './attestation';

export interface Runner {
    ctx: RunnerContext;
    attestation: AttestationDocument;
}

/** The runner itself; where it reads jobs on chain is the server's concern (chainJobs.ts). */
export async function createRunner(config: Omit<RunnerConfig, 'chainEndpoint' | 'chainApiKey'>): Promise<Runner> {
    const keys = createEnclaveKeys();
    const quotes = config.quote === 'tdx' ? tdxQuoteProvider({ root: config.tsmRoot }) : devQuoteProvider();
    const attestation = await attest(keys, quotes, config.globalId, config.provider);
    const entries = [REFERENCE_MODEL];
    const backends: RunnerContext['backends'] = { reference: referenceBackend() };
    if (config.backend === 'openai' && config.upstream && config.model) {
        entries.push({ name: config.model, backend: 'openai', maxContext: config.maxContext });
        backends.openai = openAiBackend({ baseUrl: config.upstream, apiKey: config.upstreamApiKey, stream: config.upstreamStream });
    }
    return { ctx: { keys, models: modelTable(entries), backends, jobTimeoutMs: config.jobTimeoutMs }, attestation };
}
