/**
 * The runner signs only for a job it has read as open on chain (for its key, with that payload and
 * those limits), and at most one outcome per request: retries and racing relayers get the first
 * outcome back, and no flood of requests can evict it while the job can still be answered, so no two
 * receipts for one request (equivocation evidence) can be obtained from an honest runner.
 */
import { createEnclaveServer, EnclaveServer } from '../../enclave/server';
import { createRunner, Runner } from '../../enclave/runner';
import { createLogger } from '../../enclave/log';
import { Writable } from 'node:stream';
import { FakeChain, GLOBAL_ID, PROVIDER, sealedJob, openReceipt, payloadHashOf } from './helpers';

const silent = createLogger(new Writable({ write: (_c, _e, done) => done() }) as never, 'error');
const postRaw = (url: string, body: unknown) => fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const post = async (url: string, body: unknown): Promise<any> => (await postRaw(url, body)).json();

let runner: Runner;
let server: EnclaveServer;
let url: string;
const chain = new FakeChain();
beforeAll(async () => {
    runner = await createRunner({ provider: PROVIDER, globalId: GLOBAL_ID, quote: 'dev', backend: 'reference', upstreamStream: false, maxContext: 8192, host: '127.0.0.1', port: 0, jobTimeoutMs: 5000 });
    server = createEnclaveServer({ ...runner, logger: silent, jobs: chain });
    url = await server.listen(0);
});
afterAll(() => server.close());
const onChain = (job: ReturnType<typeof sealedJob>, deadline?: number) => chain.open(runner.ctx.keys, job, deadline);

describe('one outcome per request', () => {
    it('answers a repeated job with the same signed receipt', async () => {
        const job = onChain(sealedJob(runner.ctx.keys, { jobId: 41n }));
        const first = await post(url, job.json);
        const again = await post(url, job.json);
        expect(first.kind).toBe('receipt');
        expect(again).toEqual(first);
    });

    it('answers concurrent requests for one job with one outcome', async () => {
        const job = onChain(sealedJob(runner.ctx.keys, { jobId: 42n }));
        const answers = await Promise.all([1, 2, 3, 4].map(() => post(url, job.json)));
        for (const a of answers) expect(a).toEqual(answers[0]);
    });

    it('keeps jobs of other ids apart', async () => {
        const a = await post(url, onChain(sealedJob(runner.ctx.keys, { jobId: 44n })).json);
        const b = await post(url, onChain(sealedJob(runner.ctx.keys, { jobId: 45n })).json);
        expect(a.jobId).not.toBe(b.jobId);
        expect(a.signature).not.toBe(b.signature);
    });

    // The review's eviction attack: the old memory kept the newest 200,000 jobs, so junk requests
    // evicted a real job's outcome and a repost earned a second, different receipt.
    it('keeps a job\'s outcome however many other requests arrive while the job can be answered', async () => {
        const real = onChain(sealedJob(runner.ctx.keys, { jobId: 1000n }));
        const first = await post(url, real.json);
        expect(first.kind).toBe('receipt');
        // Junk for job ids that are not open on chain is refused without signing anything...
        for (let id = 2000n; id < 2050n; id++) {
            const res = await postRaw(url, sealedJob(runner.ctx.keys, { jobId: id }).json);
            expect(res.status).toBe(409);
            expect(JSON.stringify(await res.json())).not.toMatch(/signature/);
        }
        // ...and many real jobs do not push the first one out.
        for (let id = 3000n; id < 3300n; id++) await post(url, onChain(sealedJob(runner.ctx.keys, { jobId: id, maxOutputTokens: 1 })).json);
        expect(await post(url, real.json)).toEqual(first);
    });
});

describe('nothing is signed for a job that is not open on chain as asked', () => {
    const refused = async (job: { json: object }, code: string) => {
        const res = await postRaw(url, job.json);
        expect(res.status).toBe(409);
        const body: any = await res.json();
        expect(body.error).toBe(code);
        expect(JSON.stringify(body)).not.toMatch(/signature/);
    };

    it('refuses a job id that does not exist yet (the review obtained a decline and a receipt for future jobs)', async () => {
        await refused(sealedJob(runner.ctx.keys, { jobId: 5000n }), 'NotTheJob');
    });

    it('refuses a payload other than the one the job was created with, without blocking the real one', async () => {
        const honest = onChain(sealedJob(runner.ctx.keys, { jobId: 43n }));
        const junk = sealedJob(runner.ctx.keys, { jobId: 43n, body: { model: 'cocoon-reference-v1', messages: [{ role: 'user', content: 'other' }] } });
        expect(payloadHashOf(junk)).not.toBe(payloadHashOf(honest));
        await refused(junk, 'NotTheJob');
        const real = await post(url, honest.json);
        expect(real.kind).toBe('receipt');
        expect(openReceipt(runner.ctx.keys, honest, real)).toBeTruthy();
    });

    it('refuses a job created for another enclave key, or asked with other token limits', async () => {
        const other = await createRunner({ provider: PROVIDER, globalId: GLOBAL_ID, quote: 'dev', backend: 'reference', upstreamStream: false, maxContext: 8192, host: '127.0.0.1', port: 0, jobTimeoutMs: 5000 });
        const foreign = sealedJob(runner.ctx.keys, { jobId: 46n });
        chain.open(other.ctx.keys, foreign);
        await refused(foreign, 'NotTheJob');
        const job = onChain(sealedJob(runner.ctx.keys, { jobId: 47n, maxOutputTokens: 100 }));
        await refused({ json: { ...job.json, maxOutputTokens: 5 } }, 'NotTheJob');
    });

    it('refuses another network or provider, and a job past its deadline that was never answered', async () => {
        const job = onChain(sealedJob(runner.ctx.keys, { jobId: 48n }));
        await refused({ json: { ...job.json, globalId: -3 } }, 'WrongTarget');
        const late = onChain(sealedJob(runner.ctx.keys, { jobId: 49n }), Math.floor(Date.now() / 1000) - 5);
        await refused(late, 'JobLate');
    });

    it('answers 503, signing nothing, when the chain cannot be read', async () => {
        const broken = createEnclaveServer({ ...runner, logger: silent, jobs: { openJob: async () => { throw new Error('endpoint down'); } } });
        const brokenUrl = await broken.listen(0);
        try {
            const res = await postRaw(brokenUrl, onChain(sealedJob(runner.ctx.keys, { jobId: 50n })).json);
            expect(res.status).toBe(503);
            expect(((await res.json()) as any).error).toBe('ChainUnavailable');
        } finally {
            await broken.close();
        }
    });
});
