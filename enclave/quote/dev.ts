/**
 * Simulated quotes for development and tests, signed by a throw-away authority made at start.
 * A verifier accepts them only when given that authority's `rootPem` as its trust anchor, so a dev
 * quote can never pass as a real Intel-rooted one.
 */
import { createDevQuoteAuthority, DevQuoteAuthority, generateDevQuote } from '../../attestation/devQuote';
import { QuoteProvider, requireReportData } from './provider';

export interface DevQuoteProvider extends QuoteProvider {
    readonly kind: 'dev';
    readonly rootPem: string;
}

export function devQuoteProvider(authority: DevQuoteAuthority = createDevQuoteAuthority()): DevQuoteProvider {
    return {
        kind: 'dev',
        rootPem: authority.rootPem,
        async getQuote(reportData: Uint8Array) {
            requireReportData(reportData);
            return generateDevQuote(authority, reportData);
        },
    };
}
