// The faucet: pays TON to any address from a sandbox treasury, as a normal (non-bounceable)
// internal message, so it also funds addresses that are not deployed yet. The treasury is
// topped up out of thin air whenever it runs low: on a devnet, money is free.
import { Address, toNano } from '@ton/core';
import { Blockchain, internal, SendMessageResult } from '@ton/sandbox';
import { BlockProducer } from './blockProducer';
import { IndexedTx } from './txIndex';

export const FAUCET_SEED = 'cocoon-devnet-faucet';
export const FAUCET_DEFAULT_AMOUNT = toNano('100');
export const FAUCET_MAX_AMOUNT = toNano('1000000');
const TREASURY_RESERVE = toNano('1000000000');
const TREASURY_GAS_MARGIN = toNano('1');
const TREASURY_DEPLOY_VALUE = toNano('1');

export class FaucetError extends Error {}

// Pays `amount` nanotons to `to`; resolves with the recipient's transaction once its block is applied.
export async function fund(producer: BlockProducer, to: Address, amount: bigint): Promise<IndexedTx> {
    if (amount <= 0n || amount > FAUCET_MAX_AMOUNT) {
        throw new FaucetError(`amount must be between 1 and ${FAUCET_MAX_AMOUNT} nanotons`);
    }
    const txs = await producer.submit((blockchain) => pay(blockchain, to, amount));
    const received = txs.find((e) => e.address.equals(to));
    if (!received) throw new Error('faucet transfer produced no transaction on the recipient');
    return received;
}

async function pay(blockchain: Blockchain, to: Address, amount: bigint): Promise<SendMessageResult> {
    // We deploy the treasury ourselves (instead of letting sandbox do it) so that its deploy
    // transaction lands in the index like any other.
    const treasury = await blockchain.treasury(FAUCET_SEED, { predeploy: false });
    const account = await blockchain.getContract(treasury.address);
    let deployed: SendMessageResult | undefined;
    if (account.accountState?.type !== 'active') {
        deployed = await blockchain.sendMessage(
            internal({ from: new Address(0, Buffer.alloc(32)), to: treasury.address, value: TREASURY_DEPLOY_VALUE, stateInit: treasury.init }),
        );
    }
    if (account.balance < amount + TREASURY_GAS_MARGIN) account.balance = TREASURY_RESERVE + amount;
    const paid = await treasury.send({ to, value: amount, bounce: false });
    return deployed ? { ...paid, transactions: [...deployed.transactions, ...paid.transactions] } : paid;
}
