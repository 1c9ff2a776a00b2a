/**
 * A Provider listed by address alone: the relayer calls the runner at the URL the Provider publishes
 * on chain (SetRunnerUrl), re-reads it so a change is picked up, and refuses a URL that is not a
 * plain http(s) base URL. A configured "address=url" still wins.
 */
import { toNano } from '@ton/core';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chat, startDemo, DemoHandles } from '../../demo/startDemo';
import { parseConfig } from '../../relayer/config';
import { RelayerError } from '../../relayer/errors';
import { startRelayer } from '../../relayer/relayer';
import { RunnerDirectory } from '../../relayer/runners';
import { open } from '../../protocol/tonClient';
import { Provider } from '../../wrappers/Provider';

jest.setTimeout(120_000);

const RAW = '0:' + '11'.repeat(32);

describe('RunnerDirectory', () => {
    const source = (urls: (string | null | Error)[]) => {
        const reads: number[] = [];
        let i = 0;
        return {
            reads,
            runnerUrl: async () => {
                reads.push(i);
                const u = urls[Math.min(i++, urls.length - 1)];
                if (u instanceof Error) throw u;
                return u;
            },
        };
    };

    it('prefers the configured URL and never reads the chain for it', async () => {
        const chain = source(['http://published:1']);
        const d = new RunnerDirectory(chain, new Map([[RAW, 'http://configured:2']]), 1000);
        expect(await d.urlFor(RAW)).toBe('http://configured:2');
        expect(chain.reads).toHaveLength(0);
    });

    it('reads the published URL once per refresh interval and follows a change', async () => {
        let now = 0;
        const chain = source(['http://a.example:1/', 'http://b.example:2']);
        const d = new RunnerDirectory(chain, new Map(), 1000, () => now);
        expect(await d.urlFor(RAW)).toBe('http://a.example:1');
        now = 999;
        expect(await d.urlFor(RAW)).toBe('http://a.example:1');
        expect(chain.reads).toHaveLength(1);
        now = 1000;
        expect(await d.urlFor(RAW)).toBe('http://b.example:2');
    });

    it('keeps the last URL read while the chain read fails, and fails retryably when it never had one', async () => {
        let now = 0;
        const d = new RunnerDirectory(source(['http://a.example', new Error('endpoint down')]), new Map(), 10, () => now);
        expect(await d.urlFor(RAW)).toBe('http://a.example');
        now = 50;
        expect(await d.urlFor(RAW)).toBe('http://a.example');
        await expect(new RunnerDirectory(source([new Error('endpoint down')]), new Map()).urlFor(RAW)).rejects.toThrow('endpoint down');
    });

    it.each([
        [null, 'publishes no runner URL'],
        ['ftp://runner.example', 'is not http(s)'],
        ['http://user:secret@runner.example', 'carries credentials'],
        ['http://runner.example/?next=http://victim', 'has a query or fragment'],
        ['not a url', 'does not parse'],
    ])('refuses the published URL %p with a retryable dispatch error (%s)', async (published, why) => {
        const err = await new RunnerDirectory(source([published]), new Map()).urlFor(RAW).catch((e) => e);
        expect(err).toBeInstanceOf(RelayerError);
        expect(err).toMatchObject({ stage: 'dispatch', retryable: true });
        expect(err.message).toContain(why);
    });
});

/** A runner stand-in that counts the jobs it forwards to the real runner. */
async function countingRunner(real: string) {
    let jobs = 0;
    const server: Server = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        if (req.url === '/v1/jobs') jobs++;
        const up = await fetch(`${real}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' }, body: req.method === 'GET' ? undefined : Buffer.concat(chunks) });
        res.writeHead(up.status, { 'content-type': 'application/json' }).end(await up.text());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, jobs: () => jobs, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('relayer: a provider listed without a runner URL', () => {
    let demo: DemoHandles;
    beforeAll(async () => {
        demo = await startDemo({ relayer: false, pollMs: 50 });
    });
    afterAll(() => demo?.stop());

    const publish = async (url: string) => {
        const provider = demo.client.open(Provider.fromAddress(demo.protocol.provider.address));
        await provider.send(demo.protocol.providerOwner, { value: toNano('0.1') }, { $$type: 'SetRunnerUrl', queryId: 0n, url });
        expect(await open(demo.client, Provider.fromAddress(demo.protocol.provider.address)).getRunnerUrl()).toBe(url);
    };

    it('dispatches to the URL the Provider publishes, and to the new one after the owner changes it', async () => {
        const first = await countingRunner(demo.protocol.runnerUrl);
        const second = await countingRunner(demo.protocol.runnerUrl);
        await publish(first.url);
        const env = demo.relayerEnv({ COCOON_RELAYER_DB: join(mkdtempSync(join(tmpdir(), 'cocoon-runnerurl-')), 'r.sqlite'), COCOON_RELAYER_KEEPER: '0', LOG_LEVEL: 'silent', COCOON_RELAYER_RUNNER_URL_REFRESH_MS: '100' });
        expect(env.COCOON_RELAYER_PROVIDERS).toBe(demo.protocol.provider.address.toString()); // no "=url"
        const relayer = await startRelayer(parseConfig(env));
        try {
            const { sdk } = await demo.newUser();
            await sdk.run(chat('found on chain')); // settled, or it throws
            expect([first.jobs(), second.jobs()]).toEqual([1, 0]);

            await publish(second.url);
            await new Promise((r) => setTimeout(r, 150)); // past the refresh interval
            await sdk.run(chat('moved'));
            expect([first.jobs(), second.jobs()]).toEqual([1, 1]);
        } finally {
            await relayer.stop();
            await first.close();
            await second.close();
            await publish(demo.protocol.runnerUrl);
        }
    });

    it('an "address=url" entry still overrides the published URL', async () => {
        const configured = await countingRunner(demo.protocol.runnerUrl);
        const relayer = await startRelayer(parseConfig(demo.relayerEnv({
            COCOON_RELAYER_DB: join(mkdtempSync(join(tmpdir(), 'cocoon-runnerurl-')), 'r.sqlite'), COCOON_RELAYER_KEEPER: '0', LOG_LEVEL: 'silent',
            COCOON_RELAYER_PROVIDERS: `${demo.protocol.provider.address.toString()}=${configured.url}`,
        })));
        try {
            const { sdk } = await demo.newUser();
            await sdk.run(chat('told by hand')); // settled, or it throws
            expect(configured.jobs()).toBe(1);
        } finally {
            await relayer.stop();
            await configured.close();
        }
    });
});
