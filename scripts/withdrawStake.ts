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
    // Blueprint gives no chain clock to check unbondAt against; the Provider's ERR_UNBONDING_NOT_DONE is reported instead.
    provider.ui().write(`unbonding ${ton(ledger.unbonding)} TON, withdrawable from ${new Date(Number(ledger.unbondAt) * 1000).toISOString()} (chain time)`);

    await sendStep(provider, `withdraw ${ton(ledger.unbonding)} TON of stake`, target.address, value, (via) =>
        target.send(via, { value }, { $$type: 'WithdrawStake', queryId }),
    );
    const after = await target.getLedger();
    provider.ui().write(`withdrawn ${ton(ledger.unbonding - after.unbonding)} TON`);
}
