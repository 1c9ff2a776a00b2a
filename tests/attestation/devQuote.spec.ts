import { createDevQuoteAuthority, DEV_MEASUREMENT, devImageHash, generateDevQuote } from '../../attestation/devQuote';
import { parseQuote } from '../../attestation/parseQuote';
import { verifyQuote } from '../../attestation/verify';
import { CHECKS } from '../../attestation/checks';
import { reportDataFor, reportDataMatches } from '../../attestation/reportData';
import { imageHash } from '../../attestation/imageHash';
import { hex, quoteBytes, VECTORS } from './vectors';

describe('development quotes', () => {
    const authority = createDevQuoteAuthority();
    const claims = {
        globalId: -3,
        providerWorkchain: 0,
        providerHash: new Uint8Array(32).fill(1),
        enclaveEd25519: new Uint8Array(32).fill(2),
        enclaveX25519: new Uint8Array(32).fill(3),
        runtimeHash: new Uint8Array(32).fill(4),
    };
    const quote = generateDevQuote(authority, reportDataFor(claims));

    it('round trip: parse, verify with the dev root, image hash, REPORTDATA binding', () => {
        const parsed = parseQuote(quote, { trailingBytes: 'reject' });
        expect(parsed.header.version).toBe(4);
        expect(parsed.quoteBytes.length).toBe(quote.length);
        const r = verifyQuote(parsed, { trustAnchorPem: authority.rootPem });
        expect(r.errors).toEqual([]);
        expect(r.valid).toBe(true);
        expect(hex(r.measurements.imageHash)).toBe(hex(devImageHash()));
        expect(hex(r.measurements.mrtd)).toBe(hex(DEV_MEASUREMENT.mrtd));
        expect(reportDataMatches(parsed, claims)).toBe(true);
        expect(reportDataMatches(parsed, { ...claims, globalId: -239 })).toBe(false);
    });

    it('uses the exact v4 layout offsets of a real quote up to the PCK chain', () => {
        const q = parseQuote(quote);
        expect(q.signedRegion.length).toBe(632);
        const view = Buffer.from(quote);
        const real = Buffer.from(quoteBytes('tdx-v4-dcap-qvl.bin'));
        expect(view.subarray(0, 8)).toEqual(real.subarray(0, 8)); // version, key type, TEE type
        expect(view.readUInt16LE(764)).toBe(6);
        expect(view.readUInt16LE(1218)).toBe(32);
        expect(view.readUInt16LE(1252)).toBe(5);
        expect(view.readUInt32LE(632)).toBe(quote.length - 636);
    });

    it('is refused without the dev root (never trusted by default)', () => {
        const r = verifyQuote(quote);
        expect(r.valid).toBe(false);
        expect(r.errors.map((e) => e.check)).toEqual([CHECKS.pckChain]);
    });

    it('is refused under another dev authority, and real Intel quotes are refused under the dev root', () => {
        expect(verifyQuote(quote, { trustAnchorPem: createDevQuoteAuthority().rootPem }).errors.map((e) => e.check)).toEqual([CHECKS.pckChain]);
        const v = VECTORS[0];
        expect(verifyQuote(quoteBytes(v.quote), { at: v.at, trustAnchorPem: authority.rootPem }).errors.map((e) => e.check)).toEqual([CHECKS.pckChain]);
    });

    it('tampering a dev quote fails the named checks like a real one', () => {
        const flip = (at: number) => {
            const b = quote.slice();
            b[at] ^= 1;
            return verifyQuote(b, { trustAnchorPem: authority.rootPem }).errors.map((e) => e.check);
        };
        expect(flip(600)).toEqual([CHECKS.quoteSignature]);
        expect(flip(770 + 64)).toEqual([CHECKS.qeReportSignature]);
        expect(flip(1154 + 3)).toEqual([CHECKS.qeReportSignature]);
        expect(flip(1220)).toEqual([CHECKS.qeReportBinding]);
    });

    it('custom measurements change the image hash deterministically', () => {
        const mrtd = new Uint8Array(48).fill(0x42);
        const rtmr = [new Uint8Array(48).fill(1)];
        const q = parseQuote(generateDevQuote(authority, new Uint8Array(64), { mrtd, rtmr }));
        expect(hex(q.body.mrTd)).toBe(hex(mrtd));
        expect(hex(q.body.rtmr[0])).toBe(hex(rtmr[0]));
        expect(hex(q.body.rtmr[1])).toBe(hex(DEV_MEASUREMENT.rtmr[1]));
        expect(hex(imageHash(q.body.mrTd, q.body.rtmr))).not.toBe(hex(devImageHash()));
        expect(() => generateDevQuote(authority, new Uint8Array(63))).toThrow('64 bytes');
        expect(() => generateDevQuote(authority, new Uint8Array(64), { mrtd: new Uint8Array(47) })).toThrow('48 bytes');
    });

    it('the dev image hash is a fixed constant', () => {
        expect(hex(devImageHash())).toBe('f8cb89469a5d25824646d043222897d46be4f7fbc3330a2d9ea80575049f93df');
    });
});
