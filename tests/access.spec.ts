/**
 * Who may send what, for every restricted receiver: a stranger's message is refused with
 * ERR_WRONG_SENDER, changes nothing, and its value bounces back. Also the fallbacks of both
 * contracts (empty body, unknown opcode) and the value floor of the Registry's answers.
 */
import '@ton/test-utils';
import { beginCell, Cell, toNano } from '@ton/core';
import { protocol, Protocol, IMAGE_HASH, MODEL_ID } from './fixtures/protocol';
import { Exit } from '../protocol/errors';
import { storeParamsSync, storeAttestationApproved, storeModelApproved, storeImageStatus, storeModelStatus, storeVerifierStatus, storeRequestUnbond, storeWithdrawStake, storeWithdrawEarnings, storeRevokeEnclave, storeRemoveModelOffer, storeSetModelOffer, storeSetRunnerUrl } from '../wrappers/Provider';
import { storeProposeParams, storeCancelParams, storeAllowImage, storeRemoveImage, storeAllowModel, storeRemoveModel, storeAllowVerifier, storeRemoveVerifier, storeProposeOwner, storeAskParams, storeAskImageStatus, storeAskModelStatus } from '../wrappers/Registry';

let p: Protocol;
beforeAll(async () => {
    p = await protocol();
    p.checkpoint();
});
beforeEach(() => p.reset());

const body = (store: (b: any) => void) => beginCell().store(store).endCell();
const offer = { $$type: 'ModelOffer' as const, pricePerMillionIn: 1n, pricePerMillionOut: 1n, maxContext: 10n };

async function strangerSends(to: () => import('@ton/core').Address, msg: Cell, code = Exit.ERR_WRONG_SENDER) {
    const target = to();
    const before = await p.blockchain.getContract(target);
    const stateBefore = before.accountState?.type === 'active' ? before.accountState.state.data?.hash().toString('hex') : '';
    const res = await p.stranger.send({ to: target, value: toNano('0.5'), body: msg });
    expect(res.transactions).toHaveTransaction({ from: p.stranger.address, to: target, success: false, exitCode: code });
    expect(res.transactions).toHaveTransaction({ from: target, to: p.stranger.address, inMessageBounced: true });
    const after = await p.blockchain.getContract(target);
    const stateAfter = after.accountState?.type === 'active' ? after.accountState.state.data?.hash().toString('hex') : '';
    expect(stateAfter).toBe(stateBefore);
}

describe('Registry: owner-only messages', () => {
    const cases: [string, () => Cell][] = [
        ['ProposeParams', () => body(storeProposeParams({ $$type: 'ProposeParams', queryId: 0n, params: p.params }))],
        ['CancelParams', () => body(storeCancelParams({ $$type: 'CancelParams', queryId: 0n }))],
        ['AllowImage', () => body(storeAllowImage({ $$type: 'AllowImage', queryId: 0n, imageHash: 5n }))],
        ['RemoveImage', () => body(storeRemoveImage({ $$type: 'RemoveImage', queryId: 0n, imageHash: IMAGE_HASH }))],
        ['AllowModel', () => body(storeAllowModel({ $$type: 'AllowModel', queryId: 0n, modelId: 5n, name: 'm' }))],
        ['RemoveModel', () => body(storeRemoveModel({ $$type: 'RemoveModel', queryId: 0n, modelId: MODEL_ID }))],
        ['AllowVerifier', () => body(storeAllowVerifier({ $$type: 'AllowVerifier', queryId: 0n, publicKey: 5n }))],
        ['RemoveVerifier', () => body(storeRemoveVerifier({ $$type: 'RemoveVerifier', queryId: 0n, publicKey: p.verifierKey }))],
        ['ProposeOwner', () => body(storeProposeOwner({ $$type: 'ProposeOwner', queryId: 0n, newOwner: p.stranger.address }))],
    ];
    it.each(cases)('%s from a stranger is refused and changes nothing', async (_name, msg) => {
        await strangerSends(() => p.registry.address, msg());
    });
});

