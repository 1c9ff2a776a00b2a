/**
 * Certificate revocation lists: parsed with @peculiar/x509, signature checked here with node:crypto
 * against the key of the certificate that must have issued it (binding the CRL to its issuer by key,
 * not by a name string comparison).
 */
import { X509Certificate } from 'node:crypto';
import { X509Crl } from '@peculiar/x509';
import { splitSigned } from './der';
import { verifyP256Der } from './ecdsa';

export interface ParsedCrl {
    thisUpdate: Date;
    nextUpdate?: Date;
    revokedSerials: Set<string>;
    signatureValid: boolean;
}

/** Throws Error when the DER does not parse as a CRL. */
export function readCrl(der: Uint8Array, issuer: X509Certificate): ParsedCrl {
    const crl = new X509Crl(der);
    const { tbs, signature } = splitSigned(der);
    return {
        thisUpdate: crl.thisUpdate,
        nextUpdate: crl.nextUpdate,
        revokedSerials: new Set(crl.entries.map((e) => normalizeSerial(e.serialNumber))),
        signatureValid: verifyP256Der(issuer.publicKey, tbs, signature),
    };
}

export function normalizeSerial(hex: string): string {
    return hex.toLowerCase().replace(/^0+/, '') || '0';
}

export function isRevoked(crl: ParsedCrl, cert: X509Certificate): boolean {
    return crl.revokedSerials.has(normalizeSerial(cert.serialNumber));
}
