/**
 * A V5R1 wallet used through TonClient as a `Sender`, so the generated wrappers can send with it.
 * `validUntil` comes from the chain's clock rather than ours: a devnet moved forward in time would
 * otherwise reject every transfer as expired. Sends are serialised and each waits for its seqno.
 */
import { Address, Cell, internal, Sender, SenderArguments, SendMode } from '@ton/core';
import { KeyPair, keyPairFromSeed } from '@ton/crypto';
import { TonClient, WalletContractV5R1 } from '@ton/ton';
import { cocoonWallet } from '../protocol/wallet';
import { randomBytes } from 'node:crypto';

export const TRANSFER_VALIDITY_SECONDS = 120;
export const SEQNO_POLL_MS = 20;
export const SEQNO_POLL_ATTEMPTS = 500;

export type ChainClock = () => number; // unix seconds on the chain

export class DemoWallet implements Sender {
    readonly address: Address;
    readonly wallet: WalletContractV5R1;
    private queue: Promise<unknown> = Promise.resolve();
    // Sends are serialised, so after the first getter the next seqno is known: one getter per send fewer.
    private nextSeqno: number | undefined;

    constructor(
        private readonly client: TonClient,
        readonly keys: KeyPair,
        private readonly clock: ChainClock,
    ) {
        this.wallet = cocoonWallet(keys.publicKey, 'devnet');
        this.address = this.wallet.address;
    }

    static random(client: TonClient, clock: ChainClock): DemoWallet {
        return new DemoWallet(client, keyPairFromSeed(randomBytes(32)), clock);
    }

    send(args: SenderArguments): Promise<void> {
        const run = this.queue.then(() => this.transfer(args));
        this.queue = run.catch(() => undefined);
        return run;
    }

    private async transfer(args: SenderArguments): Promise<void> {
        const opened = this.client.open(this.wallet);
        const seqno = this.nextSeqno ?? (await opened.getSeqno());
        this.nextSeqno = undefined; // unknown again until this transfer is seen applied
        await opened.sendTransfer({
            seqno,
            secretKey: this.keys.secretKey,
            sendMode: (args.sendMode ?? SendMode.PAY_GAS_SEPARATELY) | SendMode.IGNORE_ERRORS,
            timeout: this.clock() + TRANSFER_VALIDITY_SECONDS,
            messages: [internal({ to: args.to, value: args.value, bounce: args.bounce ?? true, init: args.init ?? undefined, body: args.body ?? Cell.EMPTY })],
        });
        for (let i = 0; i < SEQNO_POLL_ATTEMPTS; i++) {
            const current = await opened.getSeqno();
            if (current > seqno) {
                this.nextSeqno = current;
                return;
            }
            await new Promise((r) => setTimeout(r, SEQNO_POLL_MS));
        }
        throw new Error(`transfer with seqno ${seqno} from ${this.address} was not applied`);
    }
}
