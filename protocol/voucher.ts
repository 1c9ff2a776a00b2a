/**
 * Session vouchers: the enclave's signed, cumulative statement of what a session has cost so far.
 * voucherCell builds exactly the cell contracts/session.tact hashes (voucherHash); docs/SPEC.md
 * ("Sessions", "Signed structures") documents the layout. Every amount is cumulative since the
 * session opened, so only the latest voucher matters and a lost one costs nobody anything.
 */
import { Address, beginCell, Cell } from '@ton/core';
import { signCell, verifyCell } from './signed';

export const TAG_VOUCHER = 0x56434852; // "VCHR"

export interface VoucherBody {
    seq: bigint; // uint48, from 1
    inputTokens: bigint; // uint48, cumulative
    outputTokens: bigint; // uint48, cumulative
    charge: bigint; // uint64 nanotons: priceOf(inputTokens, outputTokens) at the session's prices
    transcript: bigint; // uint256: hash chaining every request and answer so far
    final: boolean; // the enclave serves the session no more
}

export interface SessionRef {
    globalId: number;
    provider: Address;
    sessionId: bigint; // uint64, issued by the Provider
}

export interface SignedVoucher extends VoucherBody {
    signature: Buffer; // 64 bytes, Ed25519 over voucherCell(...).hash()
}

export function voucherCell(session: SessionRef, v: VoucherBody): Cell {
    return beginCell()
        .storeUint(TAG_VOUCHER, 32)
        .storeInt(session.globalId, 32)
        .storeAddress(session.provider)
        .storeUint(session.sessionId, 64)
        .storeUint(v.seq, 48)
        .storeUint(v.inputTokens, 48)
        .storeUint(v.outputTokens, 48)
        .storeUint(v.charge, 64)
        .storeUint(v.transcript, 256)
        .storeBit(v.final)
        .endCell();
}

export function signVoucher(session: SessionRef, v: VoucherBody, enclaveSecretKey: Uint8Array): SignedVoucher {
    return { ...v, signature: signCell(voucherCell(session, v), enclaveSecretKey) };
}

export function verifyVoucher(session: SessionRef, v: SignedVoucher, enclavePublicKey: Uint8Array): boolean {
    return v.signature.length === 64 && verifyCell(voucherCell(session, v), v.signature, enclavePublicKey);
}

/** The voucher as the Session wrapper's messages carry it (SettleVoucher, CloseWithVoucher). */
export function voucherMessage(v: SignedVoucher) {
    return {
        $$type: 'Voucher' as const,
        seq: v.seq,
        inputTokens: v.inputTokens,
        outputTokens: v.outputTokens,
        charge: v.charge,
        transcript: v.transcript,
        final: v.final,
        signature: v.signature,
    };
}

/** Price in nanotons of token counts at per-million prices, rounded up: the contracts' priceOf. */
export function priceOf(inputTokens: number | bigint, outputTokens: number | bigint, perMillionIn: bigint, perMillionOut: bigint): bigint {
    return (BigInt(inputTokens) * perMillionIn + BigInt(outputTokens) * perMillionOut + 999_999n) / 1_000_000n;
}
