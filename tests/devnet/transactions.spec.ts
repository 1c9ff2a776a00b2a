// Transaction history through TonClient: paging by (lt, hash), inclusive and exclusive starts,
// to_lt, single lookups, message tracing and block listings.
import { Address, toNano, TonClient, Transaction } from '@ton/ton';
import { Devnet } from '../../devnet';
import { newWallet, randomAddress, startTestDevnet, transfer } from './helpers';

const ids = (txs: Transaction[]) => txs.map((t) => `${t.lt}:${t.hash().toString('base64')}`);

describe('devnet: transactions through TonClient', () => {
    let devnet: Devnet;
    let client: TonClient;
    let account: Address;

    beforeAll(async () => {
        ({ devnet, client } = await startTestDevnet());
        account = randomAddress();
        for (let i = 1; i <= 7; i++) await devnet.faucet(account, BigInt(i) * 1000n);
    });
    afterAll(() => devnet.close());

    it('lists an account newest first with the values that were sent', async () => {
        const txs = await client.getTransactions(account, { limit: 100 });
        expect(txs).toHaveLength(7);
        const values = txs.map((t) => (t.inMessage?.info.type === 'internal' ? t.inMessage.info.value.coins : -1n));
        expect(values).toEqual([7000n, 6000n, 5000n, 4000n, 3000n, 2000n, 1000n]);
        for (let i = 1; i < txs.length; i++) {
            expect(txs[i - 1].lt).toBeGreaterThan(txs[i].lt);
            // Each transaction links to the previous one of the account.
            expect(txs[i - 1].prevTransactionLt).toBe(txs[i].lt);
        }
    });

    it('pages with limit and (lt, hash) without gaps or repeats', async () => {
        const all = await client.getTransactions(account, { limit: 100 });
        const pages: Transaction[] = [];
        let page = await client.getTransactions(account, { limit: 3 });
        while (page.length > 0) {
            pages.push(...page);
            const last = page[page.length - 1];
            page = await client.getTransactions(account, { limit: 3, lt: last.lt.toString(), hash: last.hash().toString('base64') });
        }
        expect(ids(pages)).toEqual(ids(all));
    });

    it('includes the starting transaction when asked to', async () => {
        const all = await client.getTransactions(account, { limit: 100 });
        const start = all[2];
        const page = await client.getTransactions(account, {
            limit: 2,
            lt: start.lt.toString(),
            hash: start.hash().toString('base64'),
            inclusive: true,
        });
        expect(ids(page)).toEqual(ids(all.slice(2, 4)));
    });

    it('stops before to_lt', async () => {
        const all = await client.getTransactions(account, { limit: 100 });
        const page = await client.getTransactions(account, { limit: 100, to_lt: all[4].lt.toString() });
        expect(ids(page)).toEqual(ids(all.slice(0, 4)));
    });

    it('looks up a single transaction and says when it does not exist', async () => {
        const [newest, older] = await client.getTransactions(account, { limit: 2 });
        const found = await client.getTransaction(account, older.lt.toString(), older.hash().toString('base64'));
        expect(found?.hash().equals(older.hash())).toBe(true);
        const wrongHash = newest.hash().toString('base64');
        await expect(client.getTransaction(account, older.lt.toString(), wrongHash)).rejects.toThrow(/404/);
    });

    it('returns an empty history for an untouched address', async () => {
        expect(await client.getTransactions(randomAddress(), { limit: 10 })).toEqual([]);
    });

    it('traces a transfer from the sender to the recipient and back', async () => {
        const w = newWallet(client);
        const recipient = randomAddress();
        await devnet.faucet(w.wallet.address, toNano('3'));
        await transfer(w, recipient, toNano('1'), 0);

        const [sent] = await client.getTransactions(w.wallet.address, { limit: 1 });
        const out = sent.outMessages.get(0)!;
        if (out.info.type !== 'internal') throw new Error('expected an internal transfer');
        const createdLt = out.info.createdLt.toString();

        const result = await client.tryLocateResultTx(w.wallet.address, recipient, createdLt);
        expect(result.inMessage?.body.hash().equals(out.body.hash())).toBe(true);
        const [received] = await client.getTransactions(recipient, { limit: 1 });
        expect(result.hash().equals(received.hash())).toBe(true);

        const source = await client.tryLocateSourceTx(w.wallet.address, recipient, createdLt);
        expect(source.hash().equals(sent.hash())).toBe(true);
    });

    it('lists transactions per block and advances the masterchain with each block', async () => {
        const before = await client.getMasterchainInfo();
        const target = randomAddress();
        const paid = await devnet.faucet(target, 1n);
        const after = await client.getMasterchainInfo();
        expect(after.latestSeqno).toBe(before.latestSeqno + 1);
        expect(after.workchain).toBe(-1);

        const shards = await client.getWorkchainShards(after.latestSeqno);
        expect(shards).toEqual([{ workchain: 0, shard: after.shard, seqno: after.latestSeqno }]);
        const inBlock = await client.getShardTransactions(0, after.latestSeqno, shards[0].shard);
        const mine = inBlock.filter((t) => t.account.equals(target)).map((t) => ({ lt: t.lt, hash: t.hash }));
        expect(mine).toEqual([{ lt: paid.lt.toString(), hash: paid.hash.toString('base64') }]);
        // The faucet's own transaction sits in the same block.
        expect(inBlock.length).toBe(2);
    });
});
