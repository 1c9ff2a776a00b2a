/**
 * REPORTDATA binding: the 64 bytes the enclave puts into its TD report tie the quote to one provider,
 * one network, the enclave's own keys and its runtime configuration, so a quote cannot be replayed
 * for other keys or elsewhere, and says which engines and models this boot serves.
 *
 *   REPORTDATA = SHA-512( "cocoon/reportdata/v2" || int32be(globalId) || int8(workchain)
 *                         || providerHash (32) || enclaveEd25519 (32) || enclaveX25519 (32)
 *                         || runtimeHash (32) )
 *
 * v2 added runtimeHash (attestation/runtimeConfig.ts); a v1 quote cannot match any v2 value.
 */
import { createHash } from 'node:crypto';
import { bytesEqual } from './hex';
import { Quote } from './quoteTypes';

export const REPORT_DATA_DOMAIN = 'cocoon/reportdata/v2';

export interface ReportDataInput {
    globalId: number;
    providerWorkchain: number;
    providerHash: Uint8Array;
    enclaveEd25519: Uint8Array;
    enclaveX25519: Uint8Array;
    runtimeHash: Uint8Array;
}

export function reportDataFor(i: ReportDataInput): Uint8Array {
    if (!Number.isInteger(i.globalId) || i.globalId < -0x80000000 || i.globalId > 0x7fffffff) throw new Error('globalId must be an int32');
    if (!Number.isInteger(i.providerWorkchain) || i.providerWorkchain < -128 || i.providerWorkchain > 127) throw new Error('workchain must be an int8');
    for (const [name, v] of [['providerHash', i.providerHash], ['enclaveEd25519', i.enclaveEd25519], ['enclaveX25519', i.enclaveX25519], ['runtimeHash', i.runtimeHash]] as const) {
        if (v.length !== 32) throw new Error(`${name} must be 32 bytes`);
    }
    const ints = Buffer.alloc(5);
    ints.writeInt32BE(i.globalId, 0);
    ints.writeInt8(i.providerWorkchain, 4);
    return new Uint8Array(
        createHash('sha512').update(REPORT_DATA_DOMAIN, 'ascii').update(ints).update(i.providerHash).update(i.enclaveEd25519).update(i.enclaveX25519).update(i.runtimeHash).digest(),
    );
}

export function reportDataMatches(quote: Quote, input: ReportDataInput): boolean {
    return bytesEqual(quote.body.reportData, reportDataFor(input));
}
