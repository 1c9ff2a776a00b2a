/**
 * The check before anything is sent: the enclave key is registered on the Provider, unrevoked,
 * unexpired, attested for an image the Registry allow-lists now, and (by default) its quote,
 * fetched from the provider's runner, verifies locally — REPORTDATA binding exactly these keys, this
 * network and Provider and the runner's runtime configuration, and the enclave measurement (quote
 * registers + runtime configuration) equal to the on-chain image hash.
 *
 * A development root of trust is used only when the caller passes it as `trustAnchorPem`; the
 * `devRootPem` a runner serves next to its quote is never trusted (docs/spec/attestation.md).
 */
import type { Address } from '@ton/core';
import { CHECKS } from '../attestation/checks';
import type { Collateral } from '../attestation/collateral';
import { enclaveMeasurement } from '../attestation/enclaveMeasurement';
import { reportDataFor } from '../attestation/reportData';
import { parseRuntimeConfig, runtimeHash } from '../attestation/runtimeConfig';
import { verifyQuote } from '../attestation/verify';
import { bytesFromBigint } from '../protocol/signed';
import { AttestationError } from './errors';
import type { EnclaveInfo } from './types';

export interface AttestationPolicy {
    /** Fetch GET /v1/attestation from the runner and re-verify the quote (default true). */
    verifyQuote?: boolean;
    /** Base URL of a provider's enclave runner (serving GET /v1/attestation), by Provider address; overrides the target's on-chain `runnerUrl`. */
    runnerUrl?: (provider: Address) => string | undefined;
    /** PEM of the one trust anchor; default the pinned Intel SGX Root CA. */
    trustAnchorPem?: string;
    collateral?: Collateral;
    requireCollateral?: boolean;
    acceptedTcbStatuses?: readonly string[];
    /** Per-fetch timeout (default 5000 ms). */
    fetchTimeoutMs?: number;
}

/** What GET /v1/attestation serves (enclave/attestation.ts, AttestationDocument). */
export interface AttestationBundle {
    quote: string; // base64
    quoteKind?: string;
    reportData?: string;
    enclaveEd25519: string; // hex
    enclaveX25519: string; // hex
    globalId: number;
    provider: string;
    runtime?: unknown; // the runner's runtime configuration (attestation/runtimeConfig.ts), hashed into REPORTDATA
}

export interface AttestationTarget {
    globalId: number;
    provider: Address;
    enclave: EnclaveInfo;
    /** Chain time, unix seconds. */
    now: number;
    /** The runner URL the Provider publishes on chain (discovery checked its form); used when the policy gives none. */
    runnerUrl?: string;
    /** Why discovery refused the URL the Provider publishes, if it did (for the error). */
    runnerUrlRefused?: string;
}

/** The on-chain half: registered state of the key and the Registry's allow-list. */
export function checkOnChain(t: AttestationTarget): void {
    const e = t.enclave;
    if (e.revoked) throw new AttestationError('revoked', `enclave key ${hex(e.enclaveKey)} is revoked`);
    if (t.now >= e.validUntil) throw new AttestationError('expired', `enclave attestation expired at ${new Date(e.validUntil * 1000).toISOString()}`);
    if (!e.imageAllowed) throw new AttestationError('image_not_allowed', `image ${hex(e.imageHash)} is not allow-listed on the Registry`);
}

