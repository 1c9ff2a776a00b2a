/**
 * Provider discovery from the chain alone: the Registry deploys every Provider (DeployProvider), so
 * its transaction history lists them; each Provider's getters give offers, stake, enclaves and the
 * reputation counters. Nothing here trusts an off-chain directory.
 */
import { Address, Cell, Transaction } from '@ton/core';
import type { Enclave, ModelOffer } from '../wrappers/Provider';
import { Chain, chainTime, openProvider, openRegistry } from './chain';
import { reputationOf } from './reputation';
import { checkRunnerUrl } from '../protocol/runnerUrl';
import type { EnclaveInfo, ModelListingInfo, NetworkSnapshot, OfferInfo, ProviderInfo } from './types';

export const OP_DEPLOY_PROVIDER = 0x5200000b;
const PAGE = 100;

function opOf(body: Cell | undefined): number | null {
    if (!body) return null;
    const s = body.beginParse();
    return s.remainingBits >= 32 ? s.preloadUint(32) : null;
}

function computeSucceeded(tx: Transaction): boolean {
    const d = tx.description;
    return d.type === 'generic' && d.computePhase.type === 'vm' && d.computePhase.success && !d.aborted;
}

/** Provider addresses a successful DeployProvider transaction of the Registry created. */
export function deployedProviders(tx: Transaction): Address[] {
    if (tx.inMessage?.info.type !== 'internal' || opOf(tx.inMessage.body) !== OP_DEPLOY_PROVIDER || !computeSucceeded(tx)) return [];
    const out: Address[] = [];
    for (const m of tx.outMessages.values()) if (m.info.type === 'internal' && m.init) out.push(m.info.dest);
    return out;
}

/**
 * Remembers the Provider addresses seen in the Registry's history and reads only the transactions
 * newer than the last scan on each refresh.
 */
export class ProviderDirectory {
    private readonly known = new Map<string, Address>();
    private scannedLt = 0n;

    constructor(private readonly client: Chain, readonly registry: Address, extra: Address[] = []) {
        for (const a of extra) this.known.set(a.toRawString(), a);
    }

    async addresses(): Promise<Address[]> {
        let cursor: { lt: string; hash: string } | undefined;
        let newest = this.scannedLt;
        for (;;) {
            const page = await this.client.getTransactions(this.registry, {
                limit: PAGE,
                ...(cursor ?? {}),
                to_lt: this.scannedLt > 0n ? this.scannedLt.toString() : undefined,
                archival: true,
            });
            const fresh = cursor ? page.slice(1) : page; // a page starts at the cursor, inclusive
            for (const tx of fresh) {
                if (tx.lt > newest) newest = tx.lt;
                for (const a of deployedProviders(tx)) this.known.set(a.toRawString(), a);
            }
            if (page.length < PAGE) break;
            const last = page[page.length - 1];
            cursor = { lt: last.lt.toString(), hash: last.hash().toString('base64') };
        }
        this.scannedLt = newest;
        return [...this.known.values()];
    }
}

function offersOf(dict: Map<bigint, ModelOffer> | { keys(): bigint[]; get(k: bigint): ModelOffer | undefined }): OfferInfo[] {
    const out: OfferInfo[] = [];
    for (const modelId of dict.keys()) {
        const o = dict.get(modelId)!;
        out.push({ modelId, pricePerMillionIn: o.pricePerMillionIn, pricePerMillionOut: o.pricePerMillionOut, maxContext: Number(o.maxContext) });
    }
    return out;
}

/**
 * Whether an enclave key may be used at `now`, given the Registry's active images and verifiers.
 * A removed verifier's keys are revoked on the Provider only once someone reports the removal;
 * a client does not wait for that report.
 */
export function enclaveInfo(enclaveKey: bigint, e: Enclave, now: number, imageActive: (hash: bigint) => boolean, verifierActive: (key: bigint) => boolean): EnclaveInfo {
    const imageAllowed = imageActive(e.imageHash);
    const verifierAllowed = verifierActive(e.verifierKey);
    const validUntil = Number(e.validUntil);
    const unusable = e.revoked ? 'revoked' : now >= validUntil ? 'expired' : !imageAllowed ? 'image_not_allowed' : !verifierAllowed ? 'verifier_not_allowed' : null;
    return { enclaveKey, encryptionKey: e.encryptionKey, imageHash: e.imageHash, verifierKey: e.verifierKey, validUntil, revoked: e.revoked, imageAllowed, verifierAllowed, unusable };
}

