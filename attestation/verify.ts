/**
 * TDX quote verification: checks (a)-(d) on the quote itself, then, when collateral is given, its
 * signatures, freshness, revocation, the QE identity and the TCB status policy. Every check that runs
 * is recorded as passed or failed by name; `valid` is true only when none failed.
 *
 * Without collateral only (a)-(d) (and the debug check) run and `tcb` is absent: such a quote proves
 * it came from a genuine QE on a platform with an Intel PCK, but not that the platform is patched.
 * Pass `requireCollateral` where that matters.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { CHECKS, CheckFailure, CheckName } from './checks';
import { Collateral } from './collateral';
import { verifyCollateral } from './collateralVerify';
import { chainProblem, stripAnchor } from './certChain';
import { p256KeyFromRaw, verifyP256Raw } from './ecdsa';
import { bytesEqual, concatBytes } from './hex';
import { TD_ATTRIBUTE_DEBUG } from './layout';
import { Measurements, extractMeasurements, tdAttributesValue } from './measurements';
import { parseQuote } from './parseQuote';
import { parseCertificates } from './pem';
import { Quote } from './quoteTypes';
import { PckExtensions, readPckExtensions } from './sgxExtensions';
import { evaluateTcb, seamMatches, TcbInfoBody } from './tcbInfo';
import { qeIdentityMismatch, qeTcbStatus, QeIdentityBody } from './qeIdentity';
import { DEFAULT_ACCEPTED_TCB_STATUSES, TcbStatus, worseStatus } from './tcbStatus';
import { INTEL_SGX_ROOT_CA_PEM } from './trustAnchors';

export interface VerifyOptions {
    /** Verification time for certificate and collateral validity; defaults to now. */
    at?: Date;
    /** PEM of the one trust anchor; defaults to the pinned Intel SGX Root CA. */
    trustAnchorPem?: string;
    collateral?: Collateral;
    /** Fail with `collateral-missing` when no collateral is given. */
    requireCollateral?: boolean;
    /** Statuses that pass `tcb-status`; default only UpToDate. */
    acceptedTcbStatuses?: readonly string[];
    /** Accept TDs with the DEBUG attribute (never in production: the host can read TD memory). */
    allowDebug?: boolean;
    /** When given, REPORTDATA must equal it (`report-data`). */
    expectedReportData?: Uint8Array;
    /** Applies when bytes are passed; see parseQuote. */
    trailingBytes?: 'allow' | 'reject';
}

export interface TcbResult {
    status?: TcbStatus;
    advisoryIds: string[];
    qeStatus?: TcbStatus;
    tdxModuleId?: string;
}

export interface VerificationResult {
    valid: boolean;
    quote: Quote;
    measurements: Measurements;
    errors: CheckFailure[];
    passed: CheckName[];
    verifiedAt: Date;
    collateralChecked: boolean;
    pck?: PckExtensions;
    tcb?: TcbResult;
}

/** Throws QuoteParseError when bytes are given and do not parse, Error for an unusable trust anchor. */
export function verifyQuote(input: Quote | Uint8Array, options: VerifyOptions = {}): VerificationResult {
    const quote = input instanceof Uint8Array ? parseQuote(input, { trailingBytes: options.trailingBytes }) : input;
    const at = options.at ?? new Date();
    const run = new CheckRun();
    const sig = quote.signatureData;

    // (a) quote signature by the attestation key.
    const attKey = p256KeyFromRaw(sig.attestationKey);
    run.check(CHECKS.quoteSignature, attKey ? verifyP256Raw(attKey, quote.signedRegion, sig.signature) || 'signature does not verify' : 'attestation key is not a P-256 point');

    // (c) the QE vouches for this attestation key through its REPORTDATA.
    const expected = concatBytes(createHash('sha256').update(sig.attestationKey).update(sig.qeAuthData).digest(), new Uint8Array(32));
    run.check(CHECKS.qeReportBinding, bytesEqual(sig.qeReport.reportData, expected) || 'QE REPORTDATA != SHA-256(attestation key || QE auth data) || zeros');

    // (d) PCK chain to the trust anchor, then (b) the QE report signed by the PCK leaf.
    const anchor = trustAnchor(options.trustAnchorPem);
    let chain: X509Certificate[] = [];
    try {
        chain = parseCertificates(sig.pckChainPem);
        run.check(CHECKS.pckChain, chainProblem(chain, anchor, at)?.message ?? true);
    } catch (e) {
        run.check(CHECKS.pckChain, (e as Error).message);
    }
    const leaf = stripAnchor(chain, anchor)[0];
    run.check(CHECKS.qeReportSignature, leaf ? verifyP256Raw(leaf.publicKey, sig.qeReport.raw, sig.qeReportSignature) || 'signature does not verify with the PCK leaf key' : 'no PCK leaf certificate');

    const debug = (tdAttributesValue(quote.body.tdAttributes) & TD_ATTRIBUTE_DEBUG) !== 0n;
    run.check(CHECKS.tdDebug, !debug || options.allowDebug === true || 'TD has the DEBUG attribute');
    if (options.expectedReportData) {
        run.check(CHECKS.reportData, bytesEqual(quote.body.reportData, options.expectedReportData) || 'REPORTDATA does not equal the expected value');
    }

    let pck: PckExtensions | undefined;
    let tcb: TcbResult | undefined;
    if (options.collateral) {
        try {
            pck = leaf ? readPckExtensions(leaf) : undefined;
            run.check(CHECKS.pckExtensions, pck !== undefined || 'no PCK leaf certificate');
        } catch (e) {
            run.check(CHECKS.pckExtensions, (e as Error).message);
        }
        const outcome = verifyCollateral(options.collateral, { anchor, pckChain: chain, at });
        run.record(outcome.failures, [CHECKS.collateralMissing, CHECKS.collateralSignature, CHECKS.collateralExpired, CHECKS.revoked]);
        if (pck && outcome.tcbInfo && outcome.qeIdentity) {
            tcb = evaluateStatus(quote, pck, outcome.tcbInfo, outcome.qeIdentity, run, options.acceptedTcbStatuses ?? DEFAULT_ACCEPTED_TCB_STATUSES);
        } else {
            run.check(CHECKS.tcbStatus, 'TCB status not evaluated: TCB info, QE identity or PCK extensions unusable');
        }
    } else if (options.requireCollateral) {
        run.check(CHECKS.collateralMissing, 'collateral is required but none was given');
    }

    return {
        valid: run.failures.length === 0,
        quote,
        measurements: extractMeasurements(quote),
        errors: run.failures,
        passed: run.passed(),
        verifiedAt: at,
        collateralChecked: options.collateral !== undefined,
        pck,
        tcb,
    };
}

