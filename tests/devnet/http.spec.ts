// The HTTP surface beyond what TonClient calls: the GET /api/v2/<method> form, toncenter's error
// shape, sendBocReturnHash, wallet information, the faucet route and the time admin route.
// The clock test comes last: after it, wallet transfers signed with a wall-clock valid_until
// would be expired on this devnet.
import { beginCell, external, storeMessage, toNano, TonClient } from '@ton/ton';
import { Devnet } from '../../devnet';
import { newWallet, randomAddress, signedTransfer, startTestDevnet, transfer } from './helpers';
import { getWithHost, postChunked } from '../http/helpers';

type Reply = { status: number; body: { ok: boolean; result?: any; error?: string; code?: number } };

describe('devnet: HTTP API', () => {
    let devnet: Devnet;
    let client: TonClient;

    beforeAll(async () => ({ devnet, client } = await startTestDevnet()));
    afterAll(() => devnet.close());

    async function call(path: string, body?: unknown, raw?: string): Promise<Reply> {
        const res = await fetch(devnet.url + path, {
            method: body === undefined && raw === undefined ? 'GET' : 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
        });
        return { status: res.status, body: (await res.json()) as Reply['body'] };
    }
    const rpc = (method: string, params: unknown) => call('/jsonRPC', { id: 7, jsonrpc: '2.0', method, params });

    it('serves methods as GET /api/v2/<method> with query parameters', async () => {
        const target = randomAddress();
        await devnet.faucet(target, 4242n);
        const reply = await call(`/api/v2/getAddressBalance?address=${encodeURIComponent(target.toString())}`);
        expect(reply).toEqual({ status: 200, body: { ok: true, result: '4242' } });
        const state = await call(`/api/v2/getAddressState?address=${encodeURIComponent(target.toString())}`);
        expect(state.body.result).toBe('uninitialized');
    });

    it('echoes the JSON-RPC id', async () => {
        const reply = await rpc('getMasterchainInfo', {});
        expect(reply.status).toBe(200);
        expect(reply.body).toMatchObject({ ok: true, id: 7, jsonrpc: '2.0' });
    });

    it('answers errors in toncenter shape with fitting statuses', async () => {
        const unknown = await rpc('getEverything', {});
        expect(unknown.status).toBe(404);
        expect(unknown.body).toMatchObject({ ok: false, code: 404 });
        expect(unknown.body.error).toContain('unknown method "getEverything"');

        const badAddress = await rpc('getAddressInformation', { address: 'not-an-address' });
        expect(badAddress.status).toBe(422);
        expect(badAddress.body).toMatchObject({ ok: false, code: 422 });

        const badJson = await call('/jsonRPC', undefined, '{"method": ');
        expect(badJson.status).toBe(422);
        expect(badJson.body.ok).toBe(false);

        expect((await call('/nowhere')).status).toBe(404);
        expect((await rpc('sendBoc', { boc: 'AAAA' })).status).toBe(422);
        expect((await rpc('getTransactions', { address: randomAddress().toString(), limit: 0 })).status).toBe(422);
    });

    // The layer's hostile cases are tested once in tests/http; here, that the devnet is wired to it.
    it('answers the shared layer\'s failures in toncenter shape: 413 to a chunked body above 8 MiB, 403 to a rebinding Host, 415', async () => {
        const res = await postChunked(devnet.url + '/jsonRPC', 1024 * 1024, 9);
        expect([res.status, await res.json()]).toEqual([413, { ok: false, error: `request body above ${8 * 1024 * 1024} bytes`, code: 413 }]);

        const rebinding = await getWithHost(devnet.url, '/devnet/status', 'evil.example');
        expect(rebinding.status).toBe(403);
        expect(JSON.parse(rebinding.body)).toMatchObject({ ok: false, code: 403 });

        const plain = await fetch(devnet.url + '/jsonRPC', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"method":"getMasterchainInfo"}' });
        expect(plain.status).toBe(415);
    });

    it('returns the message hashes from sendBocReturnHash', async () => {
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('5'));
        const body = signedTransfer(w, 0);
        const message = beginCell().store(storeMessage(external({ to: w.wallet.address, init: w.wallet.init, body }))).endCell();

        const reply = await rpc('sendBocReturnHash', { boc: message.toBoc().toString('base64') });
        expect(reply.status).toBe(200);
        expect(reply.body.result.hash).toBe(message.hash().toString('base64'));
        expect(reply.body.result.hash_norm).toMatch(/^[A-Za-z0-9+/]{43}=$/);
        expect(await client.isContractDeployed(w.wallet.address)).toBe(true);
    });

    it('recognises a V5R1 wallet in getWalletInformation', async () => {
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('5'));
        await transfer(w, randomAddress(), toNano('1'), 0);
        const info = await rpc('getWalletInformation', { address: w.wallet.address.toString() });
        expect(info.body.result).toMatchObject({ wallet: true, wallet_type: 'wallet v5 r1', seqno: 1, account_state: 'active' });
        const ext = await rpc('getExtendedAddressInformation', { address: w.wallet.address.toString() });
        expect(ext.body.result.account_state['@type']).toBe('raw.accountState');
        const plain = await rpc('getWalletInformation', { address: randomAddress().toString() });
        expect(plain.body.result).toMatchObject({ wallet: false, account_state: 'uninitialized' });
    });

    it('pays from POST /faucet and validates the amount', async () => {
        const target = randomAddress();
        const paid = await call('/faucet', { address: target.toString(), amount: '2500000000' });
        expect(paid.status).toBe(200);
        expect(paid.body.result).toMatchObject({ amount: '2500000000' });
        expect(await client.getBalance(target)).toBe(toNano('2.5'));

        const tooMuch = await call('/faucet', { address: target.toString(), amount: toNano('2000000').toString() });
        expect(tooMuch.status).toBe(422);
        expect((await call('/faucet', { amount: '1' })).status).toBe(422);
    });

    // The review: any web page could move a developer's devnet clock or drain its faucet.
    it('refuses its admin routes to web pages (a cross-site text/plain POST carries an Origin)', async () => {
        const target = randomAddress();
        for (const [path, body] of [['/faucet', { address: target.toString(), amount: '1000' }], ['/devnet/advance', { seconds: 86400 }]] as const) {
            const res = await fetch(devnet.url + path, { method: 'POST', headers: { 'Content-Type': 'text/plain', Origin: 'https://evil.example' }, body: JSON.stringify(body) });
            expect(res.status).toBe(403);
        }
        expect(await client.getBalance(target)).toBe(0n);
        // The toncenter API itself still answers pages, as toncenter does.
        const api = await fetch(devnet.url + '/api/v2/getMasterchainInfo', { headers: { Origin: 'https://app.example' } });
        expect(api.status).toBe(200);
    });

    it('moves the chain clock forward with POST /devnet/advance', async () => {
        const target = randomAddress();
        await devnet.faucet(target, 1n);
        const before = await client.getContractState(target);
        const reply = await call('/devnet/advance', { seconds: 3600 });
        expect(reply.body.result.now).toBeGreaterThanOrEqual(before.timestampt + 3600);

        await devnet.faucet(target, 1n);
        const after = await client.getContractState(target);
        expect(after.timestampt).toBeGreaterThanOrEqual(before.timestampt + 3600);
        const [tx] = await client.getTransactions(target, { limit: 1 });
        expect(tx.now).toBeGreaterThanOrEqual(before.timestampt + 3600);
        expect((await call('/devnet/advance', { seconds: -1 })).status).toBe(422);
    });
});
