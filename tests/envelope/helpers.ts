/** Shared builders for the envelope tests: a random job binding and key pairs. */
import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import { generateX25519KeyPair } from '../../crypto';
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
