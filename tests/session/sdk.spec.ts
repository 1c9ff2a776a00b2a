/**
 * Sessions end to end on the devnet (issue 13): the SDK opens a session with an attested runner
 * whose engine streams a token every 20 ms, chats, checks every voucher, tops up and closes
 * cooperatively; the Provider pays exactly the final charge less the fee and refunds the rest. The
 * runner refuses strangers, replayed and reordered requests and requests the deposit cannot cover
 * (before the engine runs); the first text reaches the SDK before the engine has finished.
 */
import { toNano } from '@ton/core';
import { openProvider } from '../../sdk/chain';
import { CocoonClient, Session, SessionRequestError } from '../../sdk';
import { verifyVoucher } from '../../protocol/voucher';
import { voucherFromJson, VoucherJson } from '../../protocol/voucherJson';
import { ledgerOf } from '../relayer/helpers';
import { ask, exchange, handshake, mustHandshake, newClientKey, Target } from './runnerHarness';
import { openRawSession, SessionWorld, startSessionWorld, startStreamRunner, STREAM_MODEL, StreamRunner, VOUCHER_TOKEN } from './world';
import type { EnclaveServer } from '../../enclave/server';

jest.setTimeout(120_000);

let w: SessionWorld;
let runner: StreamRunner & { server: EnclaveServer };
let sdk: CocoonClient;

beforeAll(async () => {
    w = await startSessionWorld({ tokenMs: 20 });
    runner = await startStreamRunner(w);
    sdk = w.streamSdk(runner);
});
afterAll(async () => {
    await runner?.server.close();
    await w?.stop();
});

const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: STREAM_MODEL, messages: [{ role: 'user', content }], ...extra });
const reversed = (s: string) => s.split(' ').reverse().join(' ');
const target = (): Target => ({ url: runner.url, enclaveKey: runner.enclaveKey, globalId: w.demo.protocol.attestation.globalId, provider: w.provider });

