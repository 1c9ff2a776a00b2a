/**
 * Padding inside the envelope (crypto/padding.ts): the buckets, the edges of pad/unpad, the
 * one-padded-form-per-message rule, and the version change that came with it (v1 is refused).
 */
import fc from 'fast-check';
import {
    bucketBytes,
    CELL_BYTES,
    ENVELOPE_OVERHEAD,
    EnvelopeError,
    generateX25519KeyPair,
    MAX_ENVELOPE_BYTES,
    openRequest,
    openResult,
    requestAad,
    resultAad,
    REQUEST_INFO,
    RESULT_INFO,
    sealRequest,
    sealResult,
} from '../../crypto';
import type { EnvelopeErrorCode } from '../../crypto';
import { bucketCells, MAX_ENVELOPE_CELLS, pad, PAD_LENGTH_BYTES, unpad } from '../../crypto/padding';
import { bytesToTree } from '../../protocol/bytesTree';
import { DEFAULT_LIMITS } from '../../enclave/server';
import type { JobInputJson } from '../../enclave/jobInput';
import { randomBytes } from 'node:crypto';
import { requestBinding, resultBinding, sealUnpadded } from './helpers';

const O = ENVELOPE_OVERHEAD;
const enclave = generateX25519KeyPair();
const client = generateX25519KeyPair();

function expectCode(fn: () => unknown, code: EnvelopeErrorCode, message?: RegExp) {
    try {
        fn();
    } catch (e) {
        expect(e).toBeInstanceOf(EnvelopeError);
        expect((e as EnvelopeError).code).toBe(code);
        if (message) expect((e as Error).message).toMatch(message);
        return;
    }
    throw new Error(`expected EnvelopeError ${code}, nothing was thrown`);
}

/** Every bucket, in cells, from the smallest envelope to the largest. */
function buckets(): number[] {
    const out = new Set<number>();
    for (let c = 1; c <= MAX_ENVELOPE_CELLS; c++) out.add(bucketCells(c));
    return [...out];
}

/** Largest message that fits an envelope of `cells` cells. */
const fits = (cells: number) => cells * CELL_BYTES - O - PAD_LENGTH_BYTES;

describe('buckets', () => {
    it('are 4, 6, 8, 12, 16, ... cells, at most 1.5x apart, ending at the largest tree the Provider accepts', () => {
        const b = buckets();
        expect(b).toEqual([4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1365]);
        for (let i = 1; i < b.length; i++) expect(b[i] / b[i - 1]).toBeLessThanOrEqual(1.5);
    });

    it('are whole cells of the byte tree, and the largest is exactly a depth-6 tree (one byte more is depth 7: ERR_OVERSIZE)', () => {
        for (const cells of buckets()) {
            const tree = bytesToTree(Buffer.alloc(cells * CELL_BYTES, 1));
            let count = 0;
            const walk = (c: typeof tree) => { count++; c.refs.forEach(walk); };
            walk(tree);
            expect(count).toBe(cells);
        }
        expect(bytesToTree(Buffer.alloc(MAX_ENVELOPE_BYTES, 1)).depth()).toBe(5); // 6 levels of cells
        expect(bytesToTree(Buffer.alloc(MAX_ENVELOPE_BYTES + 1, 1)).depth()).toBe(6);
    });

    it('the largest envelope, posted to the runner as a job, fits its body limit', () => {
        // Random bytes: identical cells would be stored once in the BOC and understate its size.
        const job: JobInputJson = {
            globalId: -239, provider: `0:${'ab'.repeat(32)}`, jobId: '18446744073709551615', modelId: 'cd'.repeat(32),
            maxInputTokens: 4294967295, maxOutputTokens: 4294967295, clientResultKey: 'ef'.repeat(32),
            payload: bytesToTree(randomBytes(MAX_ENVELOPE_BYTES)).toBoc().toString('base64'),
        };
        expect(Buffer.byteLength(JSON.stringify(job))).toBeLessThanOrEqual(DEFAULT_LIMITS.bodyLimitBytes);
    });

    it('bucketBytes is monotonic, never below its input, and fixed on bucket sizes (property)', () => {
        fc.assert(
            fc.property(fc.integer({ min: 0, max: MAX_ENVELOPE_BYTES }), fc.integer({ min: 0, max: MAX_ENVELOPE_BYTES }), (a, b) => {
                const [lo, hi] = a <= b ? [a, b] : [b, a];
                expect(bucketBytes(lo)!).toBeLessThanOrEqual(bucketBytes(hi)!);
                expect(bucketBytes(lo)!).toBeGreaterThanOrEqual(lo);
                expect(bucketBytes(bucketBytes(lo)!)).toBe(bucketBytes(lo));
            }),
        );
        expect(bucketBytes(MAX_ENVELOPE_BYTES + 1)).toBeUndefined();
    });
});

