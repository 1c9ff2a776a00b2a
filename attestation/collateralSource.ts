/**
 * Where a client gets Intel collateral for the platform a quote comes from, so TCB status is
 * evaluated by default (issue 11 #10): a local file or directory (collateralLoad.ts formats) or an
 * Intel PCS v4 compatible service (Intel's own, or a PCCS cache), fetched per FMSPC with a timeout
 * and a size cap, cached until the earliest nextUpdate of its parts and fetched again after.
 *
 * Nothing fetched is trusted as fetched: verifyQuote checks every signature up to the trust anchor,
 * the validity windows and the revocation lists, so a lying source can only make verification fail.
 */
import type { X509Crl as X509CrlType } from '@peculiar/x509';

// @peculiar/x509 (with its ASN.1 stack) takes ~140 ms to load; only CRL handling needs it, so it is
// loaded on first use rather than by every `cocoon` command and SDK import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parseCrl = (der: Uint8Array | ArrayBuffer): X509CrlType => new (require('@peculiar/x509') as typeof import('@peculiar/x509')).X509Crl(der as ArrayBuffer);
import { Collateral, signedJsonFromPcsBody } from './collateral';
import { loadCollateral } from './collateralLoad';
import { parseQuote } from './parseQuote';
import { parseCertificates } from './pem';
import { readPckExtensions } from './sgxExtensions';

/** The platform a quote's PCK certificate names: its FMSPC, and which PCK CA issued it (which CRL applies). */
export interface Platform {
    fmspc: string; // 12 hex digits, lower case
    ca: 'platform' | 'processor';
}

export interface CollateralSource {
    /** Collateral for `platform`, current at `at` when the source has such; throws when it cannot get any. */
    collateralFor(platform: Platform, at: Date): Promise<Collateral>;
}

/** Intel's Provisioning Certification Service; a PCCS (same v4 paths) can stand in for it. */
export const INTEL_PCS_URL = 'https://api.trustedservices.intel.com';
/** Per request. */
export const COLLATERAL_TIMEOUT_MS = 10_000;
/** TCB info runs to tens of KB and CRLs to a few KB; anything near this is not collateral. */
export const COLLATERAL_MAX_BYTES = 1 << 20;

/** The platform of a quote, read from the PCK leaf it carries. Throws when the quote has none. */
export function platformOf(quoteBytes: Uint8Array): Platform {
    const chain = parseCertificates(parseQuote(quoteBytes).signatureData.pckChainPem);
    if (!chain.length) throw new Error('the quote carries no PCK certificate');
    const leaf = chain[0];
    return { fmspc: readPckExtensions(leaf).fmspc.toLowerCase(), ca: /Processor CA/i.test(leaf.issuer) ? 'processor' : 'platform' };
}

/** The earliest nextUpdate of the collateral's parts: after it, at least one part is stale. */
export function nextUpdateOf(c: Collateral): Date | undefined {
    const dates: Date[] = [];
    for (const signed of [c.tcbInfo, c.qeIdentity]) {
        const next = signed && (JSON.parse(signed.body) as { nextUpdate?: string }).nextUpdate;
        if (next) dates.push(new Date(next));
    }
    for (const der of [c.pckCrl, c.rootCaCrl]) {
        const next = der && parseCrl(der).nextUpdate;
        if (next) dates.push(next);
    }
    return dates.length ? new Date(Math.min(...dates.map((d) => d.getTime()))) : undefined;
}

/**
 * Caches a loader's collateral per platform until its earliest nextUpdate (by the verification
 * time the caller passes, chain time in the SDK), so one fetch serves every quote from that
 * platform until Intel's next publication; one load per platform is in flight at a time.
 */
export class CachedCollateralSource implements CollateralSource {
    private readonly cache = new Map<string, { until: number; collateral: Promise<Collateral> }>();

    constructor(private readonly load: (platform: Platform) => Promise<Collateral>) {}

