// The toncenter v2 methods the devnet serves, by name. Anything else is answered with a 404.
import { RpcContext, RpcMethod } from './context';
import { notFound } from './errors';
import { accountMethods } from './methods/account';
import { blockMethods } from './methods/blocks';
import { estimateFee } from './methods/fees';
import { runGetMethod } from './methods/getMethod';
import { sendMethods } from './methods/send';
import { transactionMethods } from './methods/transactions';
import { getWalletInformation } from './methods/wallet';
import { Params } from './params';

export const METHODS: Readonly<Record<string, RpcMethod>> = {
    ...accountMethods,
    getWalletInformation,
    ...transactionMethods,
    ...blockMethods,
    ...sendMethods,
    runGetMethod,
    estimateFee,
};

export function callMethod(ctx: RpcContext, name: string, params: Params): Promise<unknown> {
    const method = Object.prototype.hasOwnProperty.call(METHODS, name) ? METHODS[name] : undefined;
    if (!method) throw notFound(`unknown method "${name}"; the devnet serves: ${Object.keys(METHODS).join(', ')}`);
    return method(ctx, params);
}
