/**
 * The world the script specs start from, built by the scripts themselves: deployRegistry, then
 * governance allow-image / allow-model / allow-verifier, then the governance delay.
 */
import { Blockchain, SandboxContract, TreasuryContract } from '@ton/sandbox';
import { Address } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { SandboxNetworkProvider } from '../fixtures/sandboxNetworkProvider';
import { Registry } from '../../wrappers/Registry';
import { Provider } from '../../wrappers/Provider';
import { run as deployRegistry } from '../../scripts/deployRegistry';
import { run as governance } from '../../scripts/governance';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';

export const START_TIME = 1_800_000_000;
export const GLOBAL_ID = '-239';
export const IMAGE_HASH = '11'.repeat(32);
export const GOVERNANCE_DELAY = 86400;

export async function world() {
    const blockchain = await Blockchain.create();
    blockchain.now = START_TIME;
    const owner = await blockchain.treasury('registry-owner');
    const providerOwner = await blockchain.treasury('provider-owner');
    const stranger = await blockchain.treasury('stranger');
    const as = (who: SandboxContract<TreasuryContract>) => new SandboxNetworkProvider(blockchain, who);
    const verifier = ed25519.keygen();
    const verifierHex = Buffer.from(verifier.publicKey).toString('hex');

    const registryAddress = (await deployRegistry(as(owner), ['--global-id', GLOBAL_ID])) as Address;
    const r = registryAddress.toString();
    await governance(as(owner), ['allow-image', '--registry', r, '--image-hash', IMAGE_HASH]);
    await governance(as(owner), ['allow-model', '--registry', r, '--model-name', REFERENCE_MODEL_NAME]);
    await governance(as(owner), ['allow-verifier', '--registry', r, '--verifier-key', verifierHex]);
    blockchain.now += GOVERNANCE_DELAY;

    const registry = blockchain.openContract(Registry.fromAddress(registryAddress));
    const providerOf = async (who: Address) => blockchain.openContract(Provider.fromAddress(await registry.getProviderAddress(who)));
    return { blockchain, owner, providerOwner, stranger, as, verifier, verifierHex, registry, registryAddress: r, providerOf };
}

/** A script run that must fail before sending anything: returns the error message. */
export async function refused(provider: SandboxNetworkProvider, run: () => Promise<unknown>): Promise<string> {
    const before = provider.sent;
    let message = '';
    try {
        await run();
    } catch (e) {
        message = (e as Error).message;
    }
    if (!message) throw new Error('expected the script to fail');
    if (provider.sent !== before) throw new Error(`the script sent ${provider.sent - before} message(s) before failing`);
    return message;
}
