/**
 * The runner signs at most one outcome per job: retries, racing relayers and a relayer that swaps
 * the payload all get the first outcome back, so no two receipts for one job (equivocation) exist.
 */
import { createEnclaveServer, EnclaveServer } from '../../enclave/server';
import { createRunner, Runner } from '../../enclave/runner';
import { createLogger } from '../../enclave/log';
import { Writable } from 'node:stream';
import { GLOBAL_ID, PROVIDER, sealedJob } from './helpers';

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

    it('does not sign a second, different receipt when a relayer swaps the payload', async () => {
        const honest = sealedJob(runner.ctx.keys, { jobId: 43n });
        const swapped = sealedJob(runner.ctx.keys, { jobId: 43n, body: { model: 'cocoon-reference-v1', messages: [{ role: 'user', content: 'other' }] } });
        const first = await post(url, honest.json);
        const second = await post(url, swapped.json);
        expect(second).toEqual(first);
    });

    it('keeps jobs of other ids apart', async () => {
        const a = await post(url, sealedJob(runner.ctx.keys, { jobId: 44n }).json);
        const b = await post(url, sealedJob(runner.ctx.keys, { jobId: 45n }).json);
        expect(a.jobId).not.toBe(b.jobId);
        expect(a.signature).not.toBe(b.signature);
    });
});
