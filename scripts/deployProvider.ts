/** Asks the Registry to deploy the sender's Provider (DeployProvider): `--registry`, `--value` (0.2 TON, at least 0.1). */
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { parseArgs } from './lib/args';
import { openRegistry, queryIdFromArgs, senderAddress } from './lib/contracts';
import { sendStep } from './lib/send';

export async function run(provider: NetworkProvider, argv: string[]) {
    const args = parseArgs(argv);
    const registry = await openRegistry(provider, args);
    const value = args.amount('value', toNano('0.2'), { min: toNano('0.1') });
    const queryId = queryIdFromArgs(args);
    const address = await registry.getProviderAddress(senderAddress(provider));

    await sendStep(provider, 'deploy Provider', registry.address, value, () =>
        registry.send(provider.sender(), { value }, { $$type: 'DeployProvider', queryId }),
    );
    await provider.waitForDeploy(address);
    provider.ui().write(`Provider ${address}`);
    return address;
}
