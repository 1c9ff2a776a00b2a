/**
 * The relayer's typed, read-only configuration, from the environment (a `.env` file is loaded by
 * main.ts first). Every variable is checked at start and all problems are reported together, so a
 * misconfigured relayer exits before it touches the chain. relayer/.env.example documents each one.
 */
import { Address } from '@ton/core';
import { NETWORK_ENV, WalletNetwork, walletNetworkFromEnv } from '../protocol/wallet';
import { RUNNER_URL_REFRESH_MS } from './runners';

export interface WatchedProvider {
    address: Address;
    runnerUrl?: string; // base URL of the provider's enclave runner (POST /v1/jobs); absent: the one it publishes on chain
}

export interface RelayerConfig {
    endpoint: string; // toncenter v2 JSON-RPC endpoint for TonClient
    apiKey?: string;
    providers: WatchedProvider[];
    dbPath: string;
    host: string;
    port: number; // 0 picks a free port
    pollMs: number;
    pageSize: number;
    concurrency: number; // jobs advanced at once
    graceSeconds: number; // how long to keep trying a runner that stays down before giving a job up
    rpcTimeoutMs: number;
    runnerTimeoutMs: number;
    runnerUrlRefreshMs: number; // how often a published runner URL is re-read
    keeper: boolean;
    keeperMnemonic?: string[]; // never logged
    keeperNetwork: WalletNetwork; // whose wallet id the keeper's mnemonic stands for (protocol/wallet.ts)
    keeperIntervalMs: number;
    logLevel: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid relayer configuration:\n  - ${problems.join('\n  - ')}`);
    }
}

export const ENV = {
    endpoint: 'COCOON_RELAYER_ENDPOINT',
    apiKey: 'COCOON_RELAYER_API_KEY',
    providers: 'COCOON_RELAYER_PROVIDERS',
    dbPath: 'COCOON_RELAYER_DB',
    host: 'COCOON_RELAYER_HOST',
    port: 'COCOON_RELAYER_PORT',
    pollMs: 'COCOON_RELAYER_POLL_MS',
    pageSize: 'COCOON_RELAYER_PAGE_SIZE',
    concurrency: 'COCOON_RELAYER_CONCURRENCY',
    graceSeconds: 'COCOON_RELAYER_GRACE_SECONDS',
    rpcTimeoutMs: 'COCOON_RELAYER_RPC_TIMEOUT_MS',
    runnerTimeoutMs: 'COCOON_RELAYER_RUNNER_TIMEOUT_MS',
    runnerUrlRefreshMs: 'COCOON_RELAYER_RUNNER_URL_REFRESH_MS',
    keeper: 'COCOON_RELAYER_KEEPER',
    keeperMnemonic: 'COCOON_RELAYER_KEEPER_MNEMONIC',
    keeperIntervalMs: 'COCOON_RELAYER_KEEPER_INTERVAL_MS',
    network: NETWORK_ENV,
    logLevel: 'LOG_LEVEL',
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `--keeper` on the command line turns keeper mode on, like COCOON_RELAYER_KEEPER=1. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): RelayerConfig {
    const problems: string[] = [];
    const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
        const raw = env[name];
        if (raw === undefined || raw === '') return fallback;
        const n = Number(raw);
        if (!Number.isInteger(n) || n < min || n > max) {
            problems.push(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
            return fallback;
        }
        return n;
    };
    const url = (name: string, raw: string | undefined): string => {
        try {
            const u = new URL(raw ?? '');
            if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
            return raw!.replace(/\/+$/, '');
        } catch {
            problems.push(`${name}: "${raw ?? ''}" is not an http(s) URL`);
            return '';
        }
    };

    const endpoint = env[ENV.endpoint] ? url(ENV.endpoint, env[ENV.endpoint]) : (problems.push(`${ENV.endpoint} is required (e.g. https://testnet.toncenter.com/api/v2/jsonRPC)`), '');
    const providers = parseProviders(env[ENV.providers], problems, url);
    const keeper = argv.includes('--keeper') || env[ENV.keeper] === '1' || env[ENV.keeper] === 'true';
    const mnemonicRaw = env[ENV.keeperMnemonic]?.trim();
    const keeperMnemonic = mnemonicRaw ? mnemonicRaw.split(/\s+/) : undefined;
    if (keeper && !keeperMnemonic) problems.push(`keeper mode needs ${ENV.keeperMnemonic} (24 words of the operator wallet, V5R1)`);
    if (keeperMnemonic && keeperMnemonic.length !== 24) problems.push(`${ENV.keeperMnemonic} must have 24 words, got ${keeperMnemonic.length}`);
    let keeperNetwork: WalletNetwork = 'mainnet';
    try {
        keeperNetwork = walletNetworkFromEnv(env, keeper ? env[ENV.endpoint] : undefined);
    } catch (e) {
        problems.push((e as Error).message);
    }
    const logLevel = env[ENV.logLevel] ?? 'info';
    if (!LOG_LEVELS.includes(logLevel)) problems.push(`${ENV.logLevel} must be one of ${LOG_LEVELS.join(', ')}`);

    const config: RelayerConfig = {
        endpoint,
        apiKey: env[ENV.apiKey] || undefined,
        providers,
        dbPath: env[ENV.dbPath] || 'relayer.sqlite',
        host: env[ENV.host] || '127.0.0.1',
        port: int(ENV.port, 8790, 0, 65535),
        pollMs: int(ENV.pollMs, 1000, 5),
        pageSize: int(ENV.pageSize, 50, 2, 100), // toncenter v2 refuses getTransactions pages above 100
        concurrency: int(ENV.concurrency, 16, 1, 1024),
        graceSeconds: int(ENV.graceSeconds, 300, 0),
        rpcTimeoutMs: int(ENV.rpcTimeoutMs, 10_000, 100),
        runnerTimeoutMs: int(ENV.runnerTimeoutMs, 130_000, 100),
        runnerUrlRefreshMs: int(ENV.runnerUrlRefreshMs, RUNNER_URL_REFRESH_MS, 10),
        keeper,
        keeperMnemonic,
        keeperNetwork,
        keeperIntervalMs: int(ENV.keeperIntervalMs, 5000, 10),
        logLevel,
    };
    if (problems.length) throw new ConfigError(problems);
    return Object.freeze(config);
}

/** "addr=url,addr,...": each watched Provider, with the URL of its enclave runner or, without one, the URL it publishes on chain. */
function parseProviders(raw: string | undefined, problems: string[], url: (name: string, raw: string) => string): WatchedProvider[] {
    if (!raw?.trim()) {
        problems.push(`${ENV.providers} is required: comma-separated "<provider address>[=<runner URL>]"`);
        return [];
    }
    const out: WatchedProvider[] = [];
    for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
        const eq = entry.indexOf('=');
        const addr = eq < 0 ? entry : entry.slice(0, eq);
        let address: Address;
        try {
            address = Address.parse(addr);
        } catch {
            problems.push(`${ENV.providers}: "${addr}" is not a TON address`);
            continue;
        }
        if (out.some((p) => p.address.equals(address))) problems.push(`${ENV.providers}: ${address} is listed twice`);
        out.push(eq < 0 ? { address } : { address, runnerUrl: url(ENV.providers, entry.slice(eq + 1)) });
    }
    return out;
}
