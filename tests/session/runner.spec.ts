/**
 * The session runner (enclave/sessions.ts, enclave/sessionServer.ts) over a fake chain, spoken to in
 * the wire format of docs/spec/enclave.md ("Sessions"): handshake checks, ordering of sealed
 * requests, the deposit bound (before the engine runs), vouchers (exact price, transcript chain, one
 * per sequence number however requests race on several channels), close, the voucher feed, engine
 * failures and disconnects, and logs without plaintext.
 */
import type { InferenceBackend } from '../../enclave/backends/backend';
import { referenceBackend } from '../../enclave/backends/reference';
import { modelIdFor } from '../../enclave/models';
import { countTokens } from '../../enclave/tokens';
import { inputText, parseRequest } from '../../enclave/request';
import { bigintFromBytes } from '../../protocol/signed';
import { CLOSE_PLAINTEXT, FrameReader, INITIAL_TRANSCRIPT, MAX_CHANNELS_PER_SESSION, nextTranscript } from '../../protocol/sessionWire';
import { priceOf, verifyVoucher } from '../../protocol/voucher';
import { voucherFromJson, VoucherJson } from '../../protocol/voucherJson';
import { startHandshake } from '../../crypto';
import { parseConfig } from '../../enclave/config';
import { PROVIDER } from '../enclave/helpers';
import { ask, binding, chat, exchange, handshake, Harness, mustHandshake, newClientKey, post, PRICE_IN, PRICE_OUT, startHarness } from './runnerHarness';

const TOKEN = 'feed-token-0123456789abcdef';

/** A backend that counts its calls and can be told to stall, fail or stream slowly. */
function controllable() {
    const inner = referenceBackend();
    const state = { calls: 0, delayMs: 0, failAfterText: false, failAtOnce: false, hold: null as Promise<void> | null };
    const backend: InferenceBackend = {
        kind: 'reference',
        async run(req, signal, onDelta) {
            state.calls++;
            if (state.failAtOnce) throw new Error('engine down');
            if (state.hold) await state.hold;
            if (!state.delayMs && !state.failAfterText) return inner.run(req, signal, onDelta);
            const words: string[] = [];
            const result = await inner.run(req, signal, (w) => words.push(w));
            for (const w of words) {
                signal.throwIfAborted();
                onDelta?.(w);
                if (state.failAfterText) throw new Error('engine crashed mid-answer');
                await new Promise((r) => setTimeout(r, state.delayMs));
            }
            signal.throwIfAborted();
            return result;
        },
    };
    return { backend, state };
}

let h: Harness;
let engine: ReturnType<typeof controllable>;
let nextId = 1n;
const newSession = (over = {}) => {
    const client = newClientKey();
    const id = nextId++;
    h.open(id, client, over);
    return { id, client };
};

beforeAll(async () => {
    engine = controllable();
    h = await startHarness({ backend: engine.backend, voucherToken: TOKEN });
});
afterAll(() => h.close());
beforeEach(() => {
    Object.assign(engine.state, { delayMs: 0, failAfterText: false, failAtOnce: false, hold: null });
    h.chain.failing = false;
});

const ref = (id: bigint) => binding(id);
const codeOf = async (res: Response) => ((await res.json()) as { error: string }).error;
const parseVoucher = (json: VoucherJson | undefined) => voucherFromJson(json).voucher;

