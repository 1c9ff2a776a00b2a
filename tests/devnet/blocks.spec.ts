// The block clock with 200 ms blocks: messages queue until the next tick.
import { toNano, TonClient } from '@ton/ton';
import { Devnet } from '../../devnet';
import { eventually, newWallet, randomAddress, startTestDevnet, transfer } from './helpers';

const BLOCK_MS = 200;
const ATTEMPTS = 5;

describe('devnet: batched blocks', () => {
    let devnet: Devnet;
    let client: TonClient;

    beforeAll(async () => ({ devnet, client } = await startTestDevnet({ blockMs: BLOCK_MS })));
    afterAll(() => devnet.close());

    const latestSeqno = async () => (await client.getMasterchainInfo()).latestSeqno;

    it('shows a sent message only from the next block on', async () => {
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('10'));
        // A tick may in principle slip in between sending and reading; such an attempt proves
        // nothing either way, so we retry with the next seqno until one is conclusive.
        let observedPending = false;
        for (let seqno = 0; seqno < ATTEMPTS && !observedPending; seqno++) {
            const before = await client.getContractState(w.wallet.address);
            const tickSeqno = await eventually(async () => {
                const s = await latestSeqno();
                return s > before.blockId.seqno ? s : undefined;
            });
            await transfer(w, randomAddress(), toNano('1'), seqno);

            const right = await client.getContractState(w.wallet.address);
            if (right.blockId.seqno === tickSeqno) {
                expect(right.lastTransaction).toEqual(before.lastTransaction);
                observedPending = true;
            }
            const applied = await eventually(async () => {
                const s = await client.getContractState(w.wallet.address);
                return s.lastTransaction?.lt !== before.lastTransaction?.lt ? s : undefined;
            });
            expect(applied.blockId.seqno).toBeGreaterThan(tickSeqno);
            expect(await w.opened.getSeqno()).toBe(seqno + 1);
        }
        expect(observedPending).toBe(true);
    });

    it('produces blocks on its own, empty or not', async () => {
        const first = await latestSeqno();
        const later = await eventually(async () => {
            const s = await latestSeqno();
            return s >= first + 2 ? s : undefined;
        });
        expect(later).toBeGreaterThanOrEqual(first + 2);
    });

    it('answers a faucet request once its block is applied', async () => {
        const target = randomAddress();
        const before = await latestSeqno();
        const paid = await devnet.faucet(target, 777n);
        expect(await client.getBalance(target)).toBe(777n);
        const [tx] = await client.getTransactions(target, { limit: 1 });
        expect(tx.lt).toBe(paid.lt);
        expect(await latestSeqno()).toBeGreaterThan(before);
    });

    it('still rejects at once a message the contract would refuse', async () => {
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('5'));
        await transfer(w, randomAddress(), toNano('1'), 0);
        await eventually(async () => ((await client.isContractDeployed(w.wallet.address)) ? true : undefined));
        await expect(transfer(w, randomAddress(), toNano('1'), 0)).rejects.toThrow(/500/);
    });
});
