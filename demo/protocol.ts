/**
 * Deploys the whole protocol on a devnet through TonClient and real wallets, as on testnet:
 * Registry → allow-list the DEV image, the reference model and a verifier key → (governance delay)
 * → DeployProvider → AddStake → an enclave runner attests over HTTP → the attestation issuer
 * certifies its dev quote (dev root trusted explicitly) → RegisterEnclave → SetModelOffer →
 * SetRunnerUrl (clients and relayers find the runner from the chain).
 */
import { Address, Dictionary, toNano } from '@ton/core';
import { TonClient } from '@ton/ton';
import { ed25519 } from '@noble/curves/ed25519.js';
import { certifyQuote } from '../attestation/issuer';
import { devEnclaveMeasurement } from '../attestation/devQuote';
import type { Devnet } from '../devnet';
import type { AttestationDocument } from '../enclave/attestation';
import type { RuntimeConfig } from '../attestation/runtimeConfig';
import type { EnclaveKeys } from '../enclave/keys';
import { createLogger } from '../enclave/log';
import { createRunner } from '../enclave/runner';
import { runtimeConfigFor } from '../enclave/runtime';
import { createEnclaveServer, EnclaveServer, ServerLimits } from '../enclave/server';
import { chainJobSource } from '../enclave/chainJobs';
import { chainSessionSource } from '../enclave/chainSessions';
import { defaultParams, modelIdOf, REFERENCE_MODEL_NAME } from '../protocol/defaults';
import { DEV_GLOBAL_ID } from '../protocol/networks';
import { bigintFromBytes } from '../protocol/signed';
import { Provider } from '../wrappers/Provider';
import { open } from '../protocol/tonClient';
import { dictValueParserModelListing, Params, Registry } from '../wrappers/Registry';
import { DevnetClock } from './clock';
import { DemoWallet } from './wallet';

/** A dev network's id, never a public one: the demo trusts its dev root, which clients refuse on -239 and -3. */
export const DEMO_GLOBAL_ID = DEV_GLOBAL_ID;
export const MODEL_ID = modelIdOf(REFERENCE_MODEL_NAME);
export const OFFER = { pricePerMillionIn: toNano('1'), pricePerMillionOut: toNano('4'), maxContext: 8192n };
export const PROVIDER_STAKE = toNano('100');
const MESSAGE_VALUE = toNano('0.1');

export interface ProtocolOptions {
    runnerPort?: number;
    runnerLimits?: Partial<ServerLimits>;
    runnerLogDestination?: Parameters<typeof createLogger>[0];
    runnerLogLevel?: string;
    runnerJobTimeoutMs?: number;
    /** The runner's voucher feed token (COCOON_RUNNER_VOUCHER_TOKEN): startDemo makes one and gives it to its relayer too. */
    runnerVoucherToken?: string;
    /**
     * Further runner configurations governance allow-lists from genesis (their enclave measurement,
     * and the models they serve beyond the reference one, offered by the Provider at OFFER prices):
     * tests start runners with other engines and register them with `registerRunner`.
     */
    extraRuntimes?: RuntimeConfig[];
}

export interface DeployedProtocol {
    registry: Registry;
    provider: Provider;
    params: Params;
    owner: DemoWallet;
    providerOwner: DemoWallet;
    treasury: Address;
    runner: EnclaveServer;
    runnerUrl: string;
    attestation: AttestationDocument;
    /**
     * What a provider operator does for another runner (a restart, a second engine): fetch its
     * attestation, have the demo's verifier certify it, RegisterEnclave. Resolves to the attestation.
     */
    registerRunner: (runnerUrl: string) => Promise<AttestationDocument>;
    /** The runner's keys, public parts and signing only (the secrets stay in their closure): tests sign session vouchers with them as the runner does. */
    enclaveKeys: EnclaveKeys;
}

/**
 * The allow-lists the demo Registry is deployed with, in force from its first block. Listing them
 * by message (AllowImage, AllowModel, AllowVerifier) would take the governance delay, a day, to
 * take effect; a devnet can only skip that by moving its clock a day ahead of every wallet that
 * signs a valid_until with this machine's clock (blueprint, TonConnect), which then fails with
 * exit 136. A genesis state is honest: the contract holds exactly what governance would have
 * listed, and its clock stays real time (docs/spec/devnet.md, "Time"). Listing by message, with
 * its delay, is what scripts/governance.ts and tests/registry.governance.spec.ts exercise.
 */
function genesisAllowLists(measurements: Uint8Array[], modelNames: string[], verifierKey: bigint) {
    const ACTIVE_SINCE_GENESIS = 0;
    const images = Dictionary.empty(Dictionary.Keys.BigUint(256), Dictionary.Values.Uint(32));
    for (const m of measurements) images.set(bigintFromBytes(m), ACTIVE_SINCE_GENESIS);
    const models = Dictionary.empty(Dictionary.Keys.BigUint(256), dictValueParserModelListing());
    for (const name of modelNames) models.set(modelIdOf(name), { $$type: 'ModelListing', name, activatesAt: BigInt(ACTIVE_SINCE_GENESIS) });
    const verifiers = Dictionary.empty(Dictionary.Keys.BigUint(256), Dictionary.Values.Uint(32));
    verifiers.set(verifierKey, ACTIVE_SINCE_GENESIS);
    return [images, models, verifiers] as const;
}

