/**
 * The scripts as a new provider runs them: `npx blueprint run <script> --testnet --mnemonic`, whose
 * sender is blueprint's own V5R1 MnemonicProvider (tests/fixtures/sandboxNetworkProvider.ts). Under it
 * blueprint's waitForLastTransaction throws "Not implemented"; the scripts confirm through their own
 * wait (scripts/lib/send.ts, sdk/confirm.ts), say plainly what happened and never send twice.
 */
import { toNano } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { run as deployProvider } from '../../scripts/deployProvider';
import { run as deployRegistry } from '../../scripts/deployRegistry';
import { run as stakeProvider } from '../../scripts/stakeProvider';
import { sendStep } from '../../scripts/lib/send';
import { SandboxNetworkProvider } from '../fixtures/sandboxNetworkProvider';
import { Exit } from '../../protocol/errors';
import { Registry } from '../../wrappers/Registry';
import { Provider } from '../../wrappers/Provider';
import { GLOBAL_ID, refused, world } from './world';

describe('scripts under blueprint --mnemonic', () => {
    let w: Awaited<ReturnType<typeof world>>;
    let snapshot: ReturnType<typeof w.blockchain.snapshot>;
    let words: string[];
    const reg = () => ['--registry', w.registryAddress];
    const funded = async () => {
        const p = await SandboxNetworkProvider.mnemonic(w.blockchain, words, 'testnet');
        await w.stranger.send({ to: p.sender().address, value: toNano('50'), bounce: false });
        return p;
    };

    beforeAll(async () => {
        w = await world();
        words = await mnemonicNew();
        snapshot = w.blockchain.snapshot();
    });
    beforeEach(async () => {
        await w.blockchain.loadFrom(snapshot);
    });

    it('the fake reproduces blueprint: waitForLastTransaction throws "Not implemented" after a --mnemonic send', async () => {
        const p = await funded();
        await p.sender().send({ to: w.registry.address, value: toNano('0.05') });
        await expect(p.waitForLastTransaction()).rejects.toThrow('Not implemented');
    });

    it('deployProvider confirms the deployment on chain, then running it again sends nothing', async () => {
        const p = await funded();
        const address = await deployProvider(p, reg());
        expect(p.sent).toBe(1);
        expect(p.output.join('\n')).toMatch(/deploy Provider: confirmed on chain \(transaction [0-9a-f]{64}\)/);
        expect(p.output).toContain('Sent transaction'); // blueprint's own line, as the user sees it
        const provider = await w.providerOf(p.sender().address);
        expect((await provider.getOwner()).equals(p.sender().address)).toBe(true);

        const again = await SandboxNetworkProvider.mnemonic(w.blockchain, words, 'testnet');
        expect((await deployProvider(again, reg())).toString()).toBe(address.toString());
        expect(again.sent).toBe(0);
        expect(again.output.join('\n')).toMatch(/is already deployed .*: nothing sent/);
    });

    it('deployRegistry run twice deploys once and says so the second time', async () => {
        const p = await funded();
        const first = await deployRegistry(p, ['--global-id', GLOBAL_ID]);
        const again = await SandboxNetworkProvider.mnemonic(w.blockchain, words, 'testnet');
        expect((await deployRegistry(again, ['--global-id', GLOBAL_ID])).toString()).toBe(first.toString());
        expect(again.sent).toBe(0);
        expect(again.output.join('\n')).toMatch(/already deployed at .*: nothing sent/);
    });

    it('an unfunded, undeployed wallet gets one line naming the wallet and the amount, and nothing is sent', async () => {
        const p = await SandboxNetworkProvider.mnemonic(w.blockchain, await mnemonicNew(), 'testnet');
        let error: Error | undefined;
        const message = await refused(p, async () => {
            try {
                await deployProvider(p, reg());
            } catch (e) {
                error = e as Error;
                throw e;
            }
        });
        expect(message).toMatch(/wallet \S+ is not deployed yet and has 0\.0000 TON; deploy Provider needs 0\.2100 TON \(value plus fees\): fund it first\. Nothing was sent/);
        expect(error!.stack!.split('\n')).toHaveLength(1); // blueprint prints it with console.error
    });

    it('a refusal by the target is reported with the contract\'s exit code name', async () => {
        const p = await funded();
        const registry = p.open(Registry.fromAddress(w.registry.address));
        await expect(sendStep(p, 'allow image', registry.address, toNano('0.05'), (via) =>
            registry.send(via, { value: toNano('0.05') }, { $$type: 'AllowImage', queryId: 1n, imageHash: 5n }),
        )).rejects.toThrow(new RegExp(`allow image: refused by ${registry.address.toString()}: ERR_WRONG_SENDER \\(exit code ${Exit.ERR_WRONG_SENDER}\\)`));
    });

    it('a refusal one hop later (the Registry refusing what the Provider forwarded) is reported, not taken for success', async () => {
        const p = await funded();
        await deployProvider(p, reg());
        const provider = p.open(Provider.fromAddress((await w.providerOf(p.sender().address)).address));
        await expect(sendStep(p, 'set model prices', provider.address, toNano('0.1'), (via) =>
            provider.send(via, { value: toNano('0.1') }, {
                $$type: 'SetModelOffer', queryId: 2n, modelId: 77n, offer: { $$type: 'ModelOffer', pricePerMillionIn: 1n, pricePerMillionOut: 1n, maxContext: 10n },
            }),
        )).rejects.toThrow(new RegExp(`refused by ${w.registry.address.toString()}: ERR_MODEL_NOT_ALLOWED \\(exit code ${Exit.ERR_MODEL_NOT_ALLOWED}\\)`));
    });

    it('stakeProvider from a testnet --mnemonic wallet confirms and prints the new stake', async () => {
        const p = await funded();
        await deployProvider(p, reg());
        await stakeProvider(p, [...reg(), '--amount', '12']);
        expect(p.output.join('\n')).toMatch(/add stake: confirmed on chain[\s\S]*stake now 11\.99/);
    });
});
