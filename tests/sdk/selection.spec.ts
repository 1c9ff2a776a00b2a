// Provider selection from a snapshot: what CreateJob would refuse is filtered out with a reason,
// the rest is ranked by worst-case price or by reputation.
import { Address, toNano } from '@ton/core';
import { randomBytes } from 'node:crypto';
import { defaultParams, modelIdOf } from '../../protocol/defaults';
import { AttestationError, chooseProvider, NoProviderError, priceOf, rankProviders, reputationScore } from '../../sdk';
import { firstVerified } from '../../sdk/selection';
import { enclaveInfo, unavailableReason } from '../../sdk/discovery';
import { reputationOf } from '../../sdk/reputation';
import type { NetworkSnapshot, ProviderInfo } from '../../sdk/types';

const NOW = 1_800_000_000;
const MODEL = 'cocoon-reference-v1';
const MODEL_ID = modelIdOf(MODEL);
const params = defaultParams(new Address(0, Buffer.alloc(32)));
const criteria = { model: MODEL, maxInputTokens: 100, maxOutputTokens: 200 };

function provider(o: { paramsStaleAt?: number; priceIn?: bigint; priceOut?: bigint; completed?: number; declined?: number; expired?: number; stake?: bigint; revoked?: boolean; validUntil?: number; imageAllowed?: boolean; verifierAllowed?: boolean; syncedAt?: number; maxContext?: number } = {}): ProviderInfo {
    const enclave = enclaveInfo(
        1n,
        { $$type: 'Enclave', encryptionKey: 2n, imageHash: 3n, validUntil: BigInt(o.validUntil ?? NOW + 86400), verifierKey: 4n, revoked: o.revoked ?? false, slashed: false },
        NOW,
        () => o.imageAllowed ?? true,
        () => o.verifierAllowed ?? true,
    );
    const p: ProviderInfo = {
        address: new Address(0, randomBytes(32)),
        owner: new Address(0, randomBytes(32)),
        globalId: -239,
        stake: o.stake ?? toNano('100'),
        openJobs: 0,
        reputation: reputationOf({ completed: BigInt(o.completed ?? 0), declined: BigInt(o.declined ?? 0), expired: BigInt(o.expired ?? 0), totalSlashed: 0n }),
        offers: [{ modelId: MODEL_ID, pricePerMillionIn: o.priceIn ?? toNano('1'), pricePerMillionOut: o.priceOut ?? toNano('4'), maxContext: o.maxContext ?? 8192 }],
        enclaves: [enclave],
        params,
        syncedAt: o.syncedAt ?? NOW - 10,
        paramsStaleAt: o.paramsStaleAt ?? (o.syncedAt ?? NOW - 10) + Number(params.governanceDelay),
        unavailable: null,
    };
    p.unavailable = unavailableReason(p, NOW);
    return p;
}

function snapshot(providers: ProviderInfo[], modelActive = true): NetworkSnapshot {
    return {
        registry: new Address(0, Buffer.alloc(32, 1)), globalId: -239, params, now: NOW,
        models: [{ modelId: MODEL_ID, name: MODEL, activatesAt: NOW - 1, active: modelActive }], providers,
    };
}

