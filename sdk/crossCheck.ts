/**
 * The reads that decide whether an enclave may receive a prompt, made on every configured chain
 * endpoint and accepted only when they agree (issue 11 #10): the Registry's global id, that the
 * Provider is one this Registry deployed, the enclave record (keys, image, validity, revocation),
 * the Registry's listing of its image and of the verifier that vouched for it, and chain time.
 * Ordinary reads (discovery, prices, escrow, the job's transactions) use the first endpoint: a lie
 * there can deny or delay service, but the receipt and the result are checked against the keys
 * these reads accepted (docs/spec/sdk.md, "Several chain endpoints").
 */
import { Address } from '@ton/core';
import type { Enclave } from '../wrappers/Provider';
import type { AttestationTarget } from './attestation';
import { Chain, chainTime, endpointOf, openProvider, openRegistry } from './chain';
import { enclaveInfo } from './discovery';
import { AttestationError, ChainDisagreementError } from './errors';

/**
 * Honest endpoints trail the newest block by seconds; beyond this the answers are not about the
 * same chain state. A liar inside it can move "now" by at most this much, and the later answer is
 * taken, so it can make keys look expired early (denial) but not keep an expired key alive.
 */
export const CHAIN_TIME_TOLERANCE_S = 60;

/** Endpoints that must answer: all of them up to two, so one configured endpoint is taken at its word. */
export function quorum(n: number): number {
    return Math.min(2, n);
}

/**
 * `read` on every endpoint; the answer when every endpoint that answered gave the same one (by
 * `canonical`) and at least `quorum` answered. An endpoint that fails is not counted, so a liar
 * cannot win by staying silent: the others still have to agree among themselves.
 */
export async function agreed<T>(chains: readonly Chain[], what: string, read: (c: Chain) => Promise<T>): Promise<T> {
    const answers = await answered(chains, read);
    const first = canonical(answers[0].value);
    if (answers.some((a) => canonical(a.value) !== first)) {
        throw new ChainDisagreementError(what, answers.map((a) => ({ endpoint: a.endpoint, answer: canonical(a.value) })));
    }
    return answers[0].value;
}

/** Chain time: answers within CHAIN_TIME_TOLERANCE_S of each other, the latest of them. */
export async function agreedTime(chains: readonly Chain[], anyAddress: Address): Promise<number> {
    const answers = await answered(chains, (c) => chainTime(c, anyAddress));
    const times = answers.map((a) => a.value);
    if (Math.max(...times) - Math.min(...times) > CHAIN_TIME_TOLERANCE_S) {
        throw new ChainDisagreementError(`chain time (more than ${CHAIN_TIME_TOLERANCE_S} s apart)`, answers.map((a) => ({ endpoint: a.endpoint, answer: new Date(a.value * 1000).toISOString() })));
    }
    return Math.max(...times);
}

async function answered<T>(chains: readonly Chain[], read: (c: Chain) => Promise<T>): Promise<{ endpoint: string; value: T }[]> {
    if (chains.length === 0) throw new Error('no chain endpoint configured');
    const settled = await Promise.allSettled(chains.map(read));
    const answers = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [{ endpoint: endpointOf(chains[i]), value: s.value }] : []));
    if (answers.length < quorum(chains.length)) {
        // Fail closed with the endpoint's own error (network, 5xx): it is what the caller can act on.
        throw (settled.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
    }
    return answers;
}

/** A stable text for comparing answers: bigints in decimal, addresses raw, cells by hash, keys sorted. */
export function canonical(v: unknown): string {
    return JSON.stringify(v, (_k, x) => {
        if (typeof x === 'bigint') return `${x}n`;
        if (x instanceof Address) return x.toRawString();
        if (x && typeof x === 'object' && typeof (x as { hash?: unknown }).hash === 'function' && 'bits' in x) return `cell:${(x as { hash(): Buffer }).hash().toString('hex')}`;
        if (x && typeof x === 'object' && !Array.isArray(x)) return Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)));
        return x;
    }) ?? 'undefined';
}

/**
 * The attestation target for one enclave key, every part agreed by every endpoint. Throws
 * ChainDisagreementError, or AttestationError when the agreed state refuses the key.
 */
export async function readAttestationTarget(chains: readonly Chain[], registry: Address, provider: Address, enclaveKey: bigint): Promise<AttestationTarget> {
    const keyHex = enclaveKey.toString(16).padStart(64, '0');
    const [globalId, owner, record, now] = await Promise.all([
        agreed(chains, "the Registry's global id", async (c) => Number(await openRegistry(c, registry).getGlobalId())),
        agreed(chains, `the owner of Provider ${provider.toString()}`, (c) => openProvider(c, provider).getOwner()),
        agreed(chains, `enclave ${keyHex} on Provider ${provider.toString()}`, (c) => openProvider(c, provider).getEnclave(enclaveKey)),
        agreedTime(chains, registry),
    ]);
    if (!record) throw new AttestationError('unknown_key', `enclave key ${keyHex} is not registered on Provider ${provider.toString()}`);
    const r = (c: Chain) => openRegistry(c, registry);
    const [deployed, imageListing, verifierListing] = await Promise.all([
        agreed(chains, `the Provider address of owner ${owner.toString()}`, (c) => r(c).getProviderAddress(owner)),
        agreed(chains, `image ${hex(record.imageHash)} on the Registry's allow-list`, (c) => r(c).getImageListing(record.imageHash)),
        agreed(chains, `verifier ${hex(record.verifierKey)} on the Registry`, async (c) => (await r(c).getVerifiers()).get(record.verifierKey) ?? null),
    ]);
    // A contract the Registry did not deploy can claim any enclave record; its address proves its code.
    if (!deployed.equals(provider)) throw new AttestationError('unknown_provider', `${provider.toString()} is not a Provider this Registry deployed`);
    const active = (listing: bigint | number | null) => listing !== null && now >= Number(listing);
    return { globalId, provider, now, enclave: enclaveInfo(enclaveKey, record as Enclave, now, () => active(imageListing), () => active(verifierListing)) };
}

const hex = (v: bigint) => v.toString(16).padStart(64, '0');
