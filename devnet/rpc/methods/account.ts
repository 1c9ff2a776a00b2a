// getAddressInformation, getExtendedAddressInformation, getAddressBalance, getAddressState:
// account state as of the last applied block.
import { addressInformation, extendedAddressInformation, statusOf } from '../../format/account';
import { RpcContext, RpcMethod } from '../context';
import { address, Params } from '../params';
import { SmartContract } from '@ton/sandbox';

export function withContract<T>(ctx: RpcContext, params: Params, view: (c: SmartContract) => T): Promise<T> {
    const target = address(params);
    return ctx.chain.exclusive(async (blockchain) => view(await blockchain.getContract(target)));
}

export const accountMethods: Record<string, RpcMethod> = {
    getAddressInformation: (ctx, params) => withContract(ctx, params, (c) => addressInformation(c, ctx.producer.syncBlock())),
    getExtendedAddressInformation: (ctx, params) =>
        withContract(ctx, params, (c) => extendedAddressInformation(c, ctx.producer.syncBlock())),
    getAddressBalance: (ctx, params) => withContract(ctx, params, (c) => c.balance.toString()),
    getAddressState: (ctx, params) => withContract(ctx, params, (c) => statusOf(c)),
};
