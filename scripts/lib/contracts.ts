/** Opening the Registry and a Provider named by the script's arguments, checking they exist. */
import { Address } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { Registry } from '../../wrappers/Registry';
import { Provider } from '../../wrappers/Provider';
import { modelIdOf } from '../../protocol/defaults';
import { Args, UsageError } from './args';

export async function openRegistry(provider: NetworkProvider, args: Args) {
    const address = args.address('registry');
    if (!(await provider.isContractDeployed(address))) throw new UsageError(`--registry: no contract deployed at ${address}`);
    return provider.open(Registry.fromAddress(address));
}

/** `--provider`, or the sender's own Provider as the Registry computes it. */
export async function openProvider(provider: NetworkProvider, args: Args) {
    let address: Address;
    if (args.has('provider')) {
        address = args.address('provider');
    } else {
        if (!args.has('registry')) throw new UsageError('missing --provider (or COCOON_PROVIDER), or --registry to derive the sender\'s Provider');
        const owner = senderAddress(provider);
        address = await (await openRegistry(provider, args)).getProviderAddress(owner);
    }
    if (!(await provider.isContractDeployed(address))) throw new UsageError(`no Provider deployed at ${address} (run deployProvider first)`);
    return provider.open(Provider.fromAddress(address));
}

/** A Provider owner's message: refuse early when the sender is not its owner. */
export async function openOwnProvider(provider: NetworkProvider, args: Args) {
    const p = await openProvider(provider, args);
    const owner = await p.getOwner();
    if (!owner.equals(senderAddress(provider))) throw new UsageError(`the sender is not the owner of Provider ${p.address} (owner ${owner})`);
    return p;
}

export function senderAddress(provider: NetworkProvider): Address {
    const address = provider.sender().address;
    if (!address) throw new UsageError('the sender has no address: use --mnemonic (WALLET_MNEMONIC, WALLET_VERSION)');
    return address;
}

/** `--model-id` (64 hex digits), or `--model-name` hashed as the Registry's model id. */
export function modelIdFromArgs(args: Args): bigint {
    if (args.has('model-id')) return args.uint256('model-id');
    if (args.has('model-name')) return modelIdOf(args.string('model-name'));
    throw new UsageError('missing --model-id (64 hex digits) or --model-name');
}

/** Query id of every message: `--query-id`, else the current time in milliseconds. */
export function queryIdFromArgs(args: Args): bigint {
    return args.int('query-id', BigInt(Date.now()), { min: 0n, max: (1n << 64n) - 1n });
}
