/**
 * Choosing a provider for a job: filter by what CreateJob would refuse and by the caller's limits,
 * then rank by cost at the job's token limits or by reputation (docs/spec/sdk.md, "Selection").
 */
import { Address } from '@ton/core';
import { AttestationError, NoProviderError } from './errors';
import type { EnclaveInfo, NetworkSnapshot, OfferInfo, ProviderInfo } from './types';
import { priceOf } from '../protocol/voucher';

export interface SelectionCriteria {
    /** Model name as allow-listed on the Registry (its id is SHA-256 of the name). */
    model: string;
    maxInputTokens: number;
    maxOutputTokens: number;
    /** Refuse offers above these prices (nanotons per million tokens). */
    maxPricePerMillionIn?: bigint;
    maxPricePerMillionOut?: bigint;
    /** Refuse providers whose reputation score is below this (0..1). */
    minReputation?: number;
    /** Refuse providers with less stake than this, beyond the Registry's minimum. */
    minStake?: bigint;
    /** Seconds an enclave attestation must stay valid after now (the job's ttl is a sensible value). */
    validFor?: number;
    /** 'price' (default): cheapest worst-case cost first, reputation breaks ties. 'reputation': the reverse. */
    prefer?: 'price' | 'reputation';
    /** Only these providers (raw or friendly address strings). */
    only?: string[];
}

export interface Choice {
    provider: ProviderInfo;
    offer: OfferInfo;
    enclave: EnclaveInfo;
    /** Worst-case price at the limits, rounded up as the contract does (nanotons). */
    priceCap: bigint;
}

export { priceOf };

function sameAddress(p: ProviderInfo, s: string): boolean {
    try {
        return p.address.equals(Address.parse(s));
    } catch {
        return false;
    }
}

/** Every candidate with the reason it was left out, or its choice. */
export function rankProviders(snapshot: NetworkSnapshot, c: SelectionCriteria, modelId: bigint): { ranked: Choice[]; rejected: { provider: string; reason: string }[] } {
    const ranked: Choice[] = [];
    const rejected: { provider: string; reason: string }[] = [];
    const now = snapshot.now;
    for (const p of snapshot.providers) {
        const reject = (reason: string) => rejected.push({ provider: p.address.toString(), reason });
        if (c.only && !c.only.some((s) => sameAddress(p, s))) continue;
        if (p.globalId !== snapshot.globalId) { reject('belongs to another network'); continue; }
        if (p.unavailable) { reject(p.unavailable); continue; }
        const offer = p.offers.find((o) => o.modelId === modelId);
        if (!offer) { reject('does not offer the model'); continue; }
        if (c.maxInputTokens < 1 || c.maxOutputTokens < 1 || c.maxInputTokens + c.maxOutputTokens > offer.maxContext) {
            reject(`limits ${c.maxInputTokens}+${c.maxOutputTokens} exceed its context ${offer.maxContext}`);
            continue;
        }
        if (c.maxPricePerMillionIn !== undefined && offer.pricePerMillionIn > c.maxPricePerMillionIn) { reject('input price above the limit'); continue; }
        if (c.maxPricePerMillionOut !== undefined && offer.pricePerMillionOut > c.maxPricePerMillionOut) { reject('output price above the limit'); continue; }
        if (c.minReputation !== undefined && p.reputation.score < c.minReputation) { reject(`reputation ${p.reputation.score.toFixed(3)} below ${c.minReputation}`); continue; }
        if (c.minStake !== undefined && p.stake < c.minStake) { reject('stake below the requested minimum'); continue; }
        const validFor = c.validFor ?? 0;
        const enclave = p.enclaves
            .filter((e) => e.unusable === null && e.validUntil > now + validFor)
            .sort((a, b) => b.validUntil - a.validUntil)[0];
        if (!enclave) { reject(`no enclave key valid for ${validFor} s more`); continue; }
        ranked.push({ provider: p, offer, enclave, priceCap: priceOf(c.maxInputTokens, c.maxOutputTokens, offer.pricePerMillionIn, offer.pricePerMillionOut) });
    }
    const byPrice = (a: Choice, b: Choice) => (a.priceCap < b.priceCap ? -1 : a.priceCap > b.priceCap ? 1 : 0);
    const byReputation = (a: Choice, b: Choice) => b.provider.reputation.score - a.provider.reputation.score;
    ranked.sort((a, b) => (c.prefer === 'reputation' ? byReputation(a, b) || byPrice(a, b) : byPrice(a, b) || byReputation(a, b)));
    return { ranked, rejected };
}

/** The best candidate; NoProviderError (with every rejection reason) when there is none. */
export function chooseProvider(snapshot: NetworkSnapshot, c: SelectionCriteria, modelId: bigint): Choice {
    const listing = snapshot.models.find((m) => m.modelId === modelId);
    if (!listing || !listing.active) throw new NoProviderError(c.model, [{ provider: 'registry', reason: 'model is not allow-listed' }]);
    const { ranked, rejected } = rankProviders(snapshot, c, modelId);
    if (!ranked.length) throw new NoProviderError(c.model, rejected);
    return ranked[0];
}

/**
 * The first provider in line whose attestation `verify` accepts. A provider that cannot be verified
 * (no runner URL, a quote that does not verify, an image no longer allowed) is skipped for the next
 * one: the review saw every request fail while an honest provider was available. Throws the first
 * provider's AttestationError when none can be verified; any other error ends the search.
 */
export async function firstVerified<C extends Choice>(ranked: C[], verify: (c: C) => Promise<C | void>): Promise<C> {
    let first: AttestationError | undefined;
    for (const choice of ranked) {
        try {
            return (await verify(choice)) ?? choice; // the verified copy, when verify re-read it
        } catch (e) {
            if (!(e instanceof AttestationError)) throw e;
            first ??= e;
        }
    }
    throw first ?? new AttestationError('no_bundle', 'no provider to verify');
}