describe('sessions through the SDK', () => {
    it('opens, streams three chats with verified vouchers, and closes cooperatively: the provider gets exactly the final charge less the fee, the client the rest', async () => {
        const before = await ledgerOf(w.demo.client, w.provider);
        const requests = w.engine.requests;
        const session = await sdk.openSession({ model: STREAM_MODEL, deposit: toNano('1') });
        const record = (await openProvider(w.demo.client, w.provider).getSession(session.id))!;
        expect(record.enclaveKey.toString(16).padStart(64, '0')).toBe(Buffer.from(session.enclaveKey).toString('hex'));

        let last;
        for (const [i, prompt] of ['the first question', 'a second and longer question', 'third'].entries()) {
            const stream = session.chat(chat(prompt));
            const deltas: string[] = [];
            for await (const d of stream) deltas.push(d);
            const r = await stream.result;
            expect(r.text).toBe(reversed(prompt));
            expect(deltas.join('')).toBe(r.text);
            expect(deltas.length).toBe(prompt.split(' ').length); // one delta per engine token
            expect(r.voucher.seq).toBe(BigInt(i + 1));
            expect(verifyVoucher({ globalId: w.demo.protocol.attestation.globalId, provider: w.provider, sessionId: session.id }, r.voucher, session.enclaveKey)).toBe(true);
            last = r.voucher;
        }
        expect(w.engine.requests).toBe(requests + 3);
        expect(session.latestVoucher).toEqual(last);

        const closed = await session.close();
        expect(closed.cooperative).toBe(true);
        expect(closed.voucher).toMatchObject({ seq: 4n, final: true, charge: last!.charge, inputTokens: last!.inputTokens, outputTokens: last!.outputTokens });
        const after = await ledgerOf(w.demo.client, w.provider);
        const fee = (last!.charge * record.protocolFeeBps) / 10_000n;
        expect(after.rentPaid).toBe(before.rentPaid); // nothing else moved earnings
        expect(after.earnings - before.earnings).toBe(last!.charge - fee);
        expect(after.fees - before.fees).toBe(fee);
        expect(after.sessionDeposits).toBe(before.sessionDeposits);
        expect(await openProvider(w.demo.client, w.provider).getSession(session.id)).toBeNull();
        // The refund travels with what the message's gas left: at least the unspent deposit.
        expect(closed.refund!).toBeGreaterThanOrEqual(record.deposit - last!.charge);
        expect(closed.refund!).toBeLessThan(record.deposit - last!.charge + toNano('0.05'));
        expect((await session.status()).open).toBe(false);
        await expect(session.chat(chat('after the close')).result).rejects.toMatchObject({ code: 'session_gone', reason: 'SessionClosed' });
        expect(w.engine.requests).toBe(requests + 3);
    });

    it('streams: the first text reaches the SDK before the engine has finished', async () => {
        const session = await sdk.openSession({ model: STREAM_MODEL, deposit: toNano('0.5') });
        const words = Array.from({ length: 25 }, (_, i) => `word${i}`).join(' ');
        w.engine.events.length = 0;
        const stream = session.chat(chat(words));
        let first = true;
        for await (const _ of stream) {
            if (first) w.engine.events.push('sdk:first-text');
            first = false;
        }
        w.engine.events.push('sdk:result');
        expect((await stream.result).text).toBe(reversed(words));
        const at = (e: string) => w.engine.events.indexOf(e);
        expect(at('engine:start')).toBeGreaterThanOrEqual(0);
        expect(at('sdk:first-text')).toBeLessThan(at('engine:done'));
        expect(w.engine.events.slice(0, at('sdk:first-text')).filter((e) => e === 'engine:token').length).toBeLessThan(25);
        await session.close();
    });

    it('refuses a request whose worst case passes the deposit before the engine runs, and serves it after a top-up', async () => {
        // 0.03 TON sent, ~0.018 deposited after the opening's costs; 8,000 output tokens at 4 TON per million cost 0.032.
        const session: Session = await sdk.openSession({ model: STREAM_MODEL, deposit: toNano('0.03') });
        const opened = session.deposit;
        expect(opened).toBeLessThan(toNano('0.032'));
        const requests = w.engine.requests;
        const refused = await session.chat(chat('please answer at length', { max_tokens: 8000 })).result.catch((e) => e);
        expect(refused).toBeInstanceOf(SessionRequestError);
        expect(refused).toMatchObject({ code: 'session_refused', reason: 'OverDeposit' });
        expect(w.engine.requests).toBe(requests); // the engine was never called
        const deposit = await session.topUp(toNano('0.05'));
        expect(deposit).toBeGreaterThan(opened + toNano('0.04')); // the top-up, less its gas (0.006)
        const served = await session.chat(chat('please answer at length', { max_tokens: 8000 })).result;
        expect(served.text).toBe('length at answer please');
        expect(w.engine.requests).toBe(requests + 1);
        await session.close();
    });
    it('never gets two vouchers for one sequence number when chats run at once on several channels; the feed holds the latest', async () => {
        const session = await sdk.openSession({ model: STREAM_MODEL, deposit: toNano('1') });
        const prompts = Array.from({ length: 8 }, (_, i) => `concurrent chat ${i} ${'more '.repeat(i)}`.trim());
        const results = await Promise.all(prompts.map((p) => session.chat(chat(p)).result));
        results.forEach((r, i) => expect(r.text).toBe(reversed(prompts[i])));
        const seqs = results.map((r) => r.voucher.seq).sort((a, b) => (a < b ? -1 : 1));
        expect(seqs).toEqual(prompts.map((_, i) => BigInt(i + 1)));
        const latest = results.find((r) => r.voucher.seq === 8n)!.voucher;
        expect(latest.inputTokens).toBe(results.reduce((n, r) => n + BigInt(r.usage.inputTokens), 0n));
        expect(latest.outputTokens).toBe(results.reduce((n, r) => n + BigInt(r.usage.outputTokens), 0n));
        const feed = (await (await fetch(`${runner.url}/v1/session/vouchers`, { headers: { authorization: `Bearer ${VOUCHER_TOKEN}` } })).json()) as { vouchers: VoucherJson[] };
        expect(feed.vouchers.filter((v) => v.sessionId === session.id.toString()).map((v) => voucherFromJson(v).voucher)).toEqual([latest]);
        await session.close();
    });
});

describe('the runner against the real chain', () => {
    it('gives a stranger who knows the session id no channel, and the session\'s client one', async () => {
        const client = newClientKey();
        const id = await openRawSession(w, target().enclaveKey, client, STREAM_MODEL);
        const stranger = await handshake(target(), id, newClientKey());
        expect(stranger.res.status).toBe(403);
        expect(await stranger.res.json()).toMatchObject({ error: 'BadSignature' });
        const c = await mustHandshake(target(), id, client);
        expect((await ask(target(), c, chat('mine alone'))).text).toBe('alone mine');
    });

    it('refuses a replayed or reordered sealed request; the genuine ones are served in order', async () => {
        const client = newClientKey();
        const id = await openRawSession(w, target().enclaveKey, client, STREAM_MODEL);
        const c = await mustHandshake(target(), id, client);
        const r0 = c.channel.sealRequest(Buffer.from(JSON.stringify(chat('first one'))));
        const r1 = c.channel.sealRequest(Buffer.from(JSON.stringify(chat('second one'))));
        const requests = w.engine.requests;
        const reordered = await exchange(runner.url, 'request', c.id, r1.seq, r1.sealed);
        expect([reordered.status, reordered.error?.error]).toEqual([409, 'OutOfOrder']);
        expect((await exchange(runner.url, 'request', c.id, r0.seq, r0.sealed, r0.answer)).text).toBe('one first');
        const replayed = await exchange(runner.url, 'request', c.id, r0.seq, r0.sealed);
        expect([replayed.status, replayed.error?.error]).toEqual([409, 'Replayed']);
        expect((await exchange(runner.url, 'request', c.id, r1.seq, r1.sealed, r1.answer)).text).toBe('one second');
        expect(w.engine.requests).toBe(requests + 2);
    });
});
