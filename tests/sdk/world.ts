/**
 * The network the SDK and gateway specs run against: the demo (devnet with instant blocks, Registry,
 * one Provider with an attested dev-quote enclave runner, relayer) plus a client wallet built from a
 * fresh mnemonic, funded from the faucet, and a CocoonClient wired to it.
 */
import { Address, toNano } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { DemoHandles, DemoOptions, startDemo } from '../../demo/startDemo';
import { CocoonClient, CocoonClientOptions, MnemonicSigner } from '../../sdk';
import { openProvider } from '../../sdk/chain';
import { modelIdOf } from '../../protocol/defaults';
import { Provider } from '../../wrappers/Provider';
import { Registry } from '../../wrappers/Registry';

export interface World {
    demo: DemoHandles;
    registry: Address;
    provider: Address;
    runnerUrl: string;
    devRootPem: string;
    mnemonic: string[];
    signer: MnemonicSigner;
    sdk: CocoonClient;
    newSdk: (overrides?: Partial<CocoonClientOptions>) => CocoonClient;
    /** Moves the devnet clock and lets one block pass so block time follows. */
    advance: (seconds: number) => Promise<void>;
    stop: () => Promise<void>;
}

export async function startWorld(options: DemoOptions & { funds?: bigint } = {}): Promise<World> {
    const demo = await startDemo({ relayerLogLevel: 'silent', runnerLogLevel: 'silent', pollMs: 10, ...options });
    const mnemonic = await mnemonicNew();
    const signer = await MnemonicSigner.fromMnemonic(demo.client, mnemonic, { now: demo.clock.now });
    await demo.devnet.faucet(signer.address, options.funds ?? toNano('100'));
    const registry = demo.protocol.registry.address;
    const provider = demo.protocol.provider.address;
    const runnerUrl = demo.protocol.runnerUrl;
    const devRootPem = demo.protocol.attestation.devRootPem!;
    const newSdk = (overrides: Partial<CocoonClientOptions> = {}) =>
        new CocoonClient({
            client: demo.client,
            registry,
            signer,
            pollMs: 20,
            attestation: { trustAnchorPem: devRootPem, runnerUrl: (p) => (p.equals(provider) ? runnerUrl : undefined) },
            ...overrides,
        });
    const advance = async (seconds: number) => {
        await demo.clock.advance(seconds);
        await demo.devnet.faucet(new Address(0, Buffer.alloc(32, 7)), 1n);
    };
    return { demo, registry, provider, runnerUrl, devRootPem, mnemonic, signer, sdk: newSdk(), newSdk, advance, stop: () => demo.stop() };
}

/** A model the Registry allow-lists and the Provider prices, but the enclave runner does not serve: its jobs are declined. */
export const UNSERVED_MODEL = 'cocoon-unserved-v1';

export async function offerUnservedModel(w: World): Promise<void> {
    const { client, protocol } = w.demo;
    const registry = client.open(Registry.fromAddress(w.registry));
    const provider = client.open(Provider.fromAddress(w.provider));
    await registry.send(protocol.owner, { value: toNano('0.1') }, { $$type: 'AllowModel', queryId: 0n, modelId: modelIdOf(UNSERVED_MODEL), name: UNSERVED_MODEL });
    await w.advance(Number(protocol.params.governanceDelay) + 1);
    // The Provider's parameter copy is now as old as the governance delay: refresh it.
    await provider.send(protocol.providerOwner, { value: toNano('0.1') }, { $$type: 'RequestSync', queryId: 0n });
    await provider.send(protocol.providerOwner, { value: toNano('0.1') }, {
        $$type: 'SetModelOffer', queryId: 0n, modelId: modelIdOf(UNSERVED_MODEL),
        offer: { $$type: 'ModelOffer', pricePerMillionIn: toNano('1'), pricePerMillionOut: toNano('4'), maxContext: 8192n },
    });
}

/** Waits (by polling the chain, without a time limit of its own) until the Provider has `n` open jobs. */
export async function untilOpenJobs(w: World, n: number): Promise<void> {
    const p = openProvider(w.demo.client, w.provider);
    while (Number((await p.getLedger()).openJobs) < n) await new Promise((r) => setTimeout(r, 20));
}
