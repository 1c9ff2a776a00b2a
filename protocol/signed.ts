/**
 * Signed structures of the Cocoon protocol, built exactly as the contracts rebuild them.
 *
 * Every structure is one TON cell (or a root cell with one ref); the signature is Ed25519 over the
 * 32-byte representation hash of that root cell. Each begins with a 32-bit ASCII tag so a signature
 * for one kind can never be replayed as another, and each names the network (globalId) and the
 * contract it is meant for. docs/SPEC.md ("Signed structures") documents the bit layout.
 */
import { Address, beginCell, Cell } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed25519VerifyRaw } from '../crypto/ed25519';

export const TAG_ATTESTATION = 0x41545354; // "ATST"
export const TAG_RECEIPT = 0x52435054; // "RCPT"
export const TAG_DECLINE = 0x44434c4e; // "DCLN"

/** Decline reason codes signed by the enclave (uint8). */
export enum DeclineReason {
    PayloadUndecryptable = 1,
    ModelUnknown = 2,
    InputTooLong = 3,
    BackendFailure = 4,
}

export interface AttestationCertificate {
    globalId: number;
    registry: Address;
    provider: Address;
    imageHash: bigint; // uint256
    enclaveEd25519: bigint; // uint256, Ed25519 public key that signs receipts
    enclaveX25519: bigint; // uint256, X25519 public key clients encrypt to
    quoteHash: bigint; // uint256, SHA-256 of the raw TDX quote
    issuedAt: number; // unix seconds
    expiresAt: number; // unix seconds
}

export function attestationCell(c: AttestationCertificate): Cell {
    const keys = beginCell()
        .storeUint(c.enclaveEd25519, 256)
        .storeUint(c.enclaveX25519, 256)
        .storeUint(c.quoteHash, 256)
        .storeUint(c.issuedAt, 32)
        .storeUint(c.expiresAt, 32)
        .endCell();
    return beginCell()
        .storeUint(TAG_ATTESTATION, 32)
        .storeInt(c.globalId, 32)
        .storeAddress(c.registry)
        .storeAddress(c.provider)
        .storeUint(c.imageHash, 256)
        .storeRef(keys)
        .endCell();
}

export interface Receipt {
    globalId: number;
    provider: Address;
    jobId: bigint; // uint64
    payloadHash: bigint; // uint256: representation hash of the job's payload tree, as the job records it
    resultHash: bigint; // uint256: representation hash of the encrypted result cell tree
    inputTokens: number; // uint32
    outputTokens: number; // uint32
}

export function receiptCell(r: Receipt): Cell {
    return beginCell()
        .storeUint(TAG_RECEIPT, 32)
        .storeInt(r.globalId, 32)
        .storeAddress(r.provider)
        .storeUint(r.jobId, 64)
        .storeUint(r.payloadHash, 256)
        .storeUint(r.resultHash, 256)
        .storeUint(r.inputTokens, 32)
        .storeUint(r.outputTokens, 32)
        .endCell();
}

export interface Decline {
    globalId: number;
    provider: Address;
    jobId: bigint;
    payloadHash: bigint;
    reason: DeclineReason;
}

export function declineCell(d: Decline): Cell {
    return beginCell()
        .storeUint(TAG_DECLINE, 32)
        .storeInt(d.globalId, 32)
        .storeAddress(d.provider)
        .storeUint(d.jobId, 64)
        .storeUint(d.payloadHash, 256)
        .storeUint(d.reason, 8)
        .endCell();
}

/** Ed25519 signature over the cell's representation hash, as `checkSignature(cell.hash(), sig, key)` expects. */
export function signCell(cell: Cell, secretKey: Uint8Array): Buffer {
    return Buffer.from(ed25519.sign(cell.hash(), secretKey));
}

/** False also for a key that is not a point or has small order (anyone can sign for those). */
export function verifyCell(cell: Cell, signature: Uint8Array, publicKey: Uint8Array): boolean {
    return ed25519VerifyRaw(publicKey, cell.hash(), signature);
}

export function bigintFromBytes(bytes: Uint8Array): bigint {
    return BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
}

export function bytesFromBigint(value: bigint, length = 32): Buffer {
    return Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex');
}