/** The off-chain half: the quote itself, against the on-chain keys and image hash. */
export function checkBundle(t: AttestationTarget, bundle: AttestationBundle, policy: AttestationPolicy = {}): void {
    const e = t.enclave;
    if (bundle.enclaveEd25519?.toLowerCase() !== hex(e.enclaveKey) || bundle.enclaveX25519?.toLowerCase() !== hex(e.encryptionKey)) {
        throw new AttestationError('key_mismatch', 'the runner serves an attestation for other keys than the ones registered on chain');
    }
    let quote: Uint8Array;
    try {
        quote = new Uint8Array(Buffer.from(bundle.quote, 'base64'));
    } catch {
        throw new AttestationError('bad_quote', 'quote is not base64');
    }
    let runtime: Uint8Array;
    try {
        runtime = runtimeHash(parseRuntimeConfig(bundle.runtime));
    } catch (err) {
        throw new AttestationError('bad_runtime', `the runner's runtime configuration is refused: ${(err as Error).message}`);
    }
    const expectedReportData = reportDataFor({
        globalId: t.globalId,
        providerWorkchain: t.provider.workChain,
        providerHash: t.provider.hash,
        enclaveEd25519: bytesFromBigint(e.enclaveKey),
        enclaveX25519: bytesFromBigint(e.encryptionKey),
        runtimeHash: runtime,
    });
    let result: ReturnType<typeof verifyQuote>;
    try {
        result = verifyQuote(quote, {
            at: new Date(t.now * 1000),
            trustAnchorPem: policy.trustAnchorPem,
            collateral: policy.collateral,
            requireCollateral: policy.requireCollateral,
            acceptedTcbStatuses: policy.acceptedTcbStatuses,
            expectedReportData,
        });
    } catch (err) {
        throw new AttestationError('bad_quote', `quote does not parse: ${(err as Error).message}`);
    }
    if (!result.valid) {
        const onlyReportData = result.errors.every((f) => f.check === CHECKS.reportData);
        const why = result.errors.map((f) => `${f.check}: ${f.message}`).join('; ');
        throw new AttestationError(onlyReportData ? 'report_data_mismatch' : 'bad_quote', why);
    }
    // The on-chain imageHash is the enclave measurement: TD registers and runtime configuration together.
    const measured = Buffer.from(enclaveMeasurement(result.measurements, runtime)).toString('hex');
    if (measured !== hex(e.imageHash)) {
        throw new AttestationError('image_mismatch', `quote and runtime configuration measure ${measured}, the chain says ${hex(e.imageHash)}`);
    }
}

export async function fetchBundle(url: string, timeoutMs = 5000): Promise<AttestationBundle> {
    let res: Response;
    try {
        // No redirects: a runner URL may come from chain, and a redirect would let it aim this GET anywhere.
        res = await fetch(`${url.replace(/\/+$/, '')}/v1/attestation`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    } catch (err) {
        throw new AttestationError('no_bundle', `cannot fetch the attestation bundle from ${url}: ${(err as Error).message}`);
    }
    if (!res.ok) throw new AttestationError('no_bundle', `GET ${url}/v1/attestation answered ${res.status}`);
    try {
        return (await res.json()) as AttestationBundle;
    } catch {
        throw new AttestationError('no_bundle', 'the attestation bundle is not JSON');
    }
}

/**
 * Runs both halves; verified keys are cached until their on-chain validity ends, so the quote is
 * fetched once per key, not once per job (revocation is still read from chain for every job).
 */
export class AttestationVerifier {
    private readonly verified = new Map<string, number>();

    constructor(private readonly policy: AttestationPolicy = {}) {}

    async verify(t: AttestationTarget): Promise<void> {
        checkOnChain(t);
        if (this.policy.verifyQuote === false) return;
        const key = `${t.provider.toRawString()}/${hex(t.enclave.enclaveKey)}/${t.enclave.validUntil}`;
        const until = this.verified.get(key);
        if (until !== undefined && t.now < until) return;
        const url = this.policy.runnerUrl?.(t.provider) ?? t.runnerUrl;
        if (!url) {
            const onChain = t.runnerUrlRefused ? `the one published on chain is refused (${t.runnerUrlRefused})` : 'none published on chain (SetRunnerUrl)';
            throw new AttestationError('no_bundle', `no runner URL for provider ${t.provider.toString()}: ${onChain} and none given (runnerUrl); or pass verifyQuote: false`);
        }
        checkBundle(t, await fetchBundle(url, this.policy.fetchTimeoutMs), this.policy);
        this.verified.set(key, t.enclave.validUntil);
    }
}

function hex(v: bigint): string {
    return bytesFromBigint(v).toString('hex');
}
