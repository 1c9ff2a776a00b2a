/**
 * The session channel (docs/spec/session-channel.md): requests and streamed answers sealed under the
 * keys the handshake (./sessionHandshake) derived, with positions instead of per-message key exchange.
 *
 * Each message is ChaCha20-Poly1305 (./aead) under its direction's key, with
 *     nonce = direction (1) || 0x000000 || uint32 requestSeq || uint32 chunkIndex     (12 bytes)
 *     AAD   = channelId (16) || direction (1) || uint32 requestSeq || uint32 chunkIndex (25 bytes)
 * (chunkIndex is 0 for a request). Every sealer refuses a position it already used, so a nonce never
 * repeats under one key; every opener accepts exactly the next position, so a replayed, reordered,
 * dropped-then-resent or spliced message is refused before decryption.
 * Plaintexts are padded inside the AEAD (./padding) to two sizes per doubling, as envelopes are, so
 * the sealed size tells a bucket, not a length; a chunk's plaintext starts with its final flag.
 */
import { aeadOpen, aeadSeal, AEAD_NONCE_BYTES, AEAD_TAG_BYTES } from './aead';
import { EnvelopeError } from './errors';
import { BUCKET_MANTISSA_BITS, PAD_LENGTH_BYTES, padTo, roundUpToBucket, unpadFrom } from './padding';
import { SessionError } from './sessionErrors';

export const CHANNEL_ID_BYTES = 16;
export const DIRECTION_REQUEST = 0x01; // client → runner, under the client-to-runner key
export const DIRECTION_ANSWER = 0x02; // runner → client, under the runner-to-client key
/** Positions are uint32, so a channel holds at most 2^32 requests and an answer 2^32 chunks. */
export const MAX_REQUESTS = 2 ** 32;
export const MAX_CHUNKS_PER_ANSWER = 2 ** 32;
/**
 * Messages that fail authentication before a side stops opening (LimitReached): a forgery is tried
 * per attempt, so the attempts are bounded, as QUIC bounds them for this AEAD (RFC 9001 §6.6: 2^36).
 */
export const MAX_FAILED_OPENS = 2 ** 36;
/** Sealed sizes: two per doubling (512, 768, 1024, 1536, ... bytes for requests; from 256 for chunks), at most 16 MiB. */
export const REQUEST_MIN_SEALED_BYTES = 512;
export const CHUNK_MIN_SEALED_BYTES = 256;
export const MAX_SEALED_BYTES = 2 ** 24;
export const MAX_REQUEST_BYTES = MAX_SEALED_BYTES - AEAD_TAG_BYTES - PAD_LENGTH_BYTES; // 16,777,196
export const MAX_CHUNK_BYTES = MAX_REQUEST_BYTES - 1; // the final flag takes a byte
const FLAG_MORE = 0x00;
const FLAG_FINAL = 0x01;
const FLAGS = { [FLAG_MORE]: Buffer.from([FLAG_MORE]), [FLAG_FINAL]: Buffer.from([FLAG_FINAL]) };
const AAD_BYTES = CHANNEL_ID_BYTES + 1 + 4 + 4;

/** What the handshake derives; both sides hold the same three values. */
export interface ChannelKeys {
    clientToRunner: Uint8Array; // 32-byte AEAD key for requests
    runnerToClient: Uint8Array; // 32-byte AEAD key for answer chunks
    channelId: Uint8Array; // 16 bytes, not secret: in every AAD, and a handle the transport may send in clear
}

/** Lower limits than the protocol's (e.g. to re-handshake sooner); each side enforces its own. */
export interface ChannelLimits {
    maxRequests: number; // 1 .. MAX_REQUESTS
    maxChunksPerAnswer: number; // 1 .. MAX_CHUNKS_PER_ANSWER
    maxFailedOpens: number; // 1 .. MAX_FAILED_OPENS: messages that fail authentication before this side opens no more
}

