// TVM stack <-> toncenter v2 JSON, as TonClient (v16) writes and reads it.
//   in:  ["num", "123" | "0x7b" | "-0x7b"], ["tvm.Cell" | "cell", base64 | {bytes}], likewise
//        "tvm.Slice"/"slice" and "tvm.Builder"/"builder", ["null"]
//   out: ["num", "0x7b"] (hex, as toncenter prints it), ["cell", {bytes}], ["slice", {bytes}],
//        ["builder", {bytes}], ["null"], ["tuple", {"@type": "tvm.tuple", elements: [...]}]
// Inside tuples toncenter uses tonlib's tagged entries ("tvm.stackEntryNumber" with a decimal
// number, ...). Tonlib has no null entry: TVM treats null as the empty list, so that is what we emit.
import { Cell, TupleItem } from '@ton/core';

export class StackError extends Error {}

export function decodeStack(raw: unknown): TupleItem[] {
    if (raw === undefined || raw === null || raw === '') return [];
    const list = typeof raw === 'string' ? parseJson(raw) : raw;
    if (!Array.isArray(list)) throw new StackError('stack must be an array of [type, value] pairs');
    return list.map(decodeItem);
}

function decodeItem(entry: unknown): TupleItem {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') {
        throw new StackError('each stack entry must be [type, value]');
    }
    const [type, value] = entry as [string, unknown];
    switch (type) {
        case 'num':
        case 'int':
        case 'number':
            return { type: 'int', value: parseNumber(value) };
        case 'null':
            return { type: 'null' };
        case 'tvm.Cell':
        case 'cell':
            return { type: 'cell', cell: parseCell(value) };
        case 'tvm.Slice':
        case 'slice':
            return { type: 'slice', cell: parseCell(value) };
        case 'tvm.Builder':
        case 'builder':
            return { type: 'builder', cell: parseCell(value) };
        default:
            throw new StackError(`unsupported stack entry type: ${type}`);
    }
}

function parseNumber(value: unknown): bigint {
    const text = String(value).trim();
    const negative = text.startsWith('-');
    const digits = negative ? text.slice(1) : text;
    if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(digits)) throw new StackError(`not a number: ${text}`);
    const n = BigInt(digits);
    return negative ? -n : n;
}

function parseCell(value: unknown): Cell {
    const b64 = typeof value === 'object' && value !== null ? (value as { bytes?: unknown }).bytes : value;
    try {
        return Cell.fromBase64(String(b64));
    } catch {
        throw new StackError('stack cell is not a valid base64 BOC');
    }
}

function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        throw new StackError('stack is not valid JSON');
    }
}

export function encodeStack(items: TupleItem[]): unknown[] {
    return items.map(encodeItem);
}

function encodeItem(item: TupleItem): unknown[] {
    switch (item.type) {
        case 'int':
            return ['num', hex(item.value)];
        case 'nan':
            return ['num', 'NaN'];
        case 'null':
            return ['null'];
        case 'cell':
        case 'slice':
        case 'builder':
            return [item.type, { bytes: boc(item.cell) }];
        case 'tuple':
            return ['tuple', { '@type': 'tvm.tuple', elements: item.items.map(encodeEntry) }];
    }
}

function encodeEntry(item: TupleItem): unknown {
    switch (item.type) {
        case 'int':
            return { '@type': 'tvm.stackEntryNumber', number: { '@type': 'tvm.numberDecimal', number: item.value.toString() } };
        case 'nan':
            return { '@type': 'tvm.stackEntryUnsupported' };
        case 'null':
            return { '@type': 'tvm.stackEntryList', list: { '@type': 'tvm.list', elements: [] } };
        case 'cell':
        case 'builder':
            return { '@type': 'tvm.stackEntryCell', cell: { '@type': 'tvm.cell', bytes: boc(item.cell) } };
        case 'slice':
            return { '@type': 'tvm.stackEntrySlice', slice: { '@type': 'tvm.slice', bytes: boc(item.cell) } };
        case 'tuple':
            return { '@type': 'tvm.stackEntryTuple', tuple: { '@type': 'tvm.tuple', elements: item.items.map(encodeEntry) } };
    }
}

function hex(n: bigint): string {
    return n < 0n ? '-0x' + (-n).toString(16) : '0x' + n.toString(16);
}

function boc(cell: Cell): string {
    return cell.toBoc().toString('base64');
}
