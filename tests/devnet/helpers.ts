// Shared set-up for the devnet specs: a devnet on a free port, a TonClient pointed at it, and
// fresh V5R1 wallets with random keys. Everything the specs check goes through TonClient.
import { keyPairFromSeed, KeyPair } from '@ton/crypto';
import { internal, SendMode, TonClient, WalletContractV5R1, Address, OpenedContract, Cell, MessageRelaxed } from '@ton/ton';
import type { WalletV5R1SendArgsSinged } from '@ton/ton/dist/wallets/v5r1/WalletContractV5R1';
import { randomBytes } from 'node:crypto';
import { Devnet, DevnetOptions, startDevnet } from '../../devnet';

export type TestWallet = { keys: KeyPair; wallet: WalletContractV5R1; opened: OpenedContract<WalletContractV5R1> };

export async function startTestDevnet(options: DevnetOptions = {}): Promise<{ devnet: Devnet; client: TonClient }> {
    const devnet = await startDevnet({ port: 0, ...options });
    return { devnet, client: new TonClient({ endpoint: devnet.endpoint }) };
}

export function newWallet(client: TonClient): TestWallet {
    const keys = keyPairFromSeed(randomBytes(32));
    const wallet = WalletContractV5R1.create({ workchain: 0, publicKey: keys.publicKey });
    return { keys, wallet, opened: client.open(wallet) };
}

export function randomAddress(): Address {
    return new Address(0, randomBytes(32));
}

// Sends `value` nanotons from the wallet (deploying it if needed) with the wallet's current seqno.
export async function transfer(w: TestWallet, to: Address, value: bigint, seqno?: number): Promise<void> {
    await w.opened.sendTransfer({
        seqno: seqno ?? (await w.opened.getSeqno()),
        secretKey: w.keys.secretKey,
        sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
        messages: [internal({ to, value, bounce: false })],
    });
}

// The signed body of a transfer, for tests that send or estimate it themselves.
export function signedTransfer(w: TestWallet, seqno: number, messages: MessageRelaxed[] = []): Cell {
    return w.wallet.createTransfer<WalletV5R1SendArgsSinged>({
        seqno,
        secretKey: w.keys.secretKey,
        sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
        messages,
    });
}

// Polls until `check` returns a value; used only where the devnet is batching on purpose.
export async function eventually<T>(check: () => Promise<T | undefined>, attempts = 100, pauseMs = 50): Promise<T> {
    for (let i = 0; i < attempts; i++) {
        const value = await check();
        if (value !== undefined) return value;
        await new Promise((r) => setTimeout(r, pauseMs));
    }
    throw new Error('condition not reached');
}
