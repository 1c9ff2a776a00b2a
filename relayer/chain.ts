/**
 * Everything the relayer asks the chain, through TonClient (toncenter v2 API), with every failure
 * turned into a retryable or fatal RelayerError. Deliveries are external messages to the Provider:
 * no wallet, no fee for the relayer, and a duplicate is refused before it is accepted.
 */
import { Address, beginCell, Cell, external, storeMessage } from '@ton/core';
import type { TonClient } from '@ton/ton';
import { chainClient } from '../sdk/chain';
import { Provider, SessionRecord } from '../wrappers/Provider';
import { open } from '../protocol/tonClient';
import { classify, Stage } from './errors';
import type { PageSource } from './cursor';

export interface ChainOptions {
    endpoint: string;
    apiKey?: string;
    timeoutMs: number;
}

export class Chain {
    readonly client: TonClient;

    constructor(options: ChainOptions) {
        // 429 is retried with backoff inside (sdk/chain.ts); what still fails is classified by call() below.
        this.client = chainClient(options.endpoint, { apiKey: options.apiKey, timeoutMs: options.timeoutMs });
    }

    private async call<T>(stage: Stage, fn: () => Promise<T>): Promise<T> {
        try {
            return await fn();
        } catch (e) {
            throw classify(stage, e);
        }
    }

    pages(address: Address): PageSource {
        return (q) =>
            this.call('watch', () =>
                this.client.getTransactions(address, { limit: q.limit, lt: q.lt, hash: q.hash, to_lt: q.toLt, archival: true }),
            );
    }

    /** Whether the job is still open in the Provider's storage (the `job` getter returns null once it is final). */
    jobOpen(provider: Address, jobId: bigint, stage: Stage): Promise<boolean> {
        return this.call(stage, async () => {
            const { stack } = await this.client.runMethod(provider, 'job', [{ type: 'int', value: jobId }]);
            return stack.readTupleOpt() !== null;
        });
    }

    /** When the Provider's parameter copy goes stale (unix seconds); 0 before its first sync. */
    paramsStaleAt(provider: Address): Promise<number> {
        return this.call('sync', async () => Number(await this.client.open(Provider.fromAddress(provider)).getParamsStaleAt()));
    }

    /** The runner URL the Provider publishes (getter `runnerUrl`), unchecked; null when none. */
    runnerUrl(provider: Address): Promise<string | null> {
        return this.call('dispatch', () => open(this.client, Provider.fromAddress(provider)).getRunnerUrl());
    }

    /** A session's record (getter `session`); null once it has ended, or for an id never issued. */
    session(provider: Address, sessionId: bigint): Promise<SessionRecord | null> {
        return this.call('settle', () => open(this.client, Provider.fromAddress(provider)).getSession(sessionId));
    }

    /** The challenge window a session was opened with (its binding), or null when the session is gone. */
    async sessionWindow(provider: Address, sessionId: bigint): Promise<number | null> {
        const binding = await this.call('settle', () => open(this.client, Provider.fromAddress(provider)).getSessionBinding(sessionId));
        return binding ? Number(binding.challengeWindow) : null;
    }

    globalId(provider: Address): Promise<number> {
        return this.call('watch', async () => Number(await this.client.open(Provider.fromAddress(provider)).getGlobalId()));
    }

    /** The account's newest transaction as the endpoint reports its state (null for an account without any). */
    lastTransaction(address: Address): Promise<{ lt: bigint; hash: Buffer } | null> {
        return this.call('watch', async () => {
            const last = (await this.client.getContractState(address)).lastTransaction;
            return last ? { lt: BigInt(last.lt), hash: Buffer.from(last.hash, 'base64') } : null;
        });
    }

    /** The time of the last block the endpoint knows (a lower bound of the chain's "now"). */
    async chainTime(address: Address, stage: Stage = 'expire'): Promise<number> {
        const state = await this.call(stage, () => this.client.getContractState(address));
        return state.timestampt;
    }

    balance(address: Address): Promise<bigint> {
        return this.call('wallet', () => this.client.getBalance(address));
    }

    sendExternal(to: Address, body: Cell, stage: Stage = 'deliver'): Promise<void> {
        return this.call(stage, () => this.client.sendFile(beginCell().store(storeMessage(external({ to, body }))).endCell().toBoc()));
    }
}
