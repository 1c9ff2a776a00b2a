/**
 * The relayer's operator wallet (V5R1, COCOON_RELAYER_KEEPER_MNEMONIC): the keeper's expiries and
 * syncs and the settlement service's internal SettleVoucher go out through it. One transfer at a
 * time, each waiting for the seqno to move before the next one is signed: two senders reading the
 * same seqno would have one transfer refused.
 */
import { Address, MessageRelaxed, SendMode } from '@ton/core';
import { KeyPair, mnemonicToPrivateKey } from '@ton/crypto';
import type { WalletContractV5R1 } from '@ton/ton';
import { cocoonWallet, WalletNetwork } from '../protocol/wallet';
import type { Chain } from './chain';
import { classify, Stage } from './errors';

export const TRANSFER_VALIDITY_SECONDS = 300;
export const SEQNO_WAIT_ATTEMPTS = 50;
export const SEQNO_WAIT_MS = 200;

export class OperatorWallet {
    private keys?: KeyPair;
    private wallet?: WalletContractV5R1;
    private queue: Promise<unknown> = Promise.resolve();

    constructor(
        private readonly mnemonic: string[],
        private readonly chain: Chain,
        private readonly network?: WalletNetwork,
    ) {}

    async address(): Promise<Address> {
        return (await this.init()).address;
    }

    balance(): Promise<bigint> {
        return this.init().then((w) => this.chain.balance(w.address));
    }

    private async init(): Promise<WalletContractV5R1> {
        if (!this.wallet) {
            this.keys = await mnemonicToPrivateKey(this.mnemonic);
            this.wallet = cocoonWallet(this.keys.publicKey, this.network);
        }
        return this.wallet;
    }

    /**
     * Signs and sends one transfer of `messages` (valid until `chainNow` + 5 min), after every transfer
     * queued before it, and waits (up to 10 s) for the seqno to move. Resolves with the seqno used.
     */
    transfer(messages: MessageRelaxed[], chainNow: number, stage: Stage): Promise<number> {
        const run = this.queue.then(() => this.send(messages, chainNow, stage));
        this.queue = run.catch(() => undefined);
        return run;
    }

    private async send(messages: MessageRelaxed[], chainNow: number, stage: Stage): Promise<number> {
        const opened = this.chain.client.open(await this.init());
        const seqno = await opened.getSeqno().catch((e) => Promise.reject(classify('wallet', e)));
        await opened
            .sendTransfer({ seqno, secretKey: this.keys!.secretKey, messages, sendMode: SendMode.PAY_GAS_SEPARATELY, timeout: chainNow + TRANSFER_VALIDITY_SECONDS })
            .catch((e) => Promise.reject(classify(stage, e)));
        for (let i = 0; i < SEQNO_WAIT_ATTEMPTS; i++) {
            if ((await opened.getSeqno().catch(() => seqno)) > seqno) break;
            await new Promise((r) => setTimeout(r, SEQNO_WAIT_MS));
        }
        return seqno;
    }
}
