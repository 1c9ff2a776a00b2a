/**
 * The openai backend against a local OpenAI-compatible server: non-streaming and streaming, chat
 * and completions; the receipt bills the smaller of the upstream's usage and the runner's own
 * count; failures, hangs and redirects decline.
 */
import { DeclineReason } from '../../protocol/signed';
import { openAiBackend } from '../../enclave/backends/openai';
import { handleJob } from '../../enclave/handleJob';
import { parseJobInput } from '../../enclave/jobInput';
import { countTokens } from '../../enclave/tokens';
import { context, expectDecline, openReceipt, sealedJob } from './helpers';
import { FakeUpstream, startFakeUpstream } from './fakeUpstream';

const MODELS = ['up-model', 'fail-model', 'hang-model', 'inflate-model', 'redirect-model'].map((name) => ({ name, backend: 'openai' as const, maxContext: 4096 }));
let upstream: FakeUpstream;
let outside: FakeUpstream; // stands for a host outside the VM: it must never receive a request

beforeAll(async () => {
    outside = await startFakeUpstream();
    upstream = await startFakeUpstream({ redirectTo: outside.baseUrl.replace(/\/v1$/, '') });
});
afterAll(() => Promise.all([upstream.close(), outside.close()]));

function ctxFor(stream: boolean, jobTimeoutMs = 5000) {
    return context({ extraModels: MODELS, openai: openAiBackend({ baseUrl: upstream.baseUrl, stream }), jobTimeoutMs });
}

describe.each([false, true])('openai backend (stream=%s)', (stream) => {
    it('answers a chat request with the upstream reply and usage in the receipt', async () => {
        const ctx = ctxFor(stream);
        const job = sealedJob(ctx.keys, { model: 'up-model', maxOutputTokens: 64, body: { model: 'up-model', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] } });
        const outcome = await handleJob(ctx, parseJobInput(job.json));
        const response = openReceipt(ctx.keys, job, outcome);
        expect(response.object).toBe('chat.completion');
        expect(response.choices[0].message).toEqual({ role: 'assistant', content: 'Hello from upstream' });
        // The upstream claims 11 prompt tokens (its chat template); the runner's own count of the text is smaller and wins.
        const ownInput = countTokens('user: hi');
        expect(ownInput).toBeLessThan(11);
        expect(response.usage).toEqual({ prompt_tokens: ownInput, completion_tokens: 3, total_tokens: ownInput + 3 });
        expect(outcome.kind === 'receipt' && [outcome.inputTokens, outcome.outputTokens]).toEqual([ownInput, 3]);
        const sent = upstream.requests[upstream.requests.length - 1];
        expect(sent.max_tokens).toBe(64); // clamped to the job before leaving the enclave
        expect(sent.stream).toBe(stream);
        if (stream) expect(sent.stream_options).toEqual({ include_usage: true });
    });

    it('answers a completions request', async () => {
        const ctx = ctxFor(stream);
        const job = sealedJob(ctx.keys, { model: 'up-model', body: { model: 'up-model', prompt: 'say hello' } });
        const response = openReceipt(ctx.keys, job, await handleJob(ctx, parseJobInput(job.json)));
        expect(response.object).toBe('text_completion');
        expect(response.choices[0].text).toBe('Hello from upstream');
    });

    // Issue 11 finding 4: the upstream's usage decided the bill (256 output tokens billed for "ok").
    it('bills at most its own token count when the upstream inflates usage', async () => {
        const ctx = ctxFor(stream);
        const job = sealedJob(ctx.keys, { model: 'inflate-model', maxOutputTokens: 500, body: { model: 'inflate-model', messages: [{ role: 'user', content: 'hi' }] } });
        const outcome = await handleJob(ctx, parseJobInput(job.json));
        const response = openReceipt(ctx.keys, job, outcome);
        const own = [countTokens('user: hi'), countTokens('Hello from upstream')];
        expect(outcome.kind === 'receipt' && [outcome.inputTokens, outcome.outputTokens]).toEqual(stream ? [own[0], 3] : own);
        expect(response.usage.completion_tokens).toBe(3);
    });

    it('clamps max_completion_tokens too: engines that prefer it cannot be asked for more than escrow pays', async () => {
        const ctx = ctxFor(stream);
        const job = sealedJob(ctx.keys, { model: 'up-model', maxOutputTokens: 32, body: { model: 'up-model', max_completion_tokens: 4000, messages: [{ role: 'user', content: 'hi' }] } });
        openReceipt(ctx.keys, job, await handleJob(ctx, parseJobInput(job.json)));
        const sent = upstream.requests[upstream.requests.length - 1];
        expect([sent.max_tokens, sent.max_completion_tokens]).toEqual([32, 32]);
    });

    it('does not follow an engine redirect: the decrypted request never leaves for another host', async () => {
        const ctx = ctxFor(stream);
        const before = outside.requests.length;
        const job = sealedJob(ctx.keys, { model: 'redirect-model', body: { model: 'redirect-model', prompt: 'card 4111 1111 1111 1111' } });
        expectDecline(ctx.keys, job, await handleJob(ctx, parseJobInput(job.json)), DeclineReason.BackendFailure);
        expect(outside.requests.length).toBe(before);
    });

    it('declines with BackendFailure when the upstream answers 500', async () => {
        const ctx = ctxFor(stream);
        const job = sealedJob(ctx.keys, { model: 'fail-model', body: { model: 'fail-model', prompt: 'x' } });
        expectDecline(ctx.keys, job, await handleJob(ctx, parseJobInput(job.json)), DeclineReason.BackendFailure);
    });

    it('declines with BackendFailure when the upstream hangs past the job timeout', async () => {
        const ctx = ctxFor(stream, 200);
        const job = sealedJob(ctx.keys, { model: 'hang-model', body: { model: 'hang-model', prompt: 'x' } });
        expectDecline(ctx.keys, job, await handleJob(ctx, parseJobInput(job.json)), DeclineReason.BackendFailure);
    });
});

it('declines with BackendFailure when the upstream is unreachable', async () => {
    const ctx = context({ extraModels: MODELS, openai: openAiBackend({ baseUrl: 'http://127.0.0.1:1/v1' }) });
    const job = sealedJob(ctx.keys, { model: 'up-model', body: { model: 'up-model', prompt: 'x' } });
    expectDecline(ctx.keys, job, await handleJob(ctx, parseJobInput(job.json)), DeclineReason.BackendFailure);
});
