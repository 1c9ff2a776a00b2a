/**
 * The JSON form of a signed voucher, as the runner hands it to the client (the last chunk of an
 * answer) and to the provider's settlement service (the runner's voucher feed). Strict: every field
 * present, decimal strings for integers, hex for the 32-byte transcript and the 64-byte signature.
 * Parsing checks shape and ranges only; whoever acts on a voucher verifies its signature
 * (verifyVoucher) against the session's enclave key read on chain.
 */
import { Address } from '@ton/core';
import type { SessionRef, SignedVoucher } from './voucher';

export interface VoucherJson {
    globalId: number;
    provider: string; // raw or user-friendly address
    sessionId: string;
    seq: string;
    inputTokens: string;
    outputTokens: string;
    charge: string;
    transcript: string; // 64 hex digits
    final: boolean;
    signature: string; // 128 hex digits
}

export interface SessionVoucher {
    session: SessionRef;
    voucher: SignedVoucher;
}

const UINT48 = 2n ** 48n - 1n;
const UINT64 = 2n ** 64n - 1n;

export function voucherToJson(v: SessionVoucher): VoucherJson {
    return {
        globalId: v.session.globalId,
        provider: v.session.provider.toString(),
        sessionId: v.session.sessionId.toString(),
        seq: v.voucher.seq.toString(),
        inputTokens: v.voucher.inputTokens.toString(),
        outputTokens: v.voucher.outputTokens.toString(),
        charge: v.voucher.charge.toString(),
        transcript: v.voucher.transcript.toString(16).padStart(64, '0'),
        final: v.voucher.final,
        signature: v.voucher.signature.toString('hex'),
    };
}

export class VoucherFormatError extends Error {}

export function voucherFromJson(input: unknown): SessionVoucher {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new VoucherFormatError('voucher: not an object');
    const o = input as Record<string, unknown>;
    const allowed = ['globalId', 'provider', 'sessionId', 'seq', 'inputTokens', 'outputTokens', 'charge', 'transcript', 'final', 'signature'];
    const extra = Object.keys(o).filter((k) => !allowed.includes(k));
    if (extra.length) throw new VoucherFormatError(`voucher: unknown field ${extra[0]}`);
    const int = (name: string, max: bigint) => {
        const v = o[name];
        if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(v)) throw new VoucherFormatError(`voucher: ${name} must be a decimal string`);
        const n = BigInt(v);
        if (n > max) throw new VoucherFormatError(`voucher: ${name} out of range`);
        return n;
    };
    const hex = (name: string, bytes: number) => {
        const v = o[name];
        if (typeof v !== 'string' || !new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(v)) throw new VoucherFormatError(`voucher: ${name} must be ${bytes} bytes of lowercase hex`);
        return Buffer.from(v, 'hex');
    };
    if (typeof o.globalId !== 'number' || !Number.isInteger(o.globalId) || o.globalId < -(2 ** 31) || o.globalId >= 2 ** 31) throw new VoucherFormatError('voucher: globalId must be an int32');
    if (typeof o.final !== 'boolean') throw new VoucherFormatError('voucher: final must be a boolean');
    let provider: Address;
    try {
        provider = Address.parse(String(o.provider));
    } catch {
        throw new VoucherFormatError('voucher: provider is not an address');
    }
    return {
        session: { globalId: o.globalId, provider, sessionId: int('sessionId', UINT64) },
        voucher: {
            seq: int('seq', UINT48),
            inputTokens: int('inputTokens', UINT48),
            outputTokens: int('outputTokens', UINT48),
            charge: int('charge', UINT64),
            transcript: BigInt('0x' + hex('transcript', 32).toString('hex')),
            final: o.final,
            signature: hex('signature', 64),
        },
    };
}
