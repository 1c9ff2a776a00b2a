import '@ton/test-utils';
import { toNano } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { protocol, Protocol, newEnclave, GLOBAL_ID, MODEL_ID, IMAGE_HASH } from './fixtures/protocol';
import { Exit } from '../protocol/errors';

let p: Protocol;
beforeAll(async () => {
    p = await protocol();
    p.checkpoint();
});
beforeEach(() => p.reset());

const registrationFails = async (res: Awaited<ReturnType<Protocol['register']>>, code: number) => {
    expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.registry.address, success: false, exitCode: code });
    // The refusal bounces to the Provider, which returns the value to its owner.
    expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.providerOwner.address, success: true });
};

describe('Provider enclave registration', () => {
    it('registers a key attested by an allow-listed verifier for an allow-listed image', async () => {
        const e = await p.provider.getEnclave(p.enclave.publicKey);
        expect(e?.imageHash).toBe(IMAGE_HASH);
        expect(e?.encryptionKey).toBe(p.enclave.encryptionKey);
        expect(e?.revoked).toBe(false);
    });

    it('allows several enclave keys per provider', async () => {
        const second = newEnclave();
        await p.register(second);
        expect(await p.provider.getEnclave(second.publicKey)).not.toBeNull();
        expect(await p.provider.getEnclave(p.enclave.publicKey)).not.toBeNull();
    });

    it('refuses a bad signature', async () => {
        const e = newEnclave();
        const cert = p.certify(e);
        cert.signature[0] ^= 1;
        await registrationFails(await p.register(e, cert), Exit.ERR_BAD_SIGNATURE);
        expect(await p.provider.getEnclave(e.publicKey)).toBeNull();
    });

    it('refuses a certificate signed by a key that is not an allow-listed verifier', async () => {
        const e = newEnclave();
        const rogue = ed25519.keygen();
        const cert = p.certify(e, {}, rogue.secretKey);
        await registrationFails(await p.register(e, cert), Exit.ERR_BAD_SIGNATURE);
    });

    it('refuses a certificate from a verifier key that is not allow-listed, even if correctly signed', async () => {
        const e = newEnclave();
        const rogue = ed25519.keygen();
        const cert = p.certify(e, {}, rogue.secretKey);
        const res = await p.provider.send(p.providerOwner.getSender(), { value: toNano('0.1') }, {
            $$type: 'RegisterEnclave', queryId: 0n, verifierKey: BigInt('0x' + Buffer.from(rogue.publicKey).toString('hex')), signature: cert.signature, certificate: cert.certificate,
        });
        await registrationFails(res, Exit.ERR_VERIFIER_NOT_ALLOWED);
    });

    it('refuses a certificate for another provider, registry or network', async () => {
        const e = newEnclave();
        await registrationFails(await p.register(e, p.certify(e, { provider: p.stranger.address })), Exit.ERR_CERT_WRONG_TARGET);
        await registrationFails(await p.register(e, p.certify(e, { registry: p.stranger.address })), Exit.ERR_CERT_WRONG_TARGET);
        await registrationFails(await p.register(e, p.certify(e, { globalId: GLOBAL_ID + 1 })), Exit.ERR_CERT_WRONG_TARGET);
    });

    it('refuses expired, future-dated and too old certificates', async () => {
        const e = newEnclave();
        const now = p.blockchain.now!;
        await registrationFails(await p.register(e, p.certify(e, { expiresAt: now - 1 })), Exit.ERR_CERT_NOT_VALID_NOW);
        await registrationFails(await p.register(e, p.certify(e, { issuedAt: now + 60 })), Exit.ERR_CERT_NOT_VALID_NOW);
        const maxAge = Number(p.params.attestationMaxAge);
        await registrationFails(await p.register(e, p.certify(e, { issuedAt: now - maxAge - 1, expiresAt: now + 100 })), Exit.ERR_CERT_NOT_VALID_NOW);
    });

    it('refuses an image that is not allow-listed', async () => {
        const e = newEnclave();
        await registrationFails(await p.register(e, p.certify(e, { imageHash: 0xbadn })), Exit.ERR_IMAGE_NOT_ALLOWED);
    });

    it('refuses registration from anyone but the owner', async () => {
        const e = newEnclave();
        const res = await p.register(e, p.certify(e), p.stranger.getSender());
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_WRONG_SENDER });
        expect(await p.provider.getEnclave(e.publicKey)).toBeNull();
    });

    it('replaying a registration with too little value is refused', async () => {
        const e = newEnclave();
        const cert = p.certify(e);
        const res = await p.provider.send(p.providerOwner.getSender(), { value: toNano('0.01') }, {
            $$type: 'RegisterEnclave', queryId: 0n, verifierKey: p.verifierKey, signature: cert.signature, certificate: cert.certificate,
        });
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_LOW_VALUE });
    });

    it('stops new jobs once the attestation expires', async () => {
        const e = await p.provider.getEnclave(p.enclave.publicKey);
        p.blockchain.now = Number(e!.validUntil);
        await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', queryId: 0n });
        const res = await p.createJob();
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_ENCLAVE_EXPIRED });
    });

    it('revokes the keys of a removed image when anyone reports it, and they stop taking jobs at once', async () => {
        const early = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'ReportImageRemoved', queryId: 0n, imageHash: IMAGE_HASH });
        expect(early.transactions).toHaveTransaction({ from: p.provider.address, to: p.stranger.address, success: true });
        expect((await p.provider.getEnclave(p.enclave.publicKey))?.revoked).toBe(false);

        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'RemoveImage', queryId: 0n, imageHash: IMAGE_HASH });
        await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'ReportImageRemoved', queryId: 0n, imageHash: IMAGE_HASH });
        expect((await p.provider.getEnclave(p.enclave.publicKey))?.revoked).toBe(true);
        const res = await p.createJob();
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_ENCLAVE_REVOKED });
    });
});

