/**
 * Issues Cocoon attestation certificates: verifies a quote, checks that its REPORTDATA commits to the
 * claimed network, provider, enclave keys and runtime configuration, and signs the certificate cell
 * (protocol/signed.ts layout) with the verifier's Ed25519 key. The certificate's `imageHash` is the
 * enclave measurement (attestation/enclaveMeasurement.ts): image, the other TD registers and the
 * runtime configuration in one value the Registry's allow-list must contain. The registry contract checks that signature, so
 * this is the only place a TDX quote turns into on-chain trust.
 */
import { createHash } from 'node:crypto';
import { Address, Cell } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { AttestationCertificate, attestationCell, bigintFromBytes, signCell } from '../protocol/signed';
import { enclaveMeasurement } from './enclaveMeasurement';
import { parseQuote } from './parseQuote';
import { isIntelRoot } from './trustAnchors';
import { isPublicTonNetwork } from '../protocol/networks';
import { reportDataFor } from './reportData';
import { RuntimeConfig, runtimeHash } from './runtimeConfig';
import { verdictOf, Verdict } from './verdict';
import { verifyQuote, VerifyOptions } from './verify';

/** One week: long enough to survive relayer outages, short enough that a revoked TCB ages out quickly. */
export const DEFAULT_CERTIFICATE_LIFETIME_SECONDS = 7 * 24 * 3600;

export interface IssuerConfig {
    /** Ed25519 secret key (32-byte seed) of the verifier. */
    secretKey: Uint8Array;
    /** Trust anchor, collateral, TCB policy; `expectedReportData` is set per request. */
    verify?: Omit<VerifyOptions, 'expectedReportData'>;
    lifetimeSeconds?: number;
    now?: () => Date;
}

export interface CertifyRequest {
    quote: Uint8Array;
    globalId: number;
    registry: Address;
    provider: Address;
    enclaveEd25519: Uint8Array;
    enclaveX25519: Uint8Array;
    /** The runner's runtime configuration as it serves it; already checked by parseRuntimeConfig. */
    runtime: RuntimeConfig;
}

export type CertifyOutcome =
    | { issued: true; certificate: AttestationCertificate; cell: Cell; signature: Buffer; verifierPublicKey: Uint8Array; verdict: Verdict }
    | { issued: false; verdict: Verdict };

/** Throws QuoteParseError for malformed quotes and Error for malformed key sizes; refusals are outcomes. */
export function certifyQuote(req: CertifyRequest, cfg: IssuerConfig): CertifyOutcome {
    // A development root certifies quotes anyone can make: never for a public network (protocol/networks.ts).
    if (cfg.verify?.trustAnchorPem !== undefined && !isIntelRoot(cfg.verify.trustAnchorPem) && isPublicTonNetwork(req.globalId)) {
        throw new Error(`this verifier trusts a development root; global id ${req.globalId} is a public TON network, where only Intel-rooted quotes are certified`);
    }
    const quote = parseQuote(req.quote, { trailingBytes: cfg.verify?.trailingBytes });
    const runtime = runtimeHash(req.runtime);
    const expectedReportData = reportDataFor({
        globalId: req.globalId,
        providerWorkchain: req.provider.workChain,
        providerHash: req.provider.hash,
        enclaveEd25519: req.enclaveEd25519,
        enclaveX25519: req.enclaveX25519,
        runtimeHash: runtime,
    });
    const now = cfg.now?.() ?? new Date();
    const result = verifyQuote(quote, { at: now, ...cfg.verify, expectedReportData });
    const verdict = verdictOf(result);
    if (!result.valid) return { issued: false, verdict };

    const issuedAt = Math.floor(now.getTime() / 1000);
    const certificate: AttestationCertificate = {
        globalId: req.globalId,
        registry: req.registry,
        provider: req.provider,
        imageHash: bigintFromBytes(enclaveMeasurement(result.measurements, runtime)),
        enclaveEd25519: bigintFromBytes(req.enclaveEd25519),
        enclaveX25519: bigintFromBytes(req.enclaveX25519),
        // Over the quote as delimited by its own length fields, so padding a quote does not change its identity.
        quoteHash: bigintFromBytes(createHash('sha256').update(quote.quoteBytes).digest()),
        issuedAt,
        expiresAt: issuedAt + (cfg.lifetimeSeconds ?? DEFAULT_CERTIFICATE_LIFETIME_SECONDS),
    };
    const cell = attestationCell(certificate);
    return { issued: true, certificate, cell, signature: signCell(cell, cfg.secretKey), verifierPublicKey: ed25519.getPublicKey(cfg.secretKey), verdict };
}
