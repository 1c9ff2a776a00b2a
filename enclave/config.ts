/**
 * The runner's typed, read-only configuration from flags (first) or environment, checked at start
 * so a misconfigured runner exits before it attests instead of declining every job later.
 */
import { Command } from 'commander';
import { Address } from '@ton/core';
import { isLoopbackUrl } from '../attestation/runtimeConfig';
import { DEV_GLOBAL_ID } from '../protocol/networks';
import { DEFAULT_LIMITS, ServerLimits } from './server';

export interface RunnerConfig {
    provider: Address;
    globalId: number;
    quote: 'dev' | 'tdx';
    tsmRoot?: string;
    backend: 'reference' | 'openai';
    upstream?: string;
    upstreamApiKey?: string; // from env only, never a flag (flags show in `ps`)
    upstreamStream: boolean;
    model?: string; // model name served by the openai backend
    weights?: string; // path of the weights file the openai engine loads (hashed into the attestation)
    maxContext: number;
    host: string;
    port: number;
    jobTimeoutMs: number;
    limits?: Pick<ServerLimits, 'concurrency' | 'queue'>; // the engine gate: its batch size and the waiting line
    chainEndpoint: string; // toncenter v2 JSON-RPC URL the runner reads jobs from before signing
    chainApiKey?: string; // from env only
    voucherToken?: string; // from env only: bearer token of GET /v1/session/vouchers (off without one)
}

/** A voucher feed token shorter than this is refused at start: it guards what the provider is owed. */
export const MIN_VOUCHER_TOKEN_CHARS = 16;

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): RunnerConfig {
    const o = new Command()
        .name('enclave-runner')
        .description('Cocoon enclave runner: attests its keys and runtime, reads jobs on chain, answers them (docs/spec/enclave.md)')
        .option('--provider <address>', 'Provider contract address (raw or friendly)', env.COCOON_PROVIDER)
        .option('--global-id <n>', `protocol global id (the Registry's): -239 mainnet, -3 testnet; default ${DEV_GLOBAL_ID}, the dev networks' id`, env.COCOON_GLOBAL_ID ?? String(DEV_GLOBAL_ID))
        .option('--quote <kind>', 'dev | tdx', env.COCOON_QUOTE ?? 'dev')
        .option('--tsm-root <path>', 'configfs-tsm report root (tdx)', env.COCOON_TSM_ROOT)
        .option('--backend <kind>', 'reference | openai', env.COCOON_BACKEND ?? 'reference')
        .option('--upstream <url>', 'OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1', env.COCOON_UPSTREAM)
        .option('--stream', 'stream from the upstream', env.COCOON_UPSTREAM_STREAM === '1')
        .option('--model <name>', 'model name served by the openai backend', env.COCOON_MODEL)
        .option('--weights <path>', 'weights file the openai engine loads (its SHA-256 is attested)', env.COCOON_WEIGHTS)
        .option('--max-context <n>', 'context length of that model', env.COCOON_MAX_CONTEXT ?? '8192')
        .option('--host <host>', 'bind address', env.COCOON_HOST ?? '127.0.0.1')
        .option('--port <n>', 'port', env.COCOON_PORT ?? '8700')
        .option('--job-timeout-ms <n>', 'per-job timeout', env.COCOON_JOB_TIMEOUT_MS ?? '120000')
        .option('--concurrency <n>', 'requests (jobs and session requests) at the engine at once: its batch size', env.COCOON_RUNNER_CONCURRENCY ?? String(DEFAULT_LIMITS.concurrency))
        .option('--queue <n>', 'requests waiting for the engine beyond those; more get 503 Busy', env.COCOON_RUNNER_QUEUE ?? String(DEFAULT_LIMITS.queue))
        .option('--chain-endpoint <url>', 'toncenter v2 JSON-RPC URL (the provider\'s own) to read jobs from before signing', env.COCOON_CHAIN_ENDPOINT)
        .exitOverride()
        .parse(argv, { from: 'user' })
        .opts();
    refuseUnmeasuredEnvironment(env);
    if (!o.provider) throw new Error('--provider (or COCOON_PROVIDER) is required');
    if (!o.chainEndpoint) throw new Error('--chain-endpoint (or COCOON_CHAIN_ENDPOINT) is required: the runner signs only for jobs it has read on chain');
    if (!['dev', 'tdx'].includes(o.quote)) throw new Error('--quote must be dev or tdx');
    if (!['reference', 'openai'].includes(o.backend)) throw new Error('--backend must be reference or openai');
    if (o.backend === 'openai' && (!o.upstream || !o.model || !o.weights)) throw new Error('--backend openai needs --upstream, --model and --weights');
    const voucherToken = env.COCOON_RUNNER_VOUCHER_TOKEN || undefined;
    if (voucherToken !== undefined && (voucherToken.length < MIN_VOUCHER_TOKEN_CHARS || /\s/.test(voucherToken))) {
        throw new Error(`COCOON_RUNNER_VOUCHER_TOKEN must be at least ${MIN_VOUCHER_TOKEN_CHARS} characters without spaces`);
    }
    if (o.backend === 'openai' && !isLoopbackUrl(o.upstream)) {
        throw new Error('--upstream must be a loopback URL (127.0.0.1 or [::1], an address, not a name): the engine must run inside this attested VM, since it sees decrypted prompts');
    }

    const int = (v: string, name: string) => {
        const n = Number(v);
        if (!Number.isInteger(n)) throw new Error(`${name} must be an integer`);
        return n;
    };
    const positive = (v: string, name: string) => {
        const n = int(v, name);
        if (n < 1) throw new Error(`${name} must be at least 1`);
        return n;
    };
    const queue = int(o.queue, '--queue');
    if (queue < 0) throw new Error('--queue must not be negative');
    return {
        provider: Address.parse(o.provider),
        globalId: int(o.globalId, '--global-id'),
        quote: o.quote,
        tsmRoot: o.tsmRoot,
        backend: o.backend,
        upstream: o.upstream,
        upstreamApiKey: env.COCOON_UPSTREAM_API_KEY,
        upstreamStream: Boolean(o.stream),
        model: o.model,
        weights: o.weights,
        maxContext: int(o.maxContext, '--max-context'),
        host: o.host,
        port: int(o.port, '--port'),
        jobTimeoutMs: int(o.jobTimeoutMs, '--job-timeout-ms'),
        limits: { concurrency: positive(o.concurrency, '--concurrency'), queue },
        chainEndpoint: o.chainEndpoint,
        chainApiKey: env.COCOON_CHAIN_API_KEY || undefined,
        voucherToken,
    };
}

/**
 * Variables that change where the runner's own requests go or what code it runs, outside the
 * runtime configuration the quote measures: with NODE_USE_ENV_PROXY (Node ≥ 22.21) fetch sends even
 * loopback requests through HTTP_PROXY, and NODE_OPTIONS / LD_PRELOAD load arbitrary code. The
 * image's unit sets the environment; a runner that finds one of these refuses to start.
 */
export const UNMEASURED_ENV = ['NODE_OPTIONS', 'NODE_USE_ENV_PROXY', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'LD_PRELOAD', 'LD_LIBRARY_PATH'];

function refuseUnmeasuredEnvironment(env: NodeJS.ProcessEnv): void {
    const set = Object.keys(env).filter((k) => UNMEASURED_ENV.includes(k.toUpperCase()) && env[k]);
    if (set.length > 0) throw new Error(`refusing to start with ${set.join(', ')} set: they would route decrypted prompts or load code outside what the quote measures`);
}
