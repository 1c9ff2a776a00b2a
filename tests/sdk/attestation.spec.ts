// The attestation check the SDK runs before sending anything: on-chain state of the key (revoked,
// expired, image not allow-listed) and the runner's quote (bad quote, REPORTDATA for other keys,
// another image, an untrusted dev root, a dev root on a public network), each refused with its own
// AttestationError failure.
import { Address } from '@ton/core';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDevQuoteAuthority, devEnclaveMeasurement, DevMeasurementOverride, generateDevQuote } from '../../attestation/devQuote';
import { reportDataFor } from '../../attestation/reportData';
import { RuntimeConfig, runtimeHash } from '../../attestation/runtimeConfig';
import { openAiRuntime, referenceRuntime } from '../fixtures/runtime';
import { AttestationBundle, AttestationError, AttestationVerifier, checkBundle, checkOnChain } from '../../sdk';
import type { AttestationFailure, AttestationPolicy, AttestationTarget } from '../../sdk';
import { INTEL_SGX_ROOT_CA_PEM } from '../../attestation/trustAnchors';
import { DEV_GLOBAL_ID, isPublicTonNetwork } from '../../protocol/networks';
import { bigintFromBytes } from '../../protocol/signed';

const NOW = 1_800_000_000;
const GLOBAL_ID = DEV_GLOBAL_ID;
const provider = new Address(0, randomBytes(32));
const authority = createDevQuoteAuthority();
const ed = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
const xk = x25519.getPublicKey(x25519.utils.randomSecretKey());

function target(over: Partial<AttestationTarget['enclave']> = {}): AttestationTarget {
    return {
        globalId: GLOBAL_ID,
        provider,
        now: NOW,
        enclave: {
            enclaveKey: bigintFromBytes(ed), encryptionKey: bigintFromBytes(xk), imageHash: bigintFromBytes(devEnclaveMeasurement(referenceRuntime())),
            verifierKey: 5n, validUntil: NOW + 3600, revoked: false, imageAllowed: true, verifierAllowed: true, unusable: null, ...over,
        },
    };
}

function bundle(opts: { globalId?: number; ed?: Uint8Array; measurement?: DevMeasurementOverride; runtime?: RuntimeConfig } = {}): AttestationBundle {
    const runtime = opts.runtime ?? referenceRuntime();
    const reportData = reportDataFor({ globalId: opts.globalId ?? GLOBAL_ID, providerWorkchain: 0, providerHash: provider.hash, enclaveEd25519: opts.ed ?? ed, enclaveX25519: xk, runtimeHash: runtimeHash(runtime) });
    const quote = generateDevQuote(authority, reportData, opts.measurement);
    return { quote: Buffer.from(quote).toString('base64'), enclaveEd25519: Buffer.from(ed).toString('hex'), enclaveX25519: Buffer.from(xk).toString('hex'), globalId: GLOBAL_ID, provider: provider.toRawString(), runtime };
}

function failure(f: () => void): AttestationFailure {
    try {
        f();
    } catch (e) {
        expect(e).toBeInstanceOf(AttestationError);
        return (e as AttestationError).failure;
    }
    throw new Error('expected an AttestationError');
}

const trusted = { trustAnchorPem: authority.rootPem };

