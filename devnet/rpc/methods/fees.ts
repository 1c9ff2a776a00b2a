// estimateFee: dry-runs the external message (signature check skipped unless ignore_chksig is
// false) and splits the transaction's total fee the way toncenter reports it:
//   total = in_fwd_fee (import) + storage_fee + gas_fee + action fees; fwd_fee = fees of outbound messages.
import { external } from '@ton/core';
import { dryRunExternal } from '../../emulate';
import { RpcMethod } from '../context';
import { invalid } from '../errors';
import { address, bool, boc, optionalBoc } from '../params';
import { rejection } from './send';

export const estimateFee: RpcMethod = async (ctx, params) => {
    const to = address(params);
    const code = optionalBoc(params, 'init_code');
    const data = optionalBoc(params, 'init_data');
    if (!code !== !data) throw invalid('init_code and init_data go together');
    const message = external({ to, body: boc(params, 'body'), init: code && data ? { code, data } : undefined });
    const tx = await dryRunExternal(ctx.chain, message, bool(params, 'ignore_chksig', true)).catch((error) =>
        Promise.reject(rejection(error, message)),
    );
    const d = tx.description;
    if (d.type !== 'generic') throw new Error(`unexpected ${d.type} transaction`);
    const gas = d.computePhase.type === 'vm' ? d.computePhase.gasFees : 0n;
    const storage = d.storagePhase?.storageFeesCollected ?? 0n;
    const actionFees = d.actionPhase?.totalActionFees ?? 0n;
    return {
        '@type': 'query.fees',
        source_fees: {
            '@type': 'fees',
            in_fwd_fee: Number(tx.totalFees.coins - gas - storage - actionFees),
            storage_fee: Number(storage),
            gas_fee: Number(gas),
            fwd_fee: Number(d.actionPhase?.totalFwdFees ?? 0n),
        },
        destination_fees: [],
    };
};