    collateralFor(platform: Platform, at: Date): Promise<Collateral> {
        const key = `${platform.fmspc}/${platform.ca}`;
        const hit = this.cache.get(key);
        if (hit && at.getTime() < hit.until) return hit.collateral;
        const entry = { until: Infinity, collateral: this.load(platform) };
        this.cache.set(key, entry);
        entry.collateral.then(
            (c) => (entry.until = nextUpdateOf(c)?.getTime() ?? 0), // no date: do not reuse
            () => this.cache.get(key) === entry && this.cache.delete(key), // a failure is not cached
        );
        return entry.collateral;
    }
}

/** Collateral from a dcap-qvl JSON file or a directory of PCS files, re-read once it is stale (an operator's cron may refresh it). */
export function fileCollateralSource(path: string): CollateralSource {
    return new CachedCollateralSource(async () => loadCollateral(path));
}

export interface PcsOptions {
    timeoutMs?: number;
    maxBytes?: number;
}

/** Intel PCS v4 paths under `baseUrl`: TDX TCB info by FMSPC, TDX QE identity, the PCK CA's CRL, the root CA CRL. */
export function pcsCollateralSource(baseUrl: string, opts: PcsOptions = {}): CollateralSource {
    const base = baseUrl.replace(/\/+$/, '');
    const get = (path: string) => fetchCapped(`${base}${path}`, opts.timeoutMs ?? COLLATERAL_TIMEOUT_MS, opts.maxBytes ?? COLLATERAL_MAX_BYTES);
    return new CachedCollateralSource(async (p) => {
        const [tcb, qe, pckCrl, rootCrl] = await Promise.all([
            get(`/tdx/certification/v4/tcb?fmspc=${p.fmspc}`),
            get('/tdx/certification/v4/qe/identity'),
            get(`/sgx/certification/v4/pckcrl?ca=${p.ca}&encoding=der`),
            get('/sgx/certification/v4/rootcacrl'),
        ]);
        return {
            tcbInfo: { ...signedJsonFromPcsBody(text(tcb.body), 'tcbInfo'), issuerChainPem: issuerChain(tcb.headers, 'tcb-info-issuer-chain', 'sgx-tcb-info-issuer-chain') },
            qeIdentity: { ...signedJsonFromPcsBody(text(qe.body), 'enclaveIdentity'), issuerChainPem: issuerChain(qe.headers, 'sgx-enclave-identity-issuer-chain') },
            pckCrl: derOrHex(pckCrl.body),
            rootCaCrl: derOrHex(rootCrl.body),
        };
    });
}

/** A URL is a PCS service; anything else a local file or directory. */
export function collateralSourceFrom(spec: string, opts: PcsOptions = {}): CollateralSource {
    return /^https?:\/\//i.test(spec) ? pcsCollateralSource(spec, opts) : fileCollateralSource(spec);
}

async function fetchCapped(url: string, timeoutMs: number, maxBytes: number): Promise<{ body: Uint8Array; headers: Headers }> {
    let res: Response;
    try {
        res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
        throw new Error(`collateral: GET ${url} failed: ${(e as Error).message}`);
    }
    if (!res.ok) throw new Error(`collateral: GET ${url} answered ${res.status}`);
    if (Number(res.headers.get('content-length') ?? 0) > maxBytes) throw new Error(`collateral: ${url} is larger than ${maxBytes} bytes`);
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
        size += (chunk as Uint8Array).length;
        if (size > maxBytes) throw new Error(`collateral: ${url} is larger than ${maxBytes} bytes`);
        parts.push(chunk as Uint8Array);
    }
    return { body: new Uint8Array(Buffer.concat(parts)), headers: res.headers };
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/** PCS sends issuer chains URL-encoded in a header; v3 and v4 name the TCB info one differently. */
function issuerChain(headers: Headers, ...names: string[]): string | undefined {
    for (const n of names) {
        const v = headers.get(n);
        if (v) return decodeURIComponent(v);
    }
    return undefined; // verifyQuote then uses the pinned TCB Signing certificates, still checked against the anchor
}

/** Intel PCS serves CRLs as DER; a PCCS serves some as hex text. */
function derOrHex(body: Uint8Array): Uint8Array {
    const t = text(body).trim();
    return /^([0-9a-fA-F]{2})+$/.test(t) ? new Uint8Array(Buffer.from(t, 'hex')) : body;
}
