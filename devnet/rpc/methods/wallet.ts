// getWalletInformation: recognises the standard wallets from @ton/ton by code hash and reads
// their seqno and subwallet id with get-methods, as toncenter does for known wallet codes.
import { Address, Cell } from '@ton/core';
import { WalletContractV3R1, WalletContractV3R2, WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import { Blockchain } from '@ton/sandbox';
import { lastTransactionId, statusOf } from '../../format/account';
import { RpcMethod } from '../context';
import { address } from '../params';

const ANY_KEY = { workchain: 0, publicKey: Buffer.alloc(32) };
const KNOWN_WALLETS: [string, Cell][] = [
    ['wallet v3 r1', WalletContractV3R1.create(ANY_KEY).init.code],
    ['wallet v3 r2', WalletContractV3R2.create(ANY_KEY).init.code],
    ['wallet v4 r2', WalletContractV4.create(ANY_KEY).init.code],
    ['wallet v5 r1', WalletContractV5R1.create(ANY_KEY).init.code],
];

function walletType(code: Cell | null | undefined): string | undefined {
    return code ? KNOWN_WALLETS.find(([, known]) => known.equals(code))?.[0] : undefined;
}

async function readInt(blockchain: Blockchain, target: Address, method: string): Promise<number | undefined> {
    try {
        return Number((await blockchain.runGetMethod(target, method)).stackReader.readBigNumber());
    } catch {
        return undefined;
    }
}

export const getWalletInformation: RpcMethod = (ctx, params) => {
    const target = address(params);
    return ctx.chain.exclusive(async (blockchain) => {
        const contract = await blockchain.getContract(target);
        const state = contract.accountState;
        const type = state?.type === 'active' ? walletType(state.state.code) : undefined;
        const common = {
            balance: contract.balance.toString(),
            account_state: statusOf(contract),
            last_transaction_id: lastTransactionId(contract),
        };
        if (!type) return { wallet: false, ...common };
        return {
            wallet: true,
            ...common,
            wallet_type: type,
            seqno: await readInt(blockchain, target, 'seqno'),
            wallet_id: await readInt(blockchain, target, 'get_subwallet_id'),
        };
    });
};
