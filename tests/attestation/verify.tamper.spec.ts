/** Flipping one byte of any signed or signing part of a real quote fails the check that covers it. */
import { verifyQuote } from '../../attestation/verify';
import { parseQuote } from '../../attestation/parseQuote';
import { CHECKS, CheckName } from '../../attestation/checks';
import { expected, quoteBytes, VECTORS } from './vectors';

function failedChecks(bytes: Uint8Array, at: Date): CheckName[] {
    return verifyQuote(bytes, { at }).errors.map((e) => e.check);
}

function flipped(bytes: Uint8Array, at: number, mask = 0x01): Uint8Array {
    const b = bytes.slice();
    b[at] ^= mask;
    return b;
}

describe.each(VECTORS)('tampering with $quote', (v) => {
    const bytes = quoteBytes(v.quote);
    const o = expected[v.quote].offsets;

    it.each([
        ['version-independent header byte (user data)', 40],
        ['MRTD', o.signedRegion[1] - 64 - 4 * 48 - 3 * 48 - 10],
        ['REPORTDATA', o.signedRegion[1] - 1],
    ])('a byte of the signed region (%s) fails quote-signature', (_what, at) => {
        expect(failedChecks(flipped(bytes, at), v.at)).toEqual([CHECKS.quoteSignature]);
    });

    it('a byte of the quote signature fails quote-signature', () => {
        expect(failedChecks(flipped(bytes, o.signature[0] + 10), v.at)).toEqual([CHECKS.quoteSignature]);
    });

    it('a byte of the attestation key fails quote-signature and the QE binding', () => {
        expect(failedChecks(flipped(bytes, o.attestationKey[0] + 40), v.at)).toEqual([CHECKS.quoteSignature, CHECKS.qeReportBinding]);
    });

    it('a byte of the QE report (outside REPORTDATA) fails qe-report-signature', () => {
        expect(failedChecks(flipped(bytes, o.qeReport[0] + 64), v.at)).toEqual([CHECKS.qeReportSignature]);
    });

    it('a byte of the QE report REPORTDATA fails the binding and its signature', () => {
        expect(failedChecks(flipped(bytes, o.qeReport[0] + 320), v.at)).toEqual([CHECKS.qeReportBinding, CHECKS.qeReportSignature]);
    });

    it('a byte of the QE report signature fails qe-report-signature', () => {
        expect(failedChecks(flipped(bytes, o.qeReportSignature[0] + 5), v.at)).toEqual([CHECKS.qeReportSignature]);
    });

    it('a byte of the QE auth data fails qe-report-binding', () => {
        expect(failedChecks(flipped(bytes, o.qeAuthData[0]), v.at)).toEqual([CHECKS.qeReportBinding]);
    });

    it('a changed character inside each embedded certificate fails pck-chain', () => {
        const pem = parseQuote(bytes).signatureData.pckChainPem;
        const start = o.pckCertChain.range[0];
        const ends = [...pem.matchAll(/-----END CERTIFICATE-----/g)].map((m) => m.index!);
        for (const end of ends) {
            // Inside the base64 body, a few lines before the END marker: the signature or signed fields.
            const at = start + end - 200;
            const b = bytes.slice();
            b[at] = b[at] === 0x41 ? 0x42 : 0x41; // 'A' <-> 'B' keeps it valid base64
            expect(failedChecks(b, v.at)).toContain(CHECKS.pckChain);
        }
    });
});

describe('trust anchor', () => {
    it('an unusable trust anchor is a configuration error', () => {
        const other = `-----BEGIN CERTIFICATE-----\n${Buffer.from('not a cert').toString('base64')}\n-----END CERTIFICATE-----`;
        const v = VECTORS[0];
        expect(() => verifyQuote(quoteBytes(v.quote), { at: v.at, trustAnchorPem: other })).toThrow(/trust anchor is not a PEM certificate/);
    });
});
