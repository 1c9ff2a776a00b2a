/**
 * Keeper mode (--keeper): ends overdue jobs of the watched Providers with ExpireJob from an operator
 * wallet (V5R1, mnemonic from the environment), so a client whose provider never answered gets its
 * escrow and compensation back without acting itself, and keeps each Provider's parameter copy
 * fresh with RequestSync (relayer/freshness.ts), so it never stops taking jobs for want of a sync.
 * Both are internal messages (they pay gas); the Provider returns what is left of the value. All
 * due messages of a round go in one transfer.
 */
import { Address, beginCell, internal, SendMode, toNano } from '@ton/core';
import { mnemonicToPrivateKey, KeyPair } from '@ton/crypto';
import type { WalletContractV5R1 } from '@ton/ton';
import { cocoonWallet, WalletNetwork } from '../protocol/wallet';
import { Provider, storeExpireJob, storeRequestSync } from '../wrappers/Provider';
import { LastSync, syncDue, SYNC_VALUE_TON } from '../protocol/paramsFreshness';
import type { Chain } from './chain';
import { classify } from './errors';
import type { Logger } from './log';
import type { RelayerMetrics } from './metrics';
import type { Store } from './store';

export const EXPIRE_VALUE = toNano('0.05'); // covers ExpireJob gas; the rest comes back
export const MAX_MESSAGES_PER_TRANSFER = 200; // V5R1 takes up to 255 actions
export const TRANSFER_VALIDITY_SECONDS = 300;
export const RESEND_AFTER_MS = 30_000; // an expiry not seen on chain by then is sent again
export const SEQNO_WAIT_ATTEMPTS = 50;

export class Keeper {
    private keys?: KeyPair;
    private wallet?: WalletContractV5R1;
    private readonly sentAt = new Map<string, number>();
    private readonly syncs = new Map<string, LastSync>();

    constructor(
        private readonly mnemonic: string[],
        private readonly deps: { chain: Chain; store: Store; log: Logger; metrics: RelayerMetrics; providers: Address[]; network?: WalletNetwork },
    ) {}

    async address(): Promise<Address> {
        await this.init();
        return this.wallet!.address;
    }

    private async init(): Promise<void> {
        if (this.wallet) return;
        this.keys = await mnemonicToPrivateKey(this.mnemonic);
        this.wallet = cocoonWallet(this.keys.publicKey, this.deps.network);
    }

    /** One round: expire every overdue open job and sync every copy about to go stale; returns how many messages were sent. */
    async tick(): Promise<number> {
        await this.init();
        const { chain, store, metrics, log } = this.deps;
        const wallet = this.wallet!;
        metrics.walletBalance.set(Number(await chain.balance(wallet.address)));
        // The chain's clock decides what is overdue, never ours: a relayer whose clock runs ahead would
        // send expiries the contract refuses (ERR_JOB_NOT_EXPIRED) and pay for each.
        const chainNow = await chain.chainTime(this.deps.providers[0] ?? wallet.address);
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

        const opened = chain.client.open(wallet);
        const seqno = await opened.getSeqno().catch((e) => Promise.reject(classify('wallet', e)));
        const messages = [
            ...due.map((d) => internal({ to: d.provider, value: EXPIRE_VALUE, bounce: true, body: beginCell().store(storeExpireJob({ $$type: 'ExpireJob', queryId: d.jobId, jobId: d.jobId })).endCell() })),
            ...syncs.map((p) => internal({ to: p, value: toNano(SYNC_VALUE_TON), bounce: true, body: beginCell().store(storeRequestSync({ $$type: 'RequestSync', queryId: BigInt(chainNow) })).endCell() })),
        ];
        await opened
            .sendTransfer({ seqno, secretKey: this.keys!.secretKey, messages, sendMode: SendMode.PAY_GAS_SEPARATELY, timeout: chainNow + TRANSFER_VALIDITY_SECONDS })
            .catch((e) => Promise.reject(classify('expire', e)));
        const now = Date.now();
        for (const d of due) this.sentAt.set(`${d.provider.toRawString()}/${d.jobId}`, now);
        if (due.length > 0) metrics.expirations.inc(due.length);
        if (syncs.length > 0) metrics.paramSyncs.inc(syncs.length);
        log.info({ expirations: due.length, syncs: syncs.length, seqno }, 'keeper messages sent');
        await this.waitSeqno(opened, seqno);
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

    private async waitSeqno(opened: { getSeqno(): Promise<number> }, seqno: number): Promise<void> {
        for (let i = 0; i < SEQNO_WAIT_ATTEMPTS; i++) {
            if ((await opened.getSeqno().catch(() => seqno)) > seqno) return;
            await new Promise((r) => setTimeout(r, 200));
        }
    }
}
