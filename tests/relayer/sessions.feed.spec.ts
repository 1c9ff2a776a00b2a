/**
 * A hostile voucher feed: huge or slow answers are cut off at the size cap and the deadline (the
 * shared response reader, http/response.ts), a redirect cannot carry the token elsewhere, and a
 * refusal of the token is named. Through the settlement service, such a feed only counts errors.
 */
import { Address } from '@ton/core';
import { mkdtempSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../relayer/log';
import { createMetrics } from '../../relayer/metrics';
import { RelayerError } from '../../relayer/errors';
import { SessionSettler } from '../../relayer/sessions';
import { Store } from '../../relayer/store';
import { fetchVoucherFeed, httpVoucherSource } from '../../relayer/voucherFeed';

const LIMITS = { timeoutMs: 500, maxBytes: 64 * 1024 };
const TOKEN = 'feed-token-0123456789abcdef';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; written: () => number; closed: () => boolean; close: () => Promise<void> }> {
    let written = 0;
    let closed = false;
    const server: Server = createServer((req, res) => {
        res.on('close', () => (closed = true));
        const write = res.write.bind(res);
        res.write = ((chunk: Buffer | string, ...rest: never[]) => {
            written += Buffer.byteLength(chunk);
            return write(chunk, ...rest);
        }) as typeof res.write;
        handler(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        written: () => written,
        closed: () => closed,
        close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
    };
}

/** Streams 64 KiB chunks up to `total` bytes, as fast as the socket takes them. */
function flood(total: number, headers: Record<string, string> = {}): Handler {
    return (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
            while (sent < total && !res.destroyed) {
                sent += chunk.length;
                if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
        };
        res.write('{"vouchers":[');
        pump();
    };
}

async function failure(p: Promise<unknown>): Promise<{ error: RelayerError; ms: number }> {
    const t0 = Date.now();
    try {
        await p;
    } catch (e) {
        return { error: e as RelayerError, ms: Date.now() - t0 };
    }
    throw new Error('the feed read succeeded');
}

describe('voucher feed: hostile answers', () => {
    const servers: { close: () => Promise<void> }[] = [];
    afterAll(() => Promise.all(servers.map((s) => s.close())));
    const hostile = async (h: Handler) => {
        const s = await serve(h);
        servers.push(s);
        return s;
    };

    it('reads an honest answer and sends the token', async () => {
        let auth: string | undefined;
        const s = await hostile((req, res) => {
            auth = req.headers.authorization;
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"vouchers":[{"a":1}]}');
        });
        expect(await fetchVoucherFeed(s.url, TOKEN, LIMITS)).toEqual([{ a: 1 }]);
        expect(auth).toBe(`Bearer ${TOKEN}`);
    });

    it('cuts a huge chunked answer off at the cap: the rest is never sent', async () => {
        const s = await hostile(flood(200 * 1024 * 1024));
        const { error, ms } = await failure(fetchVoucherFeed(s.url, TOKEN, LIMITS));
        expect(error.message).toBe(`voucher feed answer above ${LIMITS.maxBytes} bytes`);
        expect(error.retryable).toBe(true);
        expect(ms).toBeLessThan(2000);
        await new Promise((r) => setTimeout(r, 100));
        expect(s.closed()).toBe(true);
        expect(s.written()).toBeLessThan(16 * 1024 * 1024); // socket buffers at most, not 200 MB
    });

    it('refuses a declared length above the cap before reading the body', async () => {
        const s = await hostile(flood(10 * 1024 * 1024, { 'content-length': String(10 * 1024 * 1024 + 13) }));
        const { error } = await failure(fetchVoucherFeed(s.url, TOKEN, LIMITS));
        expect(error.message).toBe(`voucher feed answer above ${LIMITS.maxBytes} bytes`);
    });

    it('gives up on a body that trickles, and on an answer that never comes, at the deadline', async () => {
        const trickle = await hostile((_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write('{"vouchers":[');
            const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(' ')), 50);
        });
        const silent = await hostile(() => undefined);
        for (const s of [trickle, silent]) {
            const { error, ms } = await failure(fetchVoucherFeed(s.url, TOKEN, LIMITS));
            expect(error.retryable).toBe(true);
            expect(error.message).toMatch(/TimeoutError|AbortError/);
            expect(ms).toBeGreaterThanOrEqual(LIMITS.timeoutMs - 50);
            expect(ms).toBeLessThan(LIMITS.timeoutMs + 1500);
        }
    });

    it('does not follow a redirect (the token would go elsewhere), and names a refused token', async () => {
        let hits = 0;
        const elsewhere = await hostile((_req, res) => {
            hits++;
            res.end('{"vouchers":[]}');
        });
        const redirect = await hostile((_req, res) => {
            res.writeHead(302, { location: `${elsewhere.url}/v1/session/vouchers` });
            res.end();
        });
        await failure(fetchVoucherFeed(redirect.url, TOKEN, LIMITS));
        expect(hits).toBe(0);
        const refusing = await hostile((_req, res) => {
            res.writeHead(401);
            res.end();
        });
        const { error } = await failure(fetchVoucherFeed(refusing.url, TOKEN, LIMITS));
        expect([error.retryable, error.message]).toEqual([false, "voucher feed answered HTTP 401 (is the feed token the runner's?)"]);
    });

    it('refuses an answer that is not JSON or has no vouchers array', async () => {
        for (const body of ['<html>', '{"vouchers":{}}', '[]', 'null']) {
            const s = await hostile((_req, res) => {
                res.writeHead(200, { 'content-type': 'application/json' });
                res.end(body);
            });
            const { error } = await failure(fetchVoucherFeed(s.url, TOKEN, LIMITS));
            expect(error.message).toMatch(/not JSON|no "vouchers" array/);
        }
    });

    it('through the settlement service, a flooding feed costs a counted error and stores nothing', async () => {
        const s = await hostile(flood(200 * 1024 * 1024));
        const provider = new Address(0, Buffer.alloc(32, 1));
        const store = new Store(join(mkdtempSync(join(tmpdir(), 'cocoon-feed-')), 'relayer.sqlite'));
        const metrics = createMetrics(() => store);
        const chain = { globalId: async () => -239, chainTime: async () => 0 } as never;
        const settler = new SessionSettler(
            { chain, store: store.sessions, log: createLogger('silent'), metrics },
            { thresholdNano: 1n, pollMs: 50, checkMs: 1000, walletSettle: false },
            httpVoucherSource({ urlFor: async () => s.url }, new Map([[provider.toRawString(), TOKEN]]), LIMITS),
        );
        const rss = process.memoryUsage().rss;
        for (let i = 0; i < 5; i++) await settler.round(provider);
        expect((await metrics.errors.get()).values.find((v) => v.labels.stage === 'feed')?.value).toBe(5);
        expect(store.sessions.countsByState()).toEqual({ pending: 0, sent: 0, settled: 0, ended: 0 });
        expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
        store.close();
    });
});
