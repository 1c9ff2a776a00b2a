/**
 * The runner's runtime configuration: everything chosen at start, outside the measured image, that
 * can see a decrypted prompt or decide the bill — which engines serve which models, where those
 * engines listen, which weights they load, which tokenizer counts the billed tokens, the limits.
 *
 * The runner hashes it into REPORTDATA (attestation/reportData.ts), and the enclave measurement that
 * governance allow-lists covers that hash (attestation/enclaveMeasurement.ts), so an operator who
 * points the runner at another engine, model or tokenizer produces a measurement nobody allowed.
 *
 *   runtimeHash = SHA-256( ASCII "cocoon/runtime/v1" || canonical JSON of the config )
 *
 * Canonical JSON: the fields below in this order, no whitespace. `parseRuntimeConfig` accepts exactly
 * these fields (no more, no fewer) and the hash is computed over the re-serialised value, never over
 * the bytes received, so two spellings of one configuration cannot have two hashes.
 */
import { createHash } from 'node:crypto';

export const RUNTIME_HASH_DOMAIN = 'cocoon/runtime/v1';

/**
 * Tokenizers the runner bills with. Only cl100k_base today: it is bundled (gpt-tokenizer, nothing
 * downloaded) and the SDK sizes a job's input limit with the same one. Another tokenizer is a new
 * value here, in the SDK's estimate and in governance's allow-list, never a runner flag.
 */
export const TOKENIZERS = ['cl100k_base'] as const;
export type TokenizerName = (typeof TOKENIZERS)[number];

export type EngineKind = 'reference' | 'openai';

export interface RuntimeModel {
    name: string;
    backend: EngineKind;
    /** null for the in-process reference engine; a loopback http(s) base URL for an engine in the same VM. */
    engine: string | null;
    /** SHA-256 (hex) of the weights file the engine loads; null for the reference engine, which has none. */
    weightsSha256: string | null;
    maxContext: number;
    stream: boolean;
}

export interface RuntimeConfig {
    tokenizer: TokenizerName;
    jobTimeoutMs: number;
    models: RuntimeModel[];
}

export class RuntimeConfigError extends Error {}

const MAX_MODELS = 16;
const MAX_JOB_TIMEOUT_MS = 86_400_000; // a day; Node timers overflow past 2^31 - 1 ms and every job would decline
const MAX_NAME_BYTES = 64; // the Registry's model names are at most 512 bits

export function canonicalRuntimeJson(c: RuntimeConfig): string {
    const models = c.models.map((m) => ({ name: m.name, backend: m.backend, engine: m.engine, weightsSha256: m.weightsSha256, maxContext: m.maxContext, stream: m.stream }));
    return JSON.stringify({ tokenizer: c.tokenizer, jobTimeoutMs: c.jobTimeoutMs, models });
}

export function runtimeHash(c: RuntimeConfig): Uint8Array {
    return new Uint8Array(createHash('sha256').update(RUNTIME_HASH_DOMAIN, 'ascii').update(canonicalRuntimeJson(c), 'utf8').digest());
}

/**
 * True for an http(s) URL whose host is a loopback literal (127.0.0.0/8, [::1]). Only a loopback
 * engine is inside the same VM: anything else is a host the operator chose, outside the
 * measurement, that would receive decrypted prompts. Names, even `localhost`, are refused: name
 * resolution reads files (/etc/hosts) and services a host may control.
 */
