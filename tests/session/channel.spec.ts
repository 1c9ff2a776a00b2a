/**
 * The session channel (crypto/sessionChannel.ts, docs/spec/session-channel.md "Channel"): the bytes
 * as the spec defines them, padding sizes, and every refusal: replayed, reordered, duplicated,
 * spliced, tampered, truncated, foreign, malformed and over-limit messages. A refusal never moves
 * a channel: the genuine next message still opens after it.
 */
import { randomBytes } from 'node:crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import {
    ClientChannel,
    CHUNK_MIN_SEALED_BYTES,
    MAX_CHUNK_BYTES,
    MAX_REQUEST_BYTES,
    MAX_SEALED_BYTES,
    REQUEST_MIN_SEALED_BYTES,
    RunnerChannel,
} from '../../crypto';
import type { ChannelKeys } from '../../crypto';
import { sealedBytes } from '../../crypto/sessionChannel';
import { connect, expectCode, flip, world } from './helpers';

const keys = (): ChannelKeys => ({ clientToRunner: randomBytes(32), runnerToClient: randomBytes(32), channelId: randomBytes(16) });
const pair = (k = keys(), limits?: object) => ({ client: new ClientChannel(k, limits), runner: new RunnerChannel(k, limits), k });

/** The spec's nonce and AAD, built independently of the code under test. */
function spec(k: ChannelKeys, direction: 1 | 2, seq: number, index: number) {
    const nonce = Buffer.alloc(12);
    nonce[0] = direction;
    nonce.writeUInt32BE(seq, 4);
    nonce.writeUInt32BE(index, 8);
    const aad = Buffer.alloc(25);
    Buffer.from(k.channelId).copy(aad, 0);
    aad[16] = direction;
    aad.writeUInt32BE(seq, 17);
    aad.writeUInt32BE(index, 21);
    const key = direction === 1 ? k.clientToRunner : k.runnerToClient;
    return {
        seal: (plaintext: Uint8Array) => Buffer.from(chacha20poly1305(key, nonce, aad).encrypt(plaintext)),
        open: (sealed: Uint8Array) => Buffer.from(chacha20poly1305(key, nonce, aad).decrypt(sealed)),
    };
}

/** uint32 length || message || zeros, `size` bytes in all: the padded plaintext. */
function padded(message: Uint8Array, size: number): Buffer {
    const out = Buffer.alloc(size);
    out.writeUInt32BE(message.length);
    Buffer.from(message).copy(out, 4);
    return out;
}

describe('bytes on the wire, as the spec builds them (noble ChaCha20-Poly1305)', () => {
    it('a request: key client->runner, nonce 01 000000 seq 00000000, AAD id 01 seq 0, padded plaintext', () => {
        const { client, k } = pair();
        client.sealRequest(Buffer.from('first'));
        const { seq, sealed } = client.sealRequest(Buffer.from('{"messages":[]}'));
        expect(seq).toBe(1);
        expect(sealed).toHaveLength(512);
        expect(spec(k, 1, 1, 0).open(sealed)).toEqual(padded(Buffer.from('{"messages":[]}'), 512 - 16));
    });

    it('a chunk: key runner->client, nonce 02 000000 seq index, plaintext flag || data, padded', () => {
        const { client, runner, k } = pair();
        for (let i = 0; i < 3; i++) runner.openRequest(i, client.sealRequest(Buffer.from('q')).sealed);
        runner.sealChunk(2, 0, Buffer.from('a'), false);
        const sealed = runner.sealChunk(2, 1, Buffer.from('voucher'), true);
        expect(sealed).toHaveLength(256);
        expect(spec(k, 2, 2, 1).open(sealed)).toEqual(padded(Buffer.from('\x01voucher'), 256 - 16));
    });

    it('the runner and the client open what the spec seals', () => {
        const { client, runner, k } = pair();
        expect(runner.openRequest(0, spec(k, 1, 0, 0).seal(padded(Buffer.from('hi'), 496))).toString()).toBe('hi');
        client.sealRequest(Buffer.from('hi'));
        expect(client.openChunk(0, 0, spec(k, 2, 0, 0).seal(padded(Buffer.from('\x00tok'), 240)))).toEqual({ data: Buffer.from('tok'), final: false });
    });
});

