/** Malformed input of any shape must raise QuoteParseError and nothing else. */
import fc from 'fast-check';
import { parseQuote } from '../../attestation/parseQuote';
import { QuoteParseError } from '../../attestation/errors';
import { quoteBytes, VECTORS } from './vectors';

function parsesOrQuoteParseError(bytes: Uint8Array): void {
    try {
        parseQuote(bytes);
    } catch (e) {
        if (!(e instanceof QuoteParseError)) throw new Error(`unexpected ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
        expect(e.message.length).toBeGreaterThan(10);
    }
}

describe('parser robustness', () => {
    it('random bytes never raise anything but QuoteParseError', () => {
        fc.assert(fc.property(fc.uint8Array({ maxLength: 6000 }), (b) => parsesOrQuoteParseError(b)), { numRuns: 500 });
    });

    it('random bytes behind a valid v4/v5 header reach the deeper fields', () => {
        const v4 = quoteBytes('tdx-v4-dcap-qvl.bin').slice(0, 48);
        const v5 = quoteBytes('tdx-v5-go-tdx-guest.bin').slice(0, 54);
        fc.assert(
            fc.property(fc.boolean(), fc.uint8Array({ maxLength: 5000 }), (useV5, tail) => {
                const head = useV5 ? v5 : v4;
                const b = new Uint8Array(head.length + tail.length);
                b.set(head);
                b.set(tail, head.length);
                parsesOrQuoteParseError(b);
            }),
            { numRuns: 500 },
        );
    });

    it.each(VECTORS.map((v) => v.quote))('every truncation of %s is a QuoteParseError', (name) => {
        const bytes = quoteBytes(name);
        const end = parseQuote(bytes).quoteBytes.length;
        for (let len = 0; len < end; len++) {
            expect(() => parseQuote(bytes.subarray(0, len))).toThrow(QuoteParseError);
        }
    });

    it.each(VECTORS.map((v) => v.quote))('random byte flips in %s parse or raise QuoteParseError', (name) => {
        const bytes = quoteBytes(name);
        fc.assert(
            fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
                const b = bytes.slice();
                for (const [at, x] of flips) b[at] ^= x;
                parsesOrQuoteParseError(b);
            }),
            { numRuns: 300 },
        );
    });

    it('length fields set to huge values are parse errors, not allocations', () => {
        const b = quoteBytes('tdx-v4-dcap-qvl.bin').slice();
        for (const at of [632, 766, 1218, 1254]) {
            const c = b.slice();
            c.set([0xff, 0xff, 0xff, 0xff].slice(0, at === 1218 ? 2 : 4), at);
            expect(() => parseQuote(c)).toThrow(QuoteParseError);
        }
    });

    it('rejects non-TDX, unknown versions and unsupported certification types with clear messages', () => {
        const b = quoteBytes('tdx-v4-dcap-qvl.bin');
        const with_ = (at: number, bytes: number[]) => {
            const c = b.slice();
            c.set(bytes, at);
            return c;
        };
        expect(() => parseQuote(with_(0, [3, 0]))).toThrow('unsupported quote version 3');
        expect(() => parseQuote(with_(4, [0, 0, 0, 0]))).toThrow('unsupported TEE type 0x0');
        expect(() => parseQuote(with_(2, [3, 0]))).toThrow('unsupported attestation key type 3');
        expect(() => parseQuote(with_(764, [5, 0]))).toThrow('certification data type 5 unsupported');
        expect(() => parseQuote(new Uint8Array([1, 2, 3]) as Uint8Array)).toThrow(QuoteParseError);
        expect(() => parseQuote('not bytes' as unknown as Uint8Array)).toThrow(QuoteParseError);
    });
});
