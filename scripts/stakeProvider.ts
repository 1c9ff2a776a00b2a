/** Adds stake to a Provider (AddStake, from anyone): `--amount` TON, `--provider` or `--registry` (the sender's Provider). */
import type { NetworkProvider } from '@ton/blueprint';
import { parseArgs, ton } from './lib/args';
import { openProvider, queryIdFromArgs } from './lib/contracts';
import { sendStep } from './lib/send';

export async function run(provider: NetworkProvider, argv: string[]) {
    const args = parseArgs(argv);
    const amount = args.amount('amount');
    const queryId = queryIdFromArgs(args);
    const target = await openProvider(provider, args);

    await sendStep(provider, 'add stake', target.address, amount, (via) =>
        target.send(via, { value: amount }, { $$type: 'AddStake', queryId }),
    );
    provider.ui().write(`stake now ${ton((await target.getLedger()).stake)} TON`);
}
