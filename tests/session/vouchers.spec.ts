/**
 * The client's voucher checks (sdk/sessionVouchers.ts): every voucher a runner could hand a client
 * that it must refuse, and the ones it must accept (gaps and answers arriving out of order when
 * requests run on several channels).
 */
import { Address } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { INITIAL_TRANSCRIPT, nextTranscript, SessionUsage } from '../../protocol/sessionWire';
import { priceOf, signVoucher, SignedVoucher, VoucherBody } from '../../protocol/voucher';
import { voucherToJson } from '../../protocol/voucherJson';
import { VoucherBook, VoucherCheckError, VoucherContext } from '../../sdk/sessionVouchers';

const enclave = ed25519.keygen();
const session = { globalId: -239, provider: new Address(0, Buffer.alloc(32, 3)), sessionId: 42n };
const PRICES = { in: 1_000_000_000n, out: 4_000_000_000n };
const DEPOSIT = 1_000_000n;

const request = Buffer.from('{"model":"m","messages":[]}');
const answer = (n: number) => Buffer.from(`answer ${n}`);

/** The voucher an honest runner signs after `prev` for a request billed `usage`. */
function honest(prev: Pick<VoucherBody, 'seq' | 'inputTokens' | 'outputTokens' | 'transcript'>, usage: SessionUsage, over: Partial<VoucherBody> = {}, secret = enclave.secretKey, ref = session): SignedVoucher {
    const inputTokens = prev.inputTokens + BigInt(usage.prompt_tokens);
    const outputTokens = prev.outputTokens + BigInt(usage.completion_tokens);
    const body: VoucherBody = {
        seq: prev.seq + 1n, inputTokens, outputTokens, charge: priceOf(inputTokens, outputTokens, PRICES.in, PRICES.out),
        transcript: nextTranscript(prev.transcript, request, answer(Number(prev.seq + 1n))), final: false, ...over,
    };
    return signVoucher(ref, body, secret);
}

const ZERO = { seq: 0n, inputTokens: 0n, outputTokens: 0n, transcript: INITIAL_TRANSCRIPT };
const usage = (i: number, o: number): SessionUsage => ({ prompt_tokens: i, completion_tokens: o, total_tokens: i + o });
const ctxFor = (v: SignedVoucher, u: SessionUsage, over: Partial<VoucherContext> = {}): VoucherContext => ({ final: false, usage: u, request, answer: answer(Number(v.seq)), ownInputTokens: 100, ownOutputTokens: 100, ...over });
const json = (v: SignedVoucher, ref = session) => voucherToJson({ session: ref, voucher: v });
const book = () => new VoucherBook(session, enclave.publicKey, PRICES, DEPOSIT);

function refused(b: VoucherBook, input: unknown, ctx: VoucherContext): string {
    try {
        b.accept(input, ctx);
    } catch (e) {
        if (e instanceof VoucherCheckError) return e.message;
        throw e;
    }
    throw new Error('accepted');
}

describe('sdk: the client\'s voucher checks', () => {
    it('accepts an honest sequence, the final voucher with the same counts, and keeps the newest', () => {
        const b = book();
        const v1 = honest(ZERO, usage(10, 5));
        expect(b.accept(json(v1), ctxFor(v1, usage(10, 5)))).toEqual(v1);
        const v2 = honest(v1, usage(3, 7));
        b.accept(json(v2), ctxFor(v2, usage(3, 7)));
        const final = signVoucher(session, { seq: 3n, inputTokens: v2.inputTokens, outputTokens: v2.outputTokens, charge: v2.charge, transcript: v2.transcript, final: true }, enclave.secretKey);
        b.accept(json(final), { final: true });
        expect(b.latest).toEqual(final);
        const after = honest(final, usage(1, 1));
        expect(refused(b, json(after), ctxFor(after, usage(1, 1)))).toMatch(/after the final voucher/);
    });

    it.each([
        ['malformed JSON', (v: SignedVoucher) => ({ ...json(v), seq: 1 }), /decimal string/],
        ['another session', (v: SignedVoucher) => json(v, { ...session, sessionId: 43n }), /another session/],
        ['another key\'s signature', () => json(honest(ZERO, usage(10, 5), {}, ed25519.keygen().secretKey)), /signature/],
        ['a charge that is not the price of its counts', () => json(honest(ZERO, usage(10, 5), { charge: 1n })), /not the price/],
        ['a charge above the deposit', () => json(honest(ZERO, usage(10, 300))), /passes the deposit/],
        ['a final voucher for a request', () => json(honest(ZERO, usage(10, 5), { final: true })), /must not be final/],
        ['counts other than the previous voucher plus the usage', () => json(honest(ZERO, usage(11, 5))), /previous voucher's plus/],
        ['a transcript that does not chain this request', () => json(honest(ZERO, usage(10, 5), { transcript: 7n })), /transcript/],
    ])('refuses %s', (_what, make, why) => {
        const v = honest(ZERO, usage(10, 5));
        expect(refused(book(), make(v), ctxFor(v, usage(10, 5)))).toMatch(why);
    });

    it('refuses usage above the client\'s own count, a sequence number used twice, and counts that go back', () => {
        const b = book();
        const v1 = honest(ZERO, usage(10, 5));
        expect(refused(b, json(v1), ctxFor(v1, usage(10, 5), { ownOutputTokens: 4 }))).toMatch(/own count/);
        b.accept(json(v1), ctxFor(v1, usage(10, 5)));
        expect(refused(b, json(v1), ctxFor(v1, usage(10, 5)))).toMatch(/already used/);
        const v3 = honest({ ...v1, seq: 2n }, usage(1, 1));
        b.accept(json(v3), { final: false, usage: usage(1, 1) }); // a gap: seq 2 is not known yet
        const lower = signVoucher(session, { seq: 4n, inputTokens: 1n, outputTokens: 1n, charge: priceOf(1n, 1n, PRICES.in, PRICES.out), transcript: 1n, final: false }, enclave.secretKey);
        expect(refused(b, json(lower), { final: false })).toMatch(/go back/);
    });

    it('accepts answers that arrive out of order from concurrent channels, checking each against its neighbours', () => {
        const b = book();
        const v1 = honest(ZERO, usage(10, 5));
        const v2 = honest(v1, usage(3, 3));
        const v3 = honest(v2, usage(2, 2));
        b.accept(json(v1), ctxFor(v1, usage(10, 5)));
        b.accept(json(v3), ctxFor(v3, usage(2, 2)));
        b.accept(json(v2), ctxFor(v2, usage(3, 3)));
        expect(b.latest).toEqual(v3);
        const inflated = signVoucher(session, { ...v2, seq: 5n, inputTokens: 1n, charge: priceOf(1n, v2.outputTokens, PRICES.in, PRICES.out) }, enclave.secretKey);
        expect(refused(b, json(inflated), { final: false })).toMatch(/go back/);
    });
});
