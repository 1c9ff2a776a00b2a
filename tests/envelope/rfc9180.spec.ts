/**
 * RFC 9180 Appendix A.2.1 known answers for our suite, and interoperability with @hpke/core, an
 * independent implementation of the same suite (each opens what the other seals).
 */
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import vector from '../fixtures/envelope/rfc9180-a2-base.json';
import { decap, encap, keySchedule, openBase, recipientFromSecret, sealBase } from '../../crypto/hpke';
import { aeadSeal } from '../../crypto/aead';
import { generateX25519KeyPair, x25519PublicKey } from '../../crypto';
import { hex } from './helpers';

const info = hex(vector.info);
const ephemeral = { secretKey: hex(vector.skEm), publicKey: hex(vector.pkEm) };
const first = vector.encryptions[0];

describe('RFC 9180 A.2.1 (X25519, HKDF-SHA256, ChaCha20-Poly1305, base mode)', () => {
    it('derives the published public keys from the published secret keys', () => {
        expect(Buffer.from(x25519PublicKey(hex(vector.skEm))).toString('hex')).toBe(vector.pkEm);
        expect(Buffer.from(x25519PublicKey(hex(vector.skRm))).toString('hex')).toBe(vector.pkRm);
    });

    it('Encap with the fixed ephemeral key gives the published enc and shared secret', () => {
        const { enc, sharedSecret } = encap(hex(vector.pkRm), ephemeral);
        expect(Buffer.from(enc).toString('hex')).toBe(vector.enc);
        expect(Buffer.from(sharedSecret).toString('hex')).toBe(vector.shared_secret);
    });

    it('Decap with the recipient key gives the published shared secret', () => {
        const shared = decap(recipientFromSecret(hex(vector.skRm)), hex(vector.enc));
        expect(Buffer.from(shared).toString('hex')).toBe(vector.shared_secret);
    });

    it('KeySchedule gives the published key and base nonce', () => {
        const { key, baseNonce } = keySchedule(hex(vector.shared_secret), info);
        expect(Buffer.from(key).toString('hex')).toBe(vector.key);
        expect(Buffer.from(baseNonce).toString('hex')).toBe(vector.base_nonce);
    });

    it('SealBase at sequence 0 gives the published ciphertext, and OpenBase reverses it', () => {
        const { ciphertext } = sealBase(hex(vector.pkRm), info, hex(first.aad), hex(first.pt), ephemeral);
        expect(ciphertext.toString('hex')).toBe(first.ct);
        const opened = openBase(recipientFromSecret(hex(vector.skRm)), hex(vector.enc), info, hex(first.aad), hex(first.ct));
        expect(opened.toString('hex')).toBe(first.pt);
    });

    it.each(vector.encryptions.map((e) => [e.sequence_number, e] as const))(
        'the AEAD gives the published ciphertext at sequence %d',
        (_seq, e) => {
            expect(aeadSeal(hex(vector.key), hex(e.nonce), hex(e.aad), hex(e.pt)).toString('hex')).toBe(e.ct);
        },
    );
});

describe('interoperability with @hpke/core', () => {
    const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
    const aad = Buffer.from('cocoon interop aad');
    const plaintext = Buffer.from('{"model":"cocoon-reference-v1","prompt":"hi"}');

    it('@hpke/core opens what this implementation seals', async () => {
        const pair = generateX25519KeyPair();
        const { enc, ciphertext } = sealBase(pair.publicKey, info, aad, plaintext);
        const recipientKey = await suite.kem.deserializePrivateKey(pair.secretKey.slice().buffer);
        const opened = await suite.open({ recipientKey, enc: enc.slice().buffer, info }, ciphertext, aad);
        expect(Buffer.from(opened)).toEqual(plaintext);
    });

    it('this implementation opens what @hpke/core seals', async () => {
        const pair = generateX25519KeyPair();
        const recipientPublicKey = await suite.kem.deserializePublicKey(pair.publicKey.slice().buffer);
        const sealed = await suite.seal({ recipientPublicKey, info }, plaintext, aad);
        const opened = openBase(recipientFromSecret(pair.secretKey), new Uint8Array(sealed.enc), info, aad, new Uint8Array(sealed.ct));
        expect(opened).toEqual(plaintext);
    });
});
