// Issue 11 #10, the TCB half: collateral for a quote's platform comes from a collateral source and
// is cached until its earliest nextUpdate. A fake Intel PCS (v4 paths) serves the real vectors'
// collateral exactly as Intel publishes it (signed JSON body, URL-encoded issuer chain header, DER CRLs).
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CachedCollateralSource, collateralSourceFrom, nextUpdateOf, pcsCollateralSource, platformOf } from '../../attestation/collateralSource';
import { verifyQuote } from '../../attestation/verify';
import { Address } from '@ton/core';
import { createDevQuoteAuthority, devEnclaveMeasurement, generateDevQuote } from '../../attestation/devQuote';
import { runtimeHash } from '../../attestation/runtimeConfig';
import { referenceRuntime } from '../fixtures/runtime';
import { reportDataFor } from '../../attestation/reportData';
import { DEV_GLOBAL_ID } from '../../protocol/networks';
import { bigintFromBytes } from '../../protocol/signed';
import { AttestationVerifier } from '../../sdk';
import { FIXTURES, quoteBytes } from './vectors';

interface Dcap { tcb_info: string; tcb_info_signature: string; tcb_info_issuer_chain: string; qe_identity: string; qe_identity_signature: string; qe_identity_issuer_chain: string; pck_crl: string; root_ca_crl: string }
const dcap = (name: string): Dcap => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

/** Serves one vector's collateral for its FMSPC; counts requests by path. */
function fakePcs(byFmspc: Record<string, Dcap>, opts: { padTcbTo?: number } = {}) {
    const hits: string[] = [];
    const server = createServer((req, res) => {
        const url = new URL(req.url!, 'http://x');
        hits.push(url.pathname);
        const fmspc = url.searchParams.get('fmspc');
        const any = Object.values(byFmspc)[0];
        if (url.pathname === '/tdx/certification/v4/tcb' && fmspc && byFmspc[fmspc]) {
            const c = byFmspc[fmspc];
            res.writeHead(200, { 'content-type': 'application/json', 'TCB-Info-Issuer-Chain': encodeURIComponent(c.tcb_info_issuer_chain) });
            return res.end(`{"tcbInfo":${c.tcb_info},"signature":"${c.tcb_info_signature}"}${' '.repeat(opts.padTcbTo ?? 0)}`);
        }
        if (url.pathname === '/tdx/certification/v4/qe/identity') {
            res.writeHead(200, { 'content-type': 'application/json', 'SGX-Enclave-Identity-Issuer-Chain': encodeURIComponent(any.qe_identity_issuer_chain) });
            return res.end(`{"enclaveIdentity":${any.qe_identity},"signature":"${any.qe_identity_signature}"}`);
        }
        if (url.pathname === '/sgx/certification/v4/pckcrl' && url.searchParams.get('ca') === 'platform' && url.searchParams.get('encoding') === 'der') {
            res.writeHead(200, { 'content-type': 'application/pkix-crl' });
            return res.end(Buffer.from(any.pck_crl, 'hex'));
        }
        if (url.pathname === '/sgx/certification/v4/rootcacrl') {
            res.writeHead(200, { 'content-type': 'text/plain' });
            return res.end(any.root_ca_crl); // hex, as a PCCS serves it
        }
        res.writeHead(404).end();
    });
    return { server, hits };
}

async function listen(server: Server): Promise<string> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const UP_TO_DATE = { quote: 'tdx-v4-dcap-qvl.bin', collateral: 'tdx-v4-dcap-qvl.collateral.json', fmspc: 'b0c06f000000', at: new Date('2025-07-01T00:00:00Z') };
const UNMATCHED = { quote: 'tdx-v5-dcap-qvl-tcb-unmatched.bin', collateral: 'tdx-v5-dcap-qvl-tcb-unmatched.collateral.json', fmspc: '90c06f000000', at: new Date('2026-03-01T00:00:00Z') };