describe('sdk: attestation checks before a job is sent', () => {
    it('accepts a registered, unexpired key with a quote that binds it, under the dev root passed explicitly', () => {
        expect(() => checkOnChain(target())).not.toThrow();
        expect(() => checkBundle(target(), bundle(), trusted)).not.toThrow();
    });

    it('refuses a revoked key', () => expect(failure(() => checkOnChain(target({ revoked: true })))).toBe('revoked'));
    it('refuses an expired attestation', () => expect(failure(() => checkOnChain(target({ validUntil: NOW })))).toBe('expired'));
    it('refuses an image that is not allow-listed', () => expect(failure(() => checkOnChain(target({ imageAllowed: false })))).toBe('image_not_allowed'));
    it('refuses a key whose verifier was removed, before anyone reported it to the Provider', () => expect(failure(() => checkOnChain(target({ verifierAllowed: false })))).toBe('verifier_not_allowed'));

    it('refuses a tampered quote', () => {
        const b = bundle();
        const raw = Buffer.from(b.quote, 'base64');
        raw[200] ^= 0xff; // inside the TD report, under the quote signature
        expect(failure(() => checkBundle(target(), { ...b, quote: raw.toString('base64') }, trusted))).toBe('bad_quote');
    });

    it('refuses a quote that does not parse', () => {
        expect(failure(() => checkBundle(target(), { ...bundle(), quote: Buffer.from('not a quote').toString('base64') }, trusted))).toBe('bad_quote');
    });

    it('refuses a dev quote unless the dev root is passed explicitly', () => {
        expect(failure(() => checkBundle(target(), bundle(), {}))).toBe('bad_quote');
    });

    it('refuses a quote whose REPORTDATA binds other keys or another network', () => {
        const other = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
        expect(failure(() => checkBundle(target(), { ...bundle({ ed: other }) }, trusted))).toBe('report_data_mismatch');
        expect(failure(() => checkBundle(target(), bundle({ globalId: 7 }), trusted))).toBe('report_data_mismatch');
    });

    it('refuses a bundle of the wrong shape as an attestation failure (so the SDK falls back), not a TypeError', () => {
        for (const junk of [null, [], { ...bundle(), enclaveEd25519: 1 }, { ...bundle(), quote: undefined }]) {
            expect(failure(() => checkBundle(target(), junk as unknown as AttestationBundle, trusted))).toBe('bad_quote');
        }
    });

    it('refuses a bundle that names other keys than the chain', () => {
        const b = bundle();
        expect(failure(() => checkBundle(target(), { ...b, enclaveX25519: '00'.repeat(32) }, trusted))).toBe('key_mismatch');
    });

    it('refuses a quote measuring another image than the on-chain hash', () => {
        const b = bundle({ measurement: { mrtd: new Uint8Array(48).fill(9) } });
        expect(failure(() => checkBundle(target(), b, trusted))).toBe('image_mismatch');
    });

    // Issue 11 finding 4: the operator chose the engine at start, outside the measurement. The runtime
    // configuration is now part of REPORTDATA and of the on-chain measurement.
    it('refuses a runner serving another runtime configuration than the allow-listed one', () => {
        // Honestly attested, but the chain allow-listed the reference-only configuration.
        expect(failure(() => checkBundle(target(), bundle({ runtime: openAiRuntime() }), trusted))).toBe('image_mismatch');
        // Lying about the runtime: REPORTDATA commits to the real one.
        const b = bundle({ runtime: openAiRuntime() });
        expect(failure(() => checkBundle(target(), { ...b, runtime: referenceRuntime() }, trusted))).toBe('report_data_mismatch');
    });

    it('refuses a runtime configuration with an engine outside the VM, or a malformed one', () => {
        const outside = openAiRuntime('http://203.0.113.7:8000/v1');
        expect(failure(() => checkBundle(target(), { ...bundle(), runtime: outside }, trusted))).toBe('bad_runtime');
        expect(failure(() => checkBundle(target(), { ...bundle(), runtime: undefined }, trusted))).toBe('bad_runtime');
        expect(failure(() => checkBundle(target(), { ...bundle(), runtime: { ...referenceRuntime(), extra: 1 } }, trusted))).toBe('bad_runtime');
    });

    it.each([
        ['RTMR3', { rtmr: [undefined, undefined, undefined, new Uint8Array(48).fill(3)] }],
        ['MRCONFIGID', { mrConfigId: new Uint8Array(48).fill(1) }],
        ['MROWNER', { mrOwner: new Uint8Array(48).fill(2) }],
        ['XFAM', { xfam: Buffer.from('e702000000000000', 'hex') }],
    ])('refuses a quote with another %s than the allow-listed measurement', (_name, override) => {
        expect(failure(() => checkBundle(target(), bundle({ measurement: override as DevMeasurementOverride }), trusted))).toBe('image_mismatch');
    });

    it('refuses when no runner URL is known: the quote is always verified', async () => {
        await expect(new AttestationVerifier({ trustAnchorPem: authority.rootPem }).verify(target())).rejects.toMatchObject({ failure: 'no_bundle', message: expect.stringContaining('none published on chain') });
        const refused = { ...target(), runnerUrlRefused: 'runner URL carries credentials' };
        await expect(new AttestationVerifier(trusted).verify(refused)).rejects.toMatchObject({ failure: 'no_bundle', message: expect.stringContaining('refused (runner URL carries credentials)') });
    });
});

