// The devnet answers as toncenter v2 does where a client can tell the difference (issue 12):
// page limits, the (lt, hash) pair, a refused external's 500 and its LITE_SERVER_UNKNOWN text, a
// masterchain clock that moves with real time, time travel only by an admin call that makes a
// block, the required get-method stack, the echoed "@extra", and toncenter's HTTP statuses.
// The wall clock is injected, so every time assertion is exact.
import { AxiosError } from 'axios';
import { Cell, toNano, TonClient } from '@ton/ton';
import { Devnet, DEVNET_GLOBAL_ID, DEVNET_WALLET_IDS } from '../../devnet';
import { newWallet, randomAddress, startTestDevnet, transfer } from './helpers';

type Reply = { status: number; body: Record<string, any> };

describe('devnet: toncenter fidelity', () => {
    let devnet: Devnet;
    let client: TonClient;
    // Starts at the real time, so wallets signing with this machine's clock stay valid.
    let wallMs = Math.floor(Date.now() / 1000) * 1000;

    beforeAll(async () => ({ devnet, client } = await startTestDevnet({ clock: () => wallMs })));
    afterAll(() => devnet.close());

    async function call(path: string, init: { method?: string; body?: unknown } = {}): Promise<Reply> {
        const res = await fetch(devnet.url + path, {
            method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
            headers: { 'Content-Type': 'application/json' },
            body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
        });
        return { status: res.status, body: (await res.json()) as Reply['body'] };
    }
    const rpc = (method: string, params: unknown, extra: Record<string, unknown> = {}) =>
        call('/jsonRPC', { body: { id: 7, jsonrpc: '2.0', method, params, ...extra } });
    const nowSeconds = () => Math.floor(wallMs / 1000);

    it('pages getTransactions at most 100 at a time and answers 422 above', async () => {
        const target = randomAddress();
        await devnet.faucet(target, 1n);
        expect(await client.getTransactions(target, { limit: 100 })).toHaveLength(1);
        const above = await rpc('getTransactions', { address: target.toString(), limit: 101 });
        expect(above.status).toBe(422);
        expect(above.body).toMatchObject({ ok: false, code: 422, error: expect.stringMatching(/limit/) });
    });

    it('takes lt only together with hash', async () => {
        const target = randomAddress();
        const paid = await devnet.faucet(target, 1n);
        const ltOnly = await rpc('getTransactions', { address: target.toString(), limit: 1, lt: paid.lt.toString() });
        expect(ltOnly.status).toBe(422);
        expect(ltOnly.body.error).toMatch(/lt.*hash/);
        const [tx] = await client.getTransactions(target, { limit: 1, lt: paid.lt.toString(), hash: paid.hash.toString('base64'), inclusive: true });
        expect(tx.lt).toBe(paid.lt);
    });

    it("answers a refused external with 500 and toncenter's LITE_SERVER_UNKNOWN text naming the exit code", async () => {
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('5'));
        await transfer(w, randomAddress(), toNano('1'), 0);
        const refused: AxiosError = await transfer(w, randomAddress(), toNano('1'), 0).then(
            () => Promise.reject(new Error('a replayed seqno was accepted')),
            (e) => e,
        );
        expect(refused.response?.status).toBe(500);
        const accountHex = w.wallet.address.hash.toString('hex').toUpperCase();
        // V5R1 refuses a used seqno with exit code 133; TonClient's id is echoed.
        expect(refused.response?.data).toEqual({
            ok: false,
            code: 500,
            id: '1',
            jsonrpc: '2.0',
            error:
                'LITE_SERVER_UNKNOWN: cannot apply external message to current state : External message was not accepted\n' +
                `Cannot run message on account: inbound external message rejected by transaction ${accountHex}:\n` +
                'exitcode=133, steps=0, gas_used=0',
        });
    });

    it('requires the stack of runGetMethod, as toncenter does', async () => {
        const target = randomAddress();
        const without = await rpc('runGetMethod', { address: target.toString(), method: 'seqno' });
        expect(without.status).toBe(422);
        expect(without.body.error).toMatch(/stack/);
        expect((await rpc('runGetMethod', { address: target.toString(), method: 'seqno', stack: [] })).status).toBe(200);
    });

    it('echoes "@extra" and the id in JSON-RPC answers, errors included', async () => {
        const ok = await rpc('getMasterchainInfo', {}, { '@extra': 'req-1' });
        expect(ok.body).toMatchObject({ ok: true, id: 7, jsonrpc: '2.0', '@extra': 'req-1' });
        const failed = await rpc('getAddressBalance', { address: 'nope' }, { '@extra': { n: 2 } });
        expect(failed.status).toBe(422);
        expect(failed.body).toMatchObject({ ok: false, code: 422, id: 7, jsonrpc: '2.0', '@extra': { n: 2 } });
        const rest = await call(`/api/v2/getAddressBalance?address=${randomAddress().toString()}&%40extra=q`);
        expect(rest.body).toEqual({ ok: true, result: '0', '@extra': 'q' });
    });

    it('runs on global id -239 (config param 19), so wallets keep their mainnet wallet ids', async () => {
        const param = (await rpc('getConfigParam', { config_id: 19 })).body.result.config.bytes;
        expect(Cell.fromBase64(param).beginParse().loadInt(32)).toBe(DEVNET_GLOBAL_ID);
        expect(DEVNET_GLOBAL_ID).toBe(-239);
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('1'));
        await transfer(w, randomAddress(), 1n);
        const info = await rpc('getWalletInformation', { address: w.wallet.address.toString() });
        expect(info.body.result).toMatchObject({ wallet_type: 'wallet v5 r1', wallet_id: DEVNET_WALLET_IDS.v5r1 });
    });

    it('uses toncenter\'s statuses: 422 for an invalid request, 405 for a wrong HTTP method', async () => {
        expect((await call('/jsonRPC', { body: { id: 1, jsonrpc: '2.0' } })).status).toBe(422);
        expect((await call('/jsonRPC', { body: '[1]' })).status).toBe(422);
        expect((await call('/jsonRPC', { body: '{"method": ' })).status).toBe(422);
        expect((await call('/api/v2/getMasterchainInfo', { method: 'PUT', body: {} })).status).toBe(405);
    });
    // Last: these move the devnet's clock past what wallets signing with this machine's clock accept.
    it('reports sync_utime from a masterchain clock that moves with real time, with no transaction', async () => {
        const target = randomAddress();
        await devnet.faucet(target, 1n);
        const before = await client.getContractState(target);
        expect(before.timestampt).toBe(nowSeconds());
        wallMs += 30_000;
        expect((await client.getContractState(target)).timestampt).toBe(nowSeconds());
        expect((await rpc('getConsensusBlock', {})).body.result.timestamp).toBe(nowSeconds());
    });

    it('travels in time only by the admin advance, which makes a block that sync_utime shows', async () => {
        const target = randomAddress();
        await devnet.faucet(target, 1n);
        const seqno = (await client.getMasterchainInfo()).latestSeqno;
        const now = (await call('/devnet/advance', { body: { seconds: 3600 } })).body.result.now;
        expect(now).toBe(nowSeconds() + 3600);
        expect((await client.getMasterchainInfo()).latestSeqno).toBe(seqno + 1);
        expect((await client.getContractState(target)).timestampt).toBe(now);
        // The next transaction carries the new time without any other traffic in between.
        await devnet.faucet(target, 1n);
        const [tx] = await client.getTransactions(target, { limit: 1 });
        expect(tx.now).toBe(now);
    });
});
