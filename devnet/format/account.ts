// Account views: toncenter's "raw.fullAccountState"-like object behind getAddressInformation,
// and the richer getExtendedAddressInformation / getWalletInformation shapes.
import { SmartContract } from '@ton/sandbox';
import { blockIdExt, BASECHAIN } from './block';
import { hashToBase64, ZERO_HASH } from './hash';

export type AccountStatus = 'active' | 'uninitialized' | 'frozen';

export function statusOf(contract: SmartContract): AccountStatus {
    const state = contract.accountState;
    if (state?.type === 'active') return 'active';
    if (state?.type === 'frozen') return 'frozen';
    return 'uninitialized';
}

export function lastTransactionId(contract: SmartContract) {
    const lt = contract.lastTransactionLt;
    return {
        '@type': 'internal.transactionId',
        lt: lt.toString(),
        hash: lt === 0n ? ZERO_HASH : hashToBase64(contract.lastTransactionHash),
    };
}

function codeAndData(contract: SmartContract): { code: string; data: string; frozen_hash: string } {
    const state = contract.accountState;
    if (state?.type === 'active') {
        return {
            code: state.state.code?.toBoc().toString('base64') ?? '',
            data: state.state.data?.toBoc().toString('base64') ?? '',
            frozen_hash: '',
        };
    }
    if (state?.type === 'frozen') return { code: '', data: '', frozen_hash: hashToBase64(state.stateHash) };
    return { code: '', data: '', frozen_hash: '' };
}

export function addressInformation(contract: SmartContract, block: { seqno: number; utime: number }) {
    return {
        '@type': 'raw.fullAccountState',
        balance: contract.balance.toString(),
        extra_currencies: [],
        ...codeAndData(contract),
        last_transaction_id: lastTransactionId(contract),
        block_id: blockIdExt(BASECHAIN, block.seqno),
        sync_utime: block.utime,
        state: statusOf(contract),
    };
}

export function extendedAddressInformation(contract: SmartContract, block: { seqno: number; utime: number }) {
    const { code, data, frozen_hash } = codeAndData(contract);
    return {
        '@type': 'fullAccountState',
        address: { '@type': 'accountAddress', account_address: contract.address.toString() },
        balance: contract.balance.toString(),
        extra_currencies: [],
        last_transaction_id: lastTransactionId(contract),
        block_id: blockIdExt(BASECHAIN, block.seqno),
        sync_utime: block.utime,
        account_state: statusOf(contract) === 'uninitialized'
            ? { '@type': 'uninited.accountState', frozen_hash }
            : { '@type': 'raw.accountState', code, data, frozen_hash },
        revision: 0,
    };
}
