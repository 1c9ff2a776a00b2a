// Issue 12: "under toncenter's rate limits (1 request/s without a key) every CLI command fails".
// Told the endpoint's rate (COCOON_ENDPOINT_RPS; toncenter.com's tier is known without telling), a
// command paces its reads under it and is never refused; untold, it finds the rate from the 429s
// (tests/cli/onboarding.spec.ts runs the provider's commands that way); an endpoint that refuses
// every request makes it give up after its retries, saying what to set.
import { mnemonicNew } from '@ton/crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDevnet, Devnet } from '../../devnet';
import { cocoon } from './cocoonBin';

jest.setTimeout(120_000);

describe('cocoon CLI under a rate-limited endpoint', () => {
    let devnet: Devnet;
    beforeAll(async () => {
        devnet = await startDevnet({ port: 0, blockMs: 0, rateLimit: 1 });
    });
    afterAll(() => devnet.close());

    it('paced under the endpoint\'s rate (COCOON_ENDPOINT_RPS=0.8), wallet balance\'s two reads at once are never refused', async () => {
        const refused = async () => ((await (await fetch(`${devnet.url}/devnet/status`)).json()) as { result: { refused: { withoutKey: number } } }).result.refused.withoutKey;
        const env = { COCOON_ENDPOINT: devnet.endpoint, COCOON_WALLET_MNEMONIC: (await mnemonicNew()).join(' '), COCOON_ENDPOINT_RPS: '0.8' };
        const before = await refused();
        const r = await cocoon(['wallet', 'balance', '--json'], env); // a request that arrives just early is refused: 0.8, not 1
        expect([r.code, r.stderr]).toEqual([0, '']);
        expect(JSON.parse(r.stdout)).toMatchObject({ balance: '0', deployed: false });
        expect(await refused()).toBe(before);
    });
});

describe('cocoon CLI against an endpoint that refuses everything', () => {
    let server: Server;
    let endpoint: string;
    beforeAll(async () => {
        // Retry-After: 0 lets the retries run at once; the rate never comes back.
        server = createServer((req, res) => {
            req.resume();
            res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' }).end('{"ok":false,"error":"Ratelimit exceed","code":429}');
        });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jsonRPC`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it('gives up after its retries: exit 4, and the message says what to set', async () => {
        const r = await cocoon(['wallet', 'balance'], { COCOON_ENDPOINT: endpoint, COCOON_WALLET_MNEMONIC: (await mnemonicNew()).join(' ') });
        expect(r.code).toBe(4);
        expect(r.stderr).toMatch(/HTTP 429.*COCOON_ENDPOINT_API_KEY.*COCOON_ENDPOINT_RPS/);
    });
});
