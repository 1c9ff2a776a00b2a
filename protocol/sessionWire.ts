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
    /** The answer's tool calls, whole (OpenAI's message.tool_calls), when the engine made any. */
    tool_calls?: SessionToolCall[];
    voucher?: VoucherJson;
    error?: SessionAnswerError;
}

/** One tool call of an answer, as OpenAI's message.tool_calls holds it (strings only: its JSON is canonical). */
export interface SessionToolCall {
    id: string;
    type: 'function';
    function: { name: string; arguments: string };
}

/**
 * Tool calls in the SessionToolCall form, or undefined for none (absent, null, empty); an error
 * for anything else. The runner reads them from the engine's answer, the client from the final chunk.
 */
export function toolCallsOf(raw: unknown): SessionToolCall[] | undefined {
    if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) return undefined;
    if (!Array.isArray(raw)) throw new TypeError('tool_calls is not an array');
    return raw.map((c: { id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } }) => {
        const name = c?.function?.name;
        const args = c?.function?.arguments;
        if (typeof c?.id !== 'string' || (c.type !== undefined && c.type !== 'function') || typeof name !== 'string' || typeof args !== 'string') throw new TypeError('a tool call is not {id, type: "function", function: {name, arguments}} with string fields');
        return { id: c.id, type: 'function' as const, function: { name, arguments: args } };
    });
}

/**
 * What an answer is, for its transcript and the own count of its output: the text as streamed, then,
 * when it made tool calls, a newline and their JSON exactly as the final chunk carries them (the
 * form is canonical, so the client re-serialises the same bytes). The newline is per-job billing's
 * join of text and tool calls (enclave/billing.ts).
 */
export function answerOf(text: string, toolCalls?: SessionToolCall[]): string {
    return toolCalls ? `${text}\n${JSON.stringify(toolCalls)}` : text;
}

/** The transcript of a session before its first request: 32 zero bytes. */
export const INITIAL_TRANSCRIPT = 0n;

/**
 * The transcript a voucher carries after a request: SHA-256(previous || SHA-256(request) ||
 * SHA-256(answer)), 32 bytes each, where `request` is the request message as sealed (the JSON body,
 * without padding) and `answer` the answer's text as streamed (the non-final chunks' data joined),
 * followed by its tool calls when it has any (`answerOf`).
 */
export function nextTranscript(previous: bigint, request: Uint8Array, answer: Uint8Array): bigint {
    const prev = Buffer.from(previous.toString(16).padStart(64, '0'), 'hex');
    const digest = sha256(Buffer.concat([prev, sha256(request), sha256(answer)]));
    return BigInt('0x' + Buffer.from(digest).toString('hex'));
}
