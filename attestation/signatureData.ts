/**
 * The quote's signature data (ECDSA-256 quote auth data, Intel quote v4/v5): signature, attestation
 * key, and certification data type 6, which nests the QE report, its signature, the QE auth data and
 * certification data type 5 (the PCK chain as PEM). Only this exact nesting is accepted: other
 * certification types would need collateral fetched elsewhere, which Cocoon does not do.
 */
import { QuoteParseError } from './errors';
import { ByteReader } from './reader';
import { QuoteSignatureData } from './quoteTypes';
import { CERT_DATA_PCK_CHAIN, CERT_DATA_QE_REPORT, ECDSA_PUBKEY_SIZE, ECDSA_SIG_SIZE } from './layout';
import { readQeReport } from './qeReport';

export function readSignatureData(r: ByteReader): QuoteSignatureData {
    const signature = r.bytesOf(ECDSA_SIG_SIZE, 'quote signature');
    const attestationKey = r.bytesOf(ECDSA_PUBKEY_SIZE, 'attestation key');
    const outerType = r.u16('certification data type');
    if (outerType !== CERT_DATA_QE_REPORT) {
        throw new QuoteParseError(`certification data type ${outerType} unsupported (expected ${CERT_DATA_QE_REPORT}, QE report)`);
    }
    const outer = r.sub(r.u32('certification data size'), 'certification data (type 6)');
    r.expectEnd('signature data');

    const qeReport = readQeReport(outer);
    const qeReportSignature = outer.bytesOf(ECDSA_SIG_SIZE, 'QE report signature');
    const qeAuthData = outer.bytesOf(outer.u16('QE auth data length'), 'QE auth data');
    const innerType = outer.u16('inner certification data type');
    if (innerType !== CERT_DATA_PCK_CHAIN) {
        throw new QuoteParseError(`inner certification data type ${innerType} unsupported (expected ${CERT_DATA_PCK_CHAIN}, PCK chain PEM)`);
    }
    const pem = outer.bytesOf(outer.u32('PCK chain size'), 'PCK certificate chain');
    outer.expectEnd('certification data (type 6)');

    return { signature, attestationKey, qeReport, qeReportSignature, qeAuthData, pckChainPem: decodePemText(pem) };
}

/** Intel's QE counts one trailing NUL in the PEM size; tolerate exactly that, reject other binary. */
function decodePemText(bytes: Uint8Array): string {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0) end -= 1;
    for (let i = 0; i < end; i++) {
        const c = bytes[i];
        if (c > 0x7e || (c < 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09)) {
            throw new QuoteParseError(`PCK certificate chain: byte 0x${c.toString(16).padStart(2, '0')} at index ${i} is not PEM text`);
        }
    }
    const text = Buffer.from(bytes.subarray(0, end)).toString('latin1');
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
        throw new QuoteParseError('PCK certificate chain: no PEM certificate found');
    }
    return text;
}