describe('collateral sources: Intel PCS v4, cached per platform until the earliest nextUpdate', () => {
    let pcs: ReturnType<typeof fakePcs>;
    let url: string;
    beforeAll(async () => {
        pcs = fakePcs({ [UP_TO_DATE.fmspc]: dcap(UP_TO_DATE.collateral), [UNMATCHED.fmspc]: dcap(UNMATCHED.collateral) });
        url = await listen(pcs.server);
    });
    afterAll(() => pcs.server.close());
    beforeEach(() => (pcs.hits.length = 0));

    it('reads the platform (FMSPC, PCK CA) from the quote\'s PCK leaf', () => {
        expect(platformOf(quoteBytes(UP_TO_DATE.quote))).toEqual({ fmspc: UP_TO_DATE.fmspc, ca: 'platform' });
    });

    it('fetches collateral under which a patched platform verifies UpToDate, and one with no matching TCB level is refused', async () => {
        const source = pcsCollateralSource(url);
        for (const v of [UP_TO_DATE, UNMATCHED]) {
            const collateral = await source.collateralFor(platformOf(quoteBytes(v.quote)), v.at);
            const r = verifyQuote(quoteBytes(v.quote), { at: v.at, collateral, requireCollateral: true });
            if (v === UP_TO_DATE) {
                expect(r.errors).toEqual([]);
                expect(r.tcb?.status).toBe('UpToDate');
            } else {
                expect(r.valid).toBe(false);
                expect(r.errors.map((e) => e.check)).toContain('tcb-status');
            }
        }
    });

    it('serves one platform from cache until the earliest nextUpdate, then fetches again', async () => {
        const source = pcsCollateralSource(url);
        const platform = platformOf(quoteBytes(UP_TO_DATE.quote));
        const first = await source.collateralFor(platform, UP_TO_DATE.at);
        expect(pcs.hits).toHaveLength(4);
        const next = nextUpdateOf(first)!;
        expect(next.toISOString()).toBe('2025-07-19T10:00:35.000Z'); // a CRL's, a few minutes before the TCB info's (10:16:03)
        expect(await source.collateralFor(platform, new Date(next.getTime() - 1000))).toBe(first);
        expect(pcs.hits).toHaveLength(4);
        await source.collateralFor(platform, next);
        expect(pcs.hits).toHaveLength(8);
    });

    it('refuses an answer above the size cap, an unknown platform (404) and a dead service, and caches no failure', async () => {
        const big = fakePcs({ [UP_TO_DATE.fmspc]: dcap(UP_TO_DATE.collateral) }, { padTcbTo: 2048 });
        const bigUrl = await listen(big.server);
        try {
            await expect(pcsCollateralSource(bigUrl, { maxBytes: 1024 }).collateralFor({ fmspc: UP_TO_DATE.fmspc, ca: 'platform' }, UP_TO_DATE.at)).rejects.toThrow(/larger than 1024 bytes/);
        } finally {
            big.server.close();
        }
        const source = pcsCollateralSource(url);
        await expect(source.collateralFor({ fmspc: '000000000000', ca: 'platform' }, UP_TO_DATE.at)).rejects.toThrow(/answered 404/);
        await expect(source.collateralFor({ fmspc: '000000000000', ca: 'platform' }, UP_TO_DATE.at)).rejects.toThrow(/answered 404/);
        expect(pcs.hits.filter((h) => h === '/tdx/certification/v4/tcb')).toHaveLength(2);
        await expect(pcsCollateralSource('http://127.0.0.1:9').collateralFor({ fmspc: UP_TO_DATE.fmspc, ca: 'platform' }, UP_TO_DATE.at)).rejects.toThrow(/GET http:\/\/127.0.0.1:9\/.* failed/);
    });

    it('reads a local file or directory too (collateralLoad formats), by the same cache rule', async () => {
        const source = collateralSourceFrom(join(FIXTURES, UP_TO_DATE.collateral));
        expect(source).toBeInstanceOf(CachedCollateralSource);
        const c = await source.collateralFor({ fmspc: UP_TO_DATE.fmspc, ca: 'platform' }, UP_TO_DATE.at);
        expect(verifyQuote(quoteBytes(UP_TO_DATE.quote), { at: UP_TO_DATE.at, collateral: c }).tcb?.status).toBe('UpToDate');
    });
});

describe('sdk: the verifier and collateral', () => {
    const provider = new Address(0, Buffer.alloc(32, 3));
    const ed = new Uint8Array(32).fill(1);
    const xk = new Uint8Array(32).fill(2);
    const authority = createDevQuoteAuthority();
    const target = (globalId: number) => ({
        globalId, provider, now: 1_800_000_000,
        enclave: { enclaveKey: bigintFromBytes(ed), encryptionKey: bigintFromBytes(xk), imageHash: bigintFromBytes(devEnclaveMeasurement(referenceRuntime())), verifierKey: 5n, validUntil: 1_800_003_600, revoked: false, imageAllowed: true, verifierAllowed: true, unusable: null },
    });
    let runner: Server;
    let runnerUrl: string;
    beforeAll(async () => {
        const quote = generateDevQuote(authority, reportDataFor({ globalId: DEV_GLOBAL_ID, providerWorkchain: 0, providerHash: provider.hash, enclaveEd25519: ed, enclaveX25519: xk, runtimeHash: runtimeHash(referenceRuntime()) }));
        const doc = { quote: Buffer.from(quote).toString('base64'), enclaveEd25519: Buffer.from(ed).toString('hex'), enclaveX25519: Buffer.from(xk).toString('hex'), globalId: DEV_GLOBAL_ID, provider: provider.toRawString(), runtime: referenceRuntime() };
        runner = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc)));
        runnerUrl = (await listen(runner)).toString();
    });
    afterAll(() => runner.close());

    it('under the Intel anchor, refuses a quote that does not chain to Intel without asking the collateral source', async () => {
        const asked: string[] = [];
        const verifier = new AttestationVerifier({ runnerUrl: () => runnerUrl, collateralSource: { collateralFor: async (p) => (asked.push(p.fmspc), {}) } });
        await expect(verifier.verify(target(DEV_GLOBAL_ID))).rejects.toMatchObject({ failure: 'bad_quote' });
        expect(asked).toEqual([]);
    });

    it('under a dev root on a dev network, verifies and says the TCB was not evaluated', async () => {
        const verifier = new AttestationVerifier({ runnerUrl: () => runnerUrl, trustAnchorPem: authority.rootPem });
        expect(await verifier.verify(target(DEV_GLOBAL_ID))).toEqual({ tcb: { evaluated: false, reason: expect.stringMatching(/development trust root: no Intel collateral, TCB not evaluated/) } });
    });
});