describe('padding: sealed sizes are buckets, two per doubling', () => {
    it('requests from 512 bytes, chunks from 256; the largest message in a bucket and one byte more', () => {
        expect([0, 492, 493, 748, 749, 1004, 1005].map((n) => sealedBytes(n, REQUEST_MIN_SEALED_BYTES))).toEqual([512, 512, 768, 768, 1024, 1024, 1536]);
        expect([1, 236, 237, 364, 365].map((n) => sealedBytes(n, CHUNK_MIN_SEALED_BYTES))).toEqual([256, 256, 384, 384, 512]);
        expect(sealedBytes(65536, REQUEST_MIN_SEALED_BYTES)).toBe(98304);
        expect(sealedBytes(65516, REQUEST_MIN_SEALED_BYTES)).toBe(65536);
    });

    it('two prompts a few bytes apart, and two tokens of different lengths, have the same sealed size', () => {
        const { client, runner } = pair();
        const a = client.sealRequest(Buffer.from('is the tumour malignant?'));
        const b = client.sealRequest(Buffer.from('is the tumour malignant? yes or no'));
        expect(a.sealed.length).toBe(b.sealed.length);
        runner.openRequest(0, a.sealed);
        expect(runner.sealChunk(0, 0, Buffer.from('a'), false).length).toBe(runner.sealChunk(0, 1, Buffer.from(' malignant'), false).length);
    });

    it('round-trips empty and bucket-edge messages both ways', () => {
        const { client, runner } = pair();
        for (const n of [0, 1, 492, 493, 1004, 1005, 65516, 65517]) {
            const msg = randomBytes(n);
            const { seq, sealed } = client.sealRequest(msg);
            expect(sealed).toHaveLength(sealedBytes(n, REQUEST_MIN_SEALED_BYTES)!);
            expect(runner.openRequest(seq, sealed)).toEqual(msg);
            for (const [i, m] of [randomBytes(0), randomBytes(n)].entries()) {
                expect(client.openChunk(seq, i, runner.sealChunk(seq, i, m, i === 1))).toEqual({ data: m, final: i === 1 });
            }
        }
    });

    it('the largest request fits exactly 16 MiB; one byte more is TooLarge, and so is a sealed message over 16 MiB', () => {
        const { client, runner } = pair();
        const biggest = client.sealRequest(Buffer.alloc(MAX_REQUEST_BYTES, 7));
        expect(biggest.sealed).toHaveLength(MAX_SEALED_BYTES);
        expect(runner.openRequest(0, biggest.sealed)).toHaveLength(MAX_REQUEST_BYTES);
        expectCode(() => client.sealRequest(Buffer.alloc(MAX_REQUEST_BYTES + 1)), 'TooLarge');
        expectCode(() => runner.sealChunk(0, 0, Buffer.alloc(MAX_CHUNK_BYTES + 1), true), 'TooLarge');
        expectCode(() => runner.openRequest(1, Buffer.alloc(MAX_SEALED_BYTES + 1)), 'Malformed');
        expect(client.nextRequestSeq).toBe(1); // the refused seal used no sequence number
    });

    it('an authentic message that is not canonically padded, or a chunk with an unknown flag, is BadPadding', () => {
        const { client, runner, k } = pair();
        const dirty = padded(Buffer.from('hi'), 496);
        dirty[100] = 1;
        expectCode(() => runner.openRequest(0, spec(k, 1, 0, 0).seal(dirty)), 'BadPadding', /not zero/);
        expectCode(() => runner.openRequest(0, spec(k, 1, 0, 0).seal(padded(Buffer.from('hi'), 752))), 'BadPadding', /must be padded to 496/);
        expect(runner.openRequest(0, client.sealRequest(Buffer.from('ok')).sealed).toString()).toBe('ok');
        expectCode(() => client.openChunk(0, 0, spec(k, 2, 0, 0).seal(padded(Buffer.from('\x02x'), 240))), 'BadPadding', /flag/);
        expectCode(() => client.openChunk(0, 0, spec(k, 2, 0, 0).seal(padded(Buffer.alloc(0), 240))), 'BadPadding', /flag/);
        expect(client.openChunk(0, 0, runner.sealChunk(0, 0, Buffer.from('fine'), true)).data.toString()).toBe('fine');
    });
});

