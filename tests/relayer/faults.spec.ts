/**
 * Faults around the relayer: a runner that is slow or answers garbage (retried until it answers
 * properly), a devnet API that fails or stalls requests (retried, nothing lost or doubled), and a
 * runner that stays down (the job is given up after the grace period and expired by the keeper).
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chat, startDemo, DemoHandles } from '../../demo/startDemo';
import { JobExpiredError } from '../../sdk';
import { parseConfig } from '../../relayer/config';
import { startRelayer, RelayerHandle } from '../../relayer/relayer';
import { faultProxy, ledgerOf, refundsPerJob, until } from './helpers';

jest.setTimeout(120_000);

const tmpDb = () => join(mkdtempSync(join(tmpdir(), 'cocoon-faults-')), 'r.sqlite');

/**
 * A stand-in runner: answers each job request (POST /v1/jobs) by `behave`, or forwards to the real
 * runner; anything else (the relayer's voucher feed) is forwarded and not counted.
 */
async function fakeRunner(real: string, behave: (n: number) => 'forward' | 'slow' | 'garbage' | 'not-json' | 'bad-signature' | '500') {
    let n = 0;
    const server: Server = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const mode = req.method === 'POST' && req.url === '/v1/jobs' ? behave(n++) : 'forward';
        const forward = async () => {
            const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks);
            const up = await fetch(`${real}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) }, body });
            const text = await up.text();
            return { status: up.status, text };
        };
        if (mode === '500') return void res.writeHead(500).end('{"error":"boom"}');
        if (mode === 'not-json') return void res.writeHead(200).end('<html>');
        if (mode === 'garbage') return void res.writeHead(200).end(JSON.stringify({ kind: 'receipt', jobId: 'x', result: 12 }));
        if (mode === 'slow') await new Promise((r) => setTimeout(r, 1500));
        const up = await forward();
        let text = up.text;
        if (mode === 'bad-signature') {
            const o = JSON.parse(text);
            o.signature = '00'.repeat(64);
            text = JSON.stringify(o);
        }
        res.writeHead(up.status, { 'content-type': 'application/json' }).end(text);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => n, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('relayer: faults', () => {
    let demo: DemoHandles;
    beforeAll(async () => {
        demo = await startDemo({ relayer: false, pollMs: 50 });
    });
    afterAll(() => demo?.stop());
    const provider = () => demo.protocol.provider.address;

    const relayerWith = (env: Record<string, string>) =>
        startRelayer(parseConfig(demo.relayerEnv({ COCOON_RELAYER_DB: tmpDb(), COCOON_RELAYER_KEEPER: '0', LOG_LEVEL: 'silent', ...env })));

    it('retries a runner that answers garbage, a bad signature, non-JSON, 500 and slowly, and settles once', async () => {
        const modes = ['garbage', 'bad-signature', 'not-json', '500', 'slow'] as const;
        const runner = await fakeRunner(demo.protocol.runnerUrl, (n) => modes[n] ?? 'forward');
        const relayer = await relayerWith({ COCOON_RELAYER_PROVIDERS: `${provider()}=${runner.url}` });
        try {
            const { sdk } = await demo.newUser();
            const job = await sdk.run(chat('patience pays')); // settled, or it throws
            expect(runner.requests()).toBe(modes.length); // four refusals, then the slow answer
            const metrics = await (await fetch(`${relayer.url}/metrics`)).text();
            expect(metrics).toMatch(/cocoon_relayer_errors_total\{stage="dispatch",class="retryable"\} 4/);
            expect((await refundsPerJob(demo.client, provider())).get(job.jobId)).toBe(1);
        } finally {
            await relayer.stop();
            await runner.close();
        }
    });

    it('rides out a chain API that fails and stalls requests: every job settles exactly once', async () => {
        const url = new URL(demo.devnet.endpoint);
        const proxy = await faultProxy(`${url.protocol}//${url.host}`, { failRate: 0.25, hangRate: 0.1, hangMs: 600 });
        const relayer = await relayerWith({ COCOON_RELAYER_ENDPOINT: `${proxy.url}/jsonRPC`, COCOON_RELAYER_RPC_TIMEOUT_MS: '300' });
        try {
            const users = await Promise.all([0, 1].map(() => demo.newUser()));
            const runs = await Promise.all(users.flatMap(({ sdk }) => [0, 1, 2].map((i) => sdk.run(chat(`flaky chain ${i}`))))); // each settled, or it throws
            expect(proxy.stats.failed).toBeGreaterThan(0);
            expect(proxy.stats.hung).toBeGreaterThan(0);
            const refunds = await refundsPerJob(demo.client, provider());
            for (const r of runs) expect(refunds.get(r.jobId)).toBe(1);
        } finally {
            await relayer.stop();
            await proxy.close();
        }
    });

    it('gives a job up when its runner stays down past the grace period; the keeper expires it and the client is refunded', async () => {
        let relayer: RelayerHandle | undefined;
        try {
            relayer = await relayerWith({ COCOON_RELAYER_PROVIDERS: `${provider()}=http://127.0.0.1:1`, COCOON_RELAYER_GRACE_SECONDS: '1', COCOON_RELAYER_KEEPER: '1' });
            // The keeper is to expire the job, not the client's SDK.
            const user = await demo.newUser({ autoExpire: false });
            const job = await user.sdk.submit(chat('nobody home'), { ttl: 60 });
            const raw = provider().toRawString();
            await until('the job to be abandoned', () => relayer!.store.get(raw, job.jobId)?.state === 'abandoned', 100, 100);
            // Past the deadline on chain; a faucet payment makes a block so the new time is visible.
            await demo.clock.advance(120);
            await demo.devnet.faucet(user.address, 1n);
            const end = await job.result.catch((e) => e);
            expect(end).toBeInstanceOf(JobExpiredError);
            expect((end as JobExpiredError).slashed).toBeGreaterThan(0n);
            expect((await refundsPerJob(demo.client, provider())).get(job.jobId)).toBe(1);
            const ledger = await ledgerOf(demo.client, provider());
            expect(ledger.openJobs).toBe(0n);
            expect(ledger.escrowed).toBe(0n);
            expect(ledger.expired).toBe(1n);
            const metrics = await (await fetch(`${relayer.url}/metrics`)).text();
            expect(metrics).toMatch(/cocoon_relayer_expirations_sent_total 1/);
        } finally {
            await relayer?.stop();
        }
    });
});
