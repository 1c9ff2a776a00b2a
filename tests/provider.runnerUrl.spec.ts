/**
 * SetRunnerUrl: the owner publishes its runner's public URL on chain (docs/SPEC.md, "Runner URL").
 * Only the owner may set it; it is one cell of bytes at most (127), with no refs; an empty string
 * clears it; a parameter sync keeps it. Refusals change nothing and bounce the value.
 */
import '@ton/test-utils';
import { beginCell, Cell, toNano } from '@ton/core';
import { protocol, Protocol } from './fixtures/protocol';
import { Exit } from '../protocol/errors';
import { storeSetRunnerUrl } from '../wrappers/Provider';

let p: Protocol;
beforeAll(async () => {
    p = await protocol();
    p.checkpoint();
});
beforeEach(() => p.reset());

const URL = 'https://runner.example.org:8443';
const setUrl = (url: string, via = p.providerOwner) =>
    p.provider.send(via.getSender(), { value: toNano('0.05') }, { $$type: 'SetRunnerUrl', queryId: 7n, url });
const body = (url: string) => beginCell().store(storeSetRunnerUrl({ $$type: 'SetRunnerUrl', queryId: 0n, url })).endCell();

async function dataHash() {
    const c = await p.blockchain.getContract(p.provider.address);
    return c.accountState?.type === 'active' ? c.accountState.state.data!.hash().toString('hex') : '';
}

/** The owner sends a hand-built body; it is refused with `code`, changes nothing, and bounces. */
async function ownerRefused(msg: Cell, code: number) {
    const before = await dataHash();
    const res = await p.providerOwner.send({ to: p.provider.address, value: toNano('0.05'), body: msg });
    expect(res.transactions).toHaveTransaction({ from: p.providerOwner.address, to: p.provider.address, success: false, exitCode: code });
    expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.providerOwner.address, inMessageBounced: true });
    expect(await dataHash()).toBe(before);
}

describe('Provider runner URL', () => {
    it('is unset on a new Provider', async () => {
        expect(await p.provider.getRunnerUrl()).toBeNull();
    });

    it('the owner sets it and gets the excess back; the getter returns it', async () => {
        const res = await setUrl(URL);
        expect(res.transactions).toHaveTransaction({ from: p.providerOwner.address, to: p.provider.address, success: true });
        expect(res.transactions).toHaveTransaction({ from: p.provider.address, to: p.providerOwner.address, op: 0xd53276db, value: (v) => v! > toNano('0.04') });
        expect(await p.provider.getRunnerUrl()).toBe(URL);
    });

    it('the owner replaces it, and an empty string clears it', async () => {
        await setUrl(URL);
        await setUrl('http://10.0.0.2:9000');
        expect(await p.provider.getRunnerUrl()).toBe('http://10.0.0.2:9000');
        await setUrl('');
        expect(await p.provider.getRunnerUrl()).toBeNull();
    });

    it('a parameter sync keeps it', async () => {
        await setUrl(URL);
        const sync = await p.provider.send(p.stranger.getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', queryId: 0n });
        expect(sync.transactions).toHaveTransaction({ from: p.registry.address, to: p.provider.address, success: true });
        expect(await p.provider.getRunnerUrl()).toBe(URL);
        expect((await p.provider.getParams())!.minStake).toBe(p.params.minStake);
    });

    it('accepts exactly 127 bytes and refuses 128 with ERR_RUNNER_URL, changing nothing', async () => {
        await setUrl(URL);
        const longest = 'https://r.example/' + 'a'.repeat(127 - 18);
        expect(Buffer.byteLength(longest)).toBe(127);
        await ownerRefused(body(longest + 'b'), Exit.ERR_RUNNER_URL);
        expect(await p.provider.getRunnerUrl()).toBe(URL);
        await setUrl(longest);
        expect(await p.provider.getRunnerUrl()).toBe(longest);
    });

    it('refuses a URL continued in a ref (a snake string) or not made of whole bytes', async () => {
        await setUrl(URL);
        const tail = beginCell().storeBuffer(Buffer.from('/more')).endCell();
        const snake = beginCell().storeBuffer(Buffer.from('https://r.example')).storeRef(tail).endCell();
        const oddBits = beginCell().storeBuffer(Buffer.from('https://r.example')).storeUint(1, 1).endCell();
        for (const url of [snake, oddBits]) {
            await ownerRefused(beginCell().storeUint(0x51000018, 32).storeUint(0, 64).storeRef(url).endCell(), Exit.ERR_RUNNER_URL);
        }
        expect(await p.provider.getRunnerUrl()).toBe(URL);
    });

    it('is refused from a stranger, changing nothing', async () => {
        await setUrl(URL);
        const before = await dataHash();
        const res = await setUrl('https://victim.example', p.stranger);
        expect(res.transactions).toHaveTransaction({ from: p.stranger.address, to: p.provider.address, success: false, exitCode: Exit.ERR_WRONG_SENDER });
        expect(await dataHash()).toBe(before);
        expect(await p.provider.getRunnerUrl()).toBe(URL);
    });
});