// Issue 11 #9: verification could be switched off (policy field, gateway flag and variable, CLI flag),
// and a dev root was accepted for any network. Both attacks passed before the fix (commit 1f616a4).
describe('sdk: verification cannot be switched off, and a dev root never vouches on a public network', () => {
    it('refuses the removed verifyQuote policy field, whatever its value, naming why', () => {
        for (const verifyQuote of [false, true]) {
            expect(() => new AttestationVerifier({ verifyQuote } as AttestationPolicy)).toThrow(/can no longer be switched off.*compromised verifier/);
        }
    });

    it.each([['mainnet', -239], ['testnet', -3]])('refuses a development root for a quote bound to %s (%i), before looking at the quote', (_name, globalId) => {
        expect(failure(() => checkBundle({ ...target(), globalId }, bundle({ globalId }), trusted))).toBe('dev_root_on_public_network');
    });

    it('still accepts the Intel root passed explicitly on mainnet (the check is on the anchor, not the network)', () => {
        // A dev quote under the Intel anchor fails on its chain, not on the network rule.
        expect(failure(() => checkBundle({ ...target(), globalId: -239 }, bundle({ globalId: -239 }), { trustAnchorPem: INTEL_SGX_ROOT_CA_PEM }))).toBe('bad_quote');
    });

    it('accepts the development root for the dev global id', () => {
        expect(DEV_GLOBAL_ID).toBe(GLOBAL_ID);
        expect(isPublicTonNetwork(DEV_GLOBAL_ID)).toBe(false);
        expect(() => checkBundle(target(), bundle(), trusted)).not.toThrow();
    });
});

/** Serves `answer` at every path: a stand-in runner. */
async function serve(answer: (path: string) => { status: number; headers?: Record<string, string>; body?: string }): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
    const hits: string[] = [];
    const server: Server = createServer((req, res) => {
        hits.push(req.url ?? '');
        const a = answer(req.url ?? '');
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body ?? '');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('sdk: where the verifier fetches the attestation from', () => {
    it('uses the runner URL the Provider publishes on chain when the policy gives none', async () => {
        const runner = await serve(() => ({ status: 200, body: JSON.stringify(bundle()) }));
        try {
            await new AttestationVerifier(trusted).verify({ ...target(), runnerUrl: runner.url });
            expect(runner.hits).toEqual(['/v1/attestation']);
        } finally {
            await runner.close();
        }
    });

    it('prefers the policy\'s runnerUrl (the --runner override) to the published one', async () => {
        const published = await serve(() => ({ status: 500 }));
        const override = await serve(() => ({ status: 200, body: JSON.stringify(bundle()) }));
        try {
            await new AttestationVerifier({ ...trusted, runnerUrl: () => override.url }).verify({ ...target(), runnerUrl: published.url });
            expect([override.hits.length, published.hits.length]).toEqual([1, 0]);
        } finally {
            await published.close();
            await override.close();
        }
    });

    it('does not follow a redirect: a published URL cannot aim the fetch elsewhere', async () => {
        const victim = await serve(() => ({ status: 200, body: JSON.stringify(bundle()) }));
        const hostile = await serve(() => ({ status: 302, headers: { location: `${victim.url}/internal?x=1` } }));
        try {
            await expect(new AttestationVerifier(trusted).verify({ ...target(), runnerUrl: hostile.url })).rejects.toMatchObject({ failure: 'no_bundle' });
            expect(victim.hits).toEqual([]);
        } finally {
            await victim.close();
            await hostile.close();
        }
    });
});
