import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { isRevoked, readCrl } from '../../attestation/crl';
import { parseQuote } from '../../attestation/parseQuote';
import { parseCertificates } from '../../attestation/pem';
import { INTEL_SGX_ROOT_CA_PEM } from '../../attestation/trustAnchors';
import { FIXTURES, quoteBytes } from './vectors';

describe('CRLs (Intel PCS, June 2023)', () => {
    const chain = parseCertificates(parseQuote(quoteBytes('tdx-v4-go-tdx-guest-spr-e4.bin')).signatureData.pckChainPem);
    const pckCrlDer = new Uint8Array(readFileSync(join(FIXTURES, 'tdx-v4-go-tdx-guest-spr-e4.pckcrl.der')));

    it('the PCK CRL is signed by the quote PCK Platform CA, not by the root', () => {
        const crl = readCrl(pckCrlDer, chain[1]);
        expect(crl.signatureValid).toBe(true);
        expect(crl.revokedSerials.size).toBe(44);
        expect(crl.thisUpdate.toISOString()).toBe('2023-06-08T07:27:52.000Z');
        expect(readCrl(pckCrlDer, new X509Certificate(INTEL_SGX_ROOT_CA_PEM)).signatureValid).toBe(false);
    });

    it('the quote leaf is not revoked; a certificate with a listed serial is (serials compared as numbers)', () => {
        const crl = readCrl(pckCrlDer, chain[1]);
        expect(isRevoked(crl, chain[0])).toBe(false);
        const listed = [...crl.revokedSerials][0];
        expect(isRevoked(crl, { serialNumber: `00${listed.toUpperCase()}` } as X509Certificate)).toBe(true);
    });

    it('the root CA CRL is signed by the root and lists nothing', () => {
        const crl = readCrl(new Uint8Array(readFileSync(join(FIXTURES, 'tdx-v4-go-tdx-guest-spr-e4.rootcrl.der'))), new X509Certificate(INTEL_SGX_ROOT_CA_PEM));
        expect(crl.signatureValid).toBe(true);
        expect(crl.revokedSerials.size).toBe(0);
    });
});
