/**
 * Bounds-checked little-endian reader over a byte array.
 *
 * Every read checks the remaining length first and throws QuoteParseError naming the field, so a
 * truncated or lying length field surfaces as a parse error rather than a RangeError or a silent
 * zero-filled value (Buffer/DataView would do either, depending on the call).
 */
import { QuoteParseError } from './errors';

export class ByteReader {
    private pos: number;

    constructor(
        private readonly bytes: Uint8Array,
        start = 0,
        private readonly end = bytes.length,
    ) {
        this.pos = start;
    }

    get offset(): number {
        return this.pos;
    }

    get remaining(): number {
        return this.end - this.pos;
    }

    /** Returns a copy so parsed structures never alias (and are never mutated through) the input. */
    bytesOf(length: number, field: string): Uint8Array {
        if (!Number.isSafeInteger(length) || length < 0 || length > this.remaining) {
            throw new QuoteParseError(
                `truncated quote: ${field} needs ${length} bytes at offset ${this.pos}, only ${Math.max(this.remaining, 0)} left`,
            );
        }
        const out = this.bytes.slice(this.pos, this.pos + length);
        this.pos += length;
        return out;
    }

    u8(field: string): number {
        return this.bytesOf(1, field)[0];
    }

    u16(field: string): number {
        const b = this.bytesOf(2, field);
        return b[0] | (b[1] << 8);
    }

    u32(field: string): number {
        const b = this.bytesOf(4, field);
        return (b[0] | (b[1] << 8) | (b[2] << 16)) + b[3] * 0x1000000;
    }

    /** A sub-reader over the next `length` bytes; the parent skips past them. */
    sub(length: number, field: string): ByteReader {
        if (!Number.isSafeInteger(length) || length < 0 || length > this.remaining) {
            throw new QuoteParseError(
                `truncated quote: ${field} declares ${length} bytes at offset ${this.pos}, only ${Math.max(this.remaining, 0)} left`,
            );
        }
        const child = new ByteReader(this.bytes, this.pos, this.pos + length);
        this.pos += length;
        return child;
    }

    expectEnd(field: string): void {
        if (this.remaining !== 0) {
            throw new QuoteParseError(`${field}: ${this.remaining} unexpected bytes after its last field at offset ${this.pos}`);
        }
    }
}
