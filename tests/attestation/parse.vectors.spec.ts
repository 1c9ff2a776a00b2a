import { createHash } from 'node:crypto';
import { parseQuote } from '../../attestation/parseQuote';
import { QuoteParseError } from '../../attestation/errors';
import { expected, hex, quoteBytes, VECTORS } from './vectors';

const TD_FIELDS = ['teeTcbSvn', 'mrSeam', 'mrSignerSeam', 'seamAttributes', 'tdAttributes', 'xfam', 'mrTd', 'mrConfigId', 'mrOwner', 'mrOwnerConfig', 'reportData'] as const;

describe.each(VECTORS.map((v) => v.quote))('parsing real quote %s', (name) => {
    const exp = expected[name];
    const bytes = quoteBytes(name);
    const q = parseQuote(bytes);

    it('is the file expected.json describes', () => {
        expect(bytes.length).toBe(exp.size);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(exp.sha256);
    });

    it('has the expected header', () => {
        const h = q.header;
        expect({ version: h.version, attestationKeyType: h.attestationKeyType, teeType: h.teeType, qeSvn: h.qeSvn, pceSvn: h.pceSvn }).toEqual({
            version: exp.header.version,
            attestationKeyType: exp.header.attestationKeyType,
            teeType: exp.header.teeType,
            qeSvn: exp.header.qeSvn,
            pceSvn: exp.header.pceSvn,
        });
        expect(hex(h.qeVendorId)).toBe(exp.header.qeVendorId);
        expect(hex(h.userData)).toBe(exp.header.userData);
        if (exp.header.bodyType !== undefined) expect(q.bodyType).toBe(exp.header.bodyType);
    });

    it('has exactly the expected TD report fields', () => {
        for (const f of TD_FIELDS) expect([f, hex(q.body[f])]).toEqual([f, exp.tdReport[f]]);
        q.body.rtmr.forEach((r, i) => expect(hex(r)).toBe(exp.tdReport[`rtmr${i}`]));
        if (exp.tdReport.teeTcbSvn2) {
            expect(hex(q.body.teeTcbSvn2!)).toBe(exp.tdReport.teeTcbSvn2);
            expect(hex(q.body.mrServiceTd!)).toBe(exp.tdReport.mrServiceTd);
        } else {
            expect(q.body.teeTcbSvn2).toBeUndefined();
        }
    });

    it('has the expected signature data, QE report and offsets', () => {
        const s = q.signatureData;
        expect(hex(s.signature)).toBe(exp.signature);
        expect(hex(s.attestationKey)).toBe(exp.attestationKey);
        expect(hex(s.qeAuthData)).toBe(exp.qeAuthData);
        expect(hex(s.qeReport.mrEnclave)).toBe(exp.qeReport.mrEnclave);
        expect(hex(s.qeReport.mrSigner)).toBe(exp.qeReport.mrSigner);
        expect(s.qeReport.isvProdId).toBe(exp.qeReport.isvProdId);
        expect(s.qeReport.isvSvn).toBe(exp.qeReport.isvSvn);
        expect(hex(s.qeReport.reportData)).toBe(exp.qeReport.reportData);
        const o = exp.offsets;
        expect(q.signedRegion.length).toBe(o.signedRegion[1]);
        expect(hex(s.qeReport.raw)).toBe(hex(bytes.slice(o.qeReport[0], o.qeReport[1])));
        expect(hex(s.qeReportSignature)).toBe(hex(bytes.slice(o.qeReportSignature[0], o.qeReportSignature[1])));
        expect(q.quoteBytes.length).toBe(o.quoteEnd);
        expect(q.trailingBytes).toBe(o.trailingBytes);
    });

    it('extracts the PCK chain (leaf first, NUL tolerated)', () => {
        const pem = q.signatureData.pckChainPem;
        expect(pem.match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
        expect(pem.includes('\0')).toBe(false);
        expect(pem.length).toBe(exp.offsets.pckCertChain.range[1] - exp.offsets.pckCertChain.range[0] - (exp.offsets.pckCertChain.endsWithNulByte ? 1 : 0));
    });
});

describe('trailing bytes after the quote', () => {
    it('are accepted and counted by default, rejected on request', () => {
        const bytes = quoteBytes('tdx-v4-go-tdx-guest-spr-e4.bin');
        expect(parseQuote(bytes).trailingBytes).toBe(39);
        expect(Buffer.from(bytes.slice(4935)).toString('latin1')).toBe('\nextra bytes(only for testing purpose)\n');
        expect(() => parseQuote(bytes, { trailingBytes: 'reject' })).toThrow(new QuoteParseError('39 trailing bytes after the end of the quote at offset 4935'));
    });

    it('a quote cut exactly at its end parses under the reject policy', () => {
        const q = parseQuote(quoteBytes('tdx-v4-dcap-qvl.bin').slice(0, 4936), { trailingBytes: 'reject' });
        expect(q.trailingBytes).toBe(0);
    });
});