describe('pad / unpad', () => {
    it('an empty message fills the smallest bucket', () => {
        const p = pad(new Uint8Array(0), O);
        expect(p.length + O).toBe(4 * CELL_BYTES);
        expect(unpad(p, O).length).toBe(0);
    });

    it('a message exactly at a bucket edge stays in it; one byte more takes the next bucket', () => {
        for (const [cells, next] of [[4, 6], [6, 8], [1024, 1365]]) {
            const edge = Buffer.alloc(fits(cells), 0xab);
            expect(pad(edge, O).length + O).toBe(cells * CELL_BYTES);
            expect(unpad(pad(edge, O), O)).toEqual(edge);
            const over = Buffer.alloc(fits(cells) + 1, 0xab);
            expect(pad(over, O).length + O).toBe(next * CELL_BYTES);
            expect(unpad(pad(over, O), O)).toEqual(over);
        }
    });

    it('the largest message fills the largest envelope; one byte more is TooLarge', () => {
        const max = Buffer.alloc(fits(MAX_ENVELOPE_CELLS), 0x5c);
        expect(pad(max, O).length + O).toBe(MAX_ENVELOPE_BYTES);
        expect(unpad(pad(max, O), O)).toEqual(max);
        expectCode(() => pad(Buffer.alloc(max.length + 1), O), 'TooLarge', /at most 173302 bytes/);
    });

    it('refuses a bogus length prefix, non-zero padding, a non-canonical size and a missing prefix', () => {
        const good = pad(Buffer.from('hello'), O);
        const withLength = (n: number) => { const b = Buffer.from(good); b.writeUInt32BE(n, 0); return b; };
        expectCode(() => unpad(withLength(good.length - PAD_LENGTH_BYTES + 1), O), 'BadPadding', /declares/);
        expectCode(() => unpad(withLength(0xffffffff), O), 'BadPadding', /declares/);
        expectCode(() => unpad(withLength(2), O), 'BadPadding', /not zero/); // "llo" becomes padding
        const dirty = Buffer.from(good);
        dirty[dirty.length - 1] = 1;
        expectCode(() => unpad(dirty, O), 'BadPadding', /not zero/);
        // A 5-byte message padded to the next bucket: well formed, but not the one size its length allows.
        const oversized = Buffer.concat([good, Buffer.alloc(2 * CELL_BYTES)]);
        expectCode(() => unpad(oversized, O), 'BadPadding', /must be padded to 459 bytes, got 713/);
        expectCode(() => unpad(good.subarray(0, good.length - 1), O), 'BadPadding', /must be padded/);
        expectCode(() => unpad(Buffer.alloc(3), O), 'BadPadding', /length prefix/);
        expectCode(() => unpad(Buffer.alloc(0), O), 'BadPadding', /length prefix/);
    });

    it('round-trips any message, into a bucket size (property)', () => {
        fc.assert(
            fc.property(fc.uint8Array({ maxLength: 20_000 }), (m) => {
                const p = pad(m, O);
                expect(buckets().map((c) => c * CELL_BYTES)).toContain(p.length + O);
                expect(unpad(p, O)).toEqual(Buffer.from(m));
            }),
            { numRuns: 200 },
        );
    });

    it('any byte string unpads to nothing, or to the one message whose padding it is (property)', () => {
        const prefixed = fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.uint8Array({ maxLength: 1200 })).map(([n, rest]) => {
            const b = Buffer.alloc(PAD_LENGTH_BYTES + rest.length);
            b.writeUInt32BE(n, 0);
            b.set(rest, PAD_LENGTH_BYTES);
            return b;
        });
        const canonicalPlusNoise = fc.tuple(fc.uint8Array({ maxLength: 800 }), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([m, at, v]) => {
            const b = pad(m, O);
            b[at % b.length] = v;
            return b;
        });
        fc.assert(
            fc.property(fc.oneof(fc.uint8Array({ maxLength: 1200 }), prefixed, canonicalPlusNoise), (bytes) => {
                let m: Buffer;
                try {
                    m = unpad(bytes, O);
                } catch (e) {
                    expect((e as EnvelopeError).code).toBe('BadPadding');
                    return;
                }
                expect(pad(m, O)).toEqual(Buffer.from(bytes));
            }),
            { numRuns: 500 },
        );
    });
});

describe('envelopes with bad padding or of version 1', () => {
    const rawRequest = (b: ReturnType<typeof requestBinding>, padded: Uint8Array, info = REQUEST_INFO, aad = requestAad(b), version = 2) =>
        sealUnpadded(enclave.publicKey, info, aad, padded, version);

    it('an authentic request whose padding is malformed is refused as BadPadding', () => {
        const b = requestBinding();
        expectCode(() => openRequest(enclave.secretKey, b, rawRequest(b, Buffer.from('{"model":"m"}'))), 'BadPadding');
        const dirty = pad(Buffer.from('{"model":"m"}'), O);
        dirty[dirty.length - 1] = 0x20;
        expectCode(() => openRequest(enclave.secretKey, b, rawRequest(b, dirty)), 'BadPadding', /not zero/);
    });

    it('an authentic result whose padding is malformed is refused as BadPadding', () => {
        const b = resultBinding();
        expectCode(() => openResult(client.secretKey, b, sealUnpadded(client.publicKey, RESULT_INFO, resultAad(b), Buffer.from('{"choices":[]}'))), 'BadPadding');
    });

    it('a version 1 envelope (unpadded, cocoon/request/v1) is refused by name, and relabelled as v2 it does not open', () => {
        const b = requestBinding();
        const v1Info = Buffer.from('cocoon/request/v1', 'ascii');
        const v1Aad = Buffer.concat([v1Info, requestAad(b).subarray(REQUEST_INFO.length)]);
        const v1 = rawRequest(b, Buffer.from('{"model":"m"}'), v1Info, v1Aad, 1);
        expectCode(() => openRequest(enclave.secretKey, b, v1), 'BadVersion', /version 1 envelopes \(unpadded\) are no longer accepted/);
        const relabelled = Buffer.from(v1);
        relabelled[0] = 2;
        expectCode(() => openRequest(enclave.secretKey, b, relabelled), 'DecryptFailed');
    });

    it('sealing refuses a plaintext too large for any envelope', () => {
        const big = Buffer.alloc(MAX_ENVELOPE_BYTES);
        expectCode(() => sealRequest({ ...requestBinding(), enclaveX25519: enclave.publicKey }, big), 'TooLarge');
        expectCode(() => sealResult({ ...resultBinding(), clientResultKey: client.publicKey }, big), 'TooLarge');
    });
});
