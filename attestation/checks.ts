/**
 * Names of every verification check. A failure is always reported under one of these names so that
 * callers (and tests) can tell *why* a quote was refused without parsing messages.
 */
export const CHECKS = {
    /** (a) ECDSA P-256 over header [+ v5 body descriptor] + TD report, by the attestation key. */
    quoteSignature: 'quote-signature',
    /** (b) ECDSA P-256 over the 384-byte QE report, by the PCK leaf certificate's key. */
    qeReportSignature: 'qe-report-signature',
    /** (c) QE REPORTDATA = SHA-256(attestation key || QE auth data) || 32 zero bytes. */
    qeReportBinding: 'qe-report-binding',
    /** (d) PCK chain signatures, names, CA flags and validity at `at`, up to the trust anchor. */
    pckChain: 'pck-chain',
    /** The PCK leaf's Intel SGX extension (FMSPC, PCE-ID, TCB) is missing or malformed. */
    pckExtensions: 'pck-extensions',
    /** Collateral was required (requireCollateral) but not given, or a piece of it is missing. */
    collateralMissing: 'collateral-missing',
    /** TCB info / QE identity / CRL signature, or their signing chain, does not verify. */
    collateralSignature: 'collateral-signature',
    /** A piece of collateral (or its signing certificate) is not valid at the verification time. */
    collateralExpired: 'collateral-expired',
    /** A certificate of the PCK chain or the TCB Signing certificate is listed in a CRL. */
    revoked: 'revoked',
    /** TCB info is for another platform (FMSPC / PCE-ID), or its TDX module does not match. */
    tcbInfoMismatch: 'tcb-info-mismatch',
    /** The QE report does not match Intel's QE identity (MRSIGNER, ISVPRODID, MISCSELECT, ATTRIBUTES). */
    qeIdentity: 'qe-identity',
    /** No TCB level matches, or the resulting status is not in the accepted set. */
    tcbStatus: 'tcb-status',
    /** The TD runs in debug mode (TDATTRIBUTES bit 0); its memory is readable by the host. */
    tdDebug: 'td-debug',
    /** REPORTDATA differs from the value the caller expected. */
    reportData: 'report-data',
} as const;

export type CheckName = (typeof CHECKS)[keyof typeof CHECKS];

export interface CheckFailure {
    check: CheckName;
    message: string;
}