export function isLoopbackUrl(url: string): boolean {
    let u: URL;
    try {
        u = new URL(url);
    } catch {
        return false;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    if (u.username || u.password) return false;
    const host = u.hostname;
    return host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The one spelling of an engine URL that is hashed: the URL parser's form, no query or fragment, no trailing slash. */
export function canonicalEngineUrl(url: string): string {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`.replace(/\/+$/, '');
}

/** Checks shape and policy; throws RuntimeConfigError naming the field. Used by the runner at start, the verifier and the SDK. */
export function parseRuntimeConfig(value: unknown): RuntimeConfig {
    const o = exactObject(value, ['tokenizer', 'jobTimeoutMs', 'models'], 'runtime');
    if (!TOKENIZERS.includes(o.tokenizer as TokenizerName)) throw new RuntimeConfigError(`runtime.tokenizer must be one of ${TOKENIZERS.join(', ')}`);
    const jobTimeoutMs = positiveInt(o.jobTimeoutMs, 'runtime.jobTimeoutMs');
    if (jobTimeoutMs > MAX_JOB_TIMEOUT_MS) throw new RuntimeConfigError(`runtime.jobTimeoutMs must be at most ${MAX_JOB_TIMEOUT_MS}`);
    if (!Array.isArray(o.models) || o.models.length === 0 || o.models.length > MAX_MODELS) throw new RuntimeConfigError(`runtime.models must list 1..${MAX_MODELS} models`);
    const models = o.models.map((m, i) => parseModel(m, `runtime.models[${i}]`));
    if (new Set(models.map((m) => m.name)).size !== models.length) throw new RuntimeConfigError('runtime.models names a model twice');
    // The runner drives one engine; a second would be attested but never served.
    if (models.filter((m) => m.backend === 'openai').length > 1) throw new RuntimeConfigError('runtime.models lists more than one openai engine');
    return { tokenizer: o.tokenizer as TokenizerName, jobTimeoutMs, models };
}

function parseModel(value: unknown, at: string): RuntimeModel {
    const m = exactObject(value, ['name', 'backend', 'engine', 'weightsSha256', 'maxContext', 'stream'], at);
    if (typeof m.name !== 'string' || m.name.length === 0 || Buffer.byteLength(m.name, 'utf8') > MAX_NAME_BYTES) throw new RuntimeConfigError(`${at}.name must be 1..${MAX_NAME_BYTES} bytes`);
    if (typeof m.stream !== 'boolean') throw new RuntimeConfigError(`${at}.stream must be a boolean`);
    const maxContext = positiveInt(m.maxContext, `${at}.maxContext`);
    if (m.backend === 'reference') {
        if (m.engine !== null || m.weightsSha256 !== null) throw new RuntimeConfigError(`${at}: the reference engine runs in-process and has no weights (engine and weightsSha256 must be null)`);
    } else if (m.backend === 'openai') {
        if (typeof m.engine !== 'string' || !isLoopbackUrl(m.engine)) throw new RuntimeConfigError(`${at}.engine must be a loopback http(s) URL: the engine must run inside the attested VM`);
        if (m.engine !== canonicalEngineUrl(m.engine)) throw new RuntimeConfigError(`${at}.engine must be written canonically (${canonicalEngineUrl(m.engine)}): one setup, one hash`);
        if (typeof m.weightsSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.weightsSha256)) throw new RuntimeConfigError(`${at}.weightsSha256 must be 64 lowercase hex digits`);
    } else {
        throw new RuntimeConfigError(`${at}.backend must be reference or openai`);
    }
    return { name: m.name, backend: m.backend, engine: m.engine as string | null, weightsSha256: m.weightsSha256 as string | null, maxContext, stream: m.stream };
}

function exactObject(value: unknown, keys: string[], at: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RuntimeConfigError(`${at} must be an object`);
    const got = Object.keys(value);
    const extra = got.filter((k) => !keys.includes(k));
    const missing = keys.filter((k) => !got.includes(k));
    if (extra.length || missing.length) throw new RuntimeConfigError(`${at} must have exactly the fields ${keys.join(', ')}${extra.length ? ` (unknown: ${extra.join(', ')})` : ''}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
    return value as Record<string, unknown>;
}

function positiveInt(v: unknown, at: string): number {
    if (!Number.isSafeInteger(v) || (v as number) < 1) throw new RuntimeConfigError(`${at} must be a positive integer`);
    return v as number;
}