describe('Registry: questions only a Provider may ask', () => {
    const cases: [string, () => Cell][] = [
        ['AskParams', () => body(storeAskParams({ $$type: 'AskParams', queryId: 0n, owner: p.providerOwner.address, excessTo: p.stranger.address }))],
        ['AskImageStatus', () => body(storeAskImageStatus({ $$type: 'AskImageStatus', queryId: 0n, owner: p.providerOwner.address, imageHash: IMAGE_HASH, excessTo: p.stranger.address }))],
        ['AskModelStatus', () => body(storeAskModelStatus({ $$type: 'AskModelStatus', queryId: 0n, owner: p.providerOwner.address, modelId: MODEL_ID, excessTo: p.stranger.address }))],
    ];
    it.each(cases)('%s from a contract that is not the owner\'s Provider is refused', async (_name, msg) => {
        await strangerSends(() => p.registry.address, msg());
    });
});

describe('Provider: messages only its Registry may send', () => {
    const cases: [string, () => Cell][] = [
        ['ParamsSync', () => body(storeParamsSync({ $$type: 'ParamsSync', queryId: 0n, globalId: 1n, issuedAt: 2_000_000_000n, params: p.params, pending: null, excessTo: p.stranger.address }))],
        ['AttestationApproved', () => body(storeAttestationApproved({ $$type: 'AttestationApproved', queryId: 0n, enclaveKey: 9n, encryptionKey: 9n, imageHash: IMAGE_HASH, validUntil: 2_000_000_000n, verifierKey: p.verifierKey }))],
        ['ModelApproved', () => body(storeModelApproved({ $$type: 'ModelApproved', queryId: 0n, modelId: 77n, offer }))],
        ['ImageStatus', () => body(storeImageStatus({ $$type: 'ImageStatus', queryId: 0n, imageHash: IMAGE_HASH, allowed: false, excessTo: p.stranger.address }))],
        ['ModelStatus', () => body(storeModelStatus({ $$type: 'ModelStatus', queryId: 0n, modelId: MODEL_ID, allowed: false, excessTo: p.stranger.address }))],
        ['VerifierStatus', () => body(storeVerifierStatus({ $$type: 'VerifierStatus', queryId: 0n, verifierKey: p.verifierKey, allowed: false, excessTo: p.stranger.address }))],
    ];
    it.each(cases)('%s from a stranger is refused and changes nothing', async (_name, msg) => {
        await strangerSends(() => p.provider.address, msg());
    });
});

describe('Provider: owner-only messages', () => {
    const cases: [string, () => Cell][] = [
        ['SetModelOffer', () => body(storeSetModelOffer({ $$type: 'SetModelOffer', queryId: 0n, modelId: MODEL_ID, offer }))],
        ['RemoveModelOffer', () => body(storeRemoveModelOffer({ $$type: 'RemoveModelOffer', queryId: 0n, modelId: MODEL_ID }))],
        ['RevokeEnclave', () => body(storeRevokeEnclave({ $$type: 'RevokeEnclave', queryId: 0n, enclaveKey: p.enclave.publicKey }))],
        ['RequestUnbond', () => body(storeRequestUnbond({ $$type: 'RequestUnbond', queryId: 0n, amount: 1n }))],
        ['WithdrawStake', () => body(storeWithdrawStake({ $$type: 'WithdrawStake', queryId: 0n }))],
        ['WithdrawEarnings', () => body(storeWithdrawEarnings({ $$type: 'WithdrawEarnings', queryId: 0n }))],
        ['SetRunnerUrl', () => body(storeSetRunnerUrl({ $$type: 'SetRunnerUrl', queryId: 0n, url: 'https://attacker.example' }))],
    ];
    it.each(cases)('%s from a stranger is refused and changes nothing', async (_name, msg) => {
        await strangerSends(() => p.provider.address, msg());
    });
});

describe('fallbacks', () => {
    it.each([
        ['Registry', () => p.registry.address],
        ['Provider', () => p.provider.address],
    ])('%s refuses an unknown opcode and an empty message with named codes', async (_name, to) => {
        await strangerSends(to, beginCell().storeUint(0xdeadbeef, 32).endCell(), Exit.ERR_UNKNOWN_OP);
        await strangerSends(to, Cell.EMPTY, Exit.ERR_EMPTY_MESSAGE);
    });
});

describe('value floors', () => {
    it('a Provider question to the Registry needs enough value to pay for the answer', async () => {
        const res = await p.provider.send(p.stranger.getSender(), { value: toNano('0.02') }, { $$type: 'RequestSync', queryId: 0n });
        expect(res.transactions).toHaveTransaction({ to: p.provider.address, exitCode: Exit.ERR_LOW_VALUE });
        expect(res.transactions).not.toHaveTransaction({ from: p.provider.address, to: p.registry.address });
    });
});
