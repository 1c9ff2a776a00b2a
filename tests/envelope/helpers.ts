/** Shared builders for the envelope tests: a random job binding and key pairs. */
import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import { ENVELOPE_VERSION, generateX25519KeyPair } from '../../crypto';
import { sealBase } from '../../crypto/hpke';
import type { RequestBinding, ResultBinding } from '../../crypto';

export const hex = (s: string) => Buffer.from(s, 'hex');

export function randomProvider(workchain = 0): Address {
    return new Address(workchain, randomBytes(32));
}

export function requestBinding(over: Partial<RequestBinding> = {}): RequestBinding {
    return {
        globalId: -239,
        provider: randomProvider(),
        clientResultKey: generateX25519KeyPair().publicKey,
        modelId: randomBytes(32),
        maxInputTokens: 4096,
        maxOutputTokens: 512,
        ...over,
    };
}

export function resultBinding(over: Partial<ResultBinding> = {}): ResultBinding {
    return { globalId: -239, provider: randomProvider(), jobId: 42n, ...over };
}

/**
 * An envelope of the current version whose plaintext is sealed as given, without the padding
 * sealRequest/sealResult apply: authentic, so only the padding check can refuse it.
 */
export function sealUnpadded(recipientPublic: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, version = ENVELOPE_VERSION): Buffer {
    const { enc, ciphertext } = sealBase(recipientPublic, info, aad, plaintext);
    return Buffer.concat([Buffer.from([version]), enc, ciphertext]);
}
