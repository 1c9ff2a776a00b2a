/**
 * What each envelope is bound to: the HPKE `info` strings and the AEAD associated data.
 *
 * The AAD is rebuilt by the opener from the job it is handling, so a ciphertext moved to another
 * network, another provider contract, a job naming a different result key or model or token limits
 * (request), or another job id (result) fails authentication instead of being processed there.
 * Layout is fixed-width big-endian (docs/spec/envelope.md, "Associated data").
 */
import { Address } from '@ton/core';
import { EnvelopeError } from './errors';

// v2: the plaintext is padded (./padding). The label changed with the plaintext format, so a v1
// ciphertext cannot be opened as v2 even with its version byte rewritten.
export const REQUEST_INFO = Buffer.from('cocoon/request/v2', 'ascii');
export const RESULT_INFO = Buffer.from('cocoon/result/v2', 'ascii');

/** The job fields a request ciphertext is bound to. */
export interface RequestBinding {
    globalId: number; // int32: network id
    provider: Address; // Provider contract holding the escrow
    clientResultKey: Uint8Array; // 32-byte X25519 key the result will be sealed to
    modelId: Uint8Array; // 32 bytes
    maxInputTokens: number; // uint32
    maxOutputTokens: number; // uint32
}

/** The job fields a result ciphertext is bound to. */
export interface ResultBinding {
    globalId: number;
    provider: Address;
    jobId: bigint; // uint64
}

function int32(value: number, what: string): Buffer {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
        throw new EnvelopeError('BadBinding', `${what} must be an int32`);
    }
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    return b;
}

function uint32(value: number, what: string): Buffer {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
        throw new EnvelopeError('BadBinding', `${what} must be a uint32`);
    }
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    return b;
}

function uint64(value: bigint, what: string): Buffer {
    if (value < 0n || value > 0xffffffffffffffffn) throw new EnvelopeError('BadBinding', `${what} must be a uint64`);
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value);
    return b;
}

function bytes32(value: Uint8Array, what: string): Uint8Array {
    if (value.length !== 32) throw new EnvelopeError('BadBinding', `${what} must be 32 bytes, got ${value.length}`);
    return value;
}

/** int8(workchain) || hash(32): the same 33 bytes a std address carries, without its tag bits. */
function provider(address: Address): Buffer {
    const wc = Buffer.alloc(1);
    wc.writeInt8(address.workChain);
    return Buffer.concat([wc, address.hash]);
}

export function requestAad(b: RequestBinding): Buffer {
    return Buffer.concat([
        REQUEST_INFO,
        int32(b.globalId, 'globalId'),
        provider(b.provider),
        bytes32(b.clientResultKey, 'clientResultKey'),
        bytes32(b.modelId, 'modelId'),
        uint32(b.maxInputTokens, 'maxInputTokens'),
        uint32(b.maxOutputTokens, 'maxOutputTokens'),
    ]);
}

export function resultAad(b: ResultBinding): Buffer {
    return Buffer.concat([RESULT_INFO, int32(b.globalId, 'globalId'), provider(b.provider), uint64(b.jobId, 'jobId')]);
}
