/**
 * Verifies collateral against the trust anchor at the verification time: signatures of TCB info and
 * QE identity (by an "Intel SGX TCB Signing" certificate chaining to the anchor), both CRLs (root CRL
 * by the anchor, PCK CRL by the PCK leaf's issuer), freshness of each piece, and revocation of the
 * PCK chain and the TCB Signing certificate. Once collateral is given it must be complete: a partial
 * set would let an attacker drop exactly the piece that condemns the quote.
 */
import { X509Certificate } from 'node:crypto';
import { CHECKS, CheckFailure } from './checks';
import { Collateral, SignedJson } from './collateral';
import { chainProblem, commonName, stripAnchor } from './certChain';
import { parseCertificates } from './pem';
import { verifyP256Raw } from './ecdsa';
import { INTEL_TCB_SIGNING_CERTS_PEM } from './trustAnchors';
import { ParsedCrl, isRevoked, readCrl } from './crl';
import { TcbInfoBody, parseTcbInfo } from './tcbInfo';
import { QeIdentityBody, parseQeIdentity } from './qeIdentity';

export interface CollateralContext {
    anchor: X509Certificate;
    /** The quote's PCK chain as embedded, leaf first (already validated by pck-chain). */
    pckChain: X509Certificate[];
    at: Date;
}

export interface CollateralOutcome {
    failures: CheckFailure[];
    tcbInfo?: TcbInfoBody;
    qeIdentity?: QeIdentityBody;
}

export function verifyCollateral(c: Collateral, ctx: CollateralContext): CollateralOutcome {
    const failures: CheckFailure[] = [];
    const fail = (check: CheckFailure['check'], message: string) => failures.push({ check, message });
    const signers: X509Certificate[] = [];

    const tcbInfo = signedBody(c.tcbInfo, 'TCB info', parseTcbInfo, c, ctx, fail, signers);
    const qeIdentity = signedBody(c.qeIdentity, 'QE identity', parseQeIdentity, c, ctx, fail, signers);

    const below = stripAnchor(ctx.pckChain, ctx.anchor);
    const rootCrl = crlChecked(c.rootCaCrl, 'root CA CRL', ctx.anchor, ctx.at, fail);
    if (rootCrl) {
        for (const cert of [...below.slice(1), ...signers]) {
            if (isRevoked(rootCrl, cert)) fail(CHECKS.revoked, `${commonName(cert)} (serial ${cert.serialNumber}) is revoked by the root CA CRL`);
        }
    }
    const pckIssuer = below[1] ?? ctx.anchor;
    const pckCrl = crlChecked(c.pckCrl, 'PCK CRL', pckIssuer, ctx.at, fail);
    if (pckCrl && below[0] && isRevoked(pckCrl, below[0])) {
        fail(CHECKS.revoked, `PCK leaf (serial ${below[0].serialNumber}) is revoked by the PCK CRL`);
    }
    return { failures, tcbInfo, qeIdentity };
}

type Fail = (check: CheckFailure['check'], message: string) => void;

function signedBody<T extends { issueDate: string; nextUpdate: string }>(
    signed: SignedJson | undefined,
    what: string,
    parse: (body: string) => T,
    c: Collateral,
    ctx: CollateralContext,
    fail: Fail,
    signers: X509Certificate[],
): T | undefined {
    if (!signed) {
        fail(CHECKS.collateralMissing, `collateral has no ${what}`);
        return undefined;
    }
    const signer = findSigner(signed, c, ctx, what, fail);
    if (!signer) return undefined;
    signers.push(signer);
    let body: T;
    try {
        body = parse(signed.body);
    } catch (e) {
        fail(CHECKS.collateralSignature, `${what} is signed but unusable: ${(e as Error).message}`);
        return undefined;
    }
    checkWindow(what, new Date(body.issueDate), new Date(body.nextUpdate), ctx.at, fail);
    return body;
}

/**
 * The signing certificate: the first candidate (collateral's own chain, then an extra chain, then
 * the pinned TCB Signing certificates) whose chain verifies, whose key verifies the signature and
 * which is valid at `at`. Intel re-issued the TCB Signing certificate with the same key, so several
 * candidates can verify the signature while only one is valid at a given time.
 */
function findSigner(signed: SignedJson, c: Collateral, ctx: CollateralContext, what: string, fail: Fail): X509Certificate | undefined {
    const candidates: X509Certificate[][] = [];
    for (const pem of [signed.issuerChainPem, c.tcbSigningChainPem, ...INTEL_TCB_SIGNING_CERTS_PEM]) {
        if (!pem) continue;
        try {
            candidates.push(parseCertificates(pem));
        } catch {
            // An unparsable optional chain is just one candidate fewer; the failure is reported below if none fits.
        }
    }
    const message = new TextEncoder().encode(signed.body);
    const verifying = candidates.filter((chain) => !chainProblem(chain, ctx.anchor) && verifyP256Raw(chain[0].publicKey, message, signed.signature));
    if (verifying.length === 0) {
        fail(CHECKS.collateralSignature, `${what} signature does not verify with a TCB Signing certificate chaining to the trust anchor`);
        return undefined;
    }
    const current = verifying.find((chain) => !chainProblem(chain, ctx.anchor, ctx.at));
    if (!current) {
        fail(CHECKS.collateralExpired, `${what}: no signing certificate valid at ${ctx.at.toISOString()}`);
        return verifying[0][0];
    }
    return current[0];
}

function crlChecked(der: Uint8Array | undefined, what: string, issuer: X509Certificate, at: Date, fail: Fail): ParsedCrl | undefined {
    if (!der) {
        fail(CHECKS.collateralMissing, `collateral has no ${what}`);
        return undefined;
    }
    let crl: ParsedCrl;
    try {
        crl = readCrl(der, issuer);
    } catch (e) {
        fail(CHECKS.collateralSignature, `${what} does not parse: ${(e as Error).message}`);
        return undefined;
    }
    if (!crl.signatureValid) {
        fail(CHECKS.collateralSignature, `${what} is not signed by ${commonName(issuer)}`);
        return undefined;
    }
    checkWindow(what, crl.thisUpdate, crl.nextUpdate, at, fail);
    return crl;
}

function checkWindow(what: string, from: Date, to: Date | undefined, at: Date, fail: Fail): void {
    if (Number.isNaN(from.getTime()) || !to || Number.isNaN(to.getTime())) {
        fail(CHECKS.collateralExpired, `${what} has no usable validity window`);
    } else if (at < from || at > to) {
        fail(CHECKS.collateralExpired, `${what} is valid ${from.toISOString()} .. ${to.toISOString()}, not at ${at.toISOString()}`);
    }
}
