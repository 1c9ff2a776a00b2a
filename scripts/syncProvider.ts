/** Refreshes a Provider's copy of the Registry parameters (RequestSync, from anyone): `--provider` or `--registry`, `--value` 0.05 TON. */
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { parseArgs } from './lib/args';
import { openProvider, queryIdFromArgs } from './lib/contracts';
import { sendStep } from './lib/send';

export async function run(provider: NetworkProvider, argv: string[]) {
    const args = parseArgs(argv);
    const value = args.amount('value', toNano('0.05'), { min: toNano('0.03') });
    const queryId = queryIdFromArgs(args);
    const target = await openProvider(provider, args);

    await sendStep(provider, 'sync parameters', target.address, value, (via) =>
        target.send(via, { value }, { $$type: 'RequestSync', queryId }),
    );
    provider.ui().write(`parameters synced at ${new Date(Number(await target.getSyncedAt()) * 1000).toISOString()}`);
}