export interface RegistryView {
    globalId: number;
    params: NetworkSnapshot['params'];
    now: number;
    models: ModelListingInfo[];
    imageActive: (hash: bigint) => boolean;
    verifierActive: (key: bigint) => boolean;
}

export async function readRegistry(client: Chain, registry: Address): Promise<RegistryView> {
    const r = openRegistry(client, registry);
    const [now, globalId, params, models, images, verifiers] = await Promise.all([chainTime(client, registry), r.getGlobalId(), r.getParams(), r.getModels(), r.getImages(), r.getVerifiers()]);
    const listings: ModelListingInfo[] = models.keys().map((modelId) => {
        const m = models.get(modelId)!;
        const activatesAt = Number(m.activatesAt);
        return { modelId, name: m.name, activatesAt, active: now >= activatesAt };
    });
    const listed = (dict: { get(k: bigint): number | undefined }) => (k: bigint) => {
        const at = dict.get(k);
        return at !== undefined && now >= Number(at);
    };
    return { globalId: Number(globalId), params, now, models: listings, imageActive: listed(images), verifierActive: listed(verifiers) };
}

/** Reads one Provider; `now`, `imageActive` and `verifierActive` come from the Registry snapshot taken with it. */
export async function readProvider(client: Chain, address: Address, view: Pick<RegistryView, 'now' | 'imageActive' | 'verifierActive'>): Promise<ProviderInfo> {
    const p = openProvider(client, address);
    const [owner, globalId, ledger, enclaves, offers, params, syncedAt, paramsStaleAt, published] = await Promise.all([
        p.getOwner(), p.getGlobalId(), p.getLedger(), p.getEnclaves(), p.getOffers(), p.getParams(), p.getSyncedAt(), p.getParamsStaleAt(), p.getRunnerUrl(),
    ]);
    const runner = published === null ? null : checkRunnerUrl(published);
    const enclaveList = enclaves.keys().map((k) => enclaveInfo(k, enclaves.get(k)!, view.now, view.imageActive, view.verifierActive));
    const info: ProviderInfo = {
        address,
        owner,
        globalId: Number(globalId),
        stake: ledger.stake,
        openJobs: Number(ledger.openJobs),
        reputation: reputationOf(ledger),
        offers: offersOf(offers),
        enclaves: enclaveList,
        params,
        syncedAt: Number(syncedAt),
        paramsStaleAt: Number(paramsStaleAt),
        unavailable: null,
    };
    if (typeof runner === 'string') info.runnerUrl = runner;
    else if (runner) info.runnerUrlRefused = runner.message;
    info.unavailable = unavailableReason(info, view.now);
    return info;
}

/** Mirrors CreateJob's own refusals that do not depend on the job's terms. */
export function unavailableReason(p: ProviderInfo, now: number): string | null {
    if (!p.params) return 'never synced with the Registry';
    // The contract's own horizon: the governance delay after the sync, or sooner when a pending set activates.
    if (now >= p.paramsStaleAt) return 'parameter copy is stale (needs RequestSync)';
    if (p.stake < p.params.minStake) return `stake ${p.stake} below the minimum ${p.params.minStake}`;
    if (!p.enclaves.some((e) => e.unusable === null)) return 'no usable enclave key';
    return null;
}

/** The Registry and every Provider it deployed (plus `extra` addresses), read at one chain time. */
export async function snapshotNetwork(client: Chain, directory: ProviderDirectory): Promise<NetworkSnapshot> {
    const [view, addresses] = await Promise.all([readRegistry(client, directory.registry), directory.addresses()]);
    const providers = await Promise.all(addresses.map((a) => readProvider(client, a, view)));
    return { registry: directory.registry, globalId: view.globalId, params: view.params, now: view.now, models: view.models, providers };
}
