/**
 * The SDK's view of the chain: a TonClient (toncenter v2 API, the devnet speaks it too) plus the
 * chain's notion of "now". Contract clocks run on block time, which can differ from this machine's
 * clock (and does on a devnet whose clock was advanced), so every time check uses `chainTime`.
 *
 * Getters that return a struct come back as a tuple. TonClient (v16) decodes the entries inside a
 * toncenter tuple to bare values (bigint, Cell, arrays) instead of TupleItems, so a generated
 * wrapper's `readBigNumber()` on them fails ("Not a number"). `contractProvider` re-tags them.
 */
import { Address, Cell, Contract, ContractProvider, openContract, OpenedContract, TupleItem, TupleReader } from '@ton/core';
import type { TonClient } from '@ton/ton';
import { Provider } from '../wrappers/Provider';
import { Registry } from '../wrappers/Registry';

export type Chain = TonClient;

/** Time of the latest block the endpoint knows, in unix seconds. */
export async function chainTime(client: Chain, anyAddress: Address): Promise<number> {
    return (await client.getContractState(anyAddress)).timestampt;
}

function retag(entry: unknown): TupleItem {
    if (typeof entry === 'bigint') return { type: 'int', value: entry };
    if (entry instanceof Cell) return { type: 'slice', cell: entry };
    if (Array.isArray(entry)) return entry.length === 0 ? { type: 'null' } : { type: 'tuple', items: entry.map(retag) };
    if (entry && typeof entry === 'object' && 'type' in entry) {
        const item = entry as TupleItem;
        return item.type === 'tuple' ? { type: 'tuple', items: item.items.map(retag) } : item;
    }
    throw new Error(`unexpected get-method stack entry: ${String(entry)}`);
}

/** A ContractProvider whose get-method results decode nested tuples correctly. */
export function contractProvider(client: Chain, address: Address): ContractProvider {
    const base = client.provider(address);
    return {
        ...base,
        async get(name, args) {
            const r = await base.get(name, args);
            const items = (r.stack as unknown as { items: unknown[] }).items;
            return { ...r, stack: new TupleReader(items.map(retag)) };
        },
    };
}

export function open<T extends Contract>(client: Chain, contract: T): OpenedContract<T> {
    return openContract(contract, (params) => contractProvider(client, params.address));
}

export function openRegistry(client: Chain, address: Address) {
    return open(client, Registry.fromAddress(address));
}

export function openProvider(client: Chain, address: Address) {
    return open(client, Provider.fromAddress(address));
}
