/**
 * X.509 certificates for the development quote authority, built with @peculiar/asn1-x509 (ASN.1
 * encoding) and signed with node:crypto (ECDSA P-256 / SHA-256). Synchronous on purpose, so that
 * createDevQuoteAuthority() can be called from plain setup code.
 */
import { createPublicKey, KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const DAY_MS = 86_400_000;

export interface CertSpec {
    subjectCn: string;
    issuerCn: string;
    subjectKey: KeyObject; // public key to certify
    issuerKey: KeyObject; // private
    isCa: boolean;
    validDays: number;
}

export function createCertificate(spec: CertSpec): X509Certificate {
    const alg = new asn.AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
    const now = Date.now();
    const serial = randomBytes(16);
    // Positive, and with a non-zero first byte: DER INTEGERs must be minimal, and a leading 0x00
    // before a byte below 0x80 made OpenSSL refuse about 1 certificate in 256 ("illegal padding").
    serial[0] = (serial[0] & 0x3f) | 0x40;
    const tbs = new asn.TBSCertificate({
        version: asn.Version.v3,
        serialNumber: new Uint8Array(serial).buffer,
        signature: alg,
        issuer: devName(spec.issuerCn),
        // Back-dated a day so clock skew between machines never makes a fresh dev chain "not yet valid".
        validity: new asn.Validity({ notBefore: new Date(now - DAY_MS), notAfter: new Date(now + spec.validDays * DAY_MS) }),
        subject: devName(spec.subjectCn),
        subjectPublicKeyInfo: AsnConvert.parse(publicKeyOf(spec.subjectKey).export({ type: 'spki', format: 'der' }), asn.SubjectPublicKeyInfo),
        extensions: new asn.Extensions([
            extension(asn.id_ce_basicConstraints, true, new asn.BasicConstraints({ cA: spec.isCa })),
            extension(
                asn.id_ce_keyUsage,
                true,
                new asn.KeyUsage(spec.isCa ? asn.KeyUsageFlags.keyCertSign | asn.KeyUsageFlags.cRLSign : asn.KeyUsageFlags.digitalSignature),
            ),
        ]),
    });
    const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), spec.issuerKey);
    const cert = new asn.Certificate({ tbsCertificate: tbs, signatureAlgorithm: alg, signatureValue: new Uint8Array(signature).buffer });
    return new X509Certificate(Buffer.from(AsnConvert.serialize(cert)));
}

/** createPublicKey rejects a KeyObject that is already public, so pass those through. */
function publicKeyOf(key: KeyObject): KeyObject {
    return key.type === 'public' ? key : createPublicKey(key);
}

function devName(cn: string): asn.Name {
    const rdn = (type: string, value: string) =>
        new asn.RelativeDistinguishedName([new asn.AttributeTypeAndValue({ type, value: new asn.AttributeValue({ utf8String: value }) })]);
    return new asn.Name([rdn(OID_CN, cn), rdn(OID_O, 'Cocoon Development (NOT INTEL)')]);
}

function extension(extnID: string, critical: boolean, value: object): asn.Extension {
    return new asn.Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}
