/**
 * Where the enclave's attestation quote comes from. `reportData` is the 64-byte REPORTDATA that
 * binds the quote to this enclave's keys, network and provider (attestation/reportData.ts).
 */
export type QuoteKind = 'tdx' | 'dev';

export interface QuoteProvider {
    readonly kind: QuoteKind;
    getQuote(reportData: Uint8Array): Promise<Uint8Array>;
}

export const REPORT_DATA_BYTES = 64;

export function requireReportData(reportData: Uint8Array): void {
    if (reportData.length !== REPORT_DATA_BYTES) throw new Error(`reportData must be ${REPORT_DATA_BYTES} bytes, got ${reportData.length}`);
}
