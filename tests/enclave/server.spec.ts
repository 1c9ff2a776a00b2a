/**
 * The HTTP API: jobs end to end, the attestation document (its dev quote verifies and its
 * REPORTDATA binds the served keys), limits (413, 503, 400), metrics, and logs without secrets.
 * The HTTP layer's hostile cases are tested once in tests/http; here, that the runner is wired to it.
 */
import { Writable } from 'node:stream';
import { connect } from 'node:net';
import { getWithHost, postChunked } from '../http/helpers';
import { verifyQuote } from '../../attestation/verify';
import { reportDataFor } from '../../attestation/reportData';
import { createEnclaveServer, EnclaveServer } from '../../enclave/server';
import { createRunner, Runner } from '../../enclave/runner';
import { runtimeHash } from '../../attestation/runtimeConfig';
import { referenceRuntime } from '../fixtures/runtime';
import { createLogger } from '../../enclave/log';
import { REFERENCE_MODEL_NAME } from '../../enclave/models';
import type { InferenceBackend } from '../../enclave/backends/backend';
import { FakeChain, GLOBAL_ID, openReceipt, PROVIDER, sealedJob } from './helpers';

const CANARY = 'CANARY-7f3a9c-do-not-log';

function captureLogs() {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(chunk.toString()), done()) });
    return { lines, logger: createLogger(sink as never, 'debug') };
}

const chain = new FakeChain();

async function start(runner: Runner, limits = {}) {
    const logs = captureLogs();
    const server = createEnclaveServer({ ...runner, logger: logs.logger, limits, jobs: chain });
    const url = await server.listen(0);
    return { server, url, logs };
}

const json = (res: Response): Promise<any> => res.json();
const post = (url: string, body: string) => fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

let runner: Runner;
let server: EnclaveServer;
let url: string;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
    runner = await createRunner({ provider: PROVIDER, globalId: GLOBAL_ID, quote: 'dev', backend: 'reference', upstreamStream: false, maxContext: 8192, host: '127.0.0.1', port: 0, jobTimeoutMs: 5000 });
    ({ server, url, logs } = await start(runner, { bodyLimitBytes: 64 * 1024 }));
});
afterAll(() => server.close());

describe('enclave HTTP API', () => {
    it('serves an attestation whose dev quote verifies and binds the served keys to this provider', async () => {
        const doc = await json(await fetch(`${url}/v1/attestation`));
        expect(doc).toMatchObject({ quoteKind: 'dev', globalId: GLOBAL_ID, provider: PROVIDER.toRawString() });
        const expected = reportDataFor({
            globalId: GLOBAL_ID,
            providerWorkchain: PROVIDER.workChain,
            providerHash: PROVIDER.hash,
            enclaveEd25519: Buffer.from(doc.enclaveEd25519, 'hex'),
            enclaveX25519: Buffer.from(doc.enclaveX25519, 'hex'),
            runtimeHash: runtimeHash(referenceRuntime(5000)),
        });
        expect(doc.runtime).toEqual(referenceRuntime(5000));
        expect(doc.reportData).toBe(Buffer.from(expected).toString('hex'));
        const result = verifyQuote(Buffer.from(doc.quote, 'base64'), { trustAnchorPem: doc.devRootPem, expectedReportData: expected });
        expect(result.errors).toEqual([]);
        expect(result.valid).toBe(true);
    });

    it('answers POST /v1/jobs with a verifiable receipt, and never logs the plaintext', async () => {
        const job = chain.open(runner.ctx.keys, sealedJob(runner.ctx.keys, { body: { model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: `tell me ${CANARY}` }] } }));
        const res = await post(url, JSON.stringify(job.json));
        expect(res.status).toBe(200);
        const response = openReceipt(runner.ctx.keys, job, await json(res));
        expect(response.choices[0].message.content).toBe(`${CANARY} me tell`);
        const all = logs.lines.join('');
        expect(all).toContain('job answered');
        expect(all).not.toContain(CANARY);
        expect(all).not.toContain(job.json.payload.slice(0, 40));
    });

    it('answers a bad JSON body with 400 and a JSON error', async () => {
        const res = await post(url, '{"jobId": ');
        expect(res.status).toBe(400);
        expect(await json(res)).toEqual({ error: 'invalid_json', message: 'request body is not valid JSON' });
    });

    it('answers a malformed job with 400 BadJob', async () => {
        const res = await post(url, JSON.stringify({ jobId: 'x' }));
        expect(res.status).toBe(400);
        expect((await json(res)).error).toBe('BadJob');
    });

    it('answers an oversized body with 413', async () => {
        const res = await post(url, JSON.stringify({ payload: 'A'.repeat(70 * 1024) }));
        expect(res.status).toBe(413);
        expect((await json(res)).error).toBe('request_too_large');
    });

    it('answers an oversized chunked body (no Content-Length) with 413 too, not a reset', async () => {
        const res = await postChunked(`${url}/v1/jobs`, 16 * 1024, 8);
        expect([res.status, (await json(res)).error]).toEqual([413, 'request_too_large']);
    });

    it('refuses web pages: a DNS-rebinding Host, and any Origin (a cross-site text/plain POST)', async () => {
        expect((await getWithHost(url, '/v1/attestation', 'evil.example')).status).toBe(403);
        const page = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'https://evil.example' }, body: '{}' });
        expect([page.status, (await json(page)).error]).toEqual([403, 'forbidden_origin']);
    });

    it('answers unknown routes with 404 and wrong methods with 405', async () => {
        expect((await fetch(`${url}/v2/nothing`)).status).toBe(404);
        const wrong = await fetch(`${url}/v1/jobs`);
        expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'POST']);
    });

    it('exposes job outcomes and latency in /metrics and health in /healthz', async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        expect(text).toMatch(/cocoon_enclave_jobs_total\{outcome="receipt",reason=""\} 1/);
        expect(text).toContain('cocoon_enclave_job_duration_seconds_bucket');
        expect(text).toMatch(/cocoon_enclave_http_rejected_total\{status="413"\} 2/);
        expect(await json(await fetch(`${url}/healthz`))).toEqual({ ok: true, running: 0, waiting: 0 });
    });
});

