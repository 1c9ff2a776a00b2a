/**
 * Development quote generator: quotes in the exact Intel TDX quote v4 layout, signed by a throw-away
 * certificate authority, for devnets and tests on machines without TDX.
 *
 * The authority mirrors Intel's roles: a root CA (stands in for the Intel SGX Root CA), a PCK-like
 * leaf whose key is the QE key (signs the QE report), and an attestation key (signs the quote).
 * The same parser and verifier accept these quotes only when `rootPem` is passed explicitly as the
 * trust anchor; the default anchor is Intel's, so a dev quote can never pass as a real one by accident.
 */
import { createHash, createPrivateKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { createCertificate } from './devCertificates';
import { concatBytes, fromHex } from './hex';
import { enclaveMeasurement } from './enclaveMeasurement';
import { imageHash } from './imageHash';
import { RuntimeConfig, runtimeHash } from './runtimeConfig';
import { ATT_KEY_TYPE_ECDSA_P256, CERT_DATA_PCK_CHAIN, CERT_DATA_QE_REPORT, INTEL_QE_VENDOR_ID, TEE_TYPE_TDX } from './layout';

export interface DevQuoteAuthority {
    /** Trust anchor to pass as `trustAnchorPem` when verifying dev quotes. */
    rootPem: string;
    /** PCK-like leaf certificate, issued by the root; embedded in every quote. */
    pckLeafPem: string;
    /** PKCS#8 PEM of the leaf's key: the QE key that signs QE reports. */
    qeKeyPem: string;
    /** PKCS#8 PEM of the attestation key that signs quotes. */
    attestationKeyPem: string;
}

const MEASUREMENT_SIZE = 48;

/** Fixed, recognisable dev measurements: SHA-384 of a label, so the dev image hash never changes. */
const devMeasure = (label: string) => new Uint8Array(createHash('sha384').update(`cocoon/dev-measurement/${label}`).digest());
export const DEV_MEASUREMENT: { readonly mrtd: Uint8Array; readonly rtmr: readonly Uint8Array[] } = Object.freeze({
    mrtd: devMeasure('mrtd'),
    rtmr: Object.freeze([devMeasure('rtmr0'), devMeasure('rtmr1'), devMeasure('rtmr2'), new Uint8Array(MEASUREMENT_SIZE)]),
});

export function devImageHash(): Uint8Array {
    return imageHash(DEV_MEASUREMENT.mrtd, DEV_MEASUREMENT.rtmr);
}

/** The TD registers a dev quote carries unless a test overrides them (see tdReport below). */
const DEV_TD_ATTRIBUTES = fromHex('0000001000000000'); // SEPT_VE_DISABLE, not DEBUG
const DEV_XFAM = fromHex('e702060000000000');

/** What governance allow-lists for a dev-quoted runner with this runtime configuration. */
export function devEnclaveMeasurement(runtime: RuntimeConfig): Uint8Array {
    const zero48 = new Uint8Array(MEASUREMENT_SIZE);
    return enclaveMeasurement(
        { imageHash: devImageHash(), rtmr3: DEV_MEASUREMENT.rtmr[3], mrConfigId: zero48, mrOwner: zero48, mrOwnerConfig: zero48, xfam: DEV_XFAM, tdAttributes: DEV_TD_ATTRIBUTES },
        runtimeHash(runtime),
    );
}

/** Registers a test may set to other values than the dev defaults (all 48 bytes, XFAM and TDATTRIBUTES 8). */
export interface DevMeasurementOverride {
    mrtd?: Uint8Array;
    rtmr?: (Uint8Array | undefined)[]; // undefined entries keep the dev value
    mrConfigId?: Uint8Array;
    mrOwner?: Uint8Array;
    mrOwnerConfig?: Uint8Array;
    xfam?: Uint8Array;
    tdAttributes?: Uint8Array;
}

export function createDevQuoteAuthority(): DevQuoteAuthority {
    const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const root = p256();
    const qe = p256();
    const attestation = p256();
    const rootCert = createCertificate({ subjectCn: 'Cocoon Dev SGX Root CA', issuerCn: 'Cocoon Dev SGX Root CA', subjectKey: root.publicKey, issuerKey: root.privateKey, isCa: true, validDays: 3650 });
    const leafCert = createCertificate({ subjectCn: 'Cocoon Dev PCK Certificate', issuerCn: 'Cocoon Dev SGX Root CA', subjectKey: qe.publicKey, issuerKey: root.privateKey, isCa: false, validDays: 3650 });
    const pkcs8 = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
    return { rootPem: rootCert.toString(), pckLeafPem: leafCert.toString(), qeKeyPem: pkcs8(qe.privateKey), attestationKeyPem: pkcs8(attestation.privateKey) };
}

export function generateDevQuote(authority: DevQuoteAuthority, reportData: Uint8Array, measurement?: DevMeasurementOverride): Uint8Array {
    if (reportData.length !== 64) throw new Error('reportData must be 64 bytes');
    const mrtd = measurement?.mrtd ?? DEV_MEASUREMENT.mrtd;
    const rtmr = [0, 1, 2, 3].map((i) => measurement?.rtmr?.[i] ?? DEV_MEASUREMENT.rtmr[i]);
    if ([mrtd, ...rtmr].some((m) => m.length !== MEASUREMENT_SIZE) || (measurement?.rtmr?.length ?? 0) > 4) {
        throw new Error('MRTD and up to four RTMRs of 48 bytes each');
    }
    const attKey = createPrivateKey(authority.attestationKeyPem);
    const qeKey = createPrivateKey(authority.qeKeyPem);

    const zero48 = new Uint8Array(MEASUREMENT_SIZE);
    const owner = { mrConfigId: measurement?.mrConfigId ?? zero48, mrOwner: measurement?.mrOwner ?? zero48, mrOwnerConfig: measurement?.mrOwnerConfig ?? zero48 };
    if (Object.values(owner).some((m) => m.length !== MEASUREMENT_SIZE)) throw new Error('MRCONFIGID, MROWNER and MROWNERCONFIG are 48 bytes each');
    const xfam = measurement?.xfam ?? DEV_XFAM;
    const tdAttributes = measurement?.tdAttributes ?? DEV_TD_ATTRIBUTES;
    if (xfam.length !== 8 || tdAttributes.length !== 8) throw new Error('XFAM and TDATTRIBUTES are 8 bytes each');

    const signedRegion = concatBytes(header(), tdReport({ mrtd, rtmr, ...owner, xfam, tdAttributes }, reportData));
    const attPub = rawPublicKey(attKey);
    const qeAuthData = Uint8Array.from({ length: 32 }, (_, i) => i); // what Intel's QE uses too
    const qeReport = devQeReport(concatBytes(createHash('sha256').update(attPub).update(qeAuthData).digest(), new Uint8Array(32)));
    const pem = new TextEncoder().encode(`${authority.pckLeafPem.trim()}\n${authority.rootPem.trim()}\n\0`);
    const certData = concatBytes(qeReport, p1363(qeKey, qeReport), le(qeAuthData.length, 2), qeAuthData, le(CERT_DATA_PCK_CHAIN, 2), le(pem.length, 4), pem);
    const sigData = concatBytes(p1363(attKey, signedRegion), attPub, le(CERT_DATA_QE_REPORT, 2), le(certData.length, 4), certData);
    return concatBytes(signedRegion, le(sigData.length, 4), sigData);
}

function header(): Uint8Array {
    const userData = new Uint8Array(20);
    userData.set(new TextEncoder().encode('cocoon-dev-quote')); // marks dev quotes to a human reading hex dumps
    return concatBytes(le(4, 2), le(ATT_KEY_TYPE_ECDSA_P256, 2), le(TEE_TYPE_TDX, 4), le(0, 2), le(0, 2), fromHex(INTEL_QE_VENDOR_ID), userData);
}

interface DevTdRegisters {
    mrtd: Uint8Array;
    rtmr: Uint8Array[];
    mrConfigId: Uint8Array;
    mrOwner: Uint8Array;
    mrOwnerConfig: Uint8Array;
    xfam: Uint8Array;
    tdAttributes: Uint8Array;
}

function tdReport(r: DevTdRegisters, reportData: Uint8Array): Uint8Array {
    const zero48 = new Uint8Array(48);
    return concatBytes(
        fromHex('06010300000000000000000000000000'), // TEE_TCB_SVN
        devMeasure('mrseam'), // MRSEAM
        zero48, // MRSIGNERSEAM: Intel's own TDX module
        new Uint8Array(8), // SEAMATTRIBUTES
        r.tdAttributes,
        r.xfam,
        r.mrtd,
        r.mrConfigId,
        r.mrOwner,
        r.mrOwnerConfig,
        ...r.rtmr,
        reportData,
    );
}

/** A 384-byte SGX report body; only the fields the verifier reads are set. */
function devQeReport(reportData: Uint8Array): Uint8Array {
    const r = new Uint8Array(384);
    r.set(fromHex('11000000000000000000000000000000'), 48); // ATTRIBUTES: INIT | MODE64BIT
    r.set(createHash('sha256').update('cocoon/dev-qe/mrenclave').digest(), 64);
    r.set(createHash('sha256').update('cocoon/dev-qe/mrsigner').digest(), 128);
    r.set(le(2, 2), 256); // ISVPRODID: TD_QE
    r.set(reportData, 320);
    return r;
}

function p1363(key: KeyObject, data: Uint8Array): Uint8Array {
    return new Uint8Array(sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }));
}

function rawPublicKey(key: KeyObject): Uint8Array {
    const jwk = key.export({ format: 'jwk' });
    return concatBytes(Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url'));
}

function le(value: number, bytes: 2 | 4): Uint8Array {
    const b = Buffer.alloc(bytes);
    if (bytes === 2) b.writeUInt16LE(value);
    else b.writeUInt32LE(value);
    return new Uint8Array(b);
}
