/**
 * Who pays for jobs. `JobSigner` is the seam: the SDK only needs an address, a spendable balance and
 * "send this internal message"; a TonConnect signer can implement it later without touching the SDK.
 * `MnemonicSigner` is the V5R1 wallet implementation used by the CLI and the gateway: the wallet
 * protocol/wallet.ts names for its network, the same address blueprint gives the mnemonic.
 */
import { Address, beginCell, Cell, external, internal, SendMode, storeMessage, toNano } from '@ton/core';
import { mnemonicToPrivateKey, mnemonicValidate, KeyPair } from '@ton/crypto';
import { WalletContractV5R1 } from '@ton/ton';
import { config as loadDotenv } from 'dotenv';
import { cocoonWallet, WalletNetwork, walletNetworkFromEnv } from '../protocol/wallet';
import type { Chain } from './chain';
import { TimeoutError } from './errors';

export interface OutgoingMessage {
    to: Address;
    value: bigint;
    body: Cell;
    bounce?: boolean; // default true: a refused message returns its value
}

export interface JobSigner {
    readonly address: Address;
    /** Balance the signer can still spend: on-chain balance less what it has promised to in-flight sends. */
    balance(): Promise<bigint>;
    /** Sends one internal message; resolves once the wallet has accepted it on chain. */
    send(message: OutgoingMessage): Promise<void>;
}

/** What one V5R1 external message costs the wallet, kept back when checking a balance (measured ≈ 0.003 TON). */
export const WALLET_FEE_MARGIN = toNano('0.01');
/** V5R1 carries at most 255 actions per external message. */
const MAX_BATCH = 255;
const CONFIRM_POLL_MS = 20;
/** Lifetime of a signed external message (its valid_until is chain time plus this). */
const MESSAGE_LIFETIME_S = 120;

export interface SignerOptions {
    /** Which network's wallet id (protocol/wallet.ts); fromEnv reads COCOON_NETWORK. Default mainnet (also the devnet's). */
    network?: WalletNetwork;
    now?: () => number;
}
const CONFIRM_TIMEOUT_MS = 120_000;

/** Environment variables read, in this order, for the wallet mnemonic (24 words). */
export const MNEMONIC_ENV = ['COCOON_WALLET_MNEMONIC', 'WALLET_MNEMONIC'] as const;

interface Queued {
    message: OutgoingMessage;
    resolve: () => void;
    reject: (e: unknown) => void;
}

/**
 * A V5R1 wallet from a mnemonic. Sends made while another is in flight are batched into the next
 * external message (one seqno), so concurrent jobs never race for a seqno.
 */
export class MnemonicSigner implements JobSigner {
    readonly address: Address;
    private readonly wallet: WalletContractV5R1;
    private queue: Queued[] = [];
    private pumping = false;
    private inFlight = 0n;
    private nextSeqno: number | null = null;
    private blockTime: { value: number; readAt: number } | null = null;

    /** `network`: whose V5R1 network id this wallet's address carries (protocol/wallet.ts). */
    private constructor(private readonly client: Chain, private readonly keys: KeyPair, readonly network: WalletNetwork, private readonly now?: () => number) {
        this.wallet = cocoonWallet(keys.publicKey, network);
        this.address = this.wallet.address;
    }

    /**
     * `now` is the chain's clock in unix seconds, for the external message's expiry; by default the
     * later of this machine's clock and the latest block's time.
     */
    static async fromMnemonic(client: Chain, words: string[], opts: SignerOptions = {}): Promise<MnemonicSigner> {
        if (!(await mnemonicValidate(words))) throw new Error('invalid wallet mnemonic (expected 24 TON mnemonic words)');
        return new MnemonicSigner(client, await mnemonicToPrivateKey(words), opts.network ?? 'mainnet', opts.now);
    }

    /**
     * Reads the mnemonic (and COCOON_NETWORK, unless `opts.network` is given) from the environment,
     * loading `.env` first (it never overrides the environment).
     */
    static async fromEnv(client: Chain, env: NodeJS.ProcessEnv = process.env, opts: SignerOptions = {}): Promise<MnemonicSigner> {
        loadDotenv({ quiet: true });
        const network = opts.network ?? walletNetworkFromEnv(env, (client as { parameters?: { endpoint?: string } }).parameters?.endpoint);
        const raw = MNEMONIC_ENV.map((name) => env[name]).find((v) => v && v.trim());
        if (!raw) throw new Error(`no wallet mnemonic: set ${MNEMONIC_ENV.join(' or ')} (24 words) in the environment or .env`);
        return MnemonicSigner.fromMnemonic(client, raw.trim().split(/\s+/), { ...opts, network });
    }

    async balance(): Promise<bigint> {
        return (await this.client.getBalance(this.address)) - this.inFlight;
    }

    send(message: OutgoingMessage): Promise<void> {
        return new Promise<void>((resolve, reject) => {
            this.queue.push({ message, resolve, reject });
            this.inFlight += message.value + WALLET_FEE_MARGIN;
            void this.pump();
        });
    }

    private async pump(): Promise<void> {
        if (this.pumping) return;
        this.pumping = true;
        try {
            while (this.queue.length) {
                const batch = this.queue.splice(0, MAX_BATCH);
                try {
                    await this.sendBatch(batch.map((q) => q.message));
                    batch.forEach((q) => q.resolve());
                } catch (e) {
                    batch.forEach((q) => q.reject(e));
                } finally {
                    for (const q of batch) this.inFlight -= q.message.value + WALLET_FEE_MARGIN;
                }
            }
        } finally {
            this.pumping = false;
        }
    }

    private async sendBatch(messages: OutgoingMessage[]): Promise<void> {
        const opened = this.client.open(this.wallet);
        // The next seqno is known after the first confirmed batch; only the first one asks the chain.
        const seqno = this.nextSeqno ?? (await opened.getSeqno());
        const transfer = this.wallet.createTransfer({
            seqno,
            secretKey: this.keys.secretKey,
            timeout: (await this.chainNow()) + MESSAGE_LIFETIME_S,
            sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
            messages: messages.map((m) => internal({ to: m.to, value: m.value, body: m.body, bounce: m.bounce ?? true })),
        });
        // Seqno 0 is the deploying transfer: it carries the wallet's state init (ignored once active).
        const ext = external({ to: this.address, init: seqno === 0 ? this.wallet.init : undefined, body: transfer });
        this.nextSeqno = null;
        await this.client.sendFile(beginCell().store(storeMessage(ext)).endCell().toBoc());
        const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
        while ((await opened.getSeqno()) <= seqno) {
            if (Date.now() > deadline) throw new TimeoutError(`wallet seqno ${seqno} to be used`);
            await new Promise((r) => setTimeout(r, CONFIRM_POLL_MS));
        }
        this.nextSeqno = seqno + 1;
    }

    /** Chain time for the message's expiry: the `now` option, else max(latest block time, local clock), the block time re-read at most every 10 s. */
    private async chainNow(): Promise<number> {
        if (this.now) return this.now();
        const wall = Math.floor(Date.now() / 1000);
        if (!this.blockTime || Date.now() - this.blockTime.readAt > 10_000) {
            this.blockTime = { value: (await this.client.getContractState(this.address)).timestampt, readAt: Date.now() };
        }
        return Math.max(wall, this.blockTime.value + Math.floor((Date.now() - this.blockTime.readAt) / 1000));
    }
}