describe('requests: exactly the next one, once', () => {
    it('a replayed request is refused (Replayed), a later one before its turn too (OutOfOrder)', () => {
        const { client, runner } = pair();
        const r0 = client.sealRequest(Buffer.from('zero'));
        const r1 = client.sealRequest(Buffer.from('one'));
        const r2 = client.sealRequest(Buffer.from('two'));
        expectCode(() => runner.openRequest(1, r1.sealed), 'OutOfOrder', /ahead of the next one, 0/);
        expect(runner.openRequest(0, r0.sealed).toString()).toBe('zero');
        expectCode(() => runner.openRequest(0, r0.sealed), 'Replayed', /already used/);
        expectCode(() => runner.openRequest(2, r2.sealed), 'OutOfOrder');
        expect(runner.openRequest(1, r1.sealed).toString()).toBe('one');
        expect(runner.openRequest(2, r2.sealed).toString()).toBe('two');
        expect(runner.nextRequestSeq).toBe(3);
    });

    it('a request relabelled with the next sequence number does not open (the number is in nonce and AAD)', () => {
        const { client, runner } = pair();
        const r0 = client.sealRequest(Buffer.from('zero'));
        const r1 = client.sealRequest(Buffer.from('one'));
        expect(runner.openRequest(0, r0.sealed).toString()).toBe('zero');
        expectCode(() => runner.openRequest(1, r0.sealed), 'DecryptFailed');
        expect(runner.openRequest(1, r1.sealed).toString()).toBe('one');
    });

    it('tampered bytes anywhere, a trailing byte, a cut tail, a short or empty body are refused; the genuine one still opens', () => {
        const { client, runner } = pair();
        const { sealed } = client.sealRequest(Buffer.from('payload'));
        for (const at of [0, 4, 100, sealed.length - 17, sealed.length - 16, sealed.length - 1]) expectCode(() => runner.openRequest(0, flip(sealed, at)), 'DecryptFailed');
        expectCode(() => runner.openRequest(0, Buffer.concat([sealed, Buffer.alloc(1)])), 'DecryptFailed');
        expectCode(() => runner.openRequest(0, sealed.subarray(0, sealed.length - 1)), 'Malformed', /512 to/);
        expectCode(() => runner.openRequest(0, Buffer.alloc(16)), 'Malformed');
        expectCode(() => runner.openRequest(0, Buffer.alloc(0)), 'Malformed');
        expect(runner.openRequest(0, sealed).toString()).toBe('payload');
    });

    it('a request from another channel of the same session, or an answer chunk posing as a request, does not open', () => {
        const w = world();
        const a = connect(w);
        const b = connect(w);
        expectCode(() => a.runner.openRequest(0, b.client.sealRequest(Buffer.from('other channel')).sealed), 'DecryptFailed');
        a.runner.openRequest(0, a.client.sealRequest(Buffer.from('q')).sealed);
        const chunk = a.runner.sealChunk(0, 0, randomBytes(400), true); // 512 bytes, a request's size
        expectCode(() => a.runner.openRequest(1, chunk), 'DecryptFailed');
    });

    it('sequence numbers that are not uint32 are Malformed', () => {
        const { runner } = pair();
        for (const seq of [-1, 0.5, 2 ** 32, NaN]) expectCode(() => runner.openRequest(seq, Buffer.alloc(512)), 'Malformed', /uint32/);
    });
});

