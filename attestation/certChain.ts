/**
 * X.509 chain validation against one explicitly given trust anchor.
 *
 * The chain as embedded (leaf first) may or may not end with the anchor itself; either way every
 * certificate must be signed by the next one and the last by the anchor, so a chain ending in a
 * look-alike root fails at that signature. Validity periods are checked at `at` (never the wall
 * clock implicitly), because archived quotes and collateral are verified at pinned times.
 */
import { X509Certificate } from 'node:crypto';

export interface ChainProblem {
    kind: 'structure' | 'time';
    message: string;
}

export function validityWindow(cert: X509Certificate): [Date, Date] {
    return [new Date(cert.validFrom), new Date(cert.validTo)];
}

export function isValidAt(cert: X509Certificate, at: Date): boolean {
    const [from, to] = validityWindow(cert);
    return from.getTime() <= at.getTime() && at.getTime() <= to.getTime();
}

/** Returns the chain without a trailing copy of the anchor. */
export function stripAnchor(certs: X509Certificate[], anchor: X509Certificate): X509Certificate[] {
    const last = certs[certs.length - 1];
    return last && last.raw.equals(anchor.raw) ? certs.slice(0, -1) : certs;
}

/** Checks signatures and names always, validity only when `at` is given; the first problem found. */
export function chainProblem(chain: X509Certificate[], anchor: X509Certificate, at?: Date): ChainProblem | undefined {
    const certs = stripAnchor(chain, anchor);
    if (certs.length === 0) return { kind: 'structure', message: 'chain holds no certificate below the trust anchor' };
    for (let i = 0; i < certs.length; i++) {
        const cert = certs[i];
        const issuer = certs[i + 1] ?? anchor;
        const name = `certificate ${i} (${commonName(cert)})`;
        if (!issuer.ca) return { kind: 'structure', message: `${name}: issuer ${commonName(issuer)} is not a CA` };
        if (!cert.checkIssued(issuer)) return { kind: 'structure', message: `${name}: issuer name does not match ${commonName(issuer)}` };
        if (!safeVerify(cert, issuer)) return { kind: 'structure', message: `${name}: signature does not verify with ${commonName(issuer)}` };
    }
    if (at) {
        for (const cert of [...certs, anchor]) {
            if (!isValidAt(cert, at)) {
                return { kind: 'time', message: `${commonName(cert)} is not valid at ${at.toISOString()} (${cert.validFrom} .. ${cert.validTo})` };
            }
        }
    }
    return undefined;
}

export function commonName(cert: X509Certificate): string {
    return /CN=([^\n,]+)/.exec(cert.subject)?.[1] ?? cert.subject;
}

function safeVerify(cert: X509Certificate, issuer: X509Certificate): boolean {
    try {
        return cert.verify(issuer.publicKey);
    } catch {
        return false;
    }
}