export async function deployProtocol(devnet: Devnet, client: TonClient, clock: DevnetClock, opts: ProtocolOptions = {}): Promise<DeployedProtocol> {
    const owner = DemoWallet.random(client, clock.now);
    const providerOwner = DemoWallet.random(client, clock.now);
    const treasury = DemoWallet.random(client, clock.now).address;
    await devnet.faucet(owner.address, toNano('100'));
    await devnet.faucet(providerOwner.address, PROVIDER_STAKE + toNano('100'));

    const params = defaultParams(treasury);
    const verifierSecret = ed25519.utils.randomSecretKey();
    const verifierKey = bigintFromBytes(ed25519.getPublicKey(verifierSecret));
    const runnerSettings = {
        quote: 'dev', backend: 'reference', upstreamStream: false,
        maxContext: Number(OFFER.maxContext), host: '127.0.0.1', port: opts.runnerPort ?? 0, jobTimeoutMs: opts.runnerJobTimeoutMs ?? 30_000,
    } as const;
    // The enclave measurement governance lists: the dev image together with the runner's runtime configuration.
    const runtimes = [await runtimeConfigFor(runnerSettings), ...(opts.extraRuntimes ?? [])];
    const modelNames = [...new Set(runtimes.flatMap((r) => r.models.map((m) => m.name)))];
    const registryContract = await Registry.fromInit(owner.address, BigInt(DEMO_GLOBAL_ID), params, null, null, ...genesisAllowLists(runtimes.map(devEnclaveMeasurement), modelNames, verifierKey));
    const registry = client.open(registryContract);
    await registry.send(owner, { value: toNano('1') }, { $$type: 'TopUp', queryId: 0n });

    await registry.send(providerOwner, { value: toNano('0.2') }, { $$type: 'DeployProvider', queryId: 0n });
    const providerAddress = await registry.getProviderAddress(providerOwner.address);
    const provider = client.open(Provider.fromAddress(providerAddress));
    await provider.send(providerOwner, { value: PROVIDER_STAKE }, { $$type: 'AddStake', queryId: 0n });

    const runner = await createRunner({ ...runnerSettings, provider: providerAddress, globalId: DEMO_GLOBAL_ID });
    const logger = createLogger(opts.runnerLogDestination, opts.runnerLogLevel ?? 'warn');
    const server = createEnclaveServer({ ...runner, logger, limits: opts.runnerLimits, jobs: chainJobSource(client, providerAddress), sessions: chainSessionSource(client, providerAddress), voucherToken: opts.runnerVoucherToken });
    const runnerUrl = await server.listen(opts.runnerPort ?? 0);

    // What a provider operator does: fetch the runner's attestation and have it certified.
    const registerRunner = async (url: string): Promise<AttestationDocument> => {
        const attestation = (await (await fetch(`${url}/v1/attestation`)).json()) as AttestationDocument;
        const outcome = certifyQuote(
            {
                quote: Buffer.from(attestation.quote, 'base64'),
                globalId: DEMO_GLOBAL_ID,
                registry: registryContract.address,
                provider: providerAddress,
                enclaveEd25519: Buffer.from(attestation.enclaveEd25519, 'hex'),
                enclaveX25519: Buffer.from(attestation.enclaveX25519, 'hex'),
                runtime: attestation.runtime,
            },
            { secretKey: verifierSecret, verify: { trustAnchorPem: attestation.devRootPem }, now: () => new Date(clock.now() * 1000) },
        );
        if (!outcome.issued) throw new Error(`the dev quote was not certified: ${JSON.stringify(outcome.verdict)}`);
        await provider.send(providerOwner, { value: MESSAGE_VALUE }, { $$type: 'RegisterEnclave', queryId: 0n, verifierKey, signature: outcome.signature, certificate: outcome.cell });
        const deployed = open(client, Provider.fromAddress(providerAddress));
        if (!(await deployed.getEnclave(BigInt('0x' + attestation.enclaveEd25519)))) throw new Error('the enclave was not registered (check the allow-lists and the certificate)');
        return attestation;
    };
    const attestation = await registerRunner(runnerUrl);
    for (const name of modelNames) {
        await provider.send(providerOwner, { value: MESSAGE_VALUE }, { $$type: 'SetModelOffer', queryId: 0n, modelId: modelIdOf(name), offer: { $$type: 'ModelOffer', ...OFFER } });
    }
    await provider.send(providerOwner, { value: MESSAGE_VALUE }, { $$type: 'SetRunnerUrl', queryId: 0n, url: runnerUrl });

    const deployed = open(client, Provider.fromAddress(providerAddress));
    if (!(await deployed.getOffer(MODEL_ID))) throw new Error('the model offer was not approved');
    if ((await deployed.getRunnerUrl()) !== runnerUrl) throw new Error('the runner URL was not published');
    return { registry: registryContract, provider: Provider.fromAddress(providerAddress), params, owner, providerOwner, treasury, runner: server, runnerUrl, attestation, registerRunner, enclaveKeys: runner.ctx.keys };
}
