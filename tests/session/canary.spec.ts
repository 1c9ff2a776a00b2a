/**
 * Confidentiality canary for session mode (issue 13): a unique prompt, and the answer the reference
 * engine derives from it, must never go on chain, not even as ciphertext. Every transaction of the
 * Provider and of the client's wallet from the session's opening to its close is scanned for the
 * canary (raw and base64), and every message the Provider received or sent must be no larger than a
 * voucher settlement: a session's messages carry ids, keys, counts and hashes, never content. The
 * runner's log and the devnet's stored state are scanned too.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginCell, Cell, Transaction, toNano } from '@ton/core';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { voucherMessage } from '../../protocol/voucher';
import { storeCloseWithVoucher } from '../../wrappers/Provider';
import { history, memoryLog } from '../relayer/helpers';
import { startWorld, World } from '../sdk/world';

jest.setTimeout(120_000);

function cells(root: Cell): Cell[] {
    return [root, ...root.refs.flatMap(cells)];
}
const treeBits = (root: Cell) => cells(root).reduce((n, c) => n + c.bits.length, 0);

function bodies(tx: Transaction): Cell[] {
    return [...(tx.inMessage ? [tx.inMessage.body] : []), ...[...tx.outMessages.values()].map((m) => m.body)];
}

describe('sessions: confidentiality canary', () => {
    let w: World;
    const logs = memoryLog();
    const statePath = join(mkdtempSync(join(tmpdir(), 'cocoon-session-canary-')), 'devnet-state.json');
    beforeAll(async () => {
        w = await startWorld({ statePath, runnerLogDestination: logs.stream, runnerLogLevel: 'trace' });
    });
    afterAll(() => w?.stop());

    it('puts no prompt or answer on chain, not even as ciphertext: only messages the size of a voucher settlement', async () => {
        const prompt = `canaryprompt${randomBytes(8).toString('hex')} canaryword${randomBytes(8).toString('hex')}`;
        const since = await Promise.all([w.provider, w.signer.address].map(async (a) => BigInt((await w.demo.client.getContractState(a)).lastTransaction?.lt ?? '0')));
        const session = await w.sdk.openSession({ model: REFERENCE_MODEL_NAME, deposit: toNano('0.5') });
        const answers = [];
        for (const content of [prompt, `and again ${prompt}`]) answers.push((await session.chat({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content }] }).result).text);
        await session.topUp(toNano('0.1'));
        const closed = await session.close();
        expect(closed.cooperative).toBe(true);
        const secrets = prompt.split(' ');
        expect(answers[0]).toBe([...secrets].reverse().join(' ')); // the client did read it

        const [providerTxs, walletTxs] = await Promise.all([w.provider, w.signer.address].map(async (a, i) => (await history(w.demo.client, a)).filter((tx) => tx.lt > since[i])));
        const txs = [...providerTxs, ...walletTxs];
        expect(providerTxs.length).toBeGreaterThanOrEqual(3); // open, top-up, close: every one is scanned

        // The largest body a session puts on chain: a voucher delivered (SettleVoucher and CloseWithVoucher alike).
        const voucherBody = beginCell().store(storeCloseWithVoucher({ $$type: 'CloseWithVoucher', sessionId: session.id, voucher: voucherMessage(closed.voucher!) })).endCell();
        const largestCell = Math.max(...cells(voucherBody).map((c) => c.bits.length));
        for (const tx of providerTxs) {
            for (const body of bodies(tx)) {
                expect([tx.lt, treeBits(body) <= treeBits(voucherBody)]).toEqual([tx.lt, true]);
                for (const c of cells(body)) expect([tx.lt, c.bits.length <= largestCell]).toEqual([tx.lt, true]);
            }
        }
        await w.stop(); // writes the devnet state
        expect(logs.text()).toContain('session request answered'); // the log was captured
        const places: [string, Buffer][] = [
            ['runner log', Buffer.from(logs.text())],
            ['devnet state', readFileSync(statePath)],
            ...txs.map((tx, i) => [`transaction ${i}`, tx.raw.toBoc()] as [string, Buffer]),
        ];
        for (const [where, bytes] of places) {
            for (const s of secrets) expect([where, bytes.includes(s) || bytes.includes(Buffer.from(s).toString('base64').slice(0, 16))]).toEqual([where, false]);
        }
    });
});
