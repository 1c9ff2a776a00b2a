/**
 * Asks the Registry to deploy the sender's Provider (DeployProvider): `--registry`, `--value` (0.2 TON,
 * at least 0.1). Idempotent: a Provider the Registry already deployed (it holds a parameter copy) is
 * reported and nothing is sent, so running the script again never pays for a second deployment.
 */
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { parseArgs } from './lib/args';
import { openRegistry, queryIdFromArgs, senderAddress } from './lib/contracts';
import { sendStep } from './lib/send';
import { Provider } from '../wrappers/Provider';
import { RefusedError } from './lib/args';

export async function run(provider: NetworkProvider, argv: string[]) {
    const args = parseArgs(argv);
    const registry = await openRegistry(provider, args);
    const value = args.amount('value', toNano('0.2'), { min: toNano('0.1') });
    const queryId = queryIdFromArgs(args);
    const address = await registry.getProviderAddress(senderAddress(provider));
    if (await provider.isContractDeployed(address)) {
        const existing = provider.open(Provider.fromAddress(address));
        if ((await existing.getSyncedAt()) > 0n) {
            provider.ui().write(`Provider ${address} is already deployed (owner ${await existing.getOwner()}): nothing sent`);
            return address;
        }
    }

    await sendStep(provider, 'deploy Provider', registry.address, value, (via) =>
        registry.send(via, { value }, { $$type: 'DeployProvider', queryId }),
    );
    if (!(await provider.isContractDeployed(address))) throw new RefusedError(`the Registry took DeployProvider but the Provider ${address} is not deployed`);
    provider.ui().write(`Provider ${address}`);
    return address;
}