function channelLimits(over: Partial<ChannelLimits> = {}): ChannelLimits {
    const limits = { maxRequests: MAX_REQUESTS, maxChunksPerAnswer: MAX_CHUNKS_PER_ANSWER, maxFailedOpens: MAX_FAILED_OPENS, ...over };
    const checks = [
        ['maxRequests', limits.maxRequests, MAX_REQUESTS],
        ['maxChunksPerAnswer', limits.maxChunksPerAnswer, MAX_CHUNKS_PER_ANSWER],
        ['maxFailedOpens', limits.maxFailedOpens, MAX_FAILED_OPENS],
    ] as const;
    for (const [name, value, most] of checks) {
        if (!Number.isInteger(value) || value < 1 || value > most) throw new SessionError('Malformed', `${name} must be an integer from 1 to ${most}`);
    }
    return limits;
}

function requireUint32(value: number, what: string): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new SessionError('Malformed', `${what} must be a uint32, got ${value}`);
}

/** Exactly the next position, or why not. */
function requireNext(position: number, next: number, what: string): void {
    if (position < next) throw new SessionError('Replayed', `${what} ${position} was already used (next is ${next})`);
    if (position > next) throw new SessionError('OutOfOrder', `${what} ${position} is ahead of the next one, ${next}`);
}

function nonce(direction: number, seq: number, index: number): Buffer {
    const n = Buffer.alloc(AEAD_NONCE_BYTES);
    n[0] = direction;
    n.writeUInt32BE(seq, 4);
    n.writeUInt32BE(index, 8);
    return n;
}

function aad(channelId: Uint8Array, direction: number, seq: number, index: number): Buffer {
    const a = Buffer.alloc(AAD_BYTES);
    a.set(channelId, 0);
    a[CHANNEL_ID_BYTES] = direction;
    a.writeUInt32BE(seq, CHANNEL_ID_BYTES + 1);
    a.writeUInt32BE(index, CHANNEL_ID_BYTES + 5);
    return a;
}

/** The sealed size of a message of `messageBytes` (a chunk's counts its flag), or undefined when too large. */
export function sealedBytes(messageBytes: number, minSealed: number): number | undefined {
    if (messageBytes > MAX_SEALED_BYTES) return undefined;
    const size = roundUpToBucket(messageBytes + PAD_LENGTH_BYTES + AEAD_TAG_BYTES, BUCKET_MANTISSA_BITS, minSealed);
    return size <= MAX_SEALED_BYTES ? size : undefined;
}

/** One direction of a channel: its key, the binding every nonce and AAD carries, and the failed opens so far. */
class Direction {
    private failedOpens = 0;

    constructor(
        private readonly key: Uint8Array,
        private readonly channelId: Uint8Array,
        private readonly direction: number,
        private readonly minSealed: number,
        private readonly maxFailedOpens: number,
    ) {}

    /** Seals the message made of `parts` (a chunk's flag and data are two), padded. */
    seal(seq: number, index: number, parts: readonly Uint8Array[]): Buffer {
        const length = parts.reduce((n, p) => n + p.length, 0);
        const size = sealedBytes(length, this.minSealed);
        if (size === undefined) throw new SessionError('TooLarge', `a ${length}-byte message does not fit a session message (requests at most ${MAX_REQUEST_BYTES} bytes, chunks ${MAX_CHUNK_BYTES})`);
        return aeadSeal(this.key, nonce(this.direction, seq, index), aad(this.channelId, this.direction, seq, index), padTo(parts, size - AEAD_TAG_BYTES));
    }

    open(seq: number, index: number, sealed: Uint8Array): Buffer {
        if (!(sealed instanceof Uint8Array) || sealed.length < this.minSealed || sealed.length > MAX_SEALED_BYTES) {
            throw new SessionError('Malformed', `a sealed message is ${this.minSealed} to ${MAX_SEALED_BYTES} bytes, got ${sealed instanceof Uint8Array ? sealed.length : typeof sealed}`);
        }
        if (this.failedOpens >= this.maxFailedOpens) throw new SessionError('LimitReached', `${this.failedOpens} messages failed authentication on this channel; it opens no more (start a new handshake)`);
        let padded: Buffer;
        try {
            padded = aeadOpen(this.key, nonce(this.direction, seq, index), aad(this.channelId, this.direction, seq, index), sealed);
        } catch (e) {
            if (!(e instanceof EnvelopeError)) throw e;
            this.failedOpens++;
            throw new SessionError('DecryptFailed', 'authentication failed (another channel, direction or position, or tampered bytes)');
        }
        try {
            return unpadFrom(padded, (n) => {
                const size = sealedBytes(n, this.minSealed);
                return size === undefined ? undefined : size - AEAD_TAG_BYTES;
            });
        } catch (e) {
            if (e instanceof EnvelopeError) throw new SessionError('BadPadding', e.message.replace(/^envelope: /, ''));
            throw e;
        }
    }
}

