/**
 * Generated Tact wrappers over TonClient. Getters that return a struct come back as a tuple, and
 * TonClient (v16) decodes the entries inside a toncenter tuple to bare values (bigint, Cell,
 * arrays) instead of TupleItems, so a wrapper's `readBigNumber()` on them fails ("Not a number").
 * `open` gives the wrappers a ContractProvider that re-tags them, so `getLedger()`, `getJob()`,
 * `getOffer()`... work unchanged over any toncenter v2 endpoint (the devnet included).
 */
import { Address, Cell, Contract, ContractProvider, openContract, OpenedContract, TupleItem, TupleReader } from '@ton/core';
import type { TonClient } from '@ton/ton';

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
export function contractProvider(client: TonClient, address: Address): ContractProvider {
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

export function open<T extends Contract>(client: TonClient, contract: T): OpenedContract<T> {
    return openContract(contract, (params) => contractProvider(client, params.address));
}
