// The SDK against a whole local network (demo: devnet, Registry, Provider, attested dev-quote
// runner, relayer): discovery, a settled chat and completion with signed usage, a declined job,
// and the refusals that send nothing (attestation, balance) or catch a lying RPC (bad receipt).
import { Address, beginCell, toNano, Transaction } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { TonClient } from '@ton/ton';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { devEnclaveMeasurement } from '../../attestation/devQuote';
import { countTokens } from '../../enclave/tokens';
import { bigintFromBytes, DeclineReason } from '../../protocol/signed';
import { modelIdOf, REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { loadSubmitResult, storeSubmitResult } from '../../wrappers/Provider';
import {
    AttestationError, AttestationPolicy, BadReceiptSignatureError, InsufficientBalanceError, JobDeclinedError, MnemonicSigner,
} from '../../sdk';
import { DEV_GLOBAL_ID } from '../../protocol/networks';
import { openProvider } from '../../sdk/chain';
import { OP } from '../../sdk/events';
import { offerUnservedModel, startWorld, UNSERVED_MODEL, World } from './world';

const chat = (content: string) => ({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content }] });

describe('sdk: jobs on a local network', () => {
    let w: World;
    beforeAll(async () => {
        w = await startWorld();
    });
    afterAll(() => w.stop());

    it('discovers the provider from the Registry with its offer, stake, enclave and counters', async () => {
        const s = await w.sdk.snapshot(true);
        expect(s.globalId).toBe(DEV_GLOBAL_ID);
        expect(s.models).toEqual([expect.objectContaining({ name: REFERENCE_MODEL_NAME, modelId: modelIdOf(REFERENCE_MODEL_NAME), active: true })]);
        expect(s.providers).toHaveLength(1);
        const p = s.providers[0];
        expect(p.address.equals(w.provider)).toBe(true);
        expect(p.unavailable).toBeNull();
        expect(p.stake).toBeGreaterThan(toNano('99.99')); // 100 TON less the AddStake gas
        expect(p.stake).toBeLessThan(toNano('100'));
        expect(p.offers).toEqual([{ modelId: modelIdOf(REFERENCE_MODEL_NAME), pricePerMillionIn: toNano('1'), pricePerMillionOut: toNano('4'), maxContext: 8192 }]);
        expect(p.enclaves).toHaveLength(1);
        expect(p.enclaves[0]).toMatchObject({ imageHash: bigintFromBytes(devEnclaveMeasurement(w.demo.protocol.attestation.runtime)), revoked: false, imageAllowed: true, unusable: null });
        expect(p.enclaves[0].validUntil).toBeGreaterThan(s.now);
        expect(p.runnerUrl).toBe(w.runnerUrl); // published by the demo's SetRunnerUrl
        expect(await w.sdk.models()).toEqual([expect.objectContaining({ name: REFERENCE_MODEL_NAME, providers: 1, pricePerMillionIn: toNano('1'), pricePerMillionOut: toNano('4') })]);
    });

    it('runs a chat completion: verified, decrypted, usage equal to the signed counts, reputation up', async () => {
        const before = (await w.sdk.snapshot(true)).providers[0].reputation.completed;
        const stages: string[] = [];
        const r = await w.sdk.run(chat('the quick brown fox'), { onProgress: (s) => stages.push(s) });
        expect(stages).toEqual(['selected', 'attested', 'sent', 'created', 'ended']);
        expect(r.response).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'fox brown quick the' } }] });
        const input = countTokens('user: the quick brown fox');
        expect(r.usage).toEqual({ inputTokens: input, outputTokens: countTokens('fox brown quick the') });
        expect(r.response.usage).toEqual({ prompt_tokens: r.usage.inputTokens, completion_tokens: r.usage.outputTokens, total_tokens: r.usage.inputTokens + r.usage.outputTokens });
        expect(r.price).toBe((BigInt(r.usage.inputTokens) * toNano('1') + BigInt(r.usage.outputTokens) * toNano('4') + 999_999n) / 1_000_000n);
        expect(r.refund).toBeLessThan(r.escrow);
        expect((await w.sdk.snapshot(true)).providers[0].reputation.completed).toBe(before + 1);
    });

    it('finds the runner at the URL the Provider publishes: a job runs with no runner map given', async () => {
        const sdk = w.newSdk({ attestation: { trustAnchorPem: w.devRootPem } });
        const r = await sdk.run(chat('no map needed'));
        expect(r.response).toMatchObject({ choices: [{ message: { content: 'needed map no' } }] });
        expect(r.provider.equals(w.provider)).toBe(true);
    });

    it('runs a text completion', async () => {
        const r = await w.sdk.run({ model: REFERENCE_MODEL_NAME, prompt: 'one two three', max_tokens: 2 });
        expect(r.response).toMatchObject({ object: 'text_completion', choices: [{ text: 'three two', finish_reason: 'length' }] });
        expect(r.usage.outputTokens).toBe(2);
    });

    it('runs concurrent jobs from one wallet (sends batched under one seqno)', async () => {
        const results = await Promise.all(['a b', 'c d', 'e f', 'g h'].map((t) => w.sdk.run(chat(t))));
        expect(results.map((r) => (r.response.choices as { message: { content: string } }[])[0].message.content)).toEqual(['b a', 'd c', 'f e', 'h g']);
        expect(new Set(results.map((r) => r.jobId)).size).toBe(4);
    });

    it('refuses a runner whose attestation bundle is for other keys, sending nothing', async () => {
        const attestation = w.demo.protocol.attestation;
        const fake = createServer((_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ ...attestation, enclaveX25519: '11'.repeat(32) }));
        });
        await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
        const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
        try {
            const sdk = w.newSdk({ attestation: { trustAnchorPem: w.devRootPem, runnerUrl: () => url } });
            const next = (await openProvider(w.demo.client, w.provider).getLedger()).nextJobId;
            const seqno = await w.demo.client.open(w.signer['wallet']).getSeqno();
            await expect(sdk.run(chat('secret'))).rejects.toMatchObject({ constructor: AttestationError, failure: 'key_mismatch' });
            expect((await openProvider(w.demo.client, w.provider).getLedger()).nextJobId).toBe(next);
            expect(await w.demo.client.open(w.signer['wallet']).getSeqno()).toBe(seqno);
        } finally {
            fake.close();
        }
    });

    it('cannot be told to skip the quote: an enclave nobody verified gets nothing (issue 11 #9)', async () => {
        // Before the fix, `verifyQuote: false` with no trust root and no runner URL sent this canary (commit 1f616a4).
        expect(() => w.newSdk({ attestation: { verifyQuote: false } as AttestationPolicy })).toThrow(/can no longer be switched off/);
        // No trust root passed: the runner's URL is published on chain, its dev quote is fetched and refused.
        const sdk = w.newSdk({ attestation: {} });
        const next = (await openProvider(w.demo.client, w.provider).getLedger()).nextJobId;
        const seqno = await w.demo.client.open(w.signer['wallet']).getSeqno();
        await expect(sdk.run(chat('canary-issue-11-9'))).rejects.toMatchObject({ constructor: AttestationError, failure: 'bad_quote' });
        expect((await openProvider(w.demo.client, w.provider).getLedger()).nextJobId).toBe(next);
        expect(await w.demo.client.open(w.signer['wallet']).getSeqno()).toBe(seqno);
    });

    it('refuses to pay from a wallet that cannot cover the escrow, sending nothing', async () => {
        const poor = await MnemonicSigner.fromMnemonic(w.demo.client, await mnemonicNew(), { now: w.demo.clock.now });
        await w.demo.devnet.faucet(poor.address, toNano('0.001'));
        const err = await w.newSdk({ signer: poor }).run(chat('hello')).catch((e) => e);
        expect(err).toBeInstanceOf(InsufficientBalanceError);
        expect((err as InsufficientBalanceError).available).toBe(toNano('0.001'));
        expect(await w.demo.client.getBalance(poor.address)).toBe(toNano('0.001'));
    });

    it('catches an RPC endpoint that alters the receipt signature', async () => {
        const lying = new Proxy(w.demo.client, {
            get(target, prop, receiver) {
                if (prop !== 'getTransactions') return Reflect.get(target, prop, receiver);
                return async (...args: Parameters<TonClient['getTransactions']>) => (await target.getTransactions(...args)).map(tamper);
            },
        });
        await expect(w.newSdk({ client: lying }).run(chat('tamper with me'))).rejects.toBeInstanceOf(BadReceiptSignatureError);
    });

    it('reports a declined job with its reason and refund', async () => {
        await offerUnservedModel(w);
        const err = await w.newSdk().run({ model: UNSERVED_MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
        expect(err).toBeInstanceOf(JobDeclinedError);
        expect((err as JobDeclinedError).reason).toBe(DeclineReason.ModelUnknown);
        expect((err as JobDeclinedError).refund).toBeGreaterThan(0n);
        expect((err as JobDeclinedError).refund).toBeLessThan((err as JobDeclinedError).escrow!);
    });
});

/** The transaction as a lying endpoint would serve it: SubmitResult with one signature bit flipped. */
function tamper(tx: Transaction): Transaction {
    const body = tx.inMessage?.body;
    if (!body || body.beginParse().remainingBits < 32 || body.beginParse().preloadUint(32) !== OP.SubmitResult) return tx;
    const msg = loadSubmitResult(body.beginParse());
    const signature = Buffer.from(msg.signature);
    signature[10] ^= 1;
    const forged = beginCell().store(storeSubmitResult({ ...msg, signature })).endCell();
    return { ...tx, inMessage: { ...tx.inMessage!, body: forged } };
}

export type { Address };
