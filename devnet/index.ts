// startDevnet: the whole devnet in-process (chain, block clock, faucet, HTTP server, state file).
// `npm run devnet` is a thin CLI over this; tests and the demo call it directly.
import { Address } from '@ton/core';
import { Blockchain } from '@ton/sandbox';
import { BlockProducer } from './blockProducer';
import { Chain } from './chain';
import { FAUCET_DEFAULT_AMOUNT, FaucetError, fund } from './faucet';
import { createDevnetServer } from './http/server';
import { readState, StateSaver } from './persistence';
import { invalid } from './rpc/errors';
import { listen } from '../http/server';
import { ApiRateLimit } from './rateLimit';
import { WallClock } from './clock';

export type DevnetOptions = {
    port?: number; // 0 picks a free port
    host?: string;
    blockMs?: number; // 0 (default): every message is its own block, applied at once
    statePath?: string;
    saveIntervalMs?: number;
    /** Requests per second per client IP on the toncenter API for requests without an API key, 429 beyond (toncenter: 1); off when unset. */
    rateLimit?: number;
    /** Requests per second per API key (X-API-Key or api_key; toncenter's free key: 10); default `rateLimit`. */
    keyRateLimit?: number;
    /** API keys never limited: the demo's own services, so that they do not spend a user's share. */
    unlimitedKeys?: string[];
    /** Wall clock in ms (Date.now): the chain's time and the rate limiter read it; tests inject their own. */
    clock?: WallClock;
};

/**
 * The chain's global id (config param 19). The sandbox runs on mainnet's config, so it is
 * mainnet's -239: wallets and TonConnect keep their mainnet defaults here.
 */
export const DEVNET_GLOBAL_ID = -239;

/**
 * The wallet ids the standard wallets use on this chain (what getWalletInformation reports):
 * V5R1's default for global id -239, workchain 0, subwallet 0; V3/V4's 698983191 + workchain.
 */
export const DEVNET_WALLET_IDS = { v5r1: 2147483409, v4r2: 698983191, v3r2: 698983191 } as const;

export type Devnet = {
    url: string;
    endpoint: string; // what TonClient takes as `endpoint`
    blockchain: Blockchain;
    faucet: (address: Address | string, amount?: bigint) => Promise<{ amount: bigint; lt: bigint; hash: Buffer }>;
    advance: (seconds: number) => Promise<number>;
    close: () => Promise<void>;
};

export const DEFAULT_PORT = 8081;
export const DEFAULT_HOST = '127.0.0.1';

export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
    const blockMs = options.blockMs ?? 0;
    if (!Number.isSafeInteger(blockMs) || blockMs < 0) throw new RangeError('blockMs must be a non-negative integer');
    for (const name of ['rateLimit', 'keyRateLimit'] as const) {
        const rate = options[name];
        if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) throw new RangeError(`${name} must be a positive number of requests per second`);
    }
    const keyRateLimit = options.keyRateLimit ?? options.rateLimit;
    const chain = await Chain.create(options.statePath ? await readState(options.statePath) : undefined, options.clock);
    const producer = new BlockProducer(chain, blockMs);
    const saver = options.statePath ? new StateSaver(chain, options.statePath, options.saveIntervalMs) : undefined;

    const faucet = async (to: Address | string, amount = FAUCET_DEFAULT_AMOUNT) => {
        const target = typeof to === 'string' ? Address.parse(to) : to;
        const tx = await fund(producer, target, amount).catch((e) => Promise.reject(e instanceof FaucetError ? invalid(e.message) : e));
        return { amount, lt: tx.lt, hash: tx.hash };
    };
    const advance = (seconds: number) => chain.advance(seconds);
    const limiter = options.rateLimit === undefined && keyRateLimit === undefined
        ? undefined
        : new ApiRateLimit({ perIp: options.rateLimit, perKey: keyRateLimit, unlimitedKeys: options.unlimitedKeys }, options.clock);
    const status = () => ({
        blockMs, rateLimit: options.rateLimit ?? null, keyRateLimit: keyRateLimit ?? null, ...(limiter ?? ApiRateLimit.OFF).counts(),
        seqno: chain.lastBlock.seqno, now: chain.clock.now(), statePath: options.statePath ?? null,
    });

    const server = createDevnetServer({ chain, producer }, { faucet, advance, status }, limiter);
    const url = await listen(server, options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST);
    producer.start();
    saver?.start();

    let closing: Promise<void> | undefined;
    // One shutdown path: stop taking requests, apply what is queued, write the state file.
    const close = () =>
        (closing ??= (async () => {
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            });
            await producer.stop();
            await saver?.stop();
        })());
    return { url, endpoint: `${url}/jsonRPC`, blockchain: chain.blockchain, faucet, advance, close };
}
