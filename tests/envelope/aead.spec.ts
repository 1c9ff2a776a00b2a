/** The node:crypto ChaCha20-Poly1305 used at run time produces the same bytes as @noble/ciphers. */
import fc from 'fast-check';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { aeadOpen, aeadSeal } from '../../crypto/aead';
import { EnvelopeError } from '../../crypto';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('ChaCha20-Poly1305 on node:crypto', () => {
    it('matches @noble/ciphers byte for byte and opens its output', () => {
        fc.assert(
            fc.property(bytes(32), bytes(12), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 2048 }), (key, nonce, aad, pt) => {
                const ours = aeadSeal(key, nonce, aad, pt);
                const noble = chacha20poly1305(key, nonce, aad).encrypt(pt);
                expect(Buffer.from(noble)).toEqual(ours);
                expect(aeadOpen(key, nonce, aad, noble)).toEqual(Buffer.from(pt));
            }),
            { numRuns: 100 },
        );
    });

    it('rejects a flipped tag with DecryptFailed', () => {
        const key = new Uint8Array(32).fill(7);
        const nonce = new Uint8Array(12);
        const sealed = aeadSeal(key, nonce, new Uint8Array(0), Buffer.from('hello'));
        sealed[sealed.length - 1] ^= 1;
        expect(() => aeadOpen(key, nonce, new Uint8Array(0), sealed)).toThrow(EnvelopeError);
    });
});
