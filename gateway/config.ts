/**
 * The gateway's typed, read-only configuration: flags first, then the environment (a `.env` file
 * is loaded first, never overriding the environment). All problems are reported together, before
 * anything binds or sends. docs/spec/gateway.md lists every variable.
 */
import { Address, toNano } from '@ton/core';
import { existsSync, readFileSync } from 'node:fs';
import { INTEL_PCS_URL } from '../attestation/collateralSource';
import { DEFAULT_ACCEPTED_TCB_STATUSES, isTcbStatus, TCB_STATUSES } from '../attestation/tcbStatus';
import { QUOTE_VERIFICATION_REMOVED } from '../sdk/attestation';
import type { ApiKeySpec } from './auth';
import { DEFAULT_HOST, DEFAULT_PORT, isLoopback } from './server';

export interface GatewayConfig {
    endpoint: string; // toncenter v2 JSON-RPC endpoint: every read and send
    witnesses: string[]; // further endpoints the trust reads are cross-checked on (sdk/crossCheck.ts)
    apiKey?: string; // toncenter API key
    registry: Address;
    host: string;
    port: number;
    apiKeys: ApiKeySpec[];
    runners: Map<string, string>; // provider raw address → runner base URL
    trustAnchorPem?: string;
    collateral: string; // directory, file or PCS URL the Intel collateral comes from (attestation/collateralSource.ts)
    acceptTcb: string[]; // TCB statuses accepted
    ttl?: number;
    pollMs: number;
    spendingDb: string; // SQLite file keeping API keys' spending across restarts
    allowedHosts: string[]; // Host names accepted beyond loopback names (http/browser.ts)
    corsOrigins: string[]; // browser origins allowed to call
    mode: 'session' | 'job'; // one session per model (default) or one on-chain job per request
    sessionDeposit: bigint; // value sent with each OpenSession and each top-up (nanotons)
}

export const GATEWAY_ENV = {
    endpoint: 'COCOON_ENDPOINT',
    apiKey: 'COCOON_ENDPOINT_API_KEY',
    registry: 'COCOON_REGISTRY',
    host: 'COCOON_GATEWAY_HOST',
    port: 'COCOON_GATEWAY_PORT',
    apiKeys: 'COCOON_GATEWAY_API_KEYS',
    runners: 'COCOON_RUNNERS',
    trustRoot: 'COCOON_TRUST_ROOT',
    collateral: 'COCOON_COLLATERAL',
    acceptTcb: 'COCOON_ACCEPT_TCB',
    ttl: 'COCOON_JOB_TTL',
    pollMs: 'COCOON_POLL_MS',
    spendingDb: 'COCOON_GATEWAY_SPENDING_DB',
    allowedHosts: 'COCOON_GATEWAY_ALLOWED_HOSTS',
    corsOrigins: 'COCOON_GATEWAY_CORS_ORIGINS',
    mode: 'COCOON_GATEWAY_MODE',
    sessionDeposit: 'COCOON_SESSION_DEPOSIT',
} as const;

/** The variable that used to switch quote verification off; setting it is now a configuration error. */
export const REMOVED_VERIFY_QUOTE_ENV = 'COCOON_VERIFY_QUOTE';

