/** Plain data the SDK reads from the Registry and Provider contracts (docs/spec/sdk.md, "Discovery"). */
import type { Address } from '@ton/core';
import type { Params } from '../wrappers/Registry';

/** An allow-listed model as the Registry lists it. */
export interface ModelListingInfo {
    modelId: bigint;
    name: string;
    activatesAt: number;
    active: boolean; // listing in effect at the chain's current time
}

/** A provider's price for one model: nanotons per million tokens, and the context it accepts. */
export interface OfferInfo {
    modelId: bigint;
    pricePerMillionIn: bigint;
    pricePerMillionOut: bigint;
    maxContext: number;
}

/** A registered enclave key as the Provider stores it, with whether a client may use it now. */
export interface EnclaveInfo {
    enclaveKey: bigint; // Ed25519 key that signs receipts
    encryptionKey: bigint; // X25519 key requests are sealed to
    imageHash: bigint;
    verifierKey: bigint; // the verifier whose certificate registered the key
    validUntil: number;
    revoked: boolean;
    imageAllowed: boolean; // image hash active on the Registry's allow-list
    verifierAllowed: boolean; // that verifier still active on the Registry
    /** Why the key must not be used, or null when it may. */
    unusable: 'revoked' | 'expired' | 'image_not_allowed' | 'verifier_not_allowed' | null;
}

/** The Provider's reputation counters: they only move together with money (settled, declined, expired, slashed). */
export interface Reputation {
    completed: number;
    declined: number;
    expired: number;
    totalSlashed: bigint;
    /** (completed + 1) / (completed + declined + 2·expired + 2): 0.5 for a newcomer, → 1 with clean history. */
    score: number;
}

export interface ProviderInfo {
    address: Address;
    owner: Address;
    globalId: number;
    stake: bigint;
    openJobs: number;
    reputation: Reputation;
    offers: OfferInfo[];
    enclaves: EnclaveInfo[];
    params: Params | null; // the Provider's effective copy of the Registry parameters
    syncedAt: number;
    /** From then on the Provider refuses jobs until someone sends RequestSync (getter `paramsStaleAt`). */
    paramsStaleAt: number;
    /** The runner's base URL the Provider publishes on chain (getter `runnerUrl`), if it passed protocol/runnerUrl.ts; untrusted: attestation decides. */
    runnerUrl?: string;
    /** Why a published runner URL was refused (not http(s), credentials, query...), when it was. */
    runnerUrlRefused?: string;
    /** Why no job can be opened here now (stale parameters, stake below minimum, no usable enclave), or null. */
    unavailable: string | null;
}

/** A snapshot of the network: the Registry's state and every Provider it deployed, at chain time `now`. */
export interface NetworkSnapshot {
    registry: Address;
    globalId: number;
    params: Params;
    now: number;
    models: ModelListingInfo[];
    providers: ProviderInfo[];
}