describe('Provider model offers', () => {
    it('accepts a price only for an allow-listed model, set by the owner', async () => {
        expect((await p.provider.getOffer(MODEL_ID))?.pricePerMillionIn).toBe(toNano('1'));
        const offer = { $$type: 'ModelOffer' as const, pricePerMillionIn: 1n, pricePerMillionOut: 1n, maxContext: 10n };
        const unlisted = await p.provider.send(p.providerOwner.getSender(), { value: toNano('0.1') }, { $$type: 'SetModelOffer', queryId: 0n, modelId: 999n, offer });
        expect(unlisted.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_MODEL_NOT_ALLOWED });
        expect(await p.provider.getOffer(999n)).toBeNull();
        const stranger = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'SetModelOffer', queryId: 0n, modelId: MODEL_ID, offer });
        expect(stranger.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_WRONG_SENDER });
        expect((await p.provider.getOffer(MODEL_ID))?.pricePerMillionIn).toBe(toNano('1'));
    });

    it('drops an offer when governance removes the model and anyone reports it', async () => {
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'RemoveModel', queryId: 0n, modelId: MODEL_ID });
        await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'ReportModelRemoved', queryId: 0n, modelId: MODEL_ID });
        expect(await p.provider.getOffer(MODEL_ID)).toBeNull();
    });
});

describe('Provider parameter copy', () => {
    it('refuses jobs once the copy is older than the governance delay, until anyone syncs', async () => {
        p.advance(Number(p.params.governanceDelay));
        const stale = await p.createJob();
        expect(stale.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_PARAMS_STALE });
        await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', queryId: 0n });
        const fresh = await p.createJob();
        expect(fresh.transactions).toHaveTransaction({ to: p.provider.address, success: true });
    });

    it('goes stale at a pending change\'s activation time and takes it only from the Registry', async () => {
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'ProposeParams', queryId: 0n, params: { ...p.params, minStake: toNano('100') } });
        const activatesAt = BigInt(p.blockchain.now! + Number(p.params.governanceDelay));
        p.advance(60);
        await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', queryId: 0n });
        expect(await p.provider.getSyncedAt()).toBe(BigInt(p.blockchain.now!));
        expect(await p.provider.getParamsStaleAt()).toBe(activatesAt);
        expect((await p.provider.getParams())?.minStake).toBe(toNano('10'));
        p.advance(Number(activatesAt) - p.blockchain.now!);
        // At the activation time the copy is stale: the Provider never applies a pending set itself.
        expect((await p.provider.getParams())?.minStake).toBe(toNano('10'));
        const stale = await p.createJob();
        expect(stale.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_PARAMS_STALE });
        await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', queryId: 0n });
        expect((await p.provider.getParams())?.minStake).toBe(toNano('100'));
        const res = await p.createJob();
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_STAKE_TOO_LOW });
    });

    it('refuses a forged ParamsSync', async () => {
        const res = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, {
            $$type: 'ParamsSync', queryId: 0n, globalId: 1n, issuedAt: BigInt(p.blockchain.now! + 100), params: { ...p.params, minStake: 1n }, pending: null, excessTo: p.stranger.address,
        });
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_WRONG_SENDER });
        expect((await p.provider.getParams())?.minStake).toBe(toNano('10'));
    });
});

describe('Revoked keys stay revoked', () => {
    it('refuses to re-register a key its owner revoked', async () => {
        await p.provider.send(p.providerOwner.getSender(), { value: toNano('0.05') }, { $$type: 'RevokeEnclave', queryId: 0n, enclaveKey: p.enclave.publicKey });
        const res = await p.register(p.enclave);
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_ENCLAVE_REVOKED });
        expect((await p.provider.getEnclave(p.enclave.publicKey))?.revoked).toBe(true);
    });

    it('renews the attestation of a key that is not revoked', async () => {
        p.advance(86400);
        await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', queryId: 0n });
        const before = (await p.provider.getEnclave(p.enclave.publicKey))!.validUntil;
        await p.register(p.enclave);
        expect((await p.provider.getEnclave(p.enclave.publicKey))!.validUntil).toBeGreaterThan(before);
    });
});
