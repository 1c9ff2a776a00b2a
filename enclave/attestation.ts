/**
 * The attestation document served at GET /v1/attestation: the quote over REPORTDATA that binds
 * this enclave's fresh keys to one network and one provider contract, and the runtime configuration
 * (engines, models, weights, tokenizer) whose hash REPORTDATA also carries. The registry's attestation
 * service verifies it and issues the certificate (protocol/signed.ts, attestationCell).
 */
import { Address } from '@ton/core';
import { reportDataFor } from '../attestation/reportData';
import { RuntimeConfig, runtimeHash } from '../attestation/runtimeConfig';
import type { EnclaveKeys } from './keys';
import type { QuoteKind, QuoteProvider } from './quote/provider';

export interface AttestationDocument {
    quote: string; // base64
    quoteKind: QuoteKind;
    reportData: string; // hex, 64 bytes
    enclaveEd25519: string; // hex
    enclaveX25519: string; // hex
    globalId: number;
    provider: string; // raw address
    runtime: RuntimeConfig; // hashed into REPORTDATA; clients recompute the hash from it
    devRootPem?: string; // dev quotes only: the throw-away trust anchor that signs them
}

export async function attest(keys: EnclaveKeys, quotes: QuoteProvider & { rootPem?: string }, globalId: number, provider: Address, runtime: RuntimeConfig): Promise<AttestationDocument> {
    const reportData = reportDataFor({
        globalId,
        providerWorkchain: provider.workChain,
        providerHash: provider.hash,
        enclaveEd25519: keys.ed25519Public,
        enclaveX25519: keys.x25519Public,
        runtimeHash: runtimeHash(runtime),
    });
    const quote = await quotes.getQuote(reportData);
    return {
        quote: Buffer.from(quote).toString('base64'),
        quoteKind: quotes.kind,
        reportData: Buffer.from(reportData).toString('hex'),
        enclaveEd25519: Buffer.from(keys.ed25519Public).toString('hex'),
        enclaveX25519: Buffer.from(keys.x25519Public).toString('hex'),
        globalId,
        provider: provider.toRawString(),
        runtime,
        ...(quotes.kind === 'dev' && quotes.rootPem ? { devRootPem: quotes.rootPem } : {}),
    };
}
