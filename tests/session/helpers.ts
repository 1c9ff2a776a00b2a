/** Shared builders for the session tests: keys, the on-chain facts, and a completed handshake. */
import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { acceptHello, ed25519Signer, SessionError, startHandshake } from '../../crypto';
import type { ChannelLimits, Ed25519Signer, SessionBinding, SessionErrorCode, SessionFacts } from '../../crypto';

export const newSigner = (): Ed25519Signer => ed25519Signer(ed25519.utils.randomSecretKey());

/** A session as the chain records it: its binding, the client's key and the enclave's. */
export interface World {
    binding: SessionBinding;
    client: Ed25519Signer;
    enclave: Ed25519Signer;
    facts: SessionFacts;
}

export function world(over: Partial<SessionBinding> = {}): World {
    const binding = { globalId: -239, provider: new Address(0, randomBytes(32)), sessionId: 1234567890123n, ...over };
    const client = newSigner();
    const enclave = newSigner();
    return { binding, client, enclave, facts: { ...binding, clientKey: client.publicKey, enclaveKey: enclave.publicKey } };
}

/** Both ends of a fresh channel for `w`. */
export function connect(w: World, limits?: Partial<ChannelLimits>) {
    const hs = startHandshake({ ...w.binding, enclaveKey: w.enclave.publicKey, client: w.client, limits });
    const accepted = acceptHello(hs.hello, w.facts, w.enclave, limits);
    return { hello: hs.hello, welcome: accepted.welcome, client: hs.finish(accepted.welcome), runner: accepted.channel };
}

/** Runs `fn` and returns the SessionError it throws; fails the test if it throws anything else or nothing. */
export function refusal(fn: () => unknown): SessionError {
    try {
        fn();
    } catch (e) {
        if (e instanceof SessionError) return e;
        throw e;
    }
    throw new Error('expected a SessionError, nothing was thrown');
}

export function expectCode(fn: () => unknown, code: SessionErrorCode, message?: RegExp): void {
    const e = refusal(fn);
    expect(e.code).toBe(code);
    if (message) expect(e.message).toMatch(message);
}

export const flip = (bytes: Uint8Array, at: number, mask = 1): Buffer => {
    const copy = Buffer.from(bytes);
    copy[at] ^= mask;
    return copy;
};
