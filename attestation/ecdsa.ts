/**
 * ECDSA P-256 / SHA-256 verification for the raw encodings TDX quotes use (r||s signatures, x||y keys),
 * delegated to node:crypto (OpenSSL). Invalid keys or signatures return false instead of throwing so a
 * tampered quote becomes a failed check, not a crash.
 */
import { createPublicKey, KeyObject, verify } from 'node:crypto';
import { ECDSA_PUBKEY_SIZE, ECDSA_SIG_SIZE } from './layout';

/** Raw x||y → KeyObject; undefined when the point is not on P-256. */
export function p256KeyFromRaw(xy: Uint8Array): KeyObject | undefined {
    if (xy.length !== ECDSA_PUBKEY_SIZE) return undefined;
    try {
        const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
        return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(xy.subarray(0, 32)), y: b64u(xy.subarray(32)) }, format: 'jwk' });
    } catch {
        return undefined;
    }
}

export function verifyP256Raw(key: KeyObject, message: Uint8Array, rs: Uint8Array): boolean {
    if (rs.length !== ECDSA_SIG_SIZE) return false;
    try {
        return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, rs);
    } catch {
        return false;
    }
}

/** DER-encoded signatures, as found in X.509 certificates and CRLs. */
export function verifyP256Der(key: KeyObject, message: Uint8Array, der: Uint8Array): boolean {
    try {
        return verify('sha256', message, key, der);
    } catch {
        return false;
    }
}
