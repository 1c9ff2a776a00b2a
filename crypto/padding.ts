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

/** The bucket for an envelope of `cells` cells: the smallest bucket ≥ cells, capped at the maximum. */
export function bucketCells(cells: number, scheme: BucketScheme = BUCKET_SCHEME): number {
    const c = Math.max(cells, scheme.minCells);
    const shift = Math.max(0, 31 - Math.clz32(c) - scheme.mantissaBits); // bit length - 1 - mantissa
    const step = 2 ** shift;
    return Math.min(Math.ceil(c / step) * step, MAX_ENVELOPE_CELLS);
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
    const out = Buffer.alloc(paddedLength(message.length, envelopeOverhead)); // zero-filled
    out.writeUInt32BE(message.length, 0);
    out.set(message, PAD_LENGTH_BYTES);
    return out;
}

/** The message inside `padded`; throws BadPadding unless `padded` is exactly what `pad` makes of it. */
export function unpad(padded: Uint8Array, envelopeOverhead: number): Buffer {
    const bytes = Buffer.from(padded.buffer, padded.byteOffset, padded.length);
    if (bytes.length < PAD_LENGTH_BYTES) throw new EnvelopeError('BadPadding', `${bytes.length} bytes cannot hold the length prefix`);
    const length = bytes.readUInt32BE(0);
    const end = PAD_LENGTH_BYTES + length;
    if (end > bytes.length) throw new EnvelopeError('BadPadding', `declares a ${length}-byte message in ${bytes.length} bytes`);
    // A canonical size per length: otherwise a sender could choose sizes (a side channel the
    // observer reads) while every opener still accepted them.
    const expected = bucketBytes(end + envelopeOverhead);
    if (expected === undefined || bytes.length !== expected - envelopeOverhead) {
        throw new EnvelopeError('BadPadding', `a ${length}-byte message must be padded to ${expected === undefined ? 'nothing (too large)' : expected - envelopeOverhead} bytes, got ${bytes.length}`);
    }
    for (let i = end; i < bytes.length; i++) {
        if (bytes[i] !== 0) throw new EnvelopeError('BadPadding', 'padding bytes are not zero');
    }
    return bytes.subarray(PAD_LENGTH_BYTES, end);
}
