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

export type DevnetOptions = {
    port?: number; // 0 picks a free port
    host?: string;
    blockMs?: number; // 0 (default): every message is its own block, applied at once
    statePath?: string;
    saveIntervalMs?: number;
};

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
    const chain = await Chain.create(options.statePath ? await readState(options.statePath) : undefined);
    const producer = new BlockProducer(chain, blockMs);
    const saver = options.statePath ? new StateSaver(chain, options.statePath, options.saveIntervalMs) : undefined;

    const faucet = async (to: Address | string, amount = FAUCET_DEFAULT_AMOUNT) => {
        const target = typeof to === 'string' ? Address.parse(to) : to;
        const tx = await fund(producer, target, amount).catch((e) => Promise.reject(e instanceof FaucetError ? invalid(e.message) : e));
        return { amount, lt: tx.lt, hash: tx.hash };
    };
    const advance = (seconds: number) => chain.advance(seconds);
    const status = () => ({ blockMs, seqno: chain.lastBlock.seqno, now: chain.clock.now(), statePath: options.statePath ?? null });

    const server = createDevnetServer({ chain, producer }, { faucet, advance, status });
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
