import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractMeasurements, tdAttributesValue } from '../../attestation/measurements';
import { parseQuote } from '../../attestation/parseQuote';
import { reportDataFor, reportDataMatches } from '../../attestation/reportData';
import { INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_CA_SHA256 } from '../../attestation/trustAnchors';
import { expected, FIXTURES, hex, quoteBytes, VECTORS } from './vectors';

describe('measurements', () => {
    it.each(VECTORS.map((v) => v.quote))('%s: extracted values and imageHash', (name) => {
        const exp = expected[name].tdReport;
        const m = extractMeasurements(parseQuote(quoteBytes(name)));
        expect(hex(m.mrtd)).toBe(exp.mrTd);
        [m.rtmr0, m.rtmr1, m.rtmr2, m.rtmr3].forEach((r, i) => expect(hex(r)).toBe(exp[`rtmr${i}`]));
        expect(hex(m.reportData)).toBe(exp.reportData);
        expect(hex(m.teeTcbSvn)).toBe(exp.teeTcbSvn);
        expect(hex(m.mrSeam)).toBe(exp.mrSeam);
        expect(hex(m.tdAttributes)).toBe(exp.tdAttributes);
        expect(hex(m.xfam)).toBe(exp.xfam);
        // Written out from the definition: ASCII prefix, then MRTD, RTMR0, RTMR1, RTMR2 (RTMR3 excluded).
        const manual = createHash('sha256')
            .update(Buffer.concat([Buffer.from('cocoon/image/v1', 'ascii'), ...[exp.mrTd, exp.rtmr0, exp.rtmr1, exp.rtmr2].map((h: string) => Buffer.from(h, 'hex'))]))
            .digest('hex');
        expect(hex(m.imageHash)).toBe(manual);
    });

    it('imageHash ignores RTMR3 (the runtime extends it) and tracks RTMR2', () => {
        const q = parseQuote(quoteBytes('tdx-v4-dcap-qvl-near.bin'));
        const before = hex(extractMeasurements(q).imageHash);
        q.body.rtmr[3] = new Uint8Array(48).fill(9);
        expect(hex(extractMeasurements(q).imageHash)).toBe(before);
        q.body.rtmr[2] = new Uint8Array(48).fill(9);
        expect(hex(extractMeasurements(q).imageHash)).not.toBe(before);
    });

    it('TD attributes decode as little-endian u64 (README values)', () => {
        expect(tdAttributesValue(Buffer.from('0000001000000000', 'hex'))).toBe(0x10000000n);
        expect(tdAttributesValue(Buffer.from('0000004000000000', 'hex'))).toBe(0x40000000n);
    });
});

describe('REPORTDATA binding', () => {
    const input = {
        globalId: -239,
        providerWorkchain: -1,
        providerHash: new Uint8Array(32).fill(0xaa),
        enclaveEd25519: new Uint8Array(32).fill(0xbb),
        enclaveX25519: new Uint8Array(32).fill(0xcc),
        runtimeHash: new Uint8Array(32).fill(0xdd),
    };

    it('is SHA-512 over the documented byte layout', () => {
        const layout = Buffer.concat([
            Buffer.from('cocoon/reportdata/v2', 'ascii'),
            Buffer.from([0xff, 0xff, 0xff, 0x11]), // int32be(-239)
            Buffer.from([0xff]), // int8(-1)
            Buffer.alloc(32, 0xaa),
            Buffer.alloc(32, 0xbb),
            Buffer.alloc(32, 0xcc),
            Buffer.alloc(32, 0xdd),
        ]);
        expect(layout.length).toBe(20 + 4 + 1 + 128);
        expect(hex(reportDataFor(input))).toBe(createHash('sha512').update(layout).digest('hex'));
    });

    it('each input changes it; bad sizes are refused', () => {
        const base = hex(reportDataFor(input));
        expect(hex(reportDataFor({ ...input, globalId: -3 }))).not.toBe(base);
        expect(hex(reportDataFor({ ...input, providerWorkchain: 0 }))).not.toBe(base);
        expect(hex(reportDataFor({ ...input, enclaveX25519: new Uint8Array(32) }))).not.toBe(base);
        expect(hex(reportDataFor({ ...input, runtimeHash: new Uint8Array(32) }))).not.toBe(base);
        expect(() => reportDataFor({ ...input, runtimeHash: new Uint8Array(33) })).toThrow('runtimeHash must be 32 bytes');
        expect(() => reportDataFor({ ...input, enclaveEd25519: new Uint8Array(31) })).toThrow('enclaveEd25519 must be 32 bytes');
        expect(() => reportDataFor({ ...input, providerWorkchain: 128 })).toThrow('int8');
    });

    it('a real quote does not match arbitrary claims', () => {
        expect(reportDataMatches(parseQuote(quoteBytes('tdx-v4-dcap-qvl.bin')), input)).toBe(false);
    });
});

describe('pinned Intel SGX Root CA', () => {
    it('is the certificate Intel publishes, byte-identical to the repo copy and the vectors', () => {
        const cert = new X509Certificate(INTEL_SGX_ROOT_CA_PEM);
        expect(cert.fingerprint256).toBe(INTEL_SGX_ROOT_CA_SHA256);
        expect(cert.fingerprint256).toBe('44:A0:19:6B:2B:99:F8:89:B8:E1:49:E9:5B:80:7A:35:0E:74:24:96:43:99:E8:85:A7:CB:B8:CC:FA:B6:74:D3');
        expect(cert.serialNumber).toBe('22650CD65A9D3489F383B49552BF501B392706AC');
        expect(readFileSync(join(__dirname, '../../attestation/roots/intel-sgx-root-ca.pem'), 'utf8')).toBe(INTEL_SGX_ROOT_CA_PEM);
        expect(readFileSync(join(FIXTURES, 'intel-sgx-root-ca.pem'), 'utf8')).toBe(INTEL_SGX_ROOT_CA_PEM);
    });
});
