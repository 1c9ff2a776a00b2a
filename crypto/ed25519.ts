/**
 * Ed25519 (RFC 8032) on node:crypto, with raw 32-byte keys as the contracts and noble store them.
 *
 * node:crypto rather than @noble/curves for the session handshake, the enclave's signatures and
 * every cell signature the SDK and relayer check: here it signs ~17x and verifies ~14x faster
 * (docs/spec/crypto-bench.md; a voucher's check was 1.6 ms of a session request's 8 ms), and the signatures are the same bytes (Ed25519 is
 * deterministic; tests/session/ed25519.spec.ts cross-checks both ways). noble is used for one thing
 * node lacks: refusing small-order public keys, for which anyone can forge signatures.
 * Public keys are imported as JWK and secret seeds as PKCS#8 DER, as ./x25519 does for its keys.
 */
import { createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';

export const ED25519_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Why a key was refused; callers wrap it in their own error type. */
export class Ed25519KeyError extends Error {}

/**
 * Signs 32-byte digests with one Ed25519 key: the session handshake's tagged SHA-256 and the enclave's
 * cell hashes (receipts, declines, vouchers). A holder of an enclave key may keep the secret in a
 * closure and hand out only this interface.
 */
export interface Ed25519Signer {
    readonly publicKey: Uint8Array; // 32 bytes
    sign(digest: Uint8Array): Uint8Array; // 64 bytes
}

/** A signer for a 32-byte secret seed (the form noble's `ed25519.utils.randomSecretKey()` returns). */
export function ed25519Signer(secretSeed: Uint8Array): Ed25519Signer {
    if (secretSeed.length !== ED25519_KEY_BYTES) throw new Ed25519KeyError(`Ed25519 secret key must be ${ED25519_KEY_BYTES} bytes, got ${secretSeed.length}`);
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretSeed]), format: 'der', type: 'pkcs8' });
    const publicKey = new Uint8Array(Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x as string, 'base64url'));
    return Object.freeze({ publicKey, sign: (digest: Uint8Array) => new Uint8Array(sign(null, digest, key)) });
}

/**
 * A public key ready to verify with. Refuses a wrong length, a string that is not a point, and the
 * eight small-order points: a signature "by" such a key can be made without any secret.
 */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
    if (raw.length !== ED25519_KEY_BYTES) throw new Ed25519KeyError(`Ed25519 public key must be ${ED25519_KEY_BYTES} bytes, got ${raw.length}`);
    let smallOrder: boolean;
    try {
        smallOrder = ed25519.Point.fromBytes(raw).isSmallOrder();
    } catch {
        throw new Ed25519KeyError('Ed25519 public key is not a curve point');
    }
    if (smallOrder) throw new Ed25519KeyError('Ed25519 public key is a small-order point');
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

export function ed25519Verify(publicKey: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
    return verify(null, digest, publicKey, signature);
}

// Imported keys by hex: importing (with its small-order check) costs about as much as a verify, and
// the same few enclave keys sign every voucher and receipt a process checks. Bounded: a process fed
// many keys just imports again.
const KEY_CACHE_SIZE = 256;
const imported = new Map<string, KeyObject | null>();

/**
 * Verifies with a raw 32-byte key: false for a signature that does not verify and for a key
 * ed25519PublicKey refuses (not a point, small order), never an exception.
 */
export function ed25519VerifyRaw(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
    const hex = Buffer.from(publicKey).toString('hex');
    let key = imported.get(hex);
    if (key === undefined) {
        try {
            key = ed25519PublicKey(publicKey);
        } catch (e) {
            if (!(e instanceof Ed25519KeyError)) throw e;
            key = null;
        }
        if (imported.size >= KEY_CACHE_SIZE) imported.clear();
        imported.set(hex, key);
    }
    return key !== null && ed25519Verify(key, digest, signature);
}
