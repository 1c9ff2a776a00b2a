/** Withdraws the sender's Provider's unbonded stake once the unbonding period ended (WithdrawStake): `--value` 0.05 TON. */
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { parseArgs, ton, UsageError } from './lib/args';
import { openOwnProvider, queryIdFromArgs } from './lib/contracts';
import { sendStep } from './lib/send';

export async function run(provider: NetworkProvider, argv: string[]) {
    const args = parseArgs(argv);
    const value = args.amount('value', toNano('0.05'), { min: toNano('0.01') });
    const queryId = queryIdFromArgs(args);
    const target = await openOwnProvider(provider, args);
    const ledger = await target.getLedger();
    if (ledger.unbonding === 0n) throw new UsageError('nothing is unbonding: run unbond first');

    await sendStep(provider, `withdraw ${ton(ledger.unbonding)} TON of stake`, target.address, value, () =>
        target.send(provider.sender(), { value }, { $$type: 'WithdrawStake', queryId }),
    );
    const after = await target.getLedger();
    provider.ui().write(after.unbonding === 0n ? `withdrawn ${ton(ledger.unbonding)} TON` : `not withdrawn: the unbonding period ends at ${new Date(Number(after.unbondAt) * 1000).toISOString()}`);
}
