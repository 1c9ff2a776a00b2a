/**
 * What the session runner and the client put around the session channel (crypto/sessionChannel.ts)
 * on HTTP: the framing of an answer's sealed chunks in a response body, the plaintext of a close,
 * what the final chunk of an answer carries, and the transcript hash every voucher chains.
 * docs/spec/enclave.md ("Sessions") documents them byte for byte; enclave/sessions.ts and
 * sdk/session.ts are the two ends.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { VoucherJson } from './voucherJson';

/**
 * Channels the runner keeps per session; a further handshake drops the oldest. The SDK opens at most
 * this many, and a channel carries one request at a time, so this is a session's concurrency: a
 * gateway serves all its users of a model from one session (at 4, sixteen concurrent streams of
 * 20 ms tokens ran at 0.25 of the engine's rate, bench:gateway). A channel is ~1 KB of keys and
 * counters, and only the session's client key can make one.
 */
export const MAX_CHANNELS_PER_SESSION = 32;

/** Bytes of a frame's length prefix (uint32, big-endian). */
export const FRAME_HEADER_BYTES = 4;
/** A frame holds one sealed chunk: at most 16 MiB (crypto/sessionChannel.ts MAX_SEALED_BYTES). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** One sealed chunk as it travels in the response body: uint32 length (big-endian) || sealed bytes. */
export function encodeFrame(sealed: Uint8Array): Buffer {
    const head = Buffer.alloc(FRAME_HEADER_BYTES);
    head.writeUInt32BE(sealed.length);
    return Buffer.concat([head, sealed]);
}

export class FrameError extends Error {}

/**
 * Cuts a byte stream into frames. `push` takes whatever the transport delivered and returns the
 * frames completed by it; a length of 0 or above MAX_FRAME_BYTES is a FrameError (nothing is
 * buffered for it). `pending` says how many bytes wait for the rest of a frame.
 */
export class FrameReader {
    private buffered: Buffer[] = [];
    private size = 0;

    push(bytes: Uint8Array): Buffer[] {
        this.buffered.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
        this.size += bytes.length;
        const out: Buffer[] = [];
        for (;;) {
            if (this.size < FRAME_HEADER_BYTES) return out;
            let all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
            const length = all.readUInt32BE(0);
            if (length === 0 || length > MAX_FRAME_BYTES) throw new FrameError(`a frame of ${length} bytes is outside 1 to ${MAX_FRAME_BYTES}`);
            if (all.length < FRAME_HEADER_BYTES + length) {
                this.buffered = [all];
                return out;
            }
            out.push(Buffer.from(all.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length)));
            all = all.subarray(FRAME_HEADER_BYTES + length);
            this.buffered = all.length ? [all] : [];
            this.size = all.length;
        }
    }

    get pending(): number {
        return this.size;
    }
}

/** The plaintext of a close (POST /v1/session/close): exactly these bytes. */
export const CLOSE_PLAINTEXT = Buffer.from('{"close":true}', 'utf8');

/** `usage` as OpenAI names it: what this request was billed. */
export interface SessionUsage {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
}

/** Why an answer ended without (all of) its text: a stable code and a message that never holds plaintext. */
export interface SessionAnswerError {
    code: string;
    message: string;
}

/**
 * The data of an answer's final chunk, as JSON. A served request: `usage`, `finish_reason`, and the
 * voucher signed for it. A refused one: `error` only (nothing billed). An answer cut short after
 * text was streamed (engine failure, timeout): `error` with the `usage` and voucher of what was
 * streamed. A close: the final voucher only.
 */
export interface SessionFinal {
    usage?: SessionUsage;
    finish_reason?: string | null;
    voucher?: VoucherJson;
    error?: SessionAnswerError;
}

/** The transcript of a session before its first request: 32 zero bytes. */
export const INITIAL_TRANSCRIPT = 0n;

/**
 * The transcript a voucher carries after a request: SHA-256(previous || SHA-256(request) ||
 * SHA-256(answer)), 32 bytes each, where `request` is the request message as sealed (the JSON body,
 * without padding) and `answer` the answer's text as streamed (the non-final chunks' data joined).
 */
export function nextTranscript(previous: bigint, request: Uint8Array, answer: Uint8Array): bigint {
    const prev = Buffer.from(previous.toString(16).padStart(64, '0'), 'hex');
    const digest = sha256(Buffer.concat([prev, sha256(request), sha256(answer)]));
    return BigInt('0x' + Buffer.from(digest).toString('hex'));
}
