// runGetMethod: runs a get-method on the account's current code and data. A non-zero exit code is
// a result, not an error (TonClient.runMethod raises it itself); an account without code answers
// exit code -13, as toncenter does.
import { GetMethodError } from '@ton/sandbox';
import { blockIdExt, BASECHAIN } from '../../format/block';
import { lastTransactionId } from '../../format/account';
import { decodeStack, encodeStack, StackError } from '../../stack';
import { RpcMethod } from '../context';
import { invalid } from '../errors';
import { address, Params } from '../params';

const EXIT_ACCOUNT_NOT_ACTIVE = -13;

function methodOf(params: Params): string | number {
    const method = params.method;
    if (typeof method === 'number' && Number.isInteger(method)) return method;
    if (typeof method !== 'string' || method === '') throw invalid('method: name or numeric id required');
    return /^-?\d+$/.test(method) ? Number(method) : method;
}

function stackOf(params: Params) {
    // toncenter requires it (an empty list for no arguments); accepting its absence would hide a
    // client bug that toncenter reports.
    if (params.stack === undefined || params.stack === null) throw invalid('stack: required (use [] for no arguments)');
    try {
        return decodeStack(params.stack);
    } catch (error) {
        throw invalid(`stack: ${(error as StackError).message}`);
    }
}

export const runGetMethod: RpcMethod = (ctx, params) => {
    const target = address(params);
    const method = methodOf(params);
    const stack = stackOf(params);
    return ctx.chain.exclusive(async (blockchain, now) => {
        const contract = await blockchain.getContract(target);
        const common = {
            '@type': 'smc.runResult',
            block_id: blockIdExt(BASECHAIN, ctx.chain.lastBlock.seqno),
            last_transaction_id: lastTransactionId(contract),
        };
        if (contract.accountState?.type !== 'active') {
            return { ...common, gas_used: 0, stack: [], exit_code: EXIT_ACCOUNT_NOT_ACTIVE };
        }
        try {
            const result = await blockchain.runGetMethod(target, method, stack, { now });
            return { ...common, gas_used: Number(result.gasUsed), stack: encodeStack(result.stack), exit_code: result.exitCode };
        } catch (error) {
            if (!(error instanceof GetMethodError)) throw error;
            return { ...common, gas_used: Number(error.gasUsed), stack: [], exit_code: error.exitCode };
        }
    });
};
