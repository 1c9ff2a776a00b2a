// What the relayer reads from a runner is bounded, and a runner that has not yet read a job on chain
// is asked again later instead of the job being abandoned.
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_RUNNER_REPLY_BYTES, postJob } from '../../relayer/runnerClient';
import { RelayerError } from '../../relayer/errors';

const input = { globalId: -239, provider: '0:' + '00'.repeat(32), jobId: '1', modelId: '00'.repeat(32), maxInputTokens: 1, maxOutputTokens: 1, clientResultKey: '00'.repeat(32), payload: '' };

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
    const server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('relayer: runner answers', () => {
    it('stops reading a huge answer at the cap, with or without a Content-Length (the review sent 400 MB)', async () => {
        const { server, url } = await serve((req, res) => {
            req.resume();
            const chunked = req.url === '/chunked/v1/jobs';
            res.writeHead(200, chunked ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', 'content-length': String(400 * 1024 * 1024) });
            const chunk = Buffer.alloc(64 * 1024, 0x20);
            let written = 0;
            let gone = false;
            res.on('close', () => (gone = true));
            const pump = () => {
                while (!gone && written < 50 * 1024 * 1024) {
                    written += chunk.length;
                    if (!res.write(chunk)) return void res.once('drain', pump);
                }
                res.end();
            };
            pump();
        });
        try {
            for (const base of [url, `${url}/chunked`]) {
                const err: any = await postJob(base, input, 10_000).catch((e: any) => e);
                expect(err).toBeInstanceOf(RelayerError);
                expect(err.retryable).toBe(true);
                expect(err.message).toMatch(new RegExp(`above ${MAX_RUNNER_REPLY_BYTES} bytes`));
            }
        } finally {
            server.closeAllConnections();
            server.close();
        }
    });

    it('does not follow a redirect: a runner URL read from chain cannot aim the POST at another host', async () => {
        const victim = await serve((req, res) => {
            req.resume();
            res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
        let victimHits = 0;
        victim.server.on('request', () => victimHits++);
        const hostile = await serve((req, res) => {
            req.resume();
            res.writeHead(307, { location: `${victim.url}/admin?do=it` }).end();
        });
        try {
            const err: any = await postJob(hostile.url, input, 5_000).catch((e: any) => e);
            expect(err).toBeInstanceOf(RelayerError);
            expect(victimHits).toBe(0);
        } finally {
            hostile.server.close();
            victim.server.close();
        }
    });

    it('treats 409 (the runner has not read the job as open on chain yet) as retryable', async () => {
        const { server, url } = await serve((req, res) => {
            req.resume();
            res.writeHead(409, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: 'NotTheJob', message: 'no open job with this id on chain: nothing signed' }));
        });
        try {
            const err: any = await postJob(url, input, 5_000).catch((e: any) => e);
            expect(err).toBeInstanceOf(RelayerError);
            expect(err.retryable).toBe(true);
        } finally {
            server.close();
        }
    });
});
