/**
 * Keeper mode (--keeper): ends overdue jobs of the watched Providers with ExpireJob from an operator
 * wallet (V5R1, mnemonic from the environment), so a client whose provider never answered gets its
 * escrow and compensation back without acting itself. ExpireJob is an internal message (it pays
 * gas); the Provider returns what is left of the value. All due expirations go in one transfer.
 */
import { Address, beginCell, internal, SendMode, toNano } from '@ton/core';
import { mnemonicToPrivateKey, KeyPair } from '@ton/crypto';
import { WalletContractV5R1 } from '@ton/ton';
import { storeExpireJob } from '../wrappers/Provider';
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

    constructor(
        private readonly mnemonic: string[],
        private readonly deps: { chain: Chain; store: Store; log: Logger; metrics: RelayerMetrics; providers: Address[] },
    ) {}

    async address(): Promise<Address> {
        await this.init();
        return this.wallet!.address;
    }

    private async init(): Promise<void> {
        if (this.wallet) return;
        this.keys = await mnemonicToPrivateKey(this.mnemonic);
        this.wallet = WalletContractV5R1.create({ workchain: 0, publicKey: this.keys.publicKey });
    }

    /** One round: expire every overdue open job; returns how many ExpireJob messages were sent. */
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
        if (due.length === 0) return 0;

        const opened = chain.client.open(wallet);
        const seqno = await opened.getSeqno().catch((e) => Promise.reject(classify('wallet', e)));
        const messages = due.map((d) =>
            internal({ to: d.provider, value: EXPIRE_VALUE, bounce: true, body: beginCell().store(storeExpireJob({ $$type: 'ExpireJob', queryId: d.jobId, jobId: d.jobId })).endCell() }),
        );
        await opened
            .sendTransfer({ seqno, secretKey: this.keys!.secretKey, messages, sendMode: SendMode.PAY_GAS_SEPARATELY, timeout: chainNow + TRANSFER_VALIDITY_SECONDS })
            .catch((e) => Promise.reject(classify('expire', e)));
        const now = Date.now();
        for (const d of due) this.sentAt.set(`${d.provider.toRawString()}/${d.jobId}`, now);
        metrics.expirations.inc(due.length);
        log.info({ count: due.length, seqno }, 'expirations sent');
        await this.waitSeqno(opened, seqno);
        return due.length;
    }

    private async waitSeqno(opened: { getSeqno(): Promise<number> }, seqno: number): Promise<void> {
        for (let i = 0; i < SEQNO_WAIT_ATTEMPTS; i++) {
            if ((await opened.getSeqno().catch(() => seqno)) > seqno) return;
            await new Promise((r) => setTimeout(r, 200));
        }
    }
}
