import { Address, Cell } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createHash } from 'node:crypto';
import { certifyQuote } from '../../attestation/issuer';
import { devEnclaveMeasurement, generateDevQuote } from '../../attestation/devQuote';
import { reportDataFor } from '../../attestation/reportData';
import { runtimeHash } from '../../attestation/runtimeConfig';
import { openAiRuntime } from '../fixtures/runtime';
import { attestationCell, bigintFromBytes, verifyCell } from '../../protocol/signed';
import { CHECKS } from '../../attestation/checks';
import { QuoteParseError } from '../../attestation/errors';
import { quoteBytes, VECTORS } from './vectors';
import { devSetup } from './devFixture';

describe('certificate issuance', () => {
    const s = devSetup();
    // The dev chain is issued at wall-clock time, so these verify at wall-clock time too.
    const cfg = { secretKey: s.secretKey, verify: { trustAnchorPem: s.authority.rootPem }, lifetimeSeconds: 3600 };
    const req = { quote: s.quote, globalId: s.globalId, registry: s.registry, provider: s.provider, enclaveEd25519: s.enclaveEd25519, enclaveX25519: s.enclaveX25519, runtime: s.runtime };

    it('signs a certificate whose signature verifies with verifyCell', () => {
        const out = certifyQuote(req, cfg);
        expect(out.issued).toBe(true);
        if (!out.issued) return;
        expect(verifyCell(out.cell, out.signature, out.verifierPublicKey)).toBe(true);
        expect(Buffer.from(out.verifierPublicKey)).toEqual(Buffer.from(ed25519.getPublicKey(s.secretKey)));
        const c = out.certificate;
        expect(c.imageHash).toBe(bigintFromBytes(devEnclaveMeasurement(s.runtime)));
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
            { ...req, globalId: s.globalId + 1 },
            // A runner that attested the reference engine cannot be certified as serving another engine.
            { ...req, runtime: openAiRuntime() },
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

    // Issue 11 finding 4: quotes with a changed RTMR3, MRCONFIGID, MROWNER, MROWNERCONFIG, XFAM or TD
    // attributes were certified with the same image hash as the reviewed TD, so the allow-list could
    // not tell them apart. Each register is now an input of the certified measurement.
    it.each([
        ['RTMR3', { rtmr: [undefined, undefined, undefined, new Uint8Array(48).fill(3)] }],
        ['MRCONFIGID', { mrConfigId: new Uint8Array(48).fill(1) }],
        ['MROWNER', { mrOwner: new Uint8Array(48).fill(2) }],
        ['MROWNERCONFIG', { mrOwnerConfig: new Uint8Array(48).fill(4) }],
        ['XFAM', { xfam: Buffer.from('e702000000000000', 'hex') }],
        ['TDATTRIBUTES', { tdAttributes: Buffer.from('0000000000000000', 'hex') }],
    ])('a quote with another %s is certified under another measurement than the allow-listed one', (_name, override) => {
        const quote = generateDevQuote(s.authority, reportDataFor(s.claims), override as Parameters<typeof generateDevQuote>[2]);
        const out = certifyQuote({ ...req, quote }, cfg);
        expect(out.issued).toBe(true);
        if (!out.issued) return;
        expect(out.certificate.imageHash).not.toBe(bigintFromBytes(devEnclaveMeasurement(s.runtime)));
    });

    it('certifies the runtime the quote commits to, under a measurement that names it', () => {
        const runtime = openAiRuntime();
        const quote = generateDevQuote(s.authority, reportDataFor({ ...s.claims, runtimeHash: runtimeHash(runtime) }));
        const out = certifyQuote({ ...req, quote, runtime }, cfg);
        expect(out.issued).toBe(true);
        if (!out.issued) return;
        expect(out.certificate.imageHash).toBe(bigintFromBytes(devEnclaveMeasurement(runtime)));
        expect(out.certificate.imageHash).not.toBe(bigintFromBytes(devEnclaveMeasurement(s.runtime)));
    });

    it('a verifier trusting a development root certifies nothing for mainnet or testnet', () => {
        for (const globalId of [-239, -3]) {
            expect(() => certifyQuote({ ...req, globalId }, cfg)).toThrow(/development root; global id .* is a public TON network/);
        }
    });

    it('malformed quotes raise QuoteParseError', () => {
        expect(() => certifyQuote({ ...req, quote: s.quote.subarray(0, 100) }, cfg)).toThrow(QuoteParseError);
    });
});
