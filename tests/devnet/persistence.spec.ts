// --state: the chain, its history, the block counter and the clock survive a restart.
import { toNano, Transaction } from '@ton/ton';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newWallet, randomAddress, startTestDevnet, transfer } from './helpers';

const ids = (txs: Transaction[]) => txs.map((t) => t.hash().toString('hex'));

describe('devnet: persistence across restarts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cocoon-devnet-'));

    it('restores accounts, history, blocks and keeps going', async () => {
        const statePath = join(dir, 'state.json');
        const first = await startTestDevnet({ statePath });
        const w = newWallet(first.client);
        const recipient = randomAddress();
        await first.devnet.faucet(w.wallet.address, toNano('10'));
        await transfer(w, recipient, toNano('1'), 0);
        const before = {
            wallet: await first.client.getContractState(w.wallet.address),
            history: ids(await first.client.getTransactions(w.wallet.address, { limit: 100 })),
            seqno: (await first.client.getMasterchainInfo()).latestSeqno,
        };
        await first.devnet.close();
        expect(JSON.parse(readFileSync(statePath, 'utf8')).format).toBe('cocoon-devnet-state');

        const second = await startTestDevnet({ statePath });
        try {
            const wallet = await second.client.getContractState(w.wallet.address);
            expect(wallet.state).toBe('active');
            expect(wallet.balance).toBe(before.wallet.balance);
            expect(wallet.lastTransaction).toEqual(before.wallet.lastTransaction);
            expect(ids(await second.client.getTransactions(w.wallet.address, { limit: 100 }))).toEqual(before.history);
            expect((await second.client.getMasterchainInfo()).latestSeqno).toBe(before.seqno);
            expect(await second.client.getBalance(recipient)).toBe(toNano('1'));

            const reopened = { ...w, opened: second.client.open(w.wallet) };
            expect(await reopened.opened.getSeqno()).toBe(1);
            const next = randomAddress();
            await transfer(reopened, next, toNano('1'), 1);
            const [latest] = await second.client.getTransactions(w.wallet.address, { limit: 1 });
            expect(latest.lt).toBeGreaterThan(BigInt(before.wallet.lastTransaction!.lt));
            expect(await second.client.getBalance(next)).toBe(toNano('1'));
        } finally {
            await second.devnet.close();
        }
    });

    it('applies messages still queued for the next block before shutting down', async () => {
        const statePath = join(dir, 'queued.json');
        const first = await startTestDevnet({ statePath, blockMs: 200 });
        const w = newWallet(first.client);
        await first.devnet.faucet(w.wallet.address, toNano('10'));
        await transfer(w, randomAddress(), toNano('1'), 0);
        await first.devnet.close();

        const second = await startTestDevnet({ statePath });
        try {
            expect(await second.client.open(w.wallet).getSeqno()).toBe(1);
        } finally {
            await second.devnet.close();
        }
    });

    it('keeps the clock offset made by advance', async () => {
        const statePath = join(dir, 'clock.json');
        const first = await startTestDevnet({ statePath });
        const target = randomAddress();
        await first.devnet.faucet(target, 1n);
        const now = await first.devnet.advance(10_000);
        await first.devnet.close();

        const second = await startTestDevnet({ statePath });
        try {
            await second.devnet.faucet(target, 1n);
            const [tx] = await second.client.getTransactions(target, { limit: 1 });
            expect(tx.now).toBeGreaterThanOrEqual(now);
        } finally {
            await second.devnet.close();
        }
    });
});