describe('answers: chunks 0, 1, 2, ... of their own request, ending with the final one', () => {
    function opened(n = 2) {
        const p = pair();
        const reqs = Array.from({ length: n }, (_, i) => p.client.sealRequest(Buffer.from(`q${i}`)));
        reqs.forEach((r) => p.runner.openRequest(r.seq, r.sealed));
        return { ...p, reqs };
    }

    it('streams, interleaved across two requests, and says when each is finished', () => {
        const { client, runner, reqs } = opened();
        const a0 = runner.sealChunk(0, 0, Buffer.from('A'), false);
        const b0 = runner.sealChunk(1, 0, Buffer.from('B'), false);
        const a1 = runner.sealChunk(0, 1, Buffer.from('voucher A'), true);
        expect(client.openChunk(1, 0, b0).data.toString()).toBe('B');
        expect(reqs[0].answer.open(0, a0).data.toString()).toBe('A');
        expect(reqs[0].answer.finished).toBe(false);
        expect(client.openChunk(0, 1, a1)).toEqual({ data: Buffer.from('voucher A'), final: true });
        expect(reqs[0].answer.finished).toBe(true);
        expect(reqs[1].answer.finished).toBe(false);
        expect(() => reqs[0].answer.end()).not.toThrow();
        expect(runner.openAnswers).toBe(1);
    });

    it('a duplicated chunk is Replayed, a skipped one OutOfOrder; the next genuine chunk still opens', () => {
        const { client, runner } = opened();
        const c = [0, 1, 2].map((i) => runner.sealChunk(0, i, Buffer.from(`t${i}`), i === 2));
        expectCode(() => client.openChunk(0, 1, c[1]), 'OutOfOrder');
        client.openChunk(0, 0, c[0]);
        expectCode(() => client.openChunk(0, 0, c[0]), 'Replayed');
        expectCode(() => client.openChunk(0, 2, c[2]), 'OutOfOrder');
        client.openChunk(0, 1, c[1]);
        expect(client.openChunk(0, 2, c[2]).final).toBe(true);
    });

    it('chunks relabelled to another position, or spliced into another request\'s answer, do not open', () => {
        const { client, runner } = opened();
        const a0 = runner.sealChunk(0, 0, Buffer.from('for request 0'), false);
        const a1 = runner.sealChunk(0, 1, Buffer.from('second'), false);
        expectCode(() => client.openChunk(1, 0, a0), 'DecryptFailed'); // into request 1's answer
        expectCode(() => client.openChunk(0, 0, a1), 'DecryptFailed'); // reordered, relabelled to fit
        expect(client.openChunk(0, 0, a0).data.toString()).toBe('for request 0');
        expect(client.openChunk(1, 0, runner.sealChunk(1, 0, Buffer.from('for request 1'), true)).data.toString()).toBe('for request 1');
    });

    it('nothing after the final chunk: a further chunk (even authentic, even after end) is AnswerClosed', () => {
        const { client, runner, k, reqs } = opened();
        const last = runner.sealChunk(0, 0, Buffer.from('voucher'), true);
        expect(client.openChunk(0, 0, last).final).toBe(true);
        const extra = spec(k, 2, 0, 1).seal(padded(Buffer.from('\x00more'), 240)); // as if the runner kept going
        expectCode(() => client.openChunk(0, 1, extra), 'AnswerClosed', /already complete/);
        expectCode(() => reqs[0].answer.open(1, extra), 'AnswerClosed');
        reqs[0].answer.end();
        expectCode(() => client.openChunk(0, 1, extra), 'AnswerClosed');
    });

    it('a stream that ends without its final chunk is Truncated, however many chunks came', () => {
        const { client, runner, reqs } = opened();
        client.openChunk(0, 0, runner.sealChunk(0, 0, Buffer.from('tok'), false));
        expect(reqs[0].answer.finished).toBe(false);
        expectCode(() => client.endAnswer(0), 'Truncated', /after 1 chunk\(s\) without its final chunk/);
        expectCode(() => reqs[1].answer.end(), 'Truncated', /after 0 chunk/);
        // Ended: the late final chunk is refused rather than completing a stream the caller gave up on.
        expectCode(() => client.openChunk(0, 1, runner.sealChunk(0, 1, Buffer.from('late'), true)), 'AnswerClosed', /already complete or ended/);
    });

    it('chunks for a request never sent (client) or never opened (runner) are UnknownRequest', () => {
        const { client, runner } = pair();
        const r = client.sealRequest(Buffer.from('q'));
        expectCode(() => runner.sealChunk(0, 0, Buffer.from('x'), true), 'UnknownRequest', /made yet/);
        runner.openRequest(r.seq, r.sealed);
        const c = runner.sealChunk(0, 0, Buffer.from('x'), true);
        expectCode(() => client.openChunk(1, 0, c), 'UnknownRequest');
        expectCode(() => client.endAnswer(7), 'UnknownRequest');
        expectCode(() => client.endAnswer(-1), 'Malformed');
        expectCode(() => runner.sealChunk(0, 1, Buffer.from('again'), true), 'AnswerClosed');
    });

    it('the runner never seals one position twice (a nonce reused under its key): Replayed, OutOfOrder', () => {
        const { runner } = opened();
        runner.sealChunk(0, 0, Buffer.from('a'), false);
        expectCode(() => runner.sealChunk(0, 0, Buffer.from('b'), false), 'Replayed');
        expectCode(() => runner.sealChunk(0, 2, Buffer.from('c'), false), 'OutOfOrder');
        expectCode(() => runner.sealChunk(0, -1, Buffer.from('c'), false), 'Malformed');
    });

    it('tampered chunk bytes, a trailing byte, a short chunk are refused without moving the stream', () => {
        const { client, runner } = opened();
        const c = runner.sealChunk(0, 0, Buffer.from('tok'), true);
        expectCode(() => client.openChunk(0, 0, flip(c, 9)), 'DecryptFailed');
        expectCode(() => client.openChunk(0, 0, flip(c, c.length - 1)), 'DecryptFailed');
        expectCode(() => client.openChunk(0, 0, Buffer.concat([c, Buffer.alloc(1)])), 'DecryptFailed');
        expectCode(() => client.openChunk(0, 0, c.subarray(0, 255)), 'Malformed');
        expect(client.openChunk(0, 0, c).data.toString()).toBe('tok');
    });

    it('a request posing as a chunk does not open (directions have their own keys)', () => {
        const { client, k } = opened();
        // What the client itself sealed as request 0, offered back to it as request 0's chunk 0.
        const mirror = new ClientChannel(k);
        const { sealed } = mirror.sealRequest(Buffer.from('q0'));
        expectCode(() => client.openChunk(0, 0, sealed), 'DecryptFailed');
    });
});