function evaluateStatus(quote: Quote, pck: PckExtensions, info: TcbInfoBody, qeId: QeIdentityBody, run: CheckRun, accepted: readonly string[]): TcbResult {
    const b = quote.body;
    const fmspcOk = info.fmspc.toLowerCase() === pck.fmspc && info.pceId.toLowerCase() === pck.pceId;
    const seam = { teeTcbSvn: b.teeTcbSvn, mrSignerSeam: b.mrSignerSeam, seamAttributes: b.seamAttributes };
    const moduleOk = !info.tdxModule || seamMatches(info.tdxModule, seam);
    run.check(
        CHECKS.tcbInfoMismatch,
        !fmspcOk ? `TCB info is for FMSPC ${info.fmspc} / PCE-ID ${info.pceId}, the PCK leaf says ${pck.fmspc} / ${pck.pceId}` : moduleOk || 'TDX module MRSIGNERSEAM/SEAMATTRIBUTES do not match the TCB info',
    );
    run.check(CHECKS.qeIdentity, qeIdentityMismatch(qeId, quote.signatureData.qeReport) ?? true);

    const result: TcbResult = { advisoryIds: [], qeStatus: qeTcbStatus(qeId, quote.signatureData.qeReport) };
    if (!fmspcOk) {
        // Another platform's TCB levels say nothing about this one; do not report a status from them.
        run.check(CHECKS.tcbStatus, 'TCB status not evaluated: TCB info is for another platform');
        return result;
    }
    const svns = [b.teeTcbSvn, ...(b.teeTcbSvn2 ? [b.teeTcbSvn2] : [])];
    const problems: string[] = [];
    let status: TcbStatus | undefined = result.qeStatus;
    if (!result.qeStatus) problems.push(`no QE identity TCB level for QE ISVSVN ${quote.signatureData.qeReport.isvSvn}`);
    for (const teeTcbSvn of svns) {
        const e = evaluateTcb(info, pck, { ...seam, teeTcbSvn });
        if (!e.matched) {
            problems.push(e.reason);
            continue;
        }
        status = status ? worseStatus(status, e.status) : e.status;
        result.tdxModuleId = e.tdxModuleId;
        result.advisoryIds.push(...e.advisoryIds.filter((a) => !result.advisoryIds.includes(a)));
    }
    if (problems.length === 0) result.status = status;
    run.check(
        CHECKS.tcbStatus,
        problems.length > 0 ? `TCB not supported: ${problems.join('; ')}` : accepted.includes(status!) || `TCB status ${status} is not accepted (accepted: ${accepted.join(', ')})`,
    );
    return result;
}

/** A bad anchor is the caller's configuration error, not a property of the quote: throw. */
function trustAnchor(pem: string | undefined): X509Certificate {
    try {
        return new X509Certificate(pem ?? INTEL_SGX_ROOT_CA_PEM);
    } catch (e) {
        throw new Error(`trust anchor is not a PEM certificate: ${(e as Error).message}`);
    }
}

/** Records check outcomes: `true` passes, a string fails with that message. */
class CheckRun {
    readonly failures: CheckFailure[] = [];
    private readonly ran = new Set<CheckName>();

    check(name: CheckName, outcome: true | string): void {
        this.ran.add(name);
        if (outcome !== true) this.failures.push({ check: name, message: outcome });
    }

    record(failures: CheckFailure[], covered: CheckName[]): void {
        covered.forEach((c) => this.ran.add(c));
        this.failures.push(...failures);
    }

    passed(): CheckName[] {
        return [...this.ran].filter((c) => !this.failures.some((f) => f.check === c));
    }
}