// The review held every slot with 20 slow bodies for 40 s: a slot was taken before the body was read
// and Node's request timeout is 300 s. Held past a job's lifetime this becomes an expiry slash.
describe('slow clients (slowloris)', () => {
    it('serves a real job while slow bodies trickle in, and drops the slow ones at the request timeout', async () => {
        const guarded = await start(runner, { concurrency: 1, queue: 1, requestTimeoutMs: 1500, headersTimeoutMs: 1000 });
        const sockets: import('node:net').Socket[] = [];
        try {
            const { port } = new URL(guarded.url);
            const closed: Promise<void>[] = [];
            for (let i = 0; i < 20; i++) {
                const socket = connect(Number(port), '127.0.0.1');
                sockets.push(socket);
                closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
                socket.on('error', () => {});
                socket.resume(); // read the 408 and the server's close (a socket that never reads never sees the close)
                socket.write('POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"jobId":');
            }
            await new Promise((r) => setTimeout(r, 200));
            expect(await json(await fetch(`${guarded.url}/healthz`))).toEqual({ ok: true, running: 0, waiting: 0 });
            const job = chain.open(runner.ctx.keys, sealedJob(runner.ctx.keys, { jobId: 90n }));
            const res = await post(guarded.url, JSON.stringify(job.json));
            expect(res.status).toBe(200);
            await Promise.all(closed);
        } finally {
            for (const s of sockets) s.destroy();
            await guarded.server.close();
        }
    });
});

describe('concurrency limit', () => {
    it('answers 503 when the running slots and the queue are full, then serves again', async () => {
        let unblock!: () => void;
        const blocked = new Promise<void>((r) => (unblock = r));
        let started = 0;
        const slow: InferenceBackend = {
            kind: 'reference',
            run: async (req, signal) => {
                started++;
                await blocked;
                return runner.ctx.backends.reference!.run(req, signal);
            },
        };
        const busy = await start({ ...runner, ctx: { ...runner.ctx, backends: { reference: slow } } }, { concurrency: 1, queue: 1 });
        try {
            const job = (id: bigint) => JSON.stringify(chain.open(runner.ctx.keys, sealedJob(runner.ctx.keys, { jobId: id })).json);
            const first = post(busy.url, job(71n));
            while (started === 0) await new Promise((r) => setTimeout(r, 5));
            const queued = post(busy.url, job(72n));
            while ((await json(await fetch(`${busy.url}/healthz`))).waiting === 0) await new Promise((r) => setTimeout(r, 5));
            const refused = await post(busy.url, job(73n));
            expect(refused.status).toBe(503);
            expect((await json(refused)).error).toBe('Busy');
            unblock();
            expect((await first).status).toBe(200);
            expect((await queued).status).toBe(200);
        } finally {
            unblock();
            await busy.server.close();
        }
    });
});
