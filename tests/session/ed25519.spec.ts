/**
 * Ed25519 on node:crypto (crypto/ed25519.ts), used by the session handshake, gives the same bytes as
 * @noble/curves (Ed25519 is deterministic, RFC 8032) and refuses keys anyone could sign for.
 */
import fc from 'fast-check';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { ed25519PublicKey, ed25519Signer, ed25519Verify, Ed25519KeyError } from '../../crypto/ed25519';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('Ed25519 on node:crypto', () => {
    it('signs exactly as noble does, and each verifies the other (property)', () => {
        fc.assert(
            fc.property(bytes(32), bytes(32), (seed, digest) => {
                const signer = ed25519Signer(seed);
                expect(Buffer.from(signer.publicKey)).toEqual(Buffer.from(ed25519.getPublicKey(seed)));
                const ours = signer.sign(digest);
                expect(Buffer.from(ours)).toEqual(Buffer.from(ed25519.sign(digest, seed)));
                expect(ed25519.verify(ours, digest, signer.publicKey)).toBe(true);
                expect(ed25519Verify(ed25519PublicKey(signer.publicKey), digest, ed25519.sign(digest, seed))).toBe(true);
            }),
            { numRuns: 40 },
        );
    });

    it('RFC 8032 §7.1 test 1: the empty message', () => {
        const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
        const signer = ed25519Signer(seed);
        expect(Buffer.from(signer.publicKey).toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
        expect(Buffer.from(signer.sign(new Uint8Array(0))).toString('hex')).toBe(
            'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
        );
    });

    it('rejects a signature of the wrong length, another message, another key', () => {
        const signer = ed25519Signer(ed25519.utils.randomSecretKey());
        const other = ed25519Signer(ed25519.utils.randomSecretKey());
        const digest = new Uint8Array(32).fill(3);
        const sig = signer.sign(digest);
        const key = ed25519PublicKey(signer.publicKey);
        expect(ed25519Verify(key, digest, sig)).toBe(true);
        expect(ed25519Verify(key, digest, sig.subarray(0, 63))).toBe(false);
        expect(ed25519Verify(key, new Uint8Array(32).fill(4), sig)).toBe(false);
        expect(ed25519Verify(ed25519PublicKey(other.publicKey), digest, sig)).toBe(false);
    });

    it('refuses the eight small-order public keys, for which a signature needs no secret', () => {
        expect(ED25519_TORSION_SUBGROUP).toHaveLength(8);
        for (const hex of ED25519_TORSION_SUBGROUP) {
            expect(() => ed25519PublicKey(Buffer.from(hex, 'hex'))).toThrow(/small-order/);
        }
    });

    it('refuses keys of the wrong length and strings that are not points', () => {
        expect(() => ed25519PublicKey(new Uint8Array(31))).toThrow(Ed25519KeyError);
        expect(() => ed25519PublicKey(new Uint8Array(33))).toThrow(/32 bytes/);
        // y = 2^255 - 1 (≥ p): not a canonical encoding
        expect(() => ed25519PublicKey(Buffer.alloc(32, 0xff))).toThrow(/not a curve point/);
        expect(() => ed25519Signer(new Uint8Array(64))).toThrow(/secret key must be 32 bytes/);
    });
});
