/**
 * handleJob with the reference engine: signed receipts whose result only the client can open,
 * and a signed decline for every way a job can fail.
 */
import { DeclineReason } from '../../protocol/signed';
import { generateX25519KeyPair } from '../../crypto';
import { handleJob } from '../../enclave/handleJob';
import { parseJobInput } from '../../enclave/jobInput';
import { REFERENCE_MODEL_NAME, referenceModelId, modelIdFor } from '../../enclave/models';
import { countTokens } from '../../enclave/tokens';
import type { InferenceBackend } from '../../enclave/backends/backend';
import { context, expectDecline, openReceipt, randomHex32, sealedJob } from './helpers';

const run = (ctx: ReturnType<typeof context>, job: ReturnType<typeof sealedJob>) => handleJob(ctx, parseJobInput(job.json));

describe('handleJob: receipts', () => {
    it('the reference model id is SHA-256 of "cocoon-reference-v1"', () => {
        expect(referenceModelId().toString('hex')).toBe(modelIdFor('cocoon-reference-v1').toString('hex'));
        expect(referenceModelId().toString('hex')).toBe(require('node:crypto').createHash('sha256').update('cocoon-reference-v1').digest('hex'));
    });

    it('answers a chat request with a receipt the contract would verify and a result only the client opens', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys, { body: { model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'one two three' }] } });
        const outcome = await run(ctx, job);
        const response = openReceipt(ctx.keys, job, outcome);
        expect(response.object).toBe('chat.completion');
        expect(response.choices[0].message.content).toBe('three two one');
        expect(response.usage.prompt_tokens).toBe(countTokens('user: one two three'));
        expect(outcome.kind === 'receipt' && [outcome.inputTokens, outcome.outputTokens]).toEqual([response.usage.prompt_tokens, response.usage.completion_tokens]);
    });

    it('answers a completions request', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys, { body: { model: REFERENCE_MODEL_NAME, prompt: 'alpha beta' } });
        const response = openReceipt(ctx.keys, job, await run(ctx, job));
        expect(response.object).toBe('text_completion');
        expect(response.choices[0].text).toBe('beta alpha');
    });

    it('clamps max_tokens to the job\'s maxOutputTokens', async () => {
        const ctx = context();
        const words = Array.from({ length: 50 }, (_, i) => `word${i}`).join(' ');
        const job = sealedJob(ctx.keys, { maxOutputTokens: 5, body: { model: REFERENCE_MODEL_NAME, max_tokens: 1000, prompt: words } });
        const outcome = await run(ctx, job);
        const response = openReceipt(ctx.keys, job, outcome);
        expect(outcome.kind === 'receipt' && outcome.outputTokens).toBe(5);
        expect(response.choices[0].finish_reason).toBe('length');
    });

    it('a result for job 7 does not open as job 8 (bound to the job id)', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys);
        const outcome = await run(ctx, job);
        expect(() => openReceipt(ctx.keys, { ...job, json: { ...job.json, jobId: '8' } }, outcome)).toThrow();
    });
});

