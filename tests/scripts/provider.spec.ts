import { toNano } from '@ton/core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { run as deployProvider } from '../../scripts/deployProvider';
import { run as stakeProvider } from '../../scripts/stakeProvider';
import { run as registerEnclave } from '../../scripts/registerEnclave';
import { run as setModelPrices } from '../../scripts/setModelPrices';
import { run as unbond } from '../../scripts/unbond';
import { run as withdrawStake } from '../../scripts/withdrawStake';
import { run as syncProvider } from '../../scripts/syncProvider';
import { run as governance } from '../../scripts/governance';
import { attestationCell, bigintFromBytes, signCell } from '../../protocol/signed';
import { modelIdOf, REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { IMAGE_HASH, refused, world } from './world';

describe('scripts: provider lifecycle', () => {
    let w: Awaited<ReturnType<typeof world>>;
    let provider: Awaited<ReturnType<typeof w.providerOf>>;
    let snapshot: ReturnType<typeof w.blockchain.snapshot>;
    const reg = () => ['--registry', w.registryAddress];

    beforeAll(async () => {
        w = await world();
        await deployProvider(w.as(w.providerOwner), reg());
        provider = await w.providerOf(w.providerOwner.address);
        snapshot = w.blockchain.snapshot();
    });
    beforeEach(async () => {
        await w.blockchain.loadFrom(snapshot);
    });

    const certificate = (issuedAt = w.blockchain.now! - 10) => {
        const enclave = ed25519.keygen();
        const cell = attestationCell({
            globalId: -239,
            registry: w.registry.address,
            provider: provider.address,
            imageHash: BigInt('0x' + IMAGE_HASH),
            enclaveEd25519: bigintFromBytes(enclave.publicKey),
            enclaveX25519: bigintFromBytes(x25519.keygen().publicKey),
            quoteHash: 0xabcdn,
            issuedAt,
            expiresAt: issuedAt + 3 * 86400,
        });
        return { enclaveKey: bigintFromBytes(enclave.publicKey), cell, signature: signCell(cell, w.verifier.secretKey) };
    };

    it('deployProvider deploys the sender\'s Provider with a parameter copy from the Registry', async () => {
        expect((await provider.getOwner()).equals(w.providerOwner.address)).toBe(true);
        expect(await provider.getSyncedAt()).toBeGreaterThan(0n);
    });

    it('deployProvider refuses a value below the Registry\'s deploy minimum, sending nothing', async () => {
        const p = w.as(w.stranger);
        expect(await refused(p, () => deployProvider(p, [...reg(), '--value', '0.05']))).toMatch(/--value: at least 0\.1 TON/);
        expect(await refused(p, () => deployProvider(p, []))).toMatch(/missing --registry \(or COCOON_REGISTRY\)/);
    });

    it('stakeProvider adds the amount (less the AddStake gas) to the stake, from the owner or anyone', async () => {
        const before = (await provider.getLedger()).stake;
        await stakeProvider(w.as(w.providerOwner), [...reg(), '--amount', '15']);
        const mid = (await provider.getLedger()).stake;
        expect(mid - before).toBeGreaterThan(toNano('14.99'));
        expect(mid - before).toBeLessThan(toNano('15'));
        await stakeProvider(w.as(w.stranger), ['--provider', provider.address.toString(), '--amount', '1']);
        expect((await provider.getLedger()).stake).toBeGreaterThan(mid);
    });

    it('stakeProvider refuses a missing or malformed amount and an unknown provider, sending nothing', async () => {
        const p = w.as(w.providerOwner);
        expect(await refused(p, () => stakeProvider(p, reg()))).toMatch(/missing --amount \(or COCOON_AMOUNT\)/);
        expect(await refused(p, () => stakeProvider(p, [...reg(), '--amount', '1.0000000001']))).toMatch(/up to 9 decimals/);
        expect(await refused(p, () => stakeProvider(p, [...reg(), '--amount', '-1']))).toMatch(/not an amount/);
        const s = w.as(w.stranger);
        expect(await refused(s, () => stakeProvider(s, [...reg(), '--amount', '1']))).toMatch(/no Provider deployed/);
    });

    it('registerEnclave registers the key of a verifier-signed certificate, given inline or as files', async () => {
        const a = certificate();
        await registerEnclave(w.as(w.providerOwner), [
            ...reg(), '--certificate', a.cell.toBoc().toString('base64'), '--signature', a.signature.toString('hex'), '--verifier-key', w.verifierHex,
        ]);
        expect((await provider.getEnclave(a.enclaveKey))?.revoked).toBe(false);

        const dir = mkdtempSync(join(tmpdir(), 'cocoon-cert-'));
        const b = certificate();
        writeFileSync(join(dir, 'cert.boc'), b.cell.toBoc());
        writeFileSync(join(dir, 'cert.sig'), b.signature.toString('hex') + '\n');
        await registerEnclave(w.as(w.providerOwner), [
            ...reg(), '--certificate-file', join(dir, 'cert.boc'), '--signature-file', join(dir, 'cert.sig'), '--verifier-key', '0x' + w.verifierHex,
        ]);
        expect(await provider.getEnclave(b.enclaveKey)).not.toBeNull();
    });

    it('registerEnclave refuses a signature that does not verify and a sender who is not the owner, sending nothing', async () => {
        const a = certificate();
        const bad = Buffer.from(a.signature);
        bad[0] ^= 1;
        const args = (sig: Buffer) => [...reg(), '--certificate', a.cell.toBoc().toString('hex'), '--signature', sig.toString('hex'), '--verifier-key', w.verifierHex];
        const owner = w.as(w.providerOwner);
        expect(await refused(owner, () => registerEnclave(owner, args(bad)))).toMatch(/--signature does not verify/);
        expect(await refused(owner, () => registerEnclave(owner, [...reg(), '--signature', a.signature.toString('hex')]))).toMatch(/missing --certificate or --certificate-file/);
        const stranger = w.as(w.stranger);
        expect(await refused(stranger, () => registerEnclave(stranger, ['--provider', provider.address.toString(), ...args(a.signature).slice(2)]))).toMatch(/not the owner of Provider/);
    });

    it('setModelPrices sets the offer for an allow-listed model', async () => {
        await setModelPrices(w.as(w.providerOwner), [...reg(), '--model-name', REFERENCE_MODEL_NAME, '--price-in', '1', '--price-out', '4', '--max-context', '8192']);
        const offer = await provider.getOffer(modelIdOf(REFERENCE_MODEL_NAME));
        expect(offer).toMatchObject({ pricePerMillionIn: toNano('1'), pricePerMillionOut: toNano('4'), maxContext: 8192n });
    });

    it('setModelPrices refuses a missing model, a zero context and a malformed price, sending nothing', async () => {
        const p = w.as(w.providerOwner);
        const prices = ['--price-in', '1', '--price-out', '4', '--max-context', '8192'];
        expect(await refused(p, () => setModelPrices(p, [...reg(), ...prices]))).toMatch(/missing --model-id .* or --model-name/);
        expect(await refused(p, () => setModelPrices(p, [...reg(), '--model-name', 'x', '--price-in', '1', '--price-out', '4', '--max-context', '0']))).toMatch(/--max-context: 0 is outside/);
        expect(await refused(p, () => setModelPrices(p, [...reg(), '--model-name', 'x', '--price-in', '1e3', '--price-out', '4', '--max-context', '10']))).toMatch(/--price-in: "1e3" is not an amount/);
    });

    it('unbond moves stake to unbonding; withdrawStake pays it out after the unbonding period', async () => {
        await stakeProvider(w.as(w.providerOwner), [...reg(), '--amount', '15']);
        const staked = (await provider.getLedger()).stake;
        await unbond(w.as(w.providerOwner), [...reg(), '--amount', '4']);
        let ledger = await provider.getLedger();
        expect(ledger.stake).toBe(staked - toNano('4'));
        expect(ledger.unbonding).toBe(toNano('4'));

        // Too early: the Provider refuses, and the script says so with the contract's exit code.
        await expect(withdrawStake(w.as(w.providerOwner), reg())).rejects.toThrow(/refused by .*: ERR_UNBONDING_NOT_DONE \(exit code 1215\)/);
        expect((await provider.getLedger()).unbonding).toBe(toNano('4'));

        w.blockchain.now! += 7 * 86400;
        const balance = await w.providerOwner.getBalance();
        await withdrawStake(w.as(w.providerOwner), reg());
        ledger = await provider.getLedger();
        expect(ledger.unbonding).toBe(0n);
        expect((await w.providerOwner.getBalance()) - balance).toBeGreaterThan(toNano('3.9'));
    });

    it('before the allow-lists are active, setModelPrices and registerEnclave refuse with the reason, sending nothing', async () => {
        await governance(w.as(w.owner), ['allow-model', ...reg(), '--model-name', 'fresh-model']);
        await governance(w.as(w.owner), ['remove-verifier', ...reg(), '--verifier-key', w.verifierHex]);
        const p = w.as(w.providerOwner);
        expect(await refused(p, () => setModelPrices(p, [...reg(), '--model-name', 'fresh-model', '--price-in', '1', '--price-out', '4', '--max-context', '8192'])))
            .toMatch(/is not allow-listed and active on Registry .*\(governance allow-model, then the governance delay\)\. Nothing was sent/);
        const a = certificate();
        expect(await refused(p, () => registerEnclave(p, [...reg(), '--certificate', a.cell.toBoc().toString('base64'), '--signature', a.signature.toString('hex'), '--verifier-key', w.verifierHex])))
            .toMatch(/verifier key .* is not allow-listed and active .*Nothing was sent/);
    });

    it('unbond below the minimum stake warns before sending', async () => {
        await stakeProvider(w.as(w.providerOwner), [...reg(), '--amount', '15']);
        const p = w.as(w.providerOwner);
        await unbond(p, [...reg(), '--amount', '10']);
        expect(p.output.join('\n')).toMatch(/WARNING: the stake left, .* is below the minimum of .* TON: the Provider takes no new jobs \(ERR_STAKE_TOO_LOW\)/);
    });

    it('unbond refuses more than the stake, withdrawStake refuses with nothing unbonding, sending nothing', async () => {
        const p = w.as(w.providerOwner);
        expect(await refused(p, () => unbond(p, [...reg(), '--amount', '1000']))).toMatch(/above the stake/);
        expect(await refused(p, () => withdrawStake(p, reg()))).toMatch(/nothing is unbonding/);
    });

    it('syncProvider refreshes the Provider\'s parameter copy', async () => {
        const before = await provider.getSyncedAt();
        w.blockchain.now! += 3600;
        await syncProvider(w.as(w.stranger), ['--provider', provider.address.toString()]);
        expect(await provider.getSyncedAt()).toBe(before + 3600n);
    });

    it('syncProvider refuses a value below what the Registry question needs, sending nothing', async () => {
        const p = w.as(w.stranger);
        expect(await refused(p, () => syncProvider(p, ['--provider', provider.address.toString(), '--value', '0.01']))).toMatch(/at least 0\.03 TON/);
    });
});
