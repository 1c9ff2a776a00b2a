/**
 * The check before anything is sent: the enclave key is registered on the Provider, unrevoked,
 * unexpired, attested for an image the Registry allow-lists now, and (by default) its quote,
 * fetched from the provider's runner, verifies locally — REPORTDATA binding exactly these keys, this
 * network and Provider and the runner's runtime configuration, and the enclave measurement (quote
 * registers + runtime configuration) equal to the on-chain image hash.
 *
 * A development root of trust is used only when the caller passes it as `trustAnchorPem`, and never
 * for a public TON network's global id; the `devRootPem` a runner serves next to its quote is never
 * trusted (docs/spec/attestation.md).
 *
 * Quote verification cannot be switched off (issue 11 #9): with it off, whatever one compromised
 * verifier registered on chain received prompts. Dev networks pass their dev root instead.
 */
import type { Address } from '@ton/core';
import { CHECKS } from '../attestation/checks';
import type { Collateral } from '../attestation/collateral';
import { enclaveMeasurement } from '../attestation/enclaveMeasurement';
import { reportDataFor } from '../attestation/reportData';
import { parseRuntimeConfig, runtimeHash } from '../attestation/runtimeConfig';
import { isIntelRoot } from '../attestation/trustAnchors';
import { CollateralSource, INTEL_PCS_URL, pcsCollateralSource, platformOf } from '../attestation/collateralSource';
import { verifyQuote, VerificationResult } from '../attestation/verify';
import { isPublicTonNetwork } from '../protocol/networks';
import { bytesFromBigint } from '../protocol/signed';
import { AttestationError } from './errors';
import type { EnclaveInfo } from './types';

