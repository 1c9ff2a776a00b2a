// Many clients at once: requests interleave over HTTP, but the chain applies them one at a time.
import { toNano, TonClient } from '@ton/ton';
import { Devnet } from '../../devnet';
import { newWallet, randomAddress, startTestDevnet, transfer } from './helpers';

describe('devnet: concurrent requests', () => {
    let devnet: Devnet;
    let client: TonClient;

    beforeAll(async () => ({ devnet, client } = await startTestDevnet()));
    afterAll(() => devnet.close());

    it('serves concurrent requests consistently', async () => {
        const targets = Array.from({ length: 20 }, () => randomAddress());
        const start = (await client.getMasterchainInfo()).latestSeqno;
        await Promise.all(targets.map((t, i) => devnet.faucet(t, BigInt(1000 + i))));
        const balances = await Promise.all(targets.map((t) => client.getBalance(t)));
        expect(balances).toEqual(targets.map((_, i) => BigInt(1000 + i)));
        // Instant mode: one block per faucet payment, none lost or merged.
        expect((await client.getMasterchainInfo()).latestSeqno).toBe(start + targets.length);

        const mixed = await Promise.all(
            targets.flatMap((t) => [client.getContractState(t), client.getTransactions(t, { limit: 5 }), client.getMasterchainInfo()]),
        );
        expect(mixed).toHaveLength(60);
    });

    it('applies transfers sent by several wallets at once', async () => {
        const wallets = Array.from({ length: 5 }, () => newWallet(client));
        await Promise.all(wallets.map((w) => devnet.faucet(w.wallet.address, toNano('3'))));
        const recipients = wallets.map(() => randomAddress());
        await Promise.all(wallets.map((w, i) => transfer(w, recipients[i], toNano('1'), 0)));
        const seqnos = await Promise.all(wallets.map((w) => w.opened.getSeqno()));
        expect(seqnos).toEqual([1, 1, 1, 1, 1]);
        const received = await Promise.all(recipients.map((r) => client.getBalance(r)));
        expect(received).toEqual(recipients.map(() => toNano('1')));
    });
});
