/**
 * The runner signs at most one outcome per request (job and payload hash): retries and racing
 * relayers get the first outcome back, so no two receipts for one request (equivocation) exist; a
 * request with another payload gets an answer signed over that payload, which ends nothing on chain
 * and cannot block the real one.
 */
import { createEnclaveServer, EnclaveServer } from '../../enclave/server';
import { createRunner, Runner } from '../../enclave/runner';
import { createLogger } from '../../enclave/log';
import { Writable } from 'node:stream';
import { GLOBAL_ID, PROVIDER, sealedJob, openReceipt, payloadHashOf } from './helpers';

const silent = createLogger(new Writable({ write: (_c, _e, done) => done() }) as never, 'error');
const post = async (url: string, body: unknown): Promise<any> =>
    (await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();

let runner: Runner;
let server: EnclaveServer;
let url: string;
beforeAll(async () => {
    runner = await createRunner({ provider: PROVIDER, globalId: GLOBAL_ID, quote: 'dev', backend: 'reference', upstreamStream: false, maxContext: 8192, host: '127.0.0.1', port: 0, jobTimeoutMs: 5000 });
    server = createEnclaveServer({ ...runner, logger: silent });
    url = await server.listen(0);
});
afterAll(() => server.close());

describe('one outcome per job', () => {
    it('answers a repeated job with the same signed receipt', async () => {
        const job = sealedJob(runner.ctx.keys, { jobId: 41n });
        const first = await post(url, job.json);
        const again = await post(url, job.json);
        expect(first.kind).toBe('receipt');
        expect(again).toEqual(first);
    });

    it('answers concurrent requests for one job with one outcome', async () => {
        const job = sealedJob(runner.ctx.keys, { jobId: 42n });
        const answers = await Promise.all([1, 2, 3, 4].map(() => post(url, job.json)));
        for (const a of answers) expect(a).toEqual(answers[0]);
    });

    it('a payload posted first for a job id does not block the job\'s own payload', async () => {
        const junk = sealedJob(runner.ctx.keys, { jobId: 43n, body: { model: 'cocoon-reference-v1', messages: [{ role: 'user', content: 'other' }] } });
        const honest = sealedJob(runner.ctx.keys, { jobId: 43n });
        expect(payloadHashOf(junk)).not.toBe(payloadHashOf(honest));
        const first = await post(url, junk.json);
        const real = await post(url, honest.json);
        // The real request gets its own receipt, signed over its own payload hash...
        expect(real.kind).toBe('receipt');
        expect(openReceipt(runner.ctx.keys, honest, real)).toBeTruthy();
        expect(real.signature).not.toBe(first.signature);
        // ...and only one: asked again, the runner repeats it.
        expect(await post(url, honest.json)).toEqual(real);
    });

    it('keeps jobs of other ids apart', async () => {
        const a = await post(url, sealedJob(runner.ctx.keys, { jobId: 44n }).json);
        const b = await post(url, sealedJob(runner.ctx.keys, { jobId: 45n }).json);
        expect(a.jobId).not.toBe(b.jobId);
        expect(a.signature).not.toBe(b.signature);
    });
});
