// Typed readers for request parameters. GET requests deliver everything as strings, JSON-RPC
// as JSON values, so every reader accepts both.
import { Address, Cell } from '@ton/core';
import { parseHash } from '../format/hash';
import { invalid } from './errors';

export type Params = Record<string, unknown>;

export function address(params: Params, name = 'address'): Address {
    const value = params[name];
    if (typeof value !== 'string' || value === '') throw invalid(`${name}: address required`);
    try {
        return Address.parse(value);
    } catch {
        throw invalid(`${name}: not a TON address: ${value}`);
    }
}

export function optionalInt(params: Params, name: string): bigint | undefined {
    const value = params[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'number' ? !Number.isInteger(value) : !/^-?\d+$/.test(String(value))) {
        throw invalid(`${name}: integer expected`);
    }
    return BigInt(value as string | number);
}

export function int(params: Params, name: string, fallback?: bigint): bigint {
    const value = optionalInt(params, name) ?? fallback;
    if (value === undefined) throw invalid(`${name}: integer required`);
    return value;
}

export function string(params: Params, name: string): string {
    const value = params[name];
    if (typeof value !== 'string' || value === '') throw invalid(`${name}: string required`);
    return value;
}

export function optionalHash(params: Params, name: string): Buffer | undefined {
    const value = params[name];
    if (value === undefined || value === null || value === '') return undefined;
    const hash = parseHash(String(value));
    if (!hash) throw invalid(`${name}: 32-byte hash in hex or base64 expected`);
    return hash;
}

export function optionalBoc(params: Params, name: string): Cell | undefined {
    const value = params[name];
    if (value === undefined || value === null || value === '') return undefined;
    try {
        return Cell.fromBase64(String(value));
    } catch {
        throw invalid(`${name}: not a valid base64 BOC`);
    }
}

export function boc(params: Params, name: string): Cell {
    const cell = optionalBoc(params, name);
    if (!cell) throw invalid(`${name}: base64 BOC required`);
    return cell;
}

export function bool(params: Params, name: string, fallback: boolean): boolean {
    const value = params[name];
    if (value === undefined || value === null || value === '') return fallback;
    return value === true || value === 'true' || value === 1 || value === '1';
}
