/**
 * Deploys the Registry, owned by the sender, with a TopUp carrying its storage reserve.
 * Flags: --global-id (default: -239 on mainnet, -3 on testnet; required elsewhere), --value (1 TON),
 * and any parameter flag of scripts/lib/params.ts (defaults: protocol/defaults.ts, treasury = sender).
 */
import { Dictionary, toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { Registry } from '../wrappers/Registry';
import { defaultParams } from '../protocol/defaults';
import { PUBLIC_TON_GLOBAL_IDS } from '../protocol/networks';
import { parseArgs, RefusedError } from './lib/args';
import { paramsFromArgs } from './lib/params';
import { queryIdFromArgs, senderAddress } from './lib/contracts';
import { sendStep } from './lib/send';

const NETWORK_GLOBAL_ID: Record<string, bigint> = { mainnet: BigInt(PUBLIC_TON_GLOBAL_IDS.mainnet), testnet: BigInt(PUBLIC_TON_GLOBAL_IDS.testnet) };

export async function run(provider: NetworkProvider, argv: string[]) {
    const args = parseArgs(argv);
    const owner = senderAddress(provider);
    const globalId = args.int('global-id', NETWORK_GLOBAL_ID[provider.network()], { min: -(1n << 31n), max: (1n << 31n) - 1n });
    const params = paramsFromArgs(args, defaultParams(owner));
    const value = args.amount('value', toNano('1'), { min: toNano('0.1') });
    const queryId = queryIdFromArgs(args);

    const registry = provider.open(
        await Registry.fromInit(owner, globalId, params, null, null, Dictionary.empty(), Dictionary.empty(), Dictionary.empty()),
    );
    // The address is a function of owner, global id and parameters: the same run again finds it deployed.
    if (await provider.isContractDeployed(registry.address)) {
        provider.ui().write(`a Registry with these parameters is already deployed at ${registry.address}: nothing sent`);
        return registry.address;
    }
    await sendStep(provider, 'deploy Registry', registry.address, value, (via) =>
        registry.send(via, { value }, { $$type: 'TopUp', queryId }),
    );
    if (!(await provider.isContractDeployed(registry.address))) throw new RefusedError(`the TopUp was confirmed but the Registry ${registry.address} is not active`);
    provider.ui().write(`Registry ${registry.address} owner ${owner} global id ${globalId}`);
    return registry.address;
}