describe('handleJob: every failure is a signed decline', () => {
    it('PayloadUndecryptable: payload sealed to another enclave', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys, { sealTo: generateX25519KeyPair().publicKey });
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.PayloadUndecryptable);
    });

    it('PayloadUndecryptable: job names another result key than the one sealed in', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys);
        job.json.clientResultKey = Buffer.from(generateX25519KeyPair().publicKey).toString('hex');
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.PayloadUndecryptable);
    });

    it('PayloadUndecryptable: payload is not a BOC', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys);
        job.json.payload = Buffer.from('not a boc').toString('base64');
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.PayloadUndecryptable);
    });

    it('PayloadUndecryptable: plaintext is not an OpenAI request', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys, { raw: Buffer.from('{"model": 5}') });
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.PayloadUndecryptable);
    });

    it('PayloadUndecryptable: an authentic payload whose padding is malformed', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys, { unpadded: true });
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.PayloadUndecryptable);
    });

    it('ModelUnknown: the job names a model the runner does not serve', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys, { model: 'some-other-model' });
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.ModelUnknown);
    });

    it('ModelUnknown: the request names another model than the job', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys, { body: { model: 'gpt-4o', prompt: 'hi' } });
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.ModelUnknown);
    });

    it('InputTooLong: more input tokens than the job allows', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys, { maxInputTokens: 3, body: { model: REFERENCE_MODEL_NAME, prompt: 'this prompt is clearly longer than three tokens' } });
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.InputTooLong);
    });

    // An attacker review: input hidden from the limit and the bill in fields the prompt text left out
    // (a 5,000-word tool schema billed as 7 tokens), and several answers for the price of one.
    it('InputTooLong: input carried outside the messages (tools, tool calls) counts against the job limit', async () => {
        const ctx = context();
        const schema = { type: 'function', function: { name: 'f', description: 'word '.repeat(500) } };
        for (const body of [
            { model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'hi' }], tools: [schema] },
            { model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: '', tool_calls: [{ id: 'x', type: 'function', function: { name: 'f', arguments: 'word '.repeat(500) } }] }] },
        ]) {
            const job = sealedJob(ctx.keys, { maxInputTokens: 50, body });
            expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.InputTooLong);
        }
    });

    it('PayloadUndecryptable: several answers for one job (n, best_of, a prompt list) or non-text parts are not served', async () => {
        const ctx = context();
        for (const body of [
            { model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'hi' }], n: 4 },
            { model: REFERENCE_MODEL_NAME, prompt: 'hi', best_of: 3 },
            { model: REFERENCE_MODEL_NAME, prompt: ['one', 'two'] },
            { model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] },
        ]) {
            const job = sealedJob(ctx.keys, { body });
            expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.PayloadUndecryptable);
        }
    });

    it('InputTooLong: input fills the model context', async () => {
        const ctx = context({ extraModels: [] });
        const long = 'token '.repeat(9000);
        const job = sealedJob(ctx.keys, { maxInputTokens: 100000, body: { model: REFERENCE_MODEL_NAME, prompt: long } });
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.InputTooLong);
    });

    it('BackendFailure: the backend throws', async () => {
        const failing: InferenceBackend = { kind: 'reference', run: async () => { throw new Error('boom'); } };
        const ctx = context({ backends: { reference: failing } });
        const job = sealedJob(ctx.keys);
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.BackendFailure);
    });

    it('BackendFailure: the backend outlives the per-job timeout', async () => {
        const hanging: InferenceBackend = {
            kind: 'reference',
            run: (_req, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
        };
        const ctx = context({ backends: { reference: hanging }, jobTimeoutMs: 50 });
        const job = sealedJob(ctx.keys);
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.BackendFailure);
    });

    it('BackendFailure: an answer too large for any on-chain result (the job could never settle)', async () => {
        const huge: InferenceBackend = {
            kind: 'reference',
            run: async () => ({ response: { object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'x'.repeat(180_000) } }] }, inputTokens: 1, outputTokens: 1 }),
        };
        const ctx = context({ backends: { reference: huge } });
        const job = sealedJob(ctx.keys);
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.BackendFailure);
    });

    it('a low-order client result key ends in a decline, not a crash', async () => {
        const ctx = context();
        const job = sealedJob(ctx.keys);
        job.json.clientResultKey = '00'.repeat(32);
        // The request AAD binds the result key, so the payload no longer opens either.
        expectDecline(ctx.keys, job, await run(ctx, job), DeclineReason.PayloadUndecryptable);
    });

    it('rejects malformed job inputs before anything is signed', () => {
        const ctx = context();
        const job = sealedJob(ctx.keys);
        for (const bad of [{ jobId: '-1' }, { jobId: '18446744073709551616' }, { modelId: randomHex32().slice(2) }, { provider: 'nope' }, { globalId: 2 ** 31 }, { maxInputTokens: -1 }]) {
            expect(() => parseJobInput({ ...job.json, ...bad })).toThrow();
        }
    });
});
