/**
 * The relayer's typed, read-only configuration, from the environment (a `.env` file is loaded by
 * main.ts first). Every variable is checked at start and all problems are reported together, so a
 * misconfigured relayer exits before it touches the chain. relayer/.env.example documents each one.
 */
import { Address, toNano } from '@ton/core';
import { NETWORK_ENV, WalletNetwork, walletNetworkFromEnv } from '../protocol/wallet';
import { RUNNER_URL_REFRESH_MS } from './runners';

export interface WatchedProvider {
    address: Address;
    runnerUrl?: string; // base URL of the provider's enclave runner (POST /v1/jobs); absent: the one it publishes on chain
}

/** A Provider whose runner's voucher feed this relayer reads and settles (docs/spec/relayer.md, "Sessions"). */
export interface SessionFeed {
    address: Address;
    token: string; // the feed's bearer token; never logged
}

export interface SessionConfig {
    feeds: SessionFeed[];
    thresholdNano: bigint; // settle once a voucher adds this much over what the chain paid
    marginSeconds?: number; // settle whatever is owed this long before a session ends; default a third of its challenge window
    pollMs: number; // how often each feed is read
    checkMs: number; // a waiting session's record is read again at least this often
    feedTimeoutMs: number; // one feed read, body included
    // Too-small vouchers of ending sessions go from the keeper wallet (when one is configured). Off by
    // default: the external route refuses only vouchers that add less than its own delivery costs, and
    // the wallet route costs more than that, so every such settlement is a loss (docs/spec/relayer.md).
    walletSettle: boolean;
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
    sessions: SessionConfig;
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
    sessionFeeds: 'COCOON_RELAYER_SESSION_FEEDS',
    sessionThreshold: 'COCOON_RELAYER_SESSION_THRESHOLD_TON',
    sessionMargin: 'COCOON_RELAYER_SESSION_MARGIN_SECONDS',
    sessionPollMs: 'COCOON_RELAYER_SESSION_POLL_MS',
    sessionCheckMs: 'COCOON_RELAYER_SESSION_CHECK_MS',
    sessionFeedTimeoutMs: 'COCOON_RELAYER_SESSION_FEED_TIMEOUT_MS',
    sessionWalletSettle: 'COCOON_RELAYER_SESSION_WALLET_SETTLE',
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
    const sessions: SessionConfig = {
        feeds: parseFeeds(env[ENV.sessionFeeds], providers, problems),
        thresholdNano: ton(ENV.sessionThreshold, env[ENV.sessionThreshold], '0.1', problems),
        marginSeconds: env[ENV.sessionMargin] ? int(ENV.sessionMargin, 0, 1, 7 * 86400) : undefined,
        pollMs: int(ENV.sessionPollMs, 5000, 10),
        checkMs: int(ENV.sessionCheckMs, 300_000, 10),
        feedTimeoutMs: int(ENV.sessionFeedTimeoutMs, 10_000, 100),
        walletSettle: flag(ENV.sessionWalletSettle, env[ENV.sessionWalletSettle], problems),
    };
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
        sessions: Object.freeze(sessions),
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

/** An RFC 6750 bearer token of at least 16 characters (a shorter one is guessable). */
const TOKEN = /^[A-Za-z0-9\-._~+/]{16,1024}=*$/;

/** "addr=token,...": the Providers whose voucher feed is read, each one also watched (COCOON_RELAYER_PROVIDERS), whose runner serves the feed. */
function parseFeeds(raw: string | undefined, providers: WatchedProvider[], problems: string[]): SessionFeed[] {
    const out: SessionFeed[] = [];
    for (const entry of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
        const eq = entry.indexOf('=');
        let address: Address;
        try {
            address = Address.parse(eq < 0 ? entry : entry.slice(0, eq));
        } catch {
            problems.push(`${ENV.sessionFeeds}: "${eq < 0 ? entry : entry.slice(0, eq)}" is not a TON address`);
            continue;
        }
        const token = eq < 0 ? '' : entry.slice(eq + 1);
        if (!TOKEN.test(token)) problems.push(`${ENV.sessionFeeds}: the feed token of ${address} must be a bearer token of 16 to 1024 characters (A-Z a-z 0-9 - . _ ~ + /, then = padding)`);
        if (!providers.some((p) => p.address.equals(address))) problems.push(`${ENV.sessionFeeds}: ${address} is not in ${ENV.providers} (its runner serves the feed and its transactions tell when a session closes)`);
        if (out.some((f) => f.address.equals(address))) problems.push(`${ENV.sessionFeeds}: ${address} is listed twice`);
        out.push({ address, token });
    }
    return out;
}

/** 1/true on, 0/false off, unset or empty off. */
function flag(name: string, raw: string | undefined, problems: string[]): boolean {
    if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
    if (raw === '1' || raw === 'true') return true;
    problems.push(`${name} must be 1 or 0, got "${raw}"`);
    return false;
}

function ton(name: string, raw: string | undefined, fallback: string, problems: string[]): bigint {
    const value = raw === undefined || raw === '' ? fallback : raw;
    if (!/^\d+(\.\d{1,9})?$/.test(value)) {
        problems.push(`${name} must be an amount in TON (up to 9 decimals), got "${value}"`);
        return toNano(fallback);
    }
    return toNano(value);
}