describe('sdk: provider selection', () => {
    it('prices a job at its limits, rounded up like the contract', () => {
        expect(priceOf(100, 200, toNano('1'), toNano('4'))).toBe(100n * 1000n + 200n * 4000n);
        expect(priceOf(1, 0, 1n, 0n)).toBe(1n);
    });

    it('scores a newcomer 0.5 and weighs an expiry twice a decline', () => {
        expect(reputationScore(0, 0, 0)).toBe(0.5);
        expect(reputationScore(10, 1, 0)).toBeGreaterThan(reputationScore(10, 0, 1));
    });

    it('picks the cheapest provider, reputation breaking ties', () => {
        const cheap = provider({ priceOut: toNano('2') });
        const dear = provider({ priceOut: toNano('8'), completed: 1000 });
        const cheapTrusted = provider({ priceOut: toNano('2'), completed: 50 });
        const choice = chooseProvider(snapshot([dear, cheap, cheapTrusted]), criteria, MODEL_ID);
        expect(choice.provider).toBe(cheapTrusted);
        expect(choice.priceCap).toBe(priceOf(100, 200, toNano('1'), toNano('2')));
    });

    it('prefers reputation when asked', () => {
        const cheap = provider({ priceOut: toNano('2') });
        const trusted = provider({ priceOut: toNano('8'), completed: 1000 });
        expect(chooseProvider(snapshot([cheap, trusted]), { ...criteria, prefer: 'reputation' }, MODEL_ID).provider).toBe(trusted);
    });

    it('leaves out what CreateJob would refuse, and keys whose verifier was removed, saying why', () => {
        const { ranked, rejected } = rankProviders(
            snapshot([
                provider({ stake: toNano('1') }),
                provider({ revoked: true }),
                provider({ validUntil: NOW - 1 }),
                provider({ imageAllowed: false }),
                provider({ verifierAllowed: false }),
                provider({ syncedAt: NOW - 2 * 86400 }),
                // Synced a minute ago, but a pending parameter set activated since: the contract's horizon decides.
                provider({ syncedAt: NOW - 60, paramsStaleAt: NOW - 1 }),
                provider({ maxContext: 250 }),
            ]),
            criteria,
            MODEL_ID,
        );
        expect(ranked).toHaveLength(0);
        expect(rejected.map((r) => r.reason)).toEqual([
            expect.stringMatching(/stake .* below the minimum/),
            'no usable enclave key',
            'no usable enclave key',
            'no usable enclave key',
            'no usable enclave key',
            'parameter copy is stale (needs RequestSync)',
            'parameter copy is stale (needs RequestSync)',
            'limits 100+200 exceed its context 250',
        ]);
    });

    it('applies the caller\'s price, reputation and attestation-validity limits', () => {
        const p = provider({ priceIn: toNano('3'), declined: 5, validUntil: NOW + 100 });
        const s = snapshot([p]);
        const reasons = (c: object) => rankProviders(s, { ...criteria, ...c }, MODEL_ID).rejected.map((r) => r.reason);
        expect(reasons({ maxPricePerMillionIn: toNano('2') })).toEqual(['input price above the limit']);
        expect(reasons({ minReputation: 0.5 })).toEqual([expect.stringMatching(/^reputation 0\.143 below 0\.5$/)]);
        expect(reasons({ validFor: 600 })).toEqual(['no enclave key valid for 600 s more']);
        expect(reasons({})).toEqual([]);
    });

    it('throws NoProviderError for a model that is not allow-listed, or that nobody can serve', () => {
        expect(() => chooseProvider(snapshot([provider()], false), criteria, MODEL_ID)).toThrow(NoProviderError);
        try {
            chooseProvider(snapshot([provider({ revoked: true })]), criteria, MODEL_ID);
            throw new Error('expected NoProviderError');
        } catch (e) {
            expect(e).toBeInstanceOf(NoProviderError);
            expect((e as NoProviderError).rejected).toEqual([{ provider: expect.any(String), reason: 'no usable enclave key' }]);
        }
    });
});

// The review: when the cheapest provider could not be verified, every request failed although an
// honest provider was available.
describe('sdk: falling back down the line when an attestation fails', () => {
    const ranked = () => rankProviders(snapshot([provider({ priceOut: toNano('1') }), provider({ priceOut: toNano('2') }), provider({ priceOut: toNano('3') })]), criteria, MODEL_ID).ranked;

    it('takes the next provider in line when the first cannot be verified', async () => {
        const line = ranked();
        const tried: string[] = [];
        const chosen = await firstVerified(line, async (c) => {
            tried.push(c.provider.address.toRawString());
            if (c === line[0]) throw new AttestationError('no_bundle', 'no runner URL');
        });
        expect(chosen).toBe(line[1]);
        expect(tried).toEqual([line[0], line[1]].map((c) => c.provider.address.toRawString()));
    });

    it('throws the first provider\'s refusal when none verifies, and stops at any other error', async () => {
        const line = ranked();
        const err = await firstVerified(line, async (c) => {
            throw new AttestationError(c === line[0] ? 'bad_quote' : 'no_bundle', 'nope');
        }).catch((e) => e);
        expect(err).toBeInstanceOf(AttestationError);
        expect((err as AttestationError).failure).toBe('bad_quote');
        let calls = 0;
        await expect(firstVerified(line, async () => {
            calls++;
            throw new Error('network down');
        })).rejects.toThrow('network down');
        expect(calls).toBe(1);
    });
});
