import '@ton/test-utils';
import { beginCell, toNano } from '@ton/core';
import { protocol, Protocol, IMAGE_HASH, MODEL_ID } from './fixtures/protocol';
import { Exit } from '../protocol/errors';
import { defaultParams } from '../protocol/defaults';

let p: Protocol;
beforeAll(async () => {
    p = await protocol();
    p.checkpoint();
});
beforeEach(() => p.reset());

const q = { queryId: 0n };

describe('Registry governance', () => {
    it('applies a parameter change only after the governance delay', async () => {
        const next = { ...defaultParams(p.treasury.address), protocolFeeBps: 700n };
        const res = await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'ProposeParams', ...q, params: next });
        expect(res.transactions).toHaveTransaction({ from: p.registry.address, to: p.owner.address, success: true }); // excess back
        expect((await p.registry.getParams()).protocolFeeBps).toBe(500n);
        expect((await p.registry.getPendingParams())?.protocolFeeBps).toBe(700n);
        p.advance(Number(p.params.governanceDelay) - 1);
        expect((await p.registry.getParams()).protocolFeeBps).toBe(500n);
        p.advance(1);
        expect((await p.registry.getParams()).protocolFeeBps).toBe(700n);
        expect(await p.registry.getPendingParams()).toBeNull();
    });

    it('refuses out-of-bounds parameters with ERR_PARAM_BOUNDS', async () => {
        const bad = [
            { protocolFeeBps: 10000n },
            { unbondingPeriod: 0n },
            { minJobTtl: 100n, maxJobTtl: 50n },
            { governanceDelay: 0n },
            { equivocationSlashBps: 0n },
            { reporterShareBps: 10001n },
            { minStake: 0n },
            { maxJobTtl: 8n * 86400n, unbondingPeriod: 7n * 86400n },
        ];
        for (const change of bad) {
            const params = { ...defaultParams(p.treasury.address), ...change };
            const res = await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'ProposeParams', ...q, params });
            expect(res.transactions).toHaveTransaction({ to: p.registry.address, success: false, exitCode: Exit.ERR_PARAM_BOUNDS });
        }
        expect(await p.registry.getPendingParams()).toBeNull();
    });

    it('refuses governance messages from anyone but the owner', async () => {
        const res = await p.registry.send(p.stranger.getSender(), { value: toNano('0.05') }, { $$type: 'AllowImage', ...q, imageHash: 42n });
        expect(res.transactions).toHaveTransaction({ to: p.registry.address, success: false, exitCode: Exit.ERR_WRONG_SENDER });
        expect(res.transactions).toHaveTransaction({ from: p.registry.address, to: p.stranger.address, inMessageBounced: true });
        expect(await p.registry.getImageListing(42n)).toBeNull();
    });

    it('cancels a pending change', async () => {
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'ProposeParams', ...q, params: { ...p.params, protocolFeeBps: 900n } });
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'CancelParams', ...q });
        p.advance(Number(p.params.governanceDelay) + 1);
        expect((await p.registry.getParams()).protocolFeeBps).toBe(500n);
        const again = await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'CancelParams', ...q });
        expect(again.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_NO_PENDING });
    });

    it('adds allow-list entries after the delay and removes them at once', async () => {
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'AllowImage', ...q, imageHash: 77n });
        expect(await p.registry.getImageActive(77n)).toBe(false);
        p.advance(Number(p.params.governanceDelay));
        expect(await p.registry.getImageActive(77n)).toBe(true);
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'RemoveImage', ...q, imageHash: 77n });
        expect(await p.registry.getImageActive(77n)).toBe(false);
        const dup = await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'AllowModel', ...q, modelId: MODEL_ID, name: 'x' });
        expect(dup.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_ALREADY_LISTED });
        const longName = await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'AllowModel', ...q, modelId: 5n, name: 'n'.repeat(65) });
        expect(longName.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_OVERSIZE });
    });

    it('transfers ownership in two steps', async () => {
        await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'ProposeOwner', ...q, newOwner: p.stranger.address });
        expect((await p.registry.getOwner()).equals(p.owner.address)).toBe(true);
        const wrong = await p.registry.send(p.client.getSender(), { value: toNano('0.05') }, { $$type: 'AcceptOwner', ...q });
        expect(wrong.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_WRONG_SENDER });
        await p.registry.send(p.stranger.getSender(), { value: toNano('0.05') }, { $$type: 'AcceptOwner', ...q });
        expect((await p.registry.getOwner()).equals(p.stranger.address)).toBe(true);
        const old = await p.registry.send(p.owner.getSender(), { value: toNano('0.05') }, { $$type: 'AllowImage', ...q, imageHash: 5n });
        expect(old.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_WRONG_SENDER });
    });

    it('rejects unknown opcodes and empty messages with named codes', async () => {
        const unknown = await p.stranger.send({ to: p.registry.address, value: toNano('0.05'), body: beginCell().storeUint(0xdeadbeef, 32).endCell() });
        expect(unknown.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_UNKNOWN_OP });
        const empty = await p.stranger.send({ to: p.registry.address, value: toNano('0.05') });
        expect(empty.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_EMPTY_MESSAGE });
    });

    it('refuses Provider questions from a contract that is not the Provider of the claimed owner', async () => {
        const res = await p.registry.send(p.stranger.getSender(), { value: toNano('0.1') }, {
            $$type: 'AskModelApproval', ...q, owner: p.providerOwner.address, modelId: MODEL_ID,
            offer: { $$type: 'ModelOffer', pricePerMillionIn: 1n, pricePerMillionOut: 1n, maxContext: 10n },
        });
        expect(res.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_WRONG_SENDER });
        // A forged AttestationApproved straight to the Provider is refused too.
        const forged = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, {
            $$type: 'AttestationApproved', ...q, enclaveKey: 1n, encryptionKey: 2n, imageHash: IMAGE_HASH, validUntil: 2_000_000_000n, verifierKey: 1n,
        });
        expect(forged.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_WRONG_SENDER });
        expect(await p.provider.getEnclave(1n)).toBeNull();
    });

    it('deploys one Provider per owner at the address derived from (registry, owner)', async () => {
        const expected = await p.registry.getProviderAddress(p.stranger.address);
        const res = await p.registry.send(p.stranger.getSender(), { value: toNano('0.2') }, { $$type: 'DeployProvider', ...q });
        expect(res.transactions).toHaveTransaction({ from: p.registry.address, to: expected, deploy: true, success: true });
        // The new Provider keeps a storage reserve and returns the rest to its owner.
        const balance = (await p.blockchain.getContract(expected)).balance;
        expect(balance).toBeGreaterThan(toNano('0.04'));
        expect(balance).toBeLessThanOrEqual(toNano('0.05'));
        expect(res.transactions).toHaveTransaction({ from: expected, to: p.stranger.address, value: (v) => v! > toNano('0.05') });
        const low = await p.registry.send(p.client.getSender(), { value: toNano('0.05') }, { $$type: 'DeployProvider', ...q });
        expect(low.transactions).toHaveTransaction({ to: p.registry.address, exitCode: Exit.ERR_LOW_VALUE });
    });
});
