/** The parsed shape of a TDX quote; field names follow Intel's structure definitions. */
export interface QuoteHeader {
    version: 4 | 5;
    attestationKeyType: number;
    teeType: number;
    qeSvn: number;
    pceSvn: number;
    qeVendorId: Uint8Array; // 16
    userData: Uint8Array; // 20
}

export interface TdReport {
    teeTcbSvn: Uint8Array; // 16
    mrSeam: Uint8Array; // 48
    mrSignerSeam: Uint8Array; // 48
    seamAttributes: Uint8Array; // 8
    tdAttributes: Uint8Array; // 8, little-endian u64
    xfam: Uint8Array; // 8
    mrTd: Uint8Array; // 48
    mrConfigId: Uint8Array; // 48
    mrOwner: Uint8Array; // 48
    mrOwnerConfig: Uint8Array; // 48
    rtmr: [Uint8Array, Uint8Array, Uint8Array, Uint8Array]; // 48 each
    reportData: Uint8Array; // 64
    /** TD report 1.5 only (v5 body type 3). */
    teeTcbSvn2?: Uint8Array; // 16
    mrServiceTd?: Uint8Array; // 48
}

/** The 384-byte SGX report of the Quoting Enclave. */
export interface QeReport {
    raw: Uint8Array;
    cpuSvn: Uint8Array; // 16
    miscSelect: number;
    attributes: Uint8Array; // 16
    mrEnclave: Uint8Array; // 32
    mrSigner: Uint8Array; // 32
    isvProdId: number;
    isvSvn: number;
    reportData: Uint8Array; // 64
}

export interface QuoteSignatureData {
    signature: Uint8Array; // 64, r||s over the signed region
    attestationKey: Uint8Array; // 64, x||y
    qeReport: QeReport;
    qeReportSignature: Uint8Array; // 64, r||s by the PCK leaf key
    qeAuthData: Uint8Array;
    /** PEM text of the PCK chain, leaf first, as embedded (a trailing NUL removed). */
    pckChainPem: string;
}

export interface Quote {
    header: QuoteHeader;
    /** v5 only: 2 = TD report 1.0, 3 = TD report 1.5. v4 bodies are TD report 1.0. */
    bodyType?: number;
    body: TdReport;
    signatureData: QuoteSignatureData;
    /** Bytes covered by the quote signature: header, v5 body descriptor, body. */
    signedRegion: Uint8Array;
    /** The quote as delimited by its own length fields (what quoteHash is computed over by callers who want that). */
    quoteBytes: Uint8Array;
    /** Bytes in the input after the end of the quote. */
    trailingBytes: number;
}