export interface AttestationPolicy {
    /** Base URL of a provider's enclave runner (serving GET /v1/attestation), by Provider address; overrides the target's on-chain `runnerUrl`. */
    runnerUrl?: (provider: Address) => string | undefined;
    /** PEM of the one trust anchor; default the pinned Intel SGX Root CA. Any other is refused for mainnet and testnet. */
    trustAnchorPem?: string;
    /**
     * Under the Intel anchor: where collateral for a quote's platform comes from (default Intel PCS,
     * attestation/collateralSource.ts), so TCB status is evaluated. `collateral` pins one set instead.
     */
    collateralSource?: CollateralSource;
    collateral?: Collateral;
    /** Under the Intel anchor, refuse a quote whose TCB could not be evaluated (default true). Ignored under a dev root, which has no collateral. */
    requireCollateral?: boolean;
    /** TCB statuses accepted (default UpToDate only). */
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

/** The on-chain half: registered state of the key and the Registry's allow-lists (sdk/crossCheck.ts reads them). */
export function checkOnChain(t: AttestationTarget): void {
    const e = t.enclave;
    if (e.revoked) throw new AttestationError('revoked', `enclave key ${hex(e.enclaveKey)} is revoked`);
    if (t.now >= e.validUntil) throw new AttestationError('expired', `enclave attestation expired at ${new Date(e.validUntil * 1000).toISOString()}`);
    if (!e.imageAllowed) throw new AttestationError('image_not_allowed', `image ${hex(e.imageHash)} is not allow-listed on the Registry`);
    if (!e.verifierAllowed) throw new AttestationError('verifier_not_allowed', `verifier ${hex(e.verifierKey)}, which vouched for this key, is no longer allow-listed on the Registry`);
}

/** The off-chain half: the quote itself, against the on-chain keys and image hash. */
export function checkBundle(t: AttestationTarget, bundle: AttestationBundle, policy: AttestationPolicy = {}): VerificationResult {
    refuseDevRootOnPublicNetwork(t.globalId, policy.trustAnchorPem);
    // The bundle comes from a URL the provider chose: a wrong shape is that provider's failure (an
    // AttestationError, so the SDK falls back to the next provider), never a TypeError that ends the search.
    const b = bundle as unknown as Record<string, unknown> | null;
    if (typeof b !== 'object' || b === null || Array.isArray(b) || typeof b.quote !== 'string' || typeof b.enclaveEd25519 !== 'string' || typeof b.enclaveX25519 !== 'string') {
        throw new AttestationError('bad_quote', 'the attestation bundle is not an object with string quote, enclaveEd25519 and enclaveX25519');
    }
    const e = t.enclave;
    if (bundle.enclaveEd25519.toLowerCase() !== hex(e.enclaveKey) || bundle.enclaveX25519.toLowerCase() !== hex(e.encryptionKey)) {
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
    let result: VerificationResult;
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
    return result;
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

/** What the check established about the platform: its TCB status, or why it was not evaluated. */
export type TcbVerdict =
    | { evaluated: true; status: string; advisoryIds: string[] }
    | { evaluated: false; reason: string };

/**
 * Runs both halves; verified keys are cached until their on-chain validity ends, so the quote is
 * fetched once per key, not once per job (revocation is still read from chain for every job).
 */
export class AttestationVerifier {
    private readonly verified = new Map<string, { until: number; tcb: TcbVerdict }>();
    private readonly intel: boolean;
    private readonly source: CollateralSource;

    constructor(private readonly policy: AttestationPolicy = {}) {
        // A JavaScript caller (or an old config object) may still pass the removed switch: ignoring it
        // silently would hide that the caller expected no quote check, so say it is gone.
        if ('verifyQuote' in policy) throw new TypeError(QUOTE_VERIFICATION_REMOVED);
        this.intel = policy.trustAnchorPem === undefined || isIntelRoot(policy.trustAnchorPem);
        this.source = policy.collateralSource ?? pcsCollateralSource(INTEL_PCS_URL);
    }

    async verify(t: AttestationTarget): Promise<{ tcb: TcbVerdict }> {
        checkOnChain(t);
        const key = `${t.provider.toRawString()}/${hex(t.enclave.enclaveKey)}/${t.enclave.validUntil}`;
        const hit = this.verified.get(key);
        if (hit !== undefined && t.now < hit.until) return { tcb: hit.tcb };
        const url = this.policy.runnerUrl?.(t.provider) ?? t.runnerUrl;
        if (!url) {
            const onChain = t.runnerUrlRefused ? `the one published on chain is refused (${t.runnerUrlRefused})` : 'none published on chain (SetRunnerUrl)';
            throw new AttestationError('no_bundle', `no runner URL for provider ${t.provider.toString()}: ${onChain} and none given (runnerUrl); quotes are always verified`);
        }
        const bundle = await fetchBundle(url, this.policy.fetchTimeoutMs);
        if (!this.intel) {
            // A dev root has no Intel collateral: nothing says whether its "platform" is patched, and the verdict says so.
            checkBundle(t, bundle, { ...this.policy, collateral: undefined, requireCollateral: false });
            return this.remember(key, t, { evaluated: false, reason: 'development trust root: no Intel collateral, TCB not evaluated' });
        }
        // The quote itself first (signatures, chain to Intel, REPORTDATA, image): a quote that fails
        // there is refused as such, without asking a collateral service about its platform.
        checkBundle(t, bundle, { ...this.policy, collateral: undefined, requireCollateral: false });
        const collateral = this.policy.collateral ?? (await this.collateralFor(bundle, t));
        const result = checkBundle(t, bundle, { ...this.policy, collateral, requireCollateral: this.policy.requireCollateral ?? true });
        const tcb: TcbVerdict = result.tcb?.status
            ? { evaluated: true, status: result.tcb.status, advisoryIds: result.tcb.advisoryIds }
            : { evaluated: false, reason: 'no collateral (requireCollateral: false)' };
        return this.remember(key, t, tcb);
    }

    private remember(key: string, t: AttestationTarget, tcb: TcbVerdict): { tcb: TcbVerdict } {
        this.verified.set(key, { until: t.enclave.validUntil, tcb });
        return { tcb };
    }

    /** Collateral for the quote's platform at chain time; a quote without a readable PCK leaf is left to checkBundle to refuse. */
    private async collateralFor(bundle: AttestationBundle, t: AttestationTarget) {
        let platform;
        try {
            platform = platformOf(new Uint8Array(Buffer.from(bundle.quote, 'base64')));
        } catch {
            return undefined;
        }
        try {
            return await this.source.collateralFor(platform, new Date(t.now * 1000));
        } catch (e) {
            if (this.policy.requireCollateral === false) return undefined;
            throw new AttestationError('no_collateral', `no Intel collateral for FMSPC ${platform.fmspc}, so the platform's TCB cannot be evaluated: ${(e as Error).message}`);
        }
    }
}

/** Why the switch is gone, for every place that used to accept it (policy field, flag, environment). */
export const QUOTE_VERIFICATION_REMOVED =
    'quote verification can no longer be switched off (AttestationPolicy.verifyQuote, --no-verify-quote and COCOON_VERIFY_QUOTE were removed, issue 11 #9): ' +
    'without it, any key one compromised verifier registered on chain received prompts. A development network passes its dev root (trustAnchorPem / --trust-root) instead.';

/**
 * A trust anchor other than Intel's lets whoever holds its key mint quotes for any keys and image;
 * that is the point of a dev root, and why it must never vouch for an enclave on mainnet or testnet.
 */
export function refuseDevRootOnPublicNetwork(globalId: number, trustAnchorPem: string | undefined): void {
    if (trustAnchorPem === undefined || isIntelRoot(trustAnchorPem) || !isPublicTonNetwork(globalId)) return;
    throw new AttestationError('dev_root_on_public_network', `a trust anchor other than the Intel SGX Root CA was passed, and global id ${globalId} is a public TON network: dev roots are for dev networks only`);
}


function hex(v: bigint): string {
    return bytesFromBigint(v).toString('hex');
}
