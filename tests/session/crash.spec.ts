/**
 * kill -9 of a session runner mid-stream (issue 13): the runner is a child process (enclave/main.ts)
 * whose engine streams a token every 20 ms. The client's stream fails with a clear error; the
 * vouchers it already holds settle on chain (anyone may send them); the runner restarted with new
 * keys cannot serve the old session, and the SDK reopens a new one by itself (`autoReopen`) while
 * the old one's challenge window starts.
 */
import { beginCell, toNano } from '@ton/core';
import type { AttestationPolicy } from '../../sdk';
import { RunnerUnreachableError } from '../../sdk';
import { openProvider } from '../../sdk/chain';
import { voucherMessage } from '../../protocol/voucher';
import { storeSettleVoucher } from '../../wrappers/Provider';
import { until } from '../relayer/helpers';
import { ChildRunner, freePort, SessionWorld, spawnStreamRunner, startSessionWorld, STREAM_MODEL } from './world';

jest.setTimeout(180_000);

let w: SessionWorld;
const children: ChildRunner[] = [];

beforeAll(async () => {
    w = await startSessionWorld({ tokenMs: 20 });
});
afterAll(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await w?.stop();
});

const chat = (content: string) => ({ model: STREAM_MODEL, messages: [{ role: 'user', content }] });

describe('session runner: kill -9 mid-stream', () => {
    it('fails the stream with a clear error; the vouchers held settle on chain; the restarted runner serves a reopened session', async () => {
        const port = await freePort();
        let child = await spawnStreamRunner(w, port);
        children.push(child);
        // Each dev runner makes its own quote authority: the client trusts the one the operator names
        // (a real runner's quotes chain to Intel's root and nothing here changes).
        const policy: AttestationPolicy = { trustAnchorPem: child.devRootPem, runnerUrl: () => child.url };
        const sdk = w.newSdk({ attestation: policy });
        const session = await sdk.openSession({ model: STREAM_MODEL, deposit: toNano('1'), autoReopen: true });
        const other = await sdk.openSession({ model: STREAM_MODEL, deposit: toNano('0.1') }); // closed once the runner is gone
        await session.chat(chat('one two three')).result;
        const held = (await session.chat(chat('four five six')).result).voucher;

        const words = Array.from({ length: 60 }, (_, i) => `token${i}`).join(' ');
        const stream = session.chat(chat(words));
        let received = 0;
        let failure: unknown;
        try {
            for await (const _ of stream) {
                if (++received === 3) child.proc.kill('SIGKILL');
            }
        } catch (e) {
            failure = e;
        }
        expect(failure).toBeInstanceOf(RunnerUnreachableError);
        expect((failure as RunnerUnreachableError).message).toMatch(/broke off|cannot reach/);
        await expect(stream.result).rejects.toBeInstanceOf(RunnerUnreachableError);
        expect(received).toBeGreaterThanOrEqual(3);
        expect(received).toBeLessThan(60);
        await child.exited;
        expect(session.latestVoucher).toEqual(held); // the cut answer was never paid for

        // Without its runner a session closes the slow way: the challenge window starts, finish() after it.
        const provider = openProvider(w.demo.client, w.provider);
        const closedAlone = await other.close();
        expect(closedAlone.cooperative).toBe(false);
        expect(closedAlone.voucher).toBeUndefined();
        expect((await provider.getSession(other.id))?.closing).toBe(true);
        expect(closedAlone.settleUntil).toBe(Number((await provider.getSession(other.id))!.settleUntil));

        // Anyone may settle a voucher: here the client's own wallet does.
        const oldId = session.id;
        await w.signer.send({ to: w.provider, value: toNano('0.05'), body: beginCell().store(storeSettleVoucher({ $$type: 'SettleVoucher', sessionId: oldId, voucher: voucherMessage(held) })).endCell() });
        const settled = await until('the voucher to settle', async () => {
            const s = await provider.getSession(oldId);
            return s && s.lastSeq === held.seq ? s : undefined;
        }, 50);
        expect(settled.paid).toBe(held.charge);

        // The runner comes back on the same URL with new keys: the old session is bound to the old key.
        child = await spawnStreamRunner(w, port);
        children.push(child);
        policy.trustAnchorPem = child.devRootPem;
        const after = await session.chat(chat('after the restart')).result;
        expect(after.text).toBe('restart the after');
        expect(session.id).not.toBe(oldId);
        expect(after.voucher.seq).toBe(1n);
        expect(Buffer.from(session.enclaveKey).toString('hex')).toBe(Buffer.from(child.enclaveKey).toString('hex'));
        expect(session.retired.map((r) => r.sessionId)).toEqual([oldId]);
        expect((await provider.getSession(oldId))?.closing).toBe(true); // its challenge window runs; finish() after it

        const closed = await session.close();
        expect(closed.cooperative).toBe(true);
        child.proc.kill('SIGTERM');
        expect(await child.exited).toBe(0);
    });
});
