/**
 * Issue 11 finding 4, "the attested image is not what serves": the operator chose `--upstream` and
 * `--model` at start, outside the measurement, and the runner sent decrypted prompts there. Now the
 * runtime configuration is checked at start (loopback engine, weights hashed), hashed into
 * REPORTDATA, and the model table is built from it; the canary reaches the in-VM engine and
 * nothing else.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { canonicalRuntimeJson, isLoopbackUrl, parseRuntimeConfig, runtimeHash } from '../../attestation/runtimeConfig';
import { reportDataFor } from '../../attestation/reportData';
import { parseConfig } from '../../enclave/config';
import { createLogger } from '../../enclave/log';
import { createRunner } from '../../enclave/runner';
import { runtimeConfigFor } from '../../enclave/runtime';
import { createEnclaveServer } from '../../enclave/server';
import type { JobOutcome } from '../../enclave/outcome';
import { FakeChain, GLOBAL_ID, openReceipt, PROVIDER, sealedJob } from './helpers';
import { startFakeUpstream } from './fakeUpstream';
import { openAiRuntime, referenceRuntime } from '../fixtures/runtime';

const BASE = ['--provider', PROVIDER.toRawString(), '--chain-endpoint', 'http://127.0.0.1:1/jsonRPC'];

function weightsFile(content = 'weights'): string {
    const path = join(mkdtempSync(join(tmpdir(), 'cocoon-weights-')), 'model.gguf');
    writeFileSync(path, content);
    return path;
}

describe('runner runtime configuration', () => {
    it('refuses an engine outside the VM at start', () => {
        const weights = weightsFile();
        for (const upstream of ['http://203.0.113.7:8000/v1', 'https://api.openai.com/v1', 'http://127.0.0.1.evil.example/v1', 'http://user@127.0.0.1:8000/v1', 'file:///etc/passwd']) {
            expect(() => parseConfig([...BASE, '--backend', 'openai', '--upstream', upstream, '--model', 'm', '--weights', weights], {})).toThrow(/loopback/);
        }
        expect(() => parseConfig([...BASE, '--backend', 'openai', '--upstream', 'http://127.0.0.1:8000/v1', '--model', 'm'], {})).toThrow(/--weights/);
        for (const upstream of ['http://127.0.0.1:8000/v1', 'http://[::1]:8000/v1', 'http://127.9.9.9/v1']) {
            expect(parseConfig([...BASE, '--backend', 'openai', '--upstream', upstream, '--model', 'm', '--weights', weights], {}).upstream).toBe(upstream);
        }
    });

    it('refuses an environment that would proxy its requests or load code outside the measurement', () => {
        const ok = [...BASE];
        for (const env of [{ HTTP_PROXY: 'http://attacker:3128' }, { https_proxy: 'http://attacker:3128' }, { NODE_USE_ENV_PROXY: '1' }, { NODE_OPTIONS: '--require /data/x.js' }, { LD_PRELOAD: '/tmp/x.so' }]) {
            expect(() => parseConfig(ok, env)).toThrow(/refusing to start with .* set/);
        }
        expect(parseConfig(ok, { HTTP_PROXY: '' }).provider.equals(PROVIDER)).toBe(true);
    });

    it('sizes the engine gate from flags or the environment, and refuses nonsense', () => {
        expect(parseConfig(BASE, {}).limits).toEqual({ concurrency: 4, queue: 16 });
        expect(parseConfig([...BASE, '--concurrency', '32', '--queue', '0'], {}).limits).toEqual({ concurrency: 32, queue: 0 });
        expect(parseConfig(BASE, { COCOON_RUNNER_CONCURRENCY: '64', COCOON_RUNNER_QUEUE: '256' }).limits).toEqual({ concurrency: 64, queue: 256 });
        expect(() => parseConfig([...BASE, '--concurrency', '0'], {})).toThrow(/--concurrency must be at least 1/);
        expect(() => parseConfig([...BASE, '--queue', '-1'], {})).toThrow(/--queue must not be negative/);
        expect(() => parseConfig([...BASE, '--concurrency', 'many'], {})).toThrow(/--concurrency must be an integer/);
    });

    it('loopback means a loopback literal, nothing that merely starts like one, and no name (not even localhost)', () => {
        expect(['http://127.0.0.1', 'https://127.0.0.2:1/x', 'http://[::1]/'].map(isLoopbackUrl)).toEqual([true, true, true]);
        expect(['http://localhost:8000', 'http://127.0.0.1.nip.io', 'http://localhost.evil', 'http://0.0.0.0', 'http://10.0.0.1', 'ftp://127.0.0.1', 'not a url'].map(isLoopbackUrl)).toEqual([false, false, false, false, false, false, false]);
    });

    it('names the weights by hash: another file is another runtime hash', async () => {
        const inputs = { backend: 'openai' as const, upstream: 'http://127.0.0.1:8000/v1', model: 'm', upstreamStream: false, maxContext: 4096, jobTimeoutMs: 5000 };
        const a = await runtimeConfigFor({ ...inputs, weights: weightsFile('weights A') });
        const b = await runtimeConfigFor({ ...inputs, weights: weightsFile('weights B') });
        expect(a.models[1].weightsSha256).toBe(createHash('sha256').update('weights A').digest('hex'));
        expect(Buffer.from(runtimeHash(a))).not.toEqual(Buffer.from(runtimeHash(b)));
        expect(await runtimeConfigFor({ ...inputs, backend: 'reference', jobTimeoutMs: 5000 })).toEqual(referenceRuntime(5000));
    });

    it('hashes one canonical form: key order does not matter, unknown or missing fields are refused', () => {
        const c = openAiRuntime();
        const shuffled = JSON.parse(JSON.stringify({ models: c.models.map((m) => Object.fromEntries(Object.entries(m).reverse())), jobTimeoutMs: c.jobTimeoutMs, tokenizer: c.tokenizer }));
        expect(canonicalRuntimeJson(parseRuntimeConfig(shuffled))).toBe(canonicalRuntimeJson(c));
        expect(() => parseRuntimeConfig({ ...c, note: 'x' })).toThrow(/unknown: note/);
        expect(() => parseRuntimeConfig({ tokenizer: c.tokenizer, models: c.models })).toThrow(/missing: jobTimeoutMs/);
        expect(() => parseRuntimeConfig({ ...c, tokenizer: 'o200k_base' })).toThrow(/tokenizer/);
        expect(() => parseRuntimeConfig({ ...c, models: [c.models[0], c.models[0]] })).toThrow(/twice/);
        expect(() => parseRuntimeConfig({ ...c, models: [{ ...c.models[0], engine: 'http://127.0.0.1/v1' }] })).toThrow(/in-process/);
        expect(() => parseRuntimeConfig({ ...c, models: [{ ...c.models[1], weightsSha256: 'AB'.repeat(32) }] })).toThrow(/weightsSha256/);
        // One setup, one hash: other spellings of the same engine URL are refused, not hashed differently.
        for (const engine of ['http://127.0.0.1:8000/v1/', 'HTTP://127.0.0.1:8000/v1', 'http://127.1:8000/v1', 'http://127.0.0.1:8000/v1?x=1']) {
            expect(() => parseRuntimeConfig({ ...c, models: [c.models[0], { ...c.models[1], engine }] })).toThrow(/canonically/);
        }
        expect(() => parseRuntimeConfig({ ...c, jobTimeoutMs: 2 ** 32 })).toThrow(/at most/);
        expect(() => parseRuntimeConfig({ ...c, models: [...c.models, { ...c.models[1], name: 'second' }] })).toThrow(/more than one openai engine/);
    });

    it('canary: the prompt reaches the in-VM engine the runtime names, and neither the runner log at trace level nor any other host', async () => {
        const outside = await startFakeUpstream();
        const engine = await startFakeUpstream({ redirectTo: outside.baseUrl.replace(/\/v1$/, '') });
        const lines: string[] = [];
        const logger = createLogger(new Writable({ write: (chunk, _e, done) => (lines.push(chunk.toString()), done()) }) as never, 'trace');
        const weights = weightsFile();
        const runner = await createRunner({ ...parseConfig([...BASE, '--global-id', String(GLOBAL_ID), '--backend', 'openai', '--upstream', engine.baseUrl, '--model', 'up-model', '--weights', weights], {}) });
        // The attestation names exactly this engine, and REPORTDATA commits to it.
        const served = runner.attestation.runtime.models.find((m) => m.name === 'up-model');
        expect(served?.engine).toBe(engine.baseUrl);
        const reportData = reportDataFor({ globalId: GLOBAL_ID, providerWorkchain: PROVIDER.workChain, providerHash: PROVIDER.hash, enclaveEd25519: runner.ctx.keys.ed25519Public, enclaveX25519: runner.ctx.keys.x25519Public, runtimeHash: runtimeHash(runner.attestation.runtime) });
        expect(runner.attestation.reportData).toBe(Buffer.from(reportData).toString('hex'));

        const chain = new FakeChain();
        const server = createEnclaveServer({ ...runner, logger, jobs: chain });
        const url = await server.listen(0);
        const canary = `canary${randomBytes(8).toString('hex')}`;
        try {
            const job = chain.open(runner.ctx.keys, sealedJob(runner.ctx.keys, { jobId: 1n, model: 'up-model', body: { model: 'up-model', messages: [{ role: 'user', content: canary }] } }));
            const res = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job.json) });
            expect(res.status).toBe(200);
            expect(openReceipt(runner.ctx.keys, job, (await res.json()) as JobOutcome).choices[0].message.content).toBe('Hello from upstream');
            expect(JSON.stringify(engine.requests)).toContain(canary);
            expect(outside.requests).toEqual([]);
            expect(lines.length).toBeGreaterThan(0);
            expect(lines.join('')).not.toContain(canary);
        } finally {
            await server.close();
            await Promise.all([engine.close(), outside.close()]);
        }
    });
});
