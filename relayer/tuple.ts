/**
 * Struct-returning getters over TonClient. TonClient (v16) decodes a tuple's elements into raw
 * values (bigint, Cell, arrays) instead of TupleItems, so the generated `getX` wrappers cannot read
 * an optional struct through it ("Not a number"). This turns the raw elements back into TupleItems so the
 * generated `loadTupleX` readers work; an optional struct that is null comes back as null.
 */
import { Address, Cell, TupleItem, TupleReader } from '@ton/core';
import type { TonClient } from '@ton/ton';

function item(raw: unknown): TupleItem {
    if (typeof raw === 'bigint') return { type: 'int', value: raw };
    if (raw instanceof Cell) return { type: 'slice', cell: raw }; // readCell and readAddress accept a slice
    if (Array.isArray(raw)) return raw.length === 0 ? { type: 'null' } : { type: 'tuple', items: raw.map(item) };
    if (raw && typeof raw === 'object' && 'type' in raw) return raw as TupleItem;
    throw new Error('unexpected stack element');
}

/** Runs `method` and reads its (optional) struct result with a generated `loadTupleX`. */
export async function getStruct<T>(client: TonClient, address: Address, method: string, args: TupleItem[], load: (r: TupleReader) => T): Promise<T | null> {
    const { stack } = await client.runMethod(address, method, args);
    // An optional struct comes as one tuple (or null); a plain one as its fields, flat on the stack.
    const kind = stack.remaining > 0 ? stack.peek().type : 'null';
    if (kind === 'null') return null;
    const top = kind === 'tuple' ? stack.readTuple() : stack;
    const items: TupleItem[] = [];
    while (top.remaining > 0) items.push(item(top.pop() as unknown));
    return load(new TupleReader(items));
}