describe('limits', () => {
    it('a channel seals and opens at most maxRequests requests, then LimitReached', () => {
        const { client, runner } = pair(keys(), { maxRequests: 2 });
        for (let i = 0; i < 2; i++) runner.openRequest(i, client.sealRequest(Buffer.from('q')).sealed);
        expectCode(() => client.sealRequest(Buffer.from('q')), 'LimitReached', /start a new handshake/);
        expect(client.nextRequestSeq).toBe(2);
    });

    it('the runner refuses a request past its own limit even from a client with a higher one', () => {
        const k = keys();
        const client = new ClientChannel(k);
        const runner = new RunnerChannel(k, { maxRequests: 1 });
        runner.openRequest(0, client.sealRequest(Buffer.from('a')).sealed);
        expectCode(() => runner.openRequest(1, client.sealRequest(Buffer.from('b')).sealed), 'LimitReached');
    });

    it('an answer has at most maxChunksPerAnswer chunks and the last one allowed must be final', () => {
        const { client, runner } = pair(keys(), { maxChunksPerAnswer: 3 });
        runner.openRequest(0, client.sealRequest(Buffer.from('q')).sealed);
        client.openChunk(0, 0, runner.sealChunk(0, 0, Buffer.from('a'), false));
        client.openChunk(0, 1, runner.sealChunk(0, 1, Buffer.from('b'), false));
        expectCode(() => runner.sealChunk(0, 2, Buffer.from('c'), false), 'LimitReached', /must be final/);
        expect(client.openChunk(0, 2, runner.sealChunk(0, 2, Buffer.from('voucher'), true)).final).toBe(true);
    });

    it('a client refuses chunks past its own limit', () => {
        const k = keys();
        const client = new ClientChannel(k, { maxChunksPerAnswer: 1 });
        const runner = new RunnerChannel(k);
        runner.openRequest(0, client.sealRequest(Buffer.from('q')).sealed);
        client.openChunk(0, 0, runner.sealChunk(0, 0, Buffer.from('a'), false));
        expectCode(() => client.openChunk(0, 1, runner.sealChunk(0, 1, Buffer.from('b'), true)), 'LimitReached');
    });

    it('after maxFailedOpens messages fail authentication, a side opens nothing more, not even genuine ones', () => {
        const { client, runner } = pair(keys(), { maxFailedOpens: 2 });
        const r0 = client.sealRequest(Buffer.from('q'));
        expectCode(() => runner.openRequest(0, flip(r0.sealed, 3)), 'DecryptFailed');
        expectCode(() => runner.openRequest(0, Buffer.alloc(512)), 'DecryptFailed');
        expectCode(() => runner.openRequest(0, r0.sealed), 'LimitReached', /failed authentication/);
        // Refusals before decryption (order, length) are not forgery attempts and do not count.
        const other = pair(keys(), { maxFailedOpens: 1 });
        const s0 = other.client.sealRequest(Buffer.from('q'));
        expectCode(() => other.runner.openRequest(1, s0.sealed), 'OutOfOrder');
        expectCode(() => other.runner.openRequest(0, s0.sealed.subarray(1)), 'Malformed');
        expect(other.runner.openRequest(0, s0.sealed).toString()).toBe('q');
    });

    it('limits outside their ranges are Malformed', () => {
        for (const bad of [{ maxRequests: 0 }, { maxRequests: 2 ** 32 + 1 }, { maxChunksPerAnswer: 1.5 }, { maxFailedOpens: 2 ** 36 + 1 }]) {
            expectCode(() => new ClientChannel(keys(), bad), 'Malformed');
        }
    });
});
