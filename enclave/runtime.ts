/**
 * Builds the runner's runtime configuration (attestation/runtimeConfig.ts) from its start-up
 * configuration: the models it serves, the engine behind each, the weights that engine loads and
 * the tokenizer that counts the bill. The result goes into REPORTDATA, so it must describe exactly
 * what the runner will do: the model table and backends are built from it, never from flags directly.
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { canonicalEngineUrl, parseRuntimeConfig, RuntimeConfig, RuntimeModel, TokenizerName } from '../attestation/runtimeConfig';
import type { RunnerConfig } from './config';
import { REFERENCE_MODEL } from './models';

/** `weights`: path of the file the in-VM engine loads; hashed here so the measurement names the weights. */
export type RuntimeInputs = Pick<RunnerConfig, 'backend' | 'upstream' | 'upstreamStream' | 'model' | 'weights' | 'maxContext' | 'jobTimeoutMs'>;

/** What enclave/tokens.ts counts with. */
const BILLING_TOKENIZER: TokenizerName = 'cl100k_base';

export async function runtimeConfigFor(c: RuntimeInputs): Promise<RuntimeConfig> {
    const models: RuntimeModel[] = [{ name: REFERENCE_MODEL.name, backend: 'reference', engine: null, weightsSha256: null, maxContext: REFERENCE_MODEL.maxContext, stream: false }];
    if (c.backend === 'openai') {
        if (!c.upstream || !c.model || !c.weights) throw new Error('the openai backend needs an upstream, a model name and the weights file it loads');
        models.push({ name: c.model, backend: 'openai', engine: canonicalEngineUrl(c.upstream), weightsSha256: await sha256File(c.weights), maxContext: c.maxContext, stream: c.upstreamStream });
    }
    // The same checks the verifier and clients run: a runner never attests a configuration they refuse.
    return parseRuntimeConfig({ tokenizer: BILLING_TOKENIZER, jobTimeoutMs: c.jobTimeoutMs, models });
}

async function sha256File(path: string): Promise<string> {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
    return h.digest('hex');
}
