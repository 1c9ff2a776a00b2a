import { Address, Cell } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createHash } from 'node:crypto';
import { certifyQuote } from '../../attestation/issuer';
import { devImageHash } from '../../attestation/devQuote';
import { attestationCell, bigintFromBytes, verifyCell } from '../../protocol/signed';
import { CHECKS } from '../../attestation/checks';
import { QuoteParseError } from '../../attestation/errors';
import { quoteBytes, VECTORS } from './vectors';
import { devSetup } from './devFixture';

describe('certificate issuance', () => {
    const s = devSetup();
    // The dev chain is issued at wall-clock time, so these verify at wall-clock time too.
    const cfg = { secretKey: s.secretKey, verify: { trustAnchorPem: s.authority.rootPem }, lifetimeSeconds: 3600 };
    const req = { quote: s.quote, globalId: s.globalId, registry: s.registry, provider: s.provider, enclaveEd25519: s.enclaveEd25519, enclaveX25519: s.enclaveX25519 };

    it('signs a certificate whose signature verifies with verifyCell', () => {
        const out = certifyQuote(req, cfg);
        expect(out.issued).toBe(true);
        if (!out.issued) return;
        expect(verifyCell(out.cell, out.signature, out.verifierPublicKey)).toBe(true);
        expect(Buffer.from(out.verifierPublicKey)).toEqual(Buffer.from(ed25519.getPublicKey(s.secretKey)));
        const c = out.certificate;
        expect(c.imageHash).toBe(bigintFromBytes(devImageHash()));
        expect(c.quoteHash).toBe(bigintFromBytes(createHash('sha256').update(s.quote).digest()));
        expect(c.enclaveEd25519).toBe(bigintFromBytes(s.enclaveEd25519));
        expect(c.expiresAt - c.issuedAt).toBe(3600);
        // The cell is exactly the protocol/signed.ts layout of these fields.
        expect(out.cell.hash()).toEqual(attestationCell(c).hash());
        expect(Cell.fromBoc(out.cell.toBoc())[0].hash()).toEqual(out.cell.hash());
        // Tampering with any field breaks the signature.
        expect(verifyCell(attestationCell({ ...c, globalId: -239 }), out.signature, out.verifierPublicKey)).toBe(false);
    });

    it('refuses keys, provider or network the quote does not commit to', () => {
        for (const bad of [
            { ...req, enclaveX25519: new Uint8Array(32).fill(1) },
            { ...req, provider: new Address(0, Buffer.alloc(32, 8)) },
            { ...req, globalId: -239 },
        ]) {
            const out = certifyQuote(bad, cfg);
            expect(out.issued).toBe(false);
            expect(out.verdict.errors.map((e) => e.check)).toEqual([CHECKS.reportData]);
        }
    });

    it('refuses dev quotes under the default (Intel) anchor, and real quotes with unrelated REPORTDATA', () => {
        expect(certifyQuote(req, { secretKey: s.secretKey }).issued).toBe(false);
        const v = VECTORS[0];
        const out = certifyQuote({ ...req, quote: quoteBytes(v.quote) }, { secretKey: s.secretKey, verify: { collateral: v.collateral() }, now: () => v.at });
        expect(out.verdict.errors.map((e) => e.check)).toEqual([CHECKS.reportData]);
    });

    it('malformed quotes raise QuoteParseError', () => {
        expect(() => certifyQuote({ ...req, quote: s.quote.subarray(0, 100) }, cfg)).toThrow(QuoteParseError);
    });
});