function directions(keys: ChannelKeys, limits: ChannelLimits): { requests: Direction; answers: Direction } {
    if (keys.channelId.length !== CHANNEL_ID_BYTES) throw new SessionError('Malformed', `channel id must be ${CHANNEL_ID_BYTES} bytes`);
    return {
        requests: new Direction(keys.clientToRunner, keys.channelId, DIRECTION_REQUEST, REQUEST_MIN_SEALED_BYTES, limits.maxFailedOpens),
        answers: new Direction(keys.runnerToClient, keys.channelId, DIRECTION_ANSWER, CHUNK_MIN_SEALED_BYTES, limits.maxFailedOpens),
    };
}

/** Where an answer's chunks may not go: an answer that is unknown, or already over. */
function answerGone(requestSeq: number, requestsSoFar: number): SessionError {
    return requestSeq < requestsSoFar
        ? new SessionError('AnswerClosed', `the answer to request ${requestSeq} is already complete or ended`)
        : new SessionError('UnknownRequest', `request ${requestSeq} has not been ${requestsSoFar === 0 ? 'made yet' : `made (next is ${requestsSoFar})`}`);
}

export interface SealedRequest {
    seq: number; // send it beside `sealed`; the runner must be given it to open
    sealed: Buffer;
    answer: AnswerStream; // where this request's answer chunks are opened
}

export interface OpenedChunk {
    data: Buffer;
    final: boolean; // the last chunk of the answer (it carries the voucher)
}

/**
 * The client's view of one answer: chunk 0, 1, 2, ... in order, ending with a final chunk; `finished`
 * says whether that came. `end()` is what the caller calls when the transport's stream ends: it
 * throws Truncated unless the final chunk was opened. The channel forgets the answer at its final
 * chunk or at `end()`, whichever comes first; later chunks for it are AnswerClosed.
 */
export class AnswerStream {
    private next = 0;
    private done = false; // final opened
    private ended = false;

    constructor(
        readonly requestSeq: number,
        private readonly answers: Direction,
        private readonly maxChunks: number,
        private readonly release: (requestSeq: number) => void,
    ) {}

    /** True once the final chunk has been opened. */
    get finished(): boolean {
        return this.done;
    }

    get nextIndex(): number {
        return this.next;
    }

    open(index: number, sealed: Uint8Array): OpenedChunk {
        requireUint32(index, 'chunk index');
        if (this.done || this.ended) throw new SessionError('AnswerClosed', `the answer to request ${this.requestSeq} is already ${this.done ? 'complete' : 'ended'}`);
        requireNext(index, this.next, 'chunk index');
        if (index >= this.maxChunks) throw new SessionError('LimitReached', `an answer may have at most ${this.maxChunks} chunks`);
        const message = this.answers.open(this.requestSeq, index, sealed);
        if (message.length < 1 || (message[0] !== FLAG_MORE && message[0] !== FLAG_FINAL)) {
            throw new SessionError('BadPadding', 'a chunk must start with its flag, 0 or 1');
        }
        this.next++;
        if (message[0] === FLAG_FINAL) {
            this.done = true;
            this.release(this.requestSeq);
        }
        return { data: message.subarray(1), final: this.done };
    }

    end(): void {
        if (this.ended) return;
        this.ended = true;
        this.release(this.requestSeq);
        if (!this.done) throw new SessionError('Truncated', `the answer to request ${this.requestSeq} ended after ${this.next} chunk(s) without its final chunk`);
    }
}

