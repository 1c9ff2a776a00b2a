/** Starts unbonding part of the sender's Provider stake (RequestUnbond): `--amount` TON, `--value` 0.05 TON. */
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { parseArgs, ton, UsageError } from './lib/args';
import { openOwnProvider, queryIdFromArgs } from './lib/contracts';
import { sendStep } from './lib/send';

export async function run(provider: NetworkProvider, argv: string[]) {
    const args = parseArgs(argv);
    const amount = args.amount('amount');
    const value = args.amount('value', toNano('0.05'), { min: toNano('0.01') });
    const queryId = queryIdFromArgs(args);
    const target = await openOwnProvider(provider, args);
    const ledger = await target.getLedger();
    if (amount > ledger.stake) throw new UsageError(`--amount: ${ton(amount)} TON is above the stake of ${ton(ledger.stake)} TON`);
    if (ledger.openJobs > 0n) throw new UsageError(`the Provider has ${ledger.openJobs} open job(s): unbonding is refused until they end`);

    // Allowed, but a stake below the minimum takes no new jobs (ERR_STAKE_TOO_LOW): say so before sending.
    const minStake = (await target.getParams())?.minStake ?? 0n;
    if (ledger.stake - amount < minStake) {
        provider.ui().write(`WARNING: the stake left, ${ton(ledger.stake - amount)} TON, is below the minimum of ${ton(minStake)} TON: the Provider takes no new jobs (ERR_STAKE_TOO_LOW)`);
    }

    await sendStep(provider, 'request unbond', target.address, value, (via) =>
        target.send(via, { value }, { $$type: 'RequestUnbond', queryId, amount }),
    );
    const after = await target.getLedger();
    provider.ui().write(`unbonding ${ton(after.unbonding)} TON, withdrawable from ${new Date(Number(after.unbondAt) * 1000).toISOString()}`);
}
