/**
 * Assembles a runner from its configuration: the runtime configuration it attests, fresh keys, the
 * quote over them, and the model table and backends built from that same runtime configuration (so
 * what serves is exactly what was attested). Kept apart from main.ts so tests build the exact same
 * runner without a process.
 */
import type { RuntimeConfig } from '../attestation/runtimeConfig';
import { attest } from './attestation';
import { openAiBackend } from './backends/openai';
import { referenceBackend } from './backends/reference';
import type { RunnerConfig } from './config';
import type { RunnerContext } from './handleJob';
import { createEnclaveKeys } from './keys';
import { modelTable } from './models';
import { devQuoteProvider } from './quote/dev';
import { tdxQuoteProvider } from './quote/tdx';
import { runtimeConfigFor } from './runtime';
import type { AttestationDocument } from './attestation';

export interface Runner {
    ctx: RunnerContext;
    attestation: AttestationDocument;
}

/** The runner itself; where it reads jobs on chain is the server's concern (chainJobs.ts). */
export async function createRunner(config: Omit<RunnerConfig, 'chainEndpoint' | 'chainApiKey'>): Promise<Runner> {
    const runtime = await runtimeConfigFor(config);
    const keys = createEnclaveKeys();
    const quotes = config.quote === 'tdx' ? tdxQuoteProvider({ root: config.tsmRoot }) : devQuoteProvider();
    const attestation = await attest(keys, quotes, config.globalId, config.provider, runtime);
    return { ctx: { keys, ...servingFrom(runtime, config.upstreamApiKey), jobTimeoutMs: runtime.jobTimeoutMs }, attestation };
}

function servingFrom(runtime: RuntimeConfig, upstreamApiKey?: string): Pick<RunnerContext, 'models' | 'backends'> {
    const backends: RunnerContext['backends'] = { reference: referenceBackend() };
    for (const m of runtime.models) {
        if (m.backend === 'openai') backends.openai = openAiBackend({ baseUrl: m.engine!, apiKey: upstreamApiKey, stream: m.stream });
    }
    return { models: modelTable(runtime.models.map((m) => ({ name: m.name, backend: m.backend, maxContext: m.maxContext }))), backends };
}
