/**
 * Keeper mode (--keeper): ends overdue jobs of the watched Providers with ExpireJob from an operator
 * wallet (V5R1, mnemonic from the environment), so a client whose provider never answered gets its
 * escrow and compensation back without acting itself, and keeps each Provider's parameter copy
 * fresh with RequestSync (relayer/freshness.ts), so it never stops taking jobs for want of a sync.
 * Both are internal messages (they pay gas); the Provider returns what is left of the value. All
 * due messages of a round go in one transfer.
 */
import { Address, beginCell, internal, toNano } from '@ton/core';
import { storeExpireJob, storeRequestSync } from '../wrappers/Provider';
import { LastSync, syncDue, SYNC_VALUE_TON } from '../protocol/paramsFreshness';
import type { Chain } from './chain';
import type { Logger } from './log';
import type { RelayerMetrics } from './metrics';
import type { Store } from './store';
import type { OperatorWallet } from './wallet';

export const EXPIRE_VALUE = toNano('0.05'); // covers ExpireJob gas; the rest comes back
export const MAX_MESSAGES_PER_TRANSFER = 200; // V5R1 takes up to 255 actions
export const RESEND_AFTER_MS = 30_000; // an expiry not seen on chain by then is sent again

export class Keeper {
    private readonly sentAt = new Map<string, number>();
    private readonly syncs = new Map<string, LastSync>();

    constructor(
        private readonly wallet: OperatorWallet,
        private readonly deps: { chain: Chain; store: Store; log: Logger; metrics: RelayerMetrics; providers: Address[] },
    ) {}

    /** One round: expire every overdue open job and sync every copy about to go stale; returns how many messages were sent. */
    async tick(): Promise<number> {
        const { chain, store, metrics, log } = this.deps;
        metrics.walletBalance.set(Number(await this.wallet.balance()));
        // The chain's clock decides what is overdue, never ours: a relayer whose clock runs ahead would
        // send expiries the contract refuses (ERR_JOB_NOT_EXPIRED) and pay for each.
        const chainNow = await chain.chainTime(this.deps.providers[0] ?? (await this.wallet.address()));
        const due: { provider: Address; jobId: bigint }[] = [];
        for (const row of store.overdue(chainNow, MAX_MESSAGES_PER_TRANSFER)) {
            const key = `${row.provider}/${row.jobId}`;
            if (Date.now() - (this.sentAt.get(key) ?? 0) < RESEND_AFTER_MS) continue;
            const provider = Address.parseRaw(row.provider);
            if (!(await chain.jobOpen(provider, row.jobId, 'expire'))) {
                store.final(row.provider, row.jobId, 'gone');
                continue;
            }
            due.push({ provider, jobId: row.jobId });
        }
        const syncs = await this.syncsDue(chainNow);
        if (due.length === 0 && syncs.length === 0) return 0;

        const messages = [
            ...due.map((d) => internal({ to: d.provider, value: EXPIRE_VALUE, bounce: true, body: beginCell().store(storeExpireJob({ $$type: 'ExpireJob', queryId: d.jobId, jobId: d.jobId })).endCell() })),
            ...syncs.map((p) => internal({ to: p, value: toNano(SYNC_VALUE_TON), bounce: true, body: beginCell().store(storeRequestSync({ $$type: 'RequestSync', queryId: BigInt(chainNow) })).endCell() })),
        ];
        const seqno = await this.wallet.transfer(messages, chainNow, 'expire');
        const now = Date.now();
        for (const d of due) this.sentAt.set(`${d.provider.toRawString()}/${d.jobId}`, now);
        if (due.length > 0) metrics.expirations.inc(due.length);
        if (syncs.length > 0) metrics.paramSyncs.inc(syncs.length);
        log.info({ expirations: due.length, syncs: syncs.length, seqno }, 'keeper messages sent');
        return messages.length;
    }

    /** Providers whose parameter copy goes stale within the margin; records each one's horizon in the metrics. */
    private async syncsDue(chainNow: number): Promise<Address[]> {
        const { chain, metrics } = this.deps;
        const due: Address[] = [];
        for (const provider of this.deps.providers) {
            const raw = provider.toRawString();
            const staleAt = await chain.paramsStaleAt(provider);
            metrics.paramsStaleIn.set({ provider: raw }, staleAt - chainNow);
            if (!syncDue(staleAt, chainNow, this.syncs.get(raw))) continue;
            this.syncs.set(raw, { staleAt, at: chainNow });
            due.push(provider);
        }
        return due;
    }
}