describe('session runner: handshake', () => {
    it('accepts the session\'s client and names the channel both sides derive', async () => {
        const { id, client } = newSession();
        const { res, id: channelId } = await mustHandshake(h, id, client);
        expect(res.headers.get('content-type')).toBe('application/octet-stream');
        expect(res.headers.get('x-cocoon-channel')).toBe(channelId);
    });

    it('gives a stranger who knows the session id no channel', async () => {
        const { id, client } = newSession();
        const { res } = await handshake(h, id, newClientKey());
        expect([res.status, (await codeOf(res))]).toEqual([403, 'BadSignature']);
        // Nothing was kept for it: the session's own client is still served on its first channel.
        const c = await mustHandshake(h, id, client);
        expect((await ask(h, c, chat('mine'))).text).toBe('mine');
    });

    it.each([
        ['an unknown session', 404, 'SessionUnknown', { unknown: true }],
        ['a session bound to another enclave key', 403, 'WrongEnclave', { enclaveKey: 12345n }],
        ['a session closing on chain', 409, 'SessionClosing', { closing: true }],
        ['an expired session', 409, 'SessionExpired', { expiresAt: Math.floor(Date.now() / 1000) - 1 }],
        ['a session for a model this runner does not serve', 409, 'ModelNotServed', { modelId: bigintFromBytes(modelIdFor('cocoon-unserved-v1')) }],
    ])('refuses %s (%s %s)', async (_what, status, code, over) => {
        const client = newClientKey();
        const id = nextId++;
        if (!('unknown' in over)) h.open(id, client, over);
        const { res } = await handshake(h, id, client);
        expect([res.status, (await codeOf(res))]).toEqual([status, code]);
    });

    it('refuses a Hello for another enclave key (a runner restarted since) without reading the chain', async () => {
        const { id, client } = newSession();
        const reads = h.chain.reads;
        const hs = startHandshake({ ...ref(id), enclaveKey: newClientKey().publicKey, client });
        const res = await post(h.url, '/v1/session/hello', hs.hello);
        expect([res.status, (await codeOf(res))]).toEqual([403, 'WrongEnclave']);
        expect(h.chain.reads).toBe(reads);
    });

    it('answers 503 when the chain cannot be read, 400 to a malformed Hello, 415 to another media type', async () => {
        const { id, client } = newSession();
        h.chain.failing = true;
        expect((await handshake(h, id, client)).res.status).toBe(503);
        h.chain.failing = false;
        const bad = await post(h.url, '/v1/session/hello', Buffer.alloc(100));
        expect([bad.status, (await codeOf(bad))]).toEqual([400, 'Malformed']);
        const hs = startHandshake({ ...ref(id), enclaveKey: h.runner.ctx.keys.ed25519Public, client });
        expect((await post(h.url, '/v1/session/hello', hs.hello, { 'content-type': 'text/plain' })).status).toBe(415);
    });

    it(`keeps ${MAX_CHANNELS_PER_SESSION} channels per session: replayed Hellos drop the oldest, not memory`, async () => {
        const { id, client } = newSession();
        const channels = [];
        for (let i = 0; i <= MAX_CHANNELS_PER_SESSION; i++) channels.push(await mustHandshake(h, id, client));
        const first = await ask(h, channels[0], chat('hello'));
        expect([first.status, first.error?.error]).toEqual([404, 'UnknownChannel']);
        for (const c of channels.slice(1)) expect((await ask(h, c, chat('hello'))).final?.voucher).toBeDefined();
    });
});

