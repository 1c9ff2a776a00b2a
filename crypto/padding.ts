/**
 * Length hiding for envelopes: the plaintext is padded inside the AEAD, so a chain observer, who sees
 * only the ciphertext's size, learns a size bucket instead of the exact length of a prompt or answer.
 *
 * Padded plaintext (envelope v2, docs/spec/envelope.md "Padding"):
 *     uint32 big-endian message length || message || zero bytes
 * sized so that the whole envelope (ENVELOPE_OVERHEAD bytes more) fills a bucket of whole 127-byte
 * cells of the byte tree it travels in on chain. Buckets are cell counts rounded up to two
 * significant bits (4, 6, 8, 12, 16, 24, ... cells: at most 1.5x apart), at least MIN_ENVELOPE_CELLS,
 * at most the largest tree the Provider accepts: 18 possible sizes. bench/padding.ts prices a whole
 * job under each candidate scheme (docs/BENCHMARKS.md, "Padding"): this one costs +8 to +18 % on
 * typical jobs and at most +48.5 %, where powers of two cost up to +97 % for one bit less leaked.
 *
 * The padding is authenticated (it is inside the AEAD) and the opener accepts exactly one padded form
 * per message, so an envelope cannot carry bytes, or a size, other than the canonical ones.
 * Session messages (./sessionChannel) use the same layout and rounding (`padTo`, `unpadFrom`,
 * `roundUpToBucket`) on bytes instead of cells, without the on-chain maximum.
 */
import { EnvelopeError } from './errors';

/** Bytes per cell of a byte tree (protocol/bytesTree.ts); buckets are whole cells. */
export const CELL_BYTES = 127;
/** The largest byte tree the Provider accepts (depth ≤ 6, ERR_OVERSIZE) holds 1 + 4 + ... + 4^5 cells. */
export const MAX_ENVELOPE_CELLS = 1365;
export const MAX_ENVELOPE_BYTES = MAX_ENVELOPE_CELLS * CELL_BYTES; // 173,355
/** 4 cells (508 bytes) hide every short prompt and answer; below it the job's fixed costs dominate. */
export const MIN_ENVELOPE_CELLS = 4;
/** Significant bits kept beyond the leading one: 0 = powers of two, 1 = two buckets per doubling. */
export const BUCKET_MANTISSA_BITS = 1;
export const PAD_LENGTH_BYTES = 4;

export interface BucketScheme {
    mantissaBits: number;
    minCells: number;
}
export const BUCKET_SCHEME: BucketScheme = { mantissaBits: BUCKET_MANTISSA_BITS, minCells: MIN_ENVELOPE_CELLS };

/**
 * `units` rounded up to the scheme's buckets, with no maximum: at least `minUnits`, then up to the next
 * number with `mantissaBits` significant bits after the leading one. Units are cells for envelopes and
 * bytes for session messages (./sessionChannel); `units` must be below 2^31.
 */
export function roundUpToBucket(units: number, mantissaBits: number, minUnits: number): number {
    const c = Math.max(units, minUnits);
    const shift = Math.max(0, 31 - Math.clz32(c) - mantissaBits); // bit length - 1 - mantissa
    const step = 2 ** shift;
    return Math.ceil(c / step) * step;
}

/** The bucket for an envelope of `cells` cells: the smallest bucket ≥ cells, capped at the maximum. */
export function bucketCells(cells: number, scheme: BucketScheme = BUCKET_SCHEME): number {
    return Math.min(roundUpToBucket(cells, scheme.mantissaBits, scheme.minCells), MAX_ENVELOPE_CELLS);
}

/**
 * The envelope size an unpadded envelope of `rawEnvelopeBytes` is padded to, or undefined when it
 * does not fit the largest tree. Exported for the benchmark, which compares schemes.
 */
export function bucketBytes(rawEnvelopeBytes: number, scheme: BucketScheme = BUCKET_SCHEME): number | undefined {
    if (rawEnvelopeBytes > MAX_ENVELOPE_BYTES) return undefined;
    return bucketCells(Math.ceil(rawEnvelopeBytes / CELL_BYTES), scheme) * CELL_BYTES;
}

