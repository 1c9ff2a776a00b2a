import { toNano } from '@ton/core';
import { Registry } from '../../wrappers/Registry';
import { SandboxNetworkProvider } from '../fixtures/sandboxNetworkProvider';
import { run as deployRegistry } from '../../scripts/deployRegistry';
import { run as governance } from '../../scripts/governance';
import { modelIdOf, REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { GOVERNANCE_DELAY, IMAGE_HASH, refused, world } from './world';

describe('scripts: deployRegistry and governance', () => {
    let w: Awaited<ReturnType<typeof world>>;
    let snapshot: ReturnType<typeof w.blockchain.snapshot>;
    beforeAll(async () => {
        w = await world();
        snapshot = w.blockchain.snapshot();
    });
    beforeEach(async () => {
        await w.blockchain.loadFrom(snapshot);
    });

    it('deployRegistry deploys a Registry owned by the sender with the default parameters and the given global id', async () => {
        expect((await w.registry.getOwner()).equals(w.owner.address)).toBe(true);
        expect(await w.registry.getGlobalId()).toBe(-239n);
        const p = await w.registry.getParams();
        expect(p.minStake).toBe(toNano('10'));
        expect(p.treasury.equals(w.owner.address)).toBe(true);
    });

    it('deployRegistry takes parameters from flags and the environment, and prints value and fees', async () => {
        const provider = w.as(w.stranger);
        process.env.COCOON_PROTOCOL_FEE_BPS = '250';
        let address;
        try {
            address = await deployRegistry(provider, ['--global-id', '-3', '--min-stake', '12.5', '--treasury', w.owner.address.toString()]);
        } finally {
            delete process.env.COCOON_PROTOCOL_FEE_BPS;
        }
        expect(provider.sent).toBe(1);
        const registry = w.blockchain.openContract(Registry.fromAddress(address));
        const p = await registry.getParams();
        expect(p.minStake).toBe(toNano('12.5'));
        expect(p.protocolFeeBps).toBe(250n);
        expect(p.treasury.equals(w.owner.address)).toBe(true);
        expect(provider.output.join('\n')).toMatch(/deploy Registry: sending 1\.0+ TON to .*\n.*deploy Registry: confirmed on chain, fees 0\.\d{4,9} TON/);
    });

    it('deployRegistry refuses a missing global id on a custom network and out-of-bounds parameters, sending nothing', async () => {
        const provider = w.as(w.stranger);
        expect(await refused(provider, () => deployRegistry(provider, []))).toMatch(/missing --global-id/);
        expect(await refused(provider, () => deployRegistry(provider, ['--global-id', '-3', '--protocol-fee-bps', '5000']))).toMatch(/--protocol-fee-bps above 3000/);
        expect(await refused(provider, () => deployRegistry(provider, ['--global-id', '-3', '--min-stake', 'ten']))).toMatch(/--min-stake: "ten" is not an amount/);
    });

    it('governance allow-image lists the image after the governance delay', async () => {
        const image = '22'.repeat(32);
        await governance(w.as(w.owner), ['allow-image', '--registry', w.registryAddress, '--image-hash', image]);
        expect(await w.registry.getImageActive(BigInt('0x' + image))).toBe(false);
        w.blockchain.now! += GOVERNANCE_DELAY;
        expect(await w.registry.getImageActive(BigInt('0x' + image))).toBe(true);
    });

    // Issue 12: "a verifier allow-listed twice" — a repeat now reads the listing first and sends nothing.
    it('governance allow-* and remove-* run twice send once', async () => {
        const owner: SandboxNetworkProvider = w.as(w.owner);
        const image = '33'.repeat(32);
        const args = (sub: string) => [sub, '--registry', w.registryAddress, '--image-hash', image];
        await governance(owner, args('allow-image'));
        const afterFirst = owner.sent;
        await governance(owner, args('allow-image'));
        expect(owner.sent).toBe(afterFirst);
        await governance(owner, args('remove-image'));
        await governance(owner, args('remove-image'));
        expect(owner.sent).toBe(afterFirst + 1);
        const key = ['allow-verifier', '--registry', w.registryAddress, '--verifier-key', w.verifierHex];
        await governance(owner, key); // listed by the world already
        expect(owner.sent).toBe(afterFirst + 1);
    });

    it('governance remove-image, remove-model and remove-verifier act at once', async () => {
        expect(await w.registry.getImageActive(BigInt('0x' + IMAGE_HASH))).toBe(true);
        await governance(w.as(w.owner), ['remove-image', '--registry', w.registryAddress, '--image-hash', '0x' + IMAGE_HASH]);
        await governance(w.as(w.owner), ['remove-model', '--registry', w.registryAddress, '--model-name', REFERENCE_MODEL_NAME]);
        await governance(w.as(w.owner), ['remove-verifier', '--registry', w.registryAddress, '--verifier-key', w.verifierHex]);
        expect(await w.registry.getImageActive(BigInt('0x' + IMAGE_HASH))).toBe(false);
        expect(await w.registry.getModelActive(modelIdOf(REFERENCE_MODEL_NAME))).toBe(false);
        expect(await w.registry.getVerifierActive(BigInt('0x' + w.verifierHex))).toBe(false);
    });

    it('governance allow-model and allow-verifier list after the delay', async () => {
        const model = 'another-model';
        const key = 'ab'.repeat(32);
        await governance(w.as(w.owner), ['allow-model', '--registry', w.registryAddress, '--model-name', model]);
        await governance(w.as(w.owner), ['allow-verifier', '--registry', w.registryAddress, '--verifier-key', key]);
        w.blockchain.now! += GOVERNANCE_DELAY;
        expect(await w.registry.getModelActive(modelIdOf(model))).toBe(true);
        expect((await w.registry.getModel(modelIdOf(model)))?.name).toBe(model);
        expect(await w.registry.getVerifierActive(BigInt('0x' + key))).toBe(true);
    });

    it('governance propose-params changes only the given parameters, after the delay; cancel-params drops a proposal', async () => {
        await governance(w.as(w.owner), ['propose-params', '--registry', w.registryAddress, '--protocol-fee-bps', '700']);
        expect((await w.registry.getParams()).protocolFeeBps).toBe(500n);
        w.blockchain.now! += GOVERNANCE_DELAY;
        const p = await w.registry.getParams();
        expect(p.protocolFeeBps).toBe(700n);
        expect(p.minStake).toBe(toNano('10'));

        await governance(w.as(w.owner), ['propose-params', '--registry', w.registryAddress, '--protocol-fee-bps', '900']);
        await governance(w.as(w.owner), ['cancel-params', '--registry', w.registryAddress]);
        w.blockchain.now! += GOVERNANCE_DELAY;
        expect((await w.registry.getParams()).protocolFeeBps).toBe(700n);
    });

    it('governance propose-owner then accept-owner by the new owner transfers ownership', async () => {
        await governance(w.as(w.owner), ['propose-owner', '--registry', w.registryAddress, '--new-owner', w.stranger.address.toString()]);
        expect((await w.registry.getPendingOwner())?.equals(w.stranger.address)).toBe(true);
        await governance(w.as(w.stranger), ['accept-owner', '--registry', w.registryAddress]);
        expect((await w.registry.getOwner()).equals(w.stranger.address)).toBe(true);
    });

    it('governance refuses, sending nothing: no subcommand, a bad value, a missing flag, a sender who is not the owner', async () => {
        const owner: SandboxNetworkProvider = w.as(w.owner);
        const r = w.registryAddress;
        expect(await refused(owner, () => governance(owner, ['--registry', r]))).toMatch(/needs a subcommand: propose-params/);
        expect(await refused(owner, () => governance(owner, ['allow-image', '--registry', r]))).toMatch(/missing --image-hash/);
        expect(await refused(owner, () => governance(owner, ['allow-image', '--registry', r, '--image-hash', 'xyz']))).toMatch(/--image-hash: expected 32 bytes/);
        expect(await refused(owner, () => governance(owner, ['allow-image', '--registry', 'nowhere', '--image-hash', IMAGE_HASH]))).toMatch(/--registry: "nowhere" is not a TON address/);
        expect(await refused(owner, () => governance(owner, ['propose-params', '--registry', r, '--governance-delay', '10']))).toMatch(/--governance-delay outside/);
        const stranger = w.as(w.stranger);
        expect(await refused(stranger, () => governance(stranger, ['allow-image', '--registry', r, '--image-hash', IMAGE_HASH]))).toMatch(/not the Registry's owner/);
        expect(await refused(stranger, () => governance(stranger, ['accept-owner', '--registry', r]))).toMatch(/not the proposed owner/);
    });
});
