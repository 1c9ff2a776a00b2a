/**
 * The SDK's view of the chain: a TonClient (toncenter v2 API, the devnet speaks it too) plus the
 * chain's notion of "now". Contract clocks run on block time, which can differ from this machine's
 * clock (and does on a devnet whose clock was advanced), so every time check uses `chainTime`.
 *
 * Struct getters go through `open` (protocol/tonClient.ts), which makes the generated wrappers
 * readable over TonClient.
 */
import { Address } from '@ton/core';
import type { TonClient } from '@ton/ton';
import { contractProvider, open } from '../protocol/tonClient';
import { Provider } from '../wrappers/Provider';
import { Registry } from '../wrappers/Registry';

export { contractProvider, open };

export type Chain = TonClient;

/** Time of the latest block the endpoint knows, in unix seconds. */
export async function chainTime(client: Chain, anyAddress: Address): Promise<number> {
    return (await client.getContractState(anyAddress)).timestampt;
}

export function openRegistry(client: Chain, address: Address) {
    return open(client, Registry.fromAddress(address));
}

export function openProvider(client: Chain, address: Address) {
    return open(client, Provider.fromAddress(address));
}
