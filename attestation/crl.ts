/**
 * Certificate revocation lists: parsed with @peculiar/x509, signature checked here with node:crypto
 * against the key of the certificate that must have issued it (binding the CRL to its issuer by key,
 * not by a name string comparison).
 */
import { X509Certificate } from 'node:crypto';
import type { X509Crl as X509CrlType } from '@peculiar/x509';

// @peculiar/x509 (with its ASN.1 stack) takes ~140 ms to load; only CRL handling needs it, so it is
// loaded on first use rather than by every `cocoon` command and SDK import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parseCrl = (der: Uint8Array | ArrayBuffer): X509CrlType => new (require('@peculiar/x509') as typeof import('@peculiar/x509')).X509Crl(der as ArrayBuffer);
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
    const crl = parseCrl(der);
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
