/**
 * Parser for Intel TDX DCAP quotes, versions 4 and 5 (TD report 1.0 and 1.5 bodies).
 *
 * Every length comes from the quote's own length fields, never from the input length, because real
 * quote buffers are often padded (fixed-size buffers, appended text). Whether bytes after the end of
 * the quote are acceptable is the caller's policy (`trailingBytes`). Anything malformed throws
 * QuoteParseError; nothing is verified here (see verify.ts).
 */
import { QuoteParseError } from './errors';
import { ByteReader } from './reader';
import { Quote, QuoteHeader } from './quoteTypes';
import {
    ATT_KEY_TYPE_ECDSA_P256,
    HEADER_SIZE,
    TD_REPORT10_SIZE,
    TD_REPORT15_SIZE,
    TEE_TYPE_TDX,
    V5_BODY_TD10,
    V5_BODY_TD15,
} from './layout';
import { readTdReport } from './tdReport';
import { readSignatureData } from './signatureData';

export interface ParseOptions {
    /** 'allow' (default) records the count in `quote.trailingBytes`; 'reject' throws. */
    trailingBytes?: 'allow' | 'reject';
}

export function parseQuote(input: Uint8Array, options: ParseOptions = {}): Quote {
    if (!(input instanceof Uint8Array)) throw new QuoteParseError('quote must be a byte array');
    const r = new ByteReader(input);
    const header = readHeader(r);
    const isTd15 = header.version === 5 ? readV5BodyDescriptor(r) : false;
    const body = readTdReport(r, isTd15);
    const signedEnd = r.offset;
    const signatureData = readSignatureData(r.sub(r.u32('signature data length'), 'signature data'));
    const end = r.offset;
    const trailingBytes = input.length - end;
    if (trailingBytes > 0 && options.trailingBytes === 'reject') {
        throw new QuoteParseError(`${trailingBytes} trailing bytes after the end of the quote at offset ${end}`);
    }
    return {
        header,
        bodyType: header.version === 5 ? (isTd15 ? V5_BODY_TD15 : V5_BODY_TD10) : undefined,
        body,
        signatureData,
        signedRegion: input.slice(0, signedEnd),
        quoteBytes: input.slice(0, end),
        trailingBytes,
    };
}

function readHeader(r: ByteReader): QuoteHeader {
    if (r.remaining < HEADER_SIZE) {
        throw new QuoteParseError(`truncated quote: header needs ${HEADER_SIZE} bytes, got ${r.remaining}`);
    }
    const version = r.u16('version');
    if (version !== 4 && version !== 5) throw new QuoteParseError(`unsupported quote version ${version} (expected 4 or 5)`);
    const attestationKeyType = r.u16('attestation key type');
    if (attestationKeyType !== ATT_KEY_TYPE_ECDSA_P256) {
        throw new QuoteParseError(`unsupported attestation key type ${attestationKeyType} (expected 2, ECDSA-256-with-P-256)`);
    }
    const teeType = r.u32('TEE type');
    if (teeType !== TEE_TYPE_TDX) throw new QuoteParseError(`unsupported TEE type 0x${teeType.toString(16)} (expected 0x81, TDX)`);
    return {
        version,
        attestationKeyType,
        teeType,
        qeSvn: r.u16('QE SVN'),
        pceSvn: r.u16('PCE SVN'),
        qeVendorId: r.bytesOf(16, 'QE vendor ID'),
        userData: r.bytesOf(20, 'user data'),
    };
}

/** Returns true for a TD report 1.5 body. */
function readV5BodyDescriptor(r: ByteReader): boolean {
    const bodyType = r.u16('body type');
    const bodySize = r.u32('body size');
    const expected = bodyType === V5_BODY_TD10 ? TD_REPORT10_SIZE : bodyType === V5_BODY_TD15 ? TD_REPORT15_SIZE : undefined;
    if (expected === undefined) {
        throw new QuoteParseError(`unsupported v5 body type ${bodyType} (expected 2 = TD report 1.0 or 3 = TD report 1.5)`);
    }
    if (bodySize !== expected) throw new QuoteParseError(`v5 body type ${bodyType} must be ${expected} bytes, header says ${bodySize}`);
    return bodyType === V5_BODY_TD15;
}
