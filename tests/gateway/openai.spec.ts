// The gateway as the official `openai` npm client sees it: chat completions (whole and streamed),
// completions and the model list over real Cocoon jobs, and the OpenAI errors for a declined job,
// an unknown model, no provider and an empty wallet.
import { toNano } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import OpenAI, { APIError, NotFoundError } from 'openai';
import { countTokens } from '../../enclave/tokens';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { MnemonicSigner } from '../../sdk';
import type { Gateway } from '../../gateway/server';
import { offerUnservedModel, startWorld, UNSERVED_MODEL, World } from '../sdk/world';
import { gatewayFor } from './helpers';

describe('gateway: the openai client against Cocoon jobs', () => {
    let w: World;
    let gateway: Gateway;
    let openai: OpenAI;
    beforeAll(async () => {
        w = await startWorld();
        ({ gateway, openai } = await gatewayFor(w));
    });
    afterAll(async () => {
        await gateway.close();
        await w.stop();
    });

    it('serves on loopback under /v1', () => {
        expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    });

    it('lists the allow-listed models an available provider serves, with prices', async () => {
        const models = [];
        for await (const m of openai.models.list()) models.push(m);
        expect(models).toEqual([
            expect.objectContaining({
                id: REFERENCE_MODEL_NAME, object: 'model', owned_by: 'cocoon',
                cocoon: expect.objectContaining({ providers: 1, price_per_million_input_nanoton: toNano('1').toString(), price_per_million_output_nanoton: toNano('4').toString() }),
            }),
        ]);
        expect((await openai.models.retrieve(REFERENCE_MODEL_NAME)).id).toBe(REFERENCE_MODEL_NAME);
    });

    it('answers a chat completion with usage equal to the signed token counts', async () => {
        const r = await openai.chat.completions.create({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'hello from the openai client' }] });
        expect(r.object).toBe('chat.completion');
        expect(r.choices[0].message).toMatchObject({ role: 'assistant', content: 'client openai the from hello' });
        expect(r.usage).toEqual({
            prompt_tokens: countTokens('user: hello from the openai client'),
            completion_tokens: countTokens('client openai the from hello'),
            total_tokens: countTokens('user: hello from the openai client') + countTokens('client openai the from hello'),
        });
    });

    it('streams a chat completion as SSE chunks, with the usage chunk when asked', async () => {
        const stream = await openai.chat.completions.create({
            model: REFERENCE_MODEL_NAME, stream: true, stream_options: { include_usage: true },
            messages: [{ role: 'user', content: 'one two three four five six seven eight nine' }],
        });
        let text = '';
        const finish: (string | null)[] = [];
        let usage: OpenAI.CompletionUsage | undefined;
        let chunks = 0;
        for await (const chunk of stream) {
            chunks++;
            expect(chunk.object).toBe('chat.completion.chunk');
            for (const c of chunk.choices) {
                text += c.delta.content ?? '';
                if (c.finish_reason) finish.push(c.finish_reason);
            }
            if (chunk.usage) usage = chunk.usage;
        }
        expect(text).toBe('nine eight seven six five four three two one');
        expect(chunks).toBeGreaterThan(3);
        expect(finish).toEqual(['stop']);
        expect(usage).toMatchObject({ completion_tokens: countTokens(text) });
    });

    it('answers a text completion, cut at max_tokens', async () => {
        const r = await openai.completions.create({ model: REFERENCE_MODEL_NAME, prompt: 'alpha beta gamma delta', max_tokens: 2 });
        expect(r.choices[0]).toMatchObject({ text: 'delta gamma', finish_reason: 'length' });
        expect(r.usage?.completion_tokens).toBe(2);
    });

    it('answers 404 model_not_found for a model that is not listed, before any job', async () => {
        const err = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
        expect(err).toBeInstanceOf(NotFoundError);
        expect(err).toMatchObject({ status: 404, code: 'model_not_found', type: 'invalid_request_error', param: 'model' });
    });

    it('answers 400 for a malformed request', async () => {
        const err = await openai.chat.completions.create({ model: REFERENCE_MODEL_NAME, messages: [] }).catch((e) => e);
        expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'messages' });
    });

    it('answers 503 no_provider when no provider fits the gateway\'s price limit', async () => {
        const logged: Record<string, unknown>[] = [];
        const cheap = await gatewayFor(w, { jobOptions: { maxPricePerMillionOut: 1n }, log: (e) => logged.push(e) });
        try {
            const err = await cheap.openai.chat.completions.create({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'hi' }] }, { maxRetries: 0 }).catch((e) => e);
            expect(err).toBeInstanceOf(APIError);
            expect(err).toMatchObject({ status: 503, code: 'no_provider' });
            // Issue 12: the operator's log says why, not just the code.
            expect(logged).toContainEqual(expect.objectContaining({ status: 503, code: 'no_provider', cause: expect.stringMatching(/^NoProviderError: .+/) }));
        } finally {
            await cheap.gateway.close();
        }
    });

    it('answers 402 insufficient_quota when the gateway\'s wallet cannot pay, sending nothing', async () => {
        const poor = await MnemonicSigner.fromMnemonic(w.demo.client, await mnemonicNew(), { now: w.demo.clock.now });
        await w.demo.devnet.faucet(poor.address, toNano('0.001'));
        const broke = await gatewayFor(w, { sdk: w.newSdk({ signer: poor }) });
        try {
            const err = await broke.openai.chat.completions.create({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
            expect(err).toMatchObject({ status: 402, code: 'insufficient_quota', type: 'insufficient_quota' });
            expect(await w.demo.client.getBalance(poor.address)).toBe(toNano('0.001'));
        } finally {
            await broke.gateway.close();
        }
    });

    it('answers 502 job_declined when the enclave declines, after the refund arrived', async () => {
        await offerUnservedModel(w);
        const fresh = await gatewayFor(w);
        try {
            const err = await fresh.openai.chat.completions.create({ model: UNSERVED_MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
            expect(err).toBeInstanceOf(APIError);
            expect(err).toMatchObject({ status: 502, code: 'job_declined', type: 'api_error' });
            expect(err.message).toMatch(/ModelUnknown.*refund \d+ nanotons/);
        } finally {
            await fresh.gateway.close();
        }
    });
});
