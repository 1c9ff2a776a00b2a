/**
 * X25519 (RFC 7748) on node:crypto (OpenSSL), with raw 32-byte keys as RFC 9180 serialises them.
 *
 * node:crypto is used instead of @noble/curves because one scalar multiplication costs ~25 µs
 * here against ~750 µs in noble (docs/spec/crypto-bench.md), and the envelope does two per seal.
 * Public keys cross the boundary as JWK (RFC 8037), which node imports ~8x and exports ~100x faster
 * than DER here; secret keys (imported once per recipient) use PKCS#8 DER with the RFC 8410 prefix.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, KeyObject } from 'node:crypto';
import { EnvelopeError } from './errors';

export const X25519_KEY_BYTES = 32;

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface X25519KeyPair {
    secretKey: Uint8Array; // 32 bytes; never log or persist it
    publicKey: Uint8Array; // 32 bytes
}

function requireLength(key: Uint8Array, what: string): void {
    if (key.length !== X25519_KEY_BYTES) {
        throw new EnvelopeError('BadKey', `${what} must be ${X25519_KEY_BYTES} bytes, got ${key.length}`);
    }
}

export function publicKeyObject(raw: Uint8Array): KeyObject {
    requireLength(raw, 'X25519 public key');
    return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

export function secretKeyObject(raw: Uint8Array): KeyObject {
    requireLength(raw, 'X25519 secret key');
    return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

export function rawPublicKey(key: KeyObject): Uint8Array {
    return new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url'));
}

function rawSecretKey(key: KeyObject): Uint8Array {
    return new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).d as string, 'base64url'));
}

export function generateX25519KeyPair(): X25519KeyPair {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    return { secretKey: rawSecretKey(privateKey), publicKey: rawPublicKey(publicKey) };
}

export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
    return rawPublicKey(createPublicKey(secretKeyObject(secretKey)));
}

/**
 * DH(sk, pk). RFC 9180 §7.1.4 requires rejecting an all-zero output (pk of small order); OpenSSL
 * already refuses it, and the explicit check keeps that true whatever the backend.
 */
export function x25519Shared(secret: KeyObject, publicKey: KeyObject): Uint8Array {
    let shared: Buffer;
    try {
        shared = diffieHellman({ privateKey: secret, publicKey });
    } catch {
        throw new EnvelopeError('BadKey', 'X25519 public key is a low-order point');
    }
    if (shared.every((b) => b === 0)) throw new EnvelopeError('BadKey', 'X25519 shared secret is all zero');
    return shared;
}