describe('session runner: requests', () => {
    it('streams the answer as sealed chunks and ends with the usage and a voucher chaining the transcript', async () => {
        const { id, client } = newSession();
        const c = await mustHandshake(h, id, client);
        let prev = { seq: 0n, inputTokens: 0n, outputTokens: 0n, transcript: INITIAL_TRANSCRIPT };
        for (const words of ['one two three four', 'five six']) {
            const a = await ask(h, c, chat(words, { max_tokens: 50 }));
            expect(a.text).toBe(words.split(' ').reverse().join(' '));
            expect(a.parts.length).toBe(words.split(' ').length); // word by word
            const v = parseVoucher(a.final!.voucher);
            expect(verifyVoucher(ref(id), v, h.runner.ctx.keys.ed25519Public)).toBe(true);
            const own = countTokens(inputText(parseRequest(a.plaintext)));
            expect(a.final!.usage).toEqual({ prompt_tokens: expect.any(Number), completion_tokens: countTokens(a.text), total_tokens: expect.any(Number) });
            expect(a.final!.usage!.prompt_tokens).toBeLessThanOrEqual(own);
            expect(v.seq).toBe(prev.seq + 1n);
            expect(v.inputTokens).toBe(prev.inputTokens + BigInt(a.final!.usage!.prompt_tokens));
            expect(v.outputTokens).toBe(prev.outputTokens + BigInt(a.final!.usage!.completion_tokens));
            expect(v.charge).toBe(priceOf(v.inputTokens, v.outputTokens, PRICE_IN, PRICE_OUT));
            expect(v.transcript).toBe(nextTranscript(prev.transcript, a.plaintext, Buffer.from(a.text)));
            expect(v.final).toBe(false);
            prev = v;
        }
    });

    it('refuses a replayed, reordered, tampered or foreign sealed request, and the genuine ones still open in order', async () => {
        const { id, client } = newSession();
        const c = await mustHandshake(h, id, client);
        const other = await mustHandshake(h, id, client);
        const r0 = c.channel.sealRequest(Buffer.from(JSON.stringify(chat('first'))));
        const r1 = c.channel.sealRequest(Buffer.from(JSON.stringify(chat('second'))));
        const early = await exchange(h.url, 'request', c.id, r1.seq, r1.sealed);
        expect([early.status, early.error?.error]).toEqual([409, 'OutOfOrder']);
        const tampered = Buffer.from(r0.sealed);
        tampered[10] ^= 1;
        expect((await exchange(h.url, 'request', c.id, r0.seq, tampered)).error?.error).toBe('DecryptFailed');
        expect((await exchange(h.url, 'request', other.id, r0.seq, r0.sealed)).error?.error).toBe('DecryptFailed');
        const calls = engine.state.calls;
        expect((await exchange(h.url, 'request', c.id, r0.seq, r0.sealed, r0.answer)).text).toBe('first');
        const replay = await exchange(h.url, 'request', c.id, r0.seq, r0.sealed);
        expect([replay.status, replay.error?.error]).toEqual([409, 'Replayed']);
        expect((await exchange(h.url, 'request', c.id, r1.seq, r1.sealed, r1.answer)).text).toBe('second');
        expect(engine.state.calls).toBe(calls + 2);
    });

    it('refuses a malformed query, an unknown channel, a body of another type', async () => {
        expect((await post(h.url, '/v1/session/request?channel=zz&seq=0', Buffer.alloc(512))).status).toBe(400);
        expect((await post(h.url, `/v1/session/request?channel=${'ab'.repeat(16)}&seq=01`, Buffer.alloc(512))).status).toBe(400);
        const unknown = await post(h.url, `/v1/session/request?channel=${'ab'.repeat(16)}&seq=0`, Buffer.alloc(512));
        expect([unknown.status, (await codeOf(unknown))]).toEqual([404, 'UnknownChannel']);
        expect((await post(h.url, `/v1/session/request?channel=${'ab'.repeat(16)}&seq=0`, Buffer.alloc(512), { 'content-type': 'application/json' })).status).toBe(415);
        expect((await fetch(`${h.url}/v1/session/request`)).status).toBe(405);
    });

    it('answers a malformed request or another model with a sealed error, billing nothing', async () => {
        const { id, client } = newSession();
        const c = await mustHandshake(h, id, client);
        const calls = engine.state.calls;
        expect((await ask(h, c, '{not json')).final).toEqual({ error: { code: 'BadRequest', message: expect.any(String) } });
        expect((await ask(h, c, { ...chat('x'), model: 'another-model' })).final?.error?.code).toBe('WrongModel');
        expect((await ask(h, c, chat('x', { n: 2 }))).final?.error?.code).toBe('BadRequest');
        expect(engine.state.calls).toBe(calls);
        expect(h.server.sessions!.vouchers().filter((v) => v.sessionId === id.toString())).toEqual([]);
    });

    it('refuses a request whose worst case passes the deposit before the engine runs, and serves it after a top-up', async () => {
        // 0.0005 TON: 100 input tokens at 1 TON/M cost 0.0001, 200 output tokens at 4 TON/M 0.0008.
        const { id, client } = newSession({ deposit: 500_000n });
        const c = await mustHandshake(h, id, client);
        const calls = engine.state.calls;
        const reads = h.chain.reads;
        const refused = await ask(h, c, chat('a question', { max_tokens: 200 }));
        expect(refused.final?.error?.code).toBe('OverDeposit');
        expect(refused.final?.voucher).toBeUndefined();
        expect(engine.state.calls).toBe(calls);
        expect(h.chain.reads).toBe(reads + 1); // read again before refusing: a top-up may have come
        h.chain.records.get(id)!.deposit = 2_000_000n; // TopUpSession
        const served = await ask(h, c, chat('a question', { max_tokens: 200 }));
        expect(served.text).toBe('question a');
        expect(engine.state.calls).toBe(calls + 1);
        expect(parseVoucher(served.final!.voucher).charge).toBeLessThanOrEqual(2_000_000n);
    });

    it('limits a request without max_tokens to what the deposit still pays for', async () => {
        const body = chat(Array.from({ length: 60 }, (_, i) => `w${i}`).join(' '));
        const input = countTokens(inputText(parseRequest(Buffer.from(JSON.stringify(body)))));
        const deposit = priceOf(input, 20, PRICE_IN, PRICE_OUT); // the input and 20 output tokens
        const { id, client } = newSession({ deposit });
        const c = await mustHandshake(h, id, client);
        const a = await ask(h, c, body);
        const v = parseVoucher(a.final!.voucher);
        expect(v.outputTokens).toBe(20n);
        expect(v.charge).toBeLessThanOrEqual(deposit);
        expect(a.final!.finish_reason).toBe('length');
    });

    it('bills what was streamed when the engine fails mid-answer, and nothing when it fails before any text', async () => {
        const { id, client } = newSession();
        const c = await mustHandshake(h, id, client);
        engine.state.failAfterText = true;
        const cut = await ask(h, c, chat('alpha beta gamma'));
        expect(cut.text).toBe('gamma');
        expect(cut.final?.error?.code).toBe('EngineFailed');
        expect(cut.final?.usage?.completion_tokens).toBe(countTokens('gamma'));
        expect(parseVoucher(cut.final!.voucher).seq).toBe(1n);
        engine.state.failAfterText = false;
        engine.state.failAtOnce = true;
        const failed = await ask(h, c, chat('alpha'));
        expect(failed.final).toEqual({ error: { code: 'EngineFailed', message: 'the engine failed' } });
    });

    it('keeps the voucher of what was streamed when the client disconnects mid-answer', async () => {
        const { id, client } = newSession();
        const c = await mustHandshake(h, id, client);
        engine.state.delayMs = 30;
        const { seq, sealed } = c.channel.sealRequest(Buffer.from(JSON.stringify(chat('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10'))));
        const abort = new AbortController();
        const res = await fetch(`${h.url}/v1/session/request?channel=${c.id}&seq=${seq}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: sealed, signal: abort.signal });
        const reader = new FrameReader();
        let frames = 0;
        try {
            for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
                frames += reader.push(bytes).length;
                if (frames >= 2) abort.abort();
            }
        } catch {
            // aborted
        }
        const feed = async () => ((await (await fetch(`${h.url}/v1/session/vouchers`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { vouchers: VoucherJson[] }).vouchers;
        let mine: VoucherJson | undefined;
        while (!(mine = (await feed()).find((v) => v.sessionId === id.toString()))) await new Promise((r) => setTimeout(r, 20));
        const v = parseVoucher(mine);
        expect(v.seq).toBe(1n);
        expect(v.outputTokens).toBeGreaterThanOrEqual(1n);
        expect(v.outputTokens).toBeLessThan(BigInt(countTokens('w10 w9 w8 w7 w6 w5 w4 w3 w2 w1')));
    });

    it('answers 503 when every engine slot is taken without using the sequence number: the same bytes are served later', async () => {
        const busy = await startHarness({ backend: engine.backend, limits: { concurrency: 1, queue: 0 } });
        try {
            const client = newClientKey();
            busy.open(1n, client);
            const a = await mustHandshake(busy, 1n, client);
            const b = await mustHandshake(busy, 1n, client);
            let release!: () => void;
            engine.state.hold = new Promise<void>((r) => (release = r));
            const calls = engine.state.calls;
            const slow = ask(busy, a, chat('slow one'));
            while (engine.state.calls === calls) await new Promise((r) => setTimeout(r, 10)); // it holds the one slot
            const r = b.channel.sealRequest(Buffer.from(JSON.stringify(chat('quick one'))));
            const refused = await exchange(busy.url, 'request', b.id, r.seq, r.sealed);
            expect([refused.status, refused.error?.error]).toEqual([503, 'Busy']);
            release();
            engine.state.hold = null;
            expect((await slow).text).toBe('one slow');
            expect((await exchange(busy.url, 'request', b.id, r.seq, r.sealed, r.answer)).text).toBe('one quick');
        } finally {
            await busy.close();
        }
    });
});

describe('session runner: vouchers and close', () => {
    it('never signs two vouchers for one sequence number while requests race on several channels, and closes after the running ones', async () => {
        const { id, client } = newSession();
        // Within the harness runner's default gate (4 running, 16 queued): a refusal here would be Busy, not a race.
        const channels = await Promise.all(Array.from({ length: 4 }, () => mustHandshake(h, id, client)));
        engine.state.delayMs = 3;
        const vouchers: { v: ReturnType<typeof parseVoucher>; usage: { prompt_tokens: number; completion_tokens: number } }[] = [];
        const PER_CHANNEL = 6;
        await Promise.all(channels.map(async (c, k) => {
            for (let i = 0; i < PER_CHANNEL; i++) {
                const a = await ask(h, c, chat(`channel ${k} request ${i} ${'x '.repeat(i + k)}`));
                vouchers.push({ v: parseVoucher(a.final!.voucher), usage: a.final!.usage! });
            }
        }));
        const n = channels.length * PER_CHANNEL;
        const seqs = vouchers.map((x) => x.v.seq).sort((a, b) => (a < b ? -1 : 1));
        expect(seqs).toEqual(Array.from({ length: n }, (_, i) => BigInt(i + 1)));
        // Each voucher is its predecessor plus its own request's usage: one counter, in sequence.
        const bySeq = new Map(vouchers.map((x) => [x.v.seq, x]));
        let prev = { inputTokens: 0n, outputTokens: 0n };
        for (let s = 1n; s <= BigInt(n); s++) {
            const { v, usage } = bySeq.get(s)!;
            expect([v.inputTokens, v.outputTokens]).toEqual([prev.inputTokens + BigInt(usage.prompt_tokens), prev.outputTokens + BigInt(usage.completion_tokens)]);
            prev = v;
        }

        // A close racing with requests still running: they finish and are signed first; nothing after the final voucher.
        engine.state.delayMs = 20;
        const calls = engine.state.calls;
        const running = channels.slice(1).map((c) => ask(h, c, chat('late one two three')));
        while (engine.state.calls < calls + running.length) await new Promise((r) => setTimeout(r, 5)); // all in the engine
        const closeSealed = channels[0].channel.sealRequest(CLOSE_PLAINTEXT);
        const closing = exchange(h.url, 'close', channels[0].id, closeSealed.seq, closeSealed.sealed, closeSealed.answer);
        const answers = await Promise.all(running);
        const final = parseVoucher((await closing).final!.voucher);
        const late = answers.filter((a) => a.final?.voucher).map((a) => parseVoucher(a.final!.voucher));
        for (const v of late) expect(v.seq).toBeLessThan(final.seq);
        for (const a of answers.filter((x) => !x.final?.voucher)) expect(a.final?.error?.code).toBe('SessionClosed');
        expect(final.seq).toBe(BigInt(n + late.length + 1));
        expect(final.final).toBe(true);
    });

    it('signs the final voucher once: the same counts and transcript, every later close gets it again, nothing is served after it', async () => {
        const { id, client } = newSession();
        const a = await mustHandshake(h, id, client);
        const b = await mustHandshake(h, id, client);
        const served = parseVoucher((await ask(h, a, chat('to be closed'))).final!.voucher);
        const close = async (c: typeof a) => {
            const r = c.channel.sealRequest(CLOSE_PLAINTEXT);
            return (await exchange(h.url, 'close', c.id, r.seq, r.sealed, r.answer)).final!;
        };
        const first = await close(a);
        const again = await close(b);
        expect(again).toEqual(first);
        const final = parseVoucher(first.voucher);
        expect(final).toMatchObject({ seq: served.seq + 1n, inputTokens: served.inputTokens, outputTokens: served.outputTokens, charge: served.charge, transcript: served.transcript, final: true });
        expect(verifyVoucher(ref(id), final, h.runner.ctx.keys.ed25519Public)).toBe(true);
        const calls = engine.state.calls;
        expect((await ask(h, b, chat('after the close'))).final?.error?.code).toBe('SessionClosed');
        expect(engine.state.calls).toBe(calls);
        const refused = await handshake(h, id, client);
        expect([refused.res.status, (await codeOf(refused.res))]).toEqual([409, 'SessionClosed']);
        // A close must be exactly the close plaintext.
        const { id: id2, client: client2 } = newSession();
        const c2 = await mustHandshake(h, id2, client2);
        const r = c2.channel.sealRequest(Buffer.from(JSON.stringify(chat('not a close'))));
        expect((await exchange(h.url, 'close', c2.id, r.seq, r.sealed, r.answer)).final?.error?.code).toBe('BadRequest');
    });

    it('serves the latest voucher per session to the bearer of the feed token only', async () => {
        const { id, client } = newSession();
        const c = await mustHandshake(h, id, client);
        await ask(h, c, chat('one'));
        const latest = (await ask(h, c, chat('two'))).final!.voucher!;
        const get = (auth?: string) => fetch(`${h.url}/v1/session/vouchers`, auth ? { headers: { authorization: auth } } : {});
        expect((await get()).status).toBe(401);
        expect((await get('Bearer wrong-token-0000000000')).status).toBe(401);
        expect((await get(`Basic ${TOKEN}`)).status).toBe(401);
        const ok = await get(`Bearer ${TOKEN}`);
        expect(ok.status).toBe(200);
        const { vouchers } = (await ok.json()) as { vouchers: VoucherJson[] };
        expect(vouchers.filter((v) => v.sessionId === id.toString())).toEqual([latest]);
        expect(new Set(vouchers.map((v) => v.sessionId)).size).toBe(vouchers.length);
        const off = await startHarness();
        try {
            expect((await fetch(`${off.url}/v1/session/vouchers`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
        } finally {
            await off.close();
        }
    });

    it('reads the feed token from the environment only, and refuses a short one at start', () => {
        const argv = ['--provider', PROVIDER.toRawString(), '--chain-endpoint', 'http://127.0.0.1:1/jsonRPC'];
        expect(parseConfig(argv, {}).voucherToken).toBeUndefined();
        expect(parseConfig(argv, { COCOON_RUNNER_VOUCHER_TOKEN: TOKEN }).voucherToken).toBe(TOKEN);
        expect(() => parseConfig(argv, { COCOON_RUNNER_VOUCHER_TOKEN: 'short' })).toThrow(/at least 16 characters/);
        expect(() => parseConfig([...argv, '--voucher-token', TOKEN], {})).toThrow(/unknown option/);
    });

    it('never logs or answers plaintext: logs carry ids, counts and codes', async () => {
        const canary = `canary${Date.now()}secret`;
        const { id, client } = newSession();
        const c = await mustHandshake(h, id, client);
        const a = await ask(h, c, chat(`${canary} words`));
        expect(a.text).toContain(canary); // the client read it
        await ask(h, c, { ...chat(canary), model: canary });
        await ask(h, c, `{"model": "${canary}`);
        expect(h.logs()).toContain('session request answered');
        expect(h.logs()).not.toContain(canary);
    });
});
