/**
 * The world the money property tests run in: the fixture's protocol (registry, provider 1 with its
 * enclave) plus a second provider owner who deploys through the Registry, stakes and registers its
 * own enclave, two sessions open on each provider, three client wallets, a relayer wallet, a reporter and a "ghost" client (an address
 * with no account: every payment to it bounces until the ghost is deployed with empty code, which
 * accepts everything). The adversaries: a masterchain client and a masterchain reporter, a second
 * treasury that governance may propose (and cancel), and a "phantom" owner whose Provider nobody has
 * deployed yet, so runs can deploy it straight from its public StateInit with value before the
 * Registry does. Built once; every run restores `snapshot`.
 */
import { BlockchainSnapshot, SandboxContract, TreasuryContract, internal, SendMessageResult } from '@ton/sandbox';
import { Address, beginCell, Cell, contractAddress, StateInit, toNano } from '@ton/core';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { protocol, EnclaveKeys, MODEL_ID, OFFER } from '../fixtures/protocol';
import { Provider } from '../../wrappers/Provider';
import { bigintFromBytes } from '../../protocol/signed';
import { sessionCharges } from '../fixtures/session';

/** Deterministic enclave keys (the runs must replay from a seed). */
export function enclaveFromSeed(tag: string): EnclaveKeys {
    const seed = Buffer.alloc(32);
    Buffer.from(tag).copy(seed);
    const { secretKey, publicKey } = ed25519.keygen(seed);
    const x = x25519.keygen(Buffer.from(seed.map((b) => b ^ 0x5a)));
    return { secretKey, publicKey: bigintFromBytes(publicKey), encryptionKey: bigintFromBytes(x.publicKey) };
}

export interface ProviderSide {
    index: number;
    owner: SandboxContract<TreasuryContract>;
    contract: SandboxContract<Provider>;
    /** Every enclave this provider may register; [0] is registered when the world is built. */
    enclaves: EnclaveKeys[];
}

/** Spare enclave keys per provider that runs may register later. */
export const SPARE_ENCLAVES = 5;

export async function buildWorld() {
    const p = await protocol();
    const { blockchain, registry } = p;
    const owner2 = await blockchain.treasury('provider-owner-2');
    const clients = [p.client, await blockchain.treasury('client-1'), await blockchain.treasury('client-2')];
    const relayer = await blockchain.treasury('relayer');
    const reporter = p.stranger;
    const mcClient = await blockchain.treasury('masterchain-client', { workchain: -1 });
    const mcReporter = await blockchain.treasury('masterchain-reporter', { workchain: -1 });
    const treasury2 = await blockchain.treasury('treasury-2');
    const phantomOwner = await blockchain.treasury('phantom-owner');
    const phantom = blockchain.openContract(await Provider.fromInit(registry.address, phantomOwner.address));

    // Provider 2, through real messages: DeployProvider, AddStake, RegisterEnclave, SetModelOffer.
    await registry.send(owner2.getSender(), { value: toNano('0.2') }, { $$type: 'DeployProvider', queryId: 0n });
    const provider2 = blockchain.openContract(Provider.fromAddress(await registry.getProviderAddress(owner2.address)));
    await provider2.send(owner2.getSender(), { value: toNano('20') }, { $$type: 'AddStake', queryId: 0n });

    const sides: ProviderSide[] = [
        { index: 0, owner: p.providerOwner, contract: p.provider, enclaves: [p.enclave] },
        { index: 1, owner: owner2, contract: provider2, enclaves: [enclaveFromSeed('p1-e0')] },
    ];
    for (const s of sides) for (let i = s.enclaves.length; i <= SPARE_ENCLAVES; i++) s.enclaves.push(enclaveFromSeed(`p${s.index}-e${i}`));

    /** RegisterEnclave with a fresh certificate (valid 3 days from now) for any provider. */
    const register = (side: ProviderSide, enclave: EnclaveKeys) => {
        const { certificate, signature } = p.certify(enclave, { provider: side.contract.address });
        return side.contract.send(side.owner.getSender(), { value: toNano('0.1') }, {
            $$type: 'RegisterEnclave',
            queryId: 0n,
            verifierKey: p.verifierKey,
            signature,
            certificate,
        });
    };
    await register(sides[1], sides[1].enclaves[0]);
    await provider2.send(owner2.getSender(), { value: toNano('0.1') }, {
        $$type: 'SetModelOffer',
        queryId: 0n,
        modelId: MODEL_ID,
        // A different price list than provider 1, so rounding differs between the two.
        offer: { $$type: 'ModelOffer', pricePerMillionIn: 1_234_567n, pricePerMillionOut: 7_654_321n, maxContext: OFFER.maxContext },
    });
    for (const s of sides) {
        if ((await s.contract.getEnclave(s.enclaves[0].publicKey)) === null) throw new Error(`provider ${s.index}: enclave not registered`);
        if ((await s.contract.getOffer(MODEL_ID)) === null) throw new Error(`provider ${s.index}: no offer`);
    }

    // Sessions open when a run starts (the runs open more): two on each provider, from different
    // clients, for a day and for two hours, so session steps have something to act on from the first.
    const clientSessionKey = enclaveFromSeed('client-session').publicKey;
    for (const s of sides) {
        for (const [c, ttl, deposit] of [[s.index, 86400, '1.5'], [2, 7200, '0.3']] as const) {
            await s.contract.send(clients[c].getSender(), { value: toNano(deposit) }, { $$type: 'OpenSession', queryId: 0n, modelId: MODEL_ID, enclaveKey: s.enclaves[0].publicKey, clientKey: clientSessionKey, ttl: BigInt(ttl) });
        }
        if ((await s.contract.getLedger()).nextSessionId !== 2n) throw new Error(`provider ${s.index}: sessions not opened`);
    }

    // The ghost: an address whose account does not exist. Deploying it (empty code: every message
    // succeeds) is what lets its claims finally be paid.
    const ghostInit: StateInit = { code: new Cell(), data: beginCell().storeUint(0x67686f7374, 64).endCell() };
    const ghost = contractAddress(0, ghostInit);

    /**
     * A message "from" the ghost. Sandbox does not debit a sender for a message it injects, so its
     * value enters the world from outside: callers add it to the conservation equation.
     */
    const fromGhost = (to: Address, value: bigint, body: Cell): Promise<SendMessageResult> =>
        blockchain.sendMessage(internal({ from: ghost, to, value, body, bounce: true }));
    const deployGhost = (value: bigint): Promise<SendMessageResult> =>
        blockchain.sendMessage(internal({ from: relayer.address, to: ghost, value, stateInit: ghostInit, bounce: false }));

    const accounts: Address[] = [
        p.owner.address, p.treasury.address, p.providerOwner.address, owner2.address, reporter.address, relayer.address,
        ...clients.map((c) => c.address), registry.address, ...sides.map((s) => s.contract.address), ghost,
        mcClient.address, mcReporter.address, treasury2.address, phantomOwner.address, phantom.address,
    ];

    return {
        charges: sessionCharges(blockchain.configBase64),
        /** The clients' session key (recorded on chain; it authenticates the client off chain only). */
        clientSessionKey,
        blockchain, registry, params: p.params, treasury: p.treasury, registryOwner: p.owner, verifierKey: p.verifierKey,
        mcClient, mcReporter, treasury2, phantomOwner, phantom,
        sides, clients, relayer, reporter, ghost, ghostInit, fromGhost, deployGhost, register, accounts,
        snapshot: blockchain.snapshot() as BlockchainSnapshot,
    };
}

export type World = Awaited<ReturnType<typeof buildWorld>>;