/** Length of the padded plaintext for a message of `messageBytes`, given the envelope's own overhead. */
export function paddedLength(messageBytes: number, envelopeOverhead: number): number {
    const size = bucketBytes(messageBytes + PAD_LENGTH_BYTES + envelopeOverhead);
    if (size === undefined) {
        const most = MAX_ENVELOPE_BYTES - PAD_LENGTH_BYTES - envelopeOverhead;
        throw new EnvelopeError('TooLarge', `a ${messageBytes}-byte message does not fit an envelope (at most ${most} bytes)`);
    }
    return size - envelopeOverhead;
}

export function pad(message: Uint8Array, envelopeOverhead: number): Buffer {
    return padTo(message, paddedLength(message.length, envelopeOverhead));
}

/** The message inside `padded`; throws BadPadding unless `padded` is exactly what `pad` makes of it. */
export function unpad(padded: Uint8Array, envelopeOverhead: number): Buffer {
    return unpadFrom(padded, (messageBytes) => {
        const envelope = bucketBytes(messageBytes + PAD_LENGTH_BYTES + envelopeOverhead);
        return envelope === undefined ? undefined : envelope - envelopeOverhead;
    });
}

/**
 * `message` padded to exactly `size` bytes: uint32 big-endian length || message || zero bytes. A message
 * given in parts (a session chunk's flag and data) is copied in once. One copy costs less than feeding
 * the parts to the AEAD one by one: after a 4-byte prefix they are off the cipher's 64-byte blocks
 * (about 20 % slower on 64 KB here).
 */
export function padTo(message: Uint8Array | readonly Uint8Array[], size: number): Buffer {
    const parts = message instanceof Uint8Array ? [message] : message;
    let at = PAD_LENGTH_BYTES;
    for (const part of parts) at += part.length;
    if (size < at) throw new EnvelopeError('TooLarge', `a ${at - PAD_LENGTH_BYTES}-byte message does not fit ${size} padded bytes`);
    const out = Buffer.allocUnsafe(size);
    out.writeUInt32BE(at - PAD_LENGTH_BYTES, 0);
    at = PAD_LENGTH_BYTES;
    for (const part of parts) {
        out.set(part, at);
        at += part.length;
    }
    out.fill(0, at); // only the padding needs zeroing
    return out;
}

/**
 * The message inside `padded`, given the one padded size each message length has (`sizeFor`, undefined
 * when that length is too large). Throws BadPadding unless `padded` is exactly `padTo(message, sizeFor(length))`.
 */
export function unpadFrom(padded: Uint8Array, sizeFor: (messageBytes: number) => number | undefined): Buffer {
    const bytes = Buffer.from(padded.buffer, padded.byteOffset, padded.length);
    if (bytes.length < PAD_LENGTH_BYTES) throw new EnvelopeError('BadPadding', `${bytes.length} bytes cannot hold the length prefix`);
    const length = bytes.readUInt32BE(0);
    const end = PAD_LENGTH_BYTES + length;
    if (end > bytes.length) throw new EnvelopeError('BadPadding', `declares a ${length}-byte message in ${bytes.length} bytes`);
    // A canonical size per length: otherwise a sender could choose sizes (a side channel the
    // observer reads) while every opener still accepted them.
    const expected = sizeFor(length);
    if (expected === undefined || bytes.length !== expected) {
        throw new EnvelopeError('BadPadding', `a ${length}-byte message must be padded to ${expected === undefined ? 'nothing (too large)' : expected} bytes, got ${bytes.length}`);
    }
    if (!allZero(bytes.subarray(end))) throw new EnvelopeError('BadPadding', 'padding bytes are not zero');
    return bytes.subarray(PAD_LENGTH_BYTES, end);
}

const ZEROS = Buffer.alloc(65536); // read only

/** memcmp against zeros, 64 KB at a time: a byte loop in JS costs as much as the AEAD on large padding. */
function allZero(bytes: Buffer): boolean {
    for (let at = 0; at < bytes.length; at += ZEROS.length) {
        const part = bytes.subarray(at, at + ZEROS.length);
        if (!part.equals(ZEROS.subarray(0, part.length))) return false;
    }
    return true;
}