/** What both ends of a channel hold: its two directions, its limits, and the answers still open. */
abstract class ChannelEnd<Answer> {
    readonly channelId: Buffer;
    protected readonly requests: Direction;
    protected readonly answers: Direction;
    protected readonly limits: ChannelLimits;
    protected readonly open = new Map<number, Answer>(); // by request sequence number
    protected next = 0; // requests sealed (client) or opened (runner) so far

    constructor(keys: ChannelKeys, limits?: Partial<ChannelLimits>) {
        this.limits = channelLimits(limits);
        ({ requests: this.requests, answers: this.answers } = directions(keys, this.limits));
        this.channelId = Buffer.from(keys.channelId);
    }

    /** The sequence number of the next request: requests sealed so far (client) or opened so far (runner). */
    get nextRequestSeq(): number {
        return this.next;
    }
}

/** The client's side of a channel: seals requests in order and opens each request's answer stream. */
export class ClientChannel extends ChannelEnd<AnswerStream> {
    sealRequest(plaintext: Uint8Array): SealedRequest {
        const seq = this.next;
        if (seq >= this.limits.maxRequests) throw new SessionError('LimitReached', `this channel has sealed its ${this.limits.maxRequests} requests; start a new handshake`);
        const sealed = this.requests.seal(seq, 0, [plaintext]);
        this.next++;
        const answer = new AnswerStream(seq, this.answers, this.limits.maxChunksPerAnswer, (s) => this.open.delete(s));
        this.open.set(seq, answer);
        return { seq, sealed, answer };
    }

    /** Opens chunk `index` of the answer to request `requestSeq` (the same as that request's `answer.open`). */
    openChunk(requestSeq: number, index: number, sealed: Uint8Array): OpenedChunk {
        requireUint32(requestSeq, 'request sequence number');
        const answer = this.open.get(requestSeq);
        if (!answer) throw answerGone(requestSeq, this.next);
        return answer.open(index, sealed);
    }

    /** The transport's stream for that answer ended: throws Truncated unless its final chunk was opened. */
    endAnswer(requestSeq: number): void {
        requireUint32(requestSeq, 'request sequence number');
        const answer = this.open.get(requestSeq);
        if (answer) answer.end();
        else if (requestSeq >= this.next) throw answerGone(requestSeq, this.next);
    }
}

/** The runner's side: opens requests in order and seals each one's answer as chunks. */
export class RunnerChannel extends ChannelEnd<{ next: number }> {
    /** Requests opened whose answer has not had its final chunk sealed. */
    get openAnswers(): number {
        return this.open.size;
    }

    openRequest(seq: number, sealed: Uint8Array): Buffer {
        requireUint32(seq, 'request sequence number');
        requireNext(seq, this.next, 'request sequence number');
        if (seq >= this.limits.maxRequests) throw new SessionError('LimitReached', `this channel has opened its ${this.limits.maxRequests} requests`);
        const plaintext = this.requests.open(seq, 0, sealed);
        this.next++;
        this.open.set(seq, { next: 0 });
        return plaintext;
    }

    /**
     * Seals chunk `index` (0, 1, 2, ... in order) of the answer to request `requestSeq`. The last index
     * the limits allow must be final, so every answer can end; after the final chunk the answer is closed.
     */
    sealChunk(requestSeq: number, index: number, data: Uint8Array, final: boolean): Buffer {
        requireUint32(requestSeq, 'request sequence number');
        requireUint32(index, 'chunk index');
        const answer = this.open.get(requestSeq);
        if (!answer) throw answerGone(requestSeq, this.next);
        requireNext(index, answer.next, 'chunk index');
        if (index >= this.limits.maxChunksPerAnswer - 1 && !final) {
            throw new SessionError('LimitReached', `chunk ${index} is the last an answer may have (${this.limits.maxChunksPerAnswer}); it must be final`);
        }
        const sealed = this.answers.seal(requestSeq, index, [FLAGS[final ? FLAG_FINAL : FLAG_MORE], data]);
        answer.next++;
        if (final) this.open.delete(requestSeq);
        return sealed;
    }
}
