// Get-method stacks with tuples, nested tuples and nulls, on a contract deployed through a wallet.
// The contract is compiled here from Tolk source so the spec owns exactly the shapes it checks.
import { beginCell, Cell, contractAddress, internal, SendMode, StateInit, toNano, TonClient, TupleItem } from '@ton/ton';
import { runTolkCompiler } from '@ton/tolk-js';
import { Devnet } from '../../devnet';
import { newWallet, startTestDevnet } from './helpers';

const SOURCE = `
fun onInternalMessage(in: InMessage) {
}

get fun shapes(x: int): (int, [int, cell, slice?, [int]], slice?) {
    return (x * 2, [-x, beginCell().storeUint(x, 8).endCell(), null, [x]], null);
}
`;

async function compile(): Promise<Cell> {
    const result = await runTolkCompiler({
        entrypointFileName: 'shapes.tolk',
        fsReadCallback: (path) => {
            if (path !== 'shapes.tolk') throw new Error(`unexpected import ${path}`);
            return SOURCE;
        },
    });
    if (result.status !== 'ok') throw new Error(result.message);
    return Cell.fromBase64(result.codeBoc64);
}

describe('devnet: get-method stacks with tuples', () => {
    let devnet: Devnet;
    let client: TonClient;
    let init: StateInit;

    beforeAll(async () => {
        ({ devnet, client } = await startTestDevnet());
        init = { code: await compile(), data: beginCell().endCell() };
        const w = newWallet(client);
        await devnet.faucet(w.wallet.address, toNano('5'));
        await w.opened.sendTransfer({
            seqno: 0,
            secretKey: w.keys.secretKey,
            sendMode: SendMode.PAY_GAS_SEPARATELY,
            messages: [internal({ to: contractAddress(0, init), value: toNano('1'), init, bounce: false })],
        });
    });
    afterAll(() => devnet.close());

    it('deploys a contract carried in a wallet transfer', async () => {
        const state = await client.getContractState(contractAddress(0, init));
        expect(state.state).toBe('active');
        expect(state.code?.equals(init.code!.toBoc())).toBe(true);
    });

    it('returns numbers, tuples with nested tuples and nulls as TonClient expects them', async () => {
        const res = await client.runMethod(contractAddress(0, init), 'shapes', [{ type: 'int', value: 21n }]);
        expect(res.stack.remaining).toBe(3);
        expect(res.stack.readBigNumber()).toBe(42n);

        // TonClient decodes tuple elements to plain values (bigint, Cell, arrays), not TupleItems.
        const tuple = res.stack.pop() as TupleItem & { items: unknown[] };
        expect(tuple.type).toBe('tuple');
        const [neg, cell, missing, nested] = tuple.items;
        expect(neg).toBe(-21n);
        expect((cell as Cell).equals(beginCell().storeUint(21, 8).endCell())).toBe(true);
        expect(missing).toEqual([]); // null inside a tuple: tonlib's empty list
        expect(nested).toEqual([21n]);

        expect(res.stack.pop()).toEqual({ type: 'null' });
    });

    it('computes with the argument it is given, and reports the exit code when it throws', async () => {
        const res = await client.runMethod(contractAddress(0, init), 'shapes', [{ type: 'int', value: 100n }]);
        expect(res.stack.readBigNumber()).toBe(200n);
        // storeUint(-1000, 8) is out of range: TVM exit code 5 (integer out of expected range).
        const failed = await client.runMethodWithError(contractAddress(0, init), 'shapes', [{ type: 'int', value: -1000n }]);
        expect(failed.exit_code).toBe(5);
    });
});
