// A wallet's life on the devnet, seen only through TonClient: faucet, deploy + transfer, state,
// get-methods and fee estimation.
import { Address, beginCell, toNano, TonClient } from '@ton/ton';
import { Devnet } from '../../devnet';
import { newWallet, randomAddress, signedTransfer, startTestDevnet, transfer } from './helpers';

describe('devnet: a V5R1 wallet through TonClient', () => {
    let devnet: Devnet;
    let client: TonClient;

    beforeAll(async () => ({ devnet, client } = await startTestDevnet()));
    afterAll(() => devnet.close());

    it('funds an undeployed address from the faucet', async () => {
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('10'));

        const state = await client.getContractState(w.wallet.address);
        expect(state.state).toBe('uninitialized');
        expect(state.balance).toBe(toNano('10'));
        expect(state.lastTransaction).not.toBeNull();
        expect(await client.isContractDeployed(w.wallet.address)).toBe(false);
    });

    it('deploys the wallet with its first transfer and moves the value', async () => {
        const w = newWallet(client);
        const recipient = randomAddress();
        await devnet.faucet(w.wallet.address, toNano('10'));

        await transfer(w, recipient, toNano('2'), 0);

        const state = await client.getContractState(w.wallet.address);
        expect(state.state).toBe('active');
        expect(state.code?.equals(w.wallet.init.code.toBoc())).toBe(true);
        expect(await client.getBalance(recipient)).toBe(toNano('2'));
        const balance = await client.getBalance(w.wallet.address);
        expect(balance).toBeLessThan(toNano('8'));
        expect(balance).toBeGreaterThan(toNano('7.9'));
    });

    it('runs get-methods and decodes their stacks', async () => {
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('5'));
        await transfer(w, randomAddress(), toNano('1'), 0);
        await transfer(w, randomAddress(), toNano('1'), 1);

        expect(await w.opened.getSeqno()).toBe(2);
        const key = await client.runMethod(w.wallet.address, 'get_public_key');
        expect(key.stack.readBigNumber()).toBe(BigInt('0x' + w.keys.publicKey.toString('hex')));
        const signing = await client.runMethod(w.wallet.address, 'is_signature_allowed');
        expect(signing.stack.readBoolean()).toBe(true);
        // An empty dictionary comes back as a null stack entry.
        const ext = await client.runMethod(w.wallet.address, 'get_extensions');
        expect(ext.stack.readCellOpt()).toBeNull();
    });

    it('reports a failing or missing get-method as a non-zero exit code', async () => {
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('5'));
        await transfer(w, randomAddress(), toNano('1'), 0);

        const missing = await client.runMethodWithError(w.wallet.address, 'no_such_method');
        expect(missing.exit_code).toBe(11);
        const undeployed = await client.runMethodWithError(randomAddress(), 'seqno');
        expect(undeployed.exit_code).toBe(-13);
        await expect(client.runMethod(randomAddress(), 'seqno')).rejects.toThrow('exit_code: -13');
    });

    it('passes get-method arguments in toncenter stack format and returns them intact', async () => {
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('5'));
        await transfer(w, randomAddress(), toNano('1'), 0);
        // seqno takes no arguments, so TVM leaves ours below its result: a full round trip of
        // ints (negative too), cells and slices through both stack encodings.
        const cell = beginCell().storeUint(7, 8).endCell();
        const slice = beginCell().storeUint(0xabcd, 16).endCell();
        const res = await client.runMethod(w.wallet.address, 'seqno', [
            { type: 'int', value: -5n },
            { type: 'int', value: 2n ** 200n },
            { type: 'cell', cell },
            { type: 'slice', cell: slice },
        ]);
        expect(res.stack.remaining).toBe(5);
        expect(res.stack.readBigNumber()).toBe(-5n);
        expect(res.stack.readBigNumber()).toBe(2n ** 200n);
        expect(res.stack.readCell().equals(cell)).toBe(true);
        expect(res.stack.readCell().equals(slice)).toBe(true);
        expect(res.stack.readNumber()).toBe(1);
    });

    it('estimates the fee of the next transfer as the chain then charges it', async () => {
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('5'));
        await transfer(w, randomAddress(), toNano('1'), 0);

        const body = signedTransfer(w, 1);
        const estimate = await client.estimateExternalMessageFee(w.wallet.address, { body, initCode: null, initData: null, ignoreSignature: true });
        expect(estimate.source_fees.gas_fee).toBeGreaterThan(0);
        expect(estimate.source_fees.in_fwd_fee).toBeGreaterThan(0);

        await client.sendExternalMessage(w.wallet, body);
        const [tx] = await client.getTransactions(w.wallet.address, { limit: 1 });
        const d = tx.description;
        if (d.type !== 'generic' || d.computePhase.type !== 'vm') throw new Error('expected a generic vm transaction');
        expect(BigInt(estimate.source_fees.gas_fee)).toBe(d.computePhase.gasFees);
        const charged = tx.totalFees.coins;
        const estimated = estimate.source_fees.in_fwd_fee + estimate.source_fees.gas_fee + estimate.source_fees.storage_fee;
        // Storage fees grow with the seconds between estimate and send; nothing else may differ.
        expect(charged - BigInt(estimated)).toBeGreaterThanOrEqual(0n);
        expect(charged - BigInt(estimated)).toBeLessThan(1000n);
    });

    it('rejects an external message the wallet does not accept', async () => {
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('5'));
        await transfer(w, randomAddress(), toNano('1'), 0);
        // seqno 0 again: a replay, which the wallet refuses before accepting.
        await expect(transfer(w, randomAddress(), toNano('1'), 0)).rejects.toThrow(/500/);
        expect(await w.opened.getSeqno()).toBe(1);
    });

    it('pays from the faucet to an address given as a string', async () => {
        const to: Address = randomAddress();
        const paid = await devnet.faucet(to.toString(), 123n);
        expect(paid.amount).toBe(123n);
        expect(await client.getBalance(to)).toBe(123n);
    });
});