export class GatewayConfigProblems extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid gateway configuration:\n  - ${problems.join('\n  - ')}`);
    }
}

export interface GatewayFlags {
    endpoint?: string;
    registry?: string;
    host?: string;
    port?: string;
    apiKeysFile?: string; // keys are secrets: from a file or the environment, never a flag (flags show in `ps`)
    runner?: string[];
    trustRoot?: string;
    collateral?: string;
    acceptTcb?: string;
    ttl?: string;
    pollMs?: string;
    allowedHosts?: string;
    corsOrigins?: string;
    spendingDb?: string;
    mode?: string;
    sessionDeposit?: string;
}

const list = (raw: string | undefined): string[] => (raw ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** "sk-a:1.5,sk-b": keys with an optional spending limit in TON. */
export function parseApiKeys(raw: string | undefined, problems: string[]): ApiKeySpec[] {
    if (!raw?.trim()) return [];
    return raw.split(',').map((s) => s.trim()).filter(Boolean).flatMap((entry) => {
        const [key, limit] = entry.split(':');
        if (key.length < 8) {
            problems.push(`API key "${key.slice(0, 3)}…" is shorter than 8 characters`);
            return [];
        }
        if (limit === undefined) return [{ key }];
        if (!/^\d+(\.\d{1,9})?$/.test(limit)) {
            problems.push(`API key "${key.slice(0, 3)}…": limit "${limit}" is not an amount in TON`);
            return [];
        }
        return [{ key, limit: toNano(limit) }];
    });
}

/** "url1,url2,...": the first serves every read and send; the trust reads are made on all and must agree. */
export function parseEndpoints(raw: string | undefined, problems: string[]): string[] {
    const urls = list(raw);
    for (const u of urls) {
        try {
            const url = new URL(u);
            if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
        } catch {
            problems.push(`endpoint "${u}" is not an http(s) URL`);
        }
    }
    if (new Set(urls).size !== urls.length) problems.push('the same endpoint is listed twice: a cross-check against itself proves nothing');
    return urls;
}

/**
 * Where Intel collateral comes from (default Intel PCS) and which TCB statuses pass (default
 * UpToDate): a platform missing a microcode or TDX module fix is refused unless a deployment says so.
 */
export function parseTcbPolicy(collateralRaw: string | undefined, acceptRaw: string | undefined, problems: string[]): { collateral: string; acceptTcb: string[] } {
    const collateral = collateralRaw ?? INTEL_PCS_URL;
    if (!/^https?:\/\//i.test(collateral) && !existsSync(collateral)) problems.push(`--collateral: "${collateral}" is neither an http(s) URL nor an existing file or directory`);
    const acceptTcb = acceptRaw === undefined ? [...DEFAULT_ACCEPTED_TCB_STATUSES] : list(acceptRaw);
    for (const s of acceptTcb) if (!isTcbStatus(s)) problems.push(`--accept-tcb: "${s}" is not a TCB status (${TCB_STATUSES.join(', ')})`);
    if (acceptTcb.includes('Revoked')) problems.push('--accept-tcb: Revoked is never acceptable');
    if (!acceptTcb.length) problems.push('--accept-tcb: name at least one status');
    return { collateral, acceptTcb };
}

/** "<provider address>=<runner URL>" entries. */
export function parseRunners(entries: string[], problems: string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const e of entries.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)) {
        const eq = e.indexOf('=');
        try {
            if (eq < 0) throw new Error();
            const url = new URL(e.slice(eq + 1));
            if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
            out.set(Address.parse(e.slice(0, eq)).toRawString(), e.slice(eq + 1).replace(/\/+$/, ''));
        } catch {
            problems.push(`runner "${e}" is not "<provider address>=<http(s) URL>"`);
        }
    }
    return out;
}

export function parseGatewayConfig(flags: GatewayFlags, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
    const problems: string[] = [];
    const pick = (flag: string | undefined, name: string) => flag ?? (env[name] || undefined);
    const int = (raw: string | undefined, what: string, fallback: number, min: number, max: number) => {
        if (raw === undefined) return fallback;
        const n = Number(raw);
        if (!Number.isInteger(n) || n < min || n > max) problems.push(`${what} must be an integer in [${min}, ${max}], got "${raw}"`);
        return n;
    };
    const [endpoint, ...witnesses] = parseEndpoints(pick(flags.endpoint, GATEWAY_ENV.endpoint), problems);
    if (!endpoint) problems.push(`--endpoint (or ${GATEWAY_ENV.endpoint}) is required, e.g. http://127.0.0.1:8081/jsonRPC (several, comma-separated, are cross-checked)`);
    const registryRaw = pick(flags.registry, GATEWAY_ENV.registry);
    let registry: Address | undefined;
    if (!registryRaw) problems.push(`--registry (or ${GATEWAY_ENV.registry}) is required`);
    else {
        try {
            registry = Address.parse(registryRaw);
        } catch {
            problems.push(`--registry: "${registryRaw}" is not a TON address`);
        }
    }
    const host = pick(flags.host, GATEWAY_ENV.host) ?? DEFAULT_HOST;
    let rawKeys = env[GATEWAY_ENV.apiKeys];
    if (flags.apiKeysFile) {
        try {
            rawKeys = readFileSync(flags.apiKeysFile, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).join(',');
        } catch (e) {
            problems.push(`--api-keys-file: cannot read ${flags.apiKeysFile}: ${(e as Error).message}`);
        }
    }
    const apiKeys = parseApiKeys(rawKeys, problems);
    if (!isLoopback(host) && apiKeys.length === 0) problems.push(`binding ${host} needs API keys (--api-keys-file or ${GATEWAY_ENV.apiKeys}): anyone reaching the gateway spends its wallet`);
    const runners = parseRunners([...(flags.runner ?? []), ...(env[GATEWAY_ENV.runners] ? [env[GATEWAY_ENV.runners]!] : [])], problems);
    const trustPath = pick(flags.trustRoot, GATEWAY_ENV.trustRoot);
    let trustAnchorPem: string | undefined;
    if (trustPath) {
        try {
            trustAnchorPem = readFileSync(trustPath, 'utf8');
        } catch (e) {
            problems.push(`--trust-root: cannot read ${trustPath}: ${(e as Error).message}`);
        }
    }
    // Gone, whatever its value (issue 11 #9): a deployment that still sets it expects something that no longer happens.
    if (env[REMOVED_VERIFY_QUOTE_ENV] !== undefined) problems.push(`${REMOVED_VERIFY_QUOTE_ENV} is set: ${QUOTE_VERIFICATION_REMOVED}; unset it`);
    const { collateral, acceptTcb } = parseTcbPolicy(pick(flags.collateral, GATEWAY_ENV.collateral), pick(flags.acceptTcb, GATEWAY_ENV.acceptTcb), problems);
    const ttlRaw = pick(flags.ttl, GATEWAY_ENV.ttl);
    const mode = pick(flags.mode, GATEWAY_ENV.mode) ?? 'session';
    if (mode !== 'session' && mode !== 'job') problems.push(`--mode: "${mode}" is neither session nor job`);
    const depositRaw = pick(flags.sessionDeposit, GATEWAY_ENV.sessionDeposit) ?? '1';
    if (!/^\d+(\.\d{1,9})?$/.test(depositRaw) || toNano(depositRaw) < toNano('0.05')) problems.push(`--session-deposit: "${depositRaw}" is not an amount in TON of at least 0.05`);
    const config: GatewayConfig = {
        endpoint: endpoint ?? '',
        witnesses,
        apiKey: env[GATEWAY_ENV.apiKey] || undefined,
        registry: registry!,
        host,
        port: int(pick(flags.port, GATEWAY_ENV.port), '--port', DEFAULT_PORT, 0, 65535),
        apiKeys,
        runners,
        trustAnchorPem,
        collateral,
        acceptTcb,
        ttl: ttlRaw === undefined ? undefined : int(ttlRaw, '--ttl', 0, 10, 604800),
        pollMs: int(pick(flags.pollMs, GATEWAY_ENV.pollMs), '--poll-ms', 500, 5, 60000),
        spendingDb: pick(flags.spendingDb, GATEWAY_ENV.spendingDb) ?? 'gateway-spending.sqlite',
        allowedHosts: list(pick(flags.allowedHosts, GATEWAY_ENV.allowedHosts)).map((h) => h.toLowerCase()),
        corsOrigins: list(pick(flags.corsOrigins, GATEWAY_ENV.corsOrigins)),
        mode: mode === 'job' ? 'job' : 'session',
        sessionDeposit: /^\d+(\.\d{1,9})?$/.test(depositRaw) ? toNano(depositRaw) : 0n,
    };
    if (problems.length) throw new GatewayConfigProblems(problems);
    return Object.freeze(config);
}
