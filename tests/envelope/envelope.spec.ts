/**
 * Request and result envelopes: round trip, tamper evidence, and binding to the job.
 * Every failure must surface as an EnvelopeError with a code, never as garbage plaintext.
 */
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import {
    bucketBytes,
    ENVELOPE_OVERHEAD,
    EnvelopeError,
    generateX25519KeyPair,
    openRequest,
    openResult,
    recipientFromSecret,
    sealRequest,
    sealResult,
} from '../../crypto';
import type { EnvelopeErrorCode } from '../../crypto';
import { randomProvider, requestBinding, resultBinding } from './helpers';

const enclave = generateX25519KeyPair();
const client = generateX25519KeyPair();

function expectCode(fn: () => unknown, code: EnvelopeErrorCode) {
    try {
        fn();
    } catch (e) {
        expect(e).toBeInstanceOf(EnvelopeError);
        expect((e as EnvelopeError).code).toBe(code);
        return;
    }
    throw new Error(`expected EnvelopeError ${code}, nothing was thrown`);
}

describe('request envelope', () => {
    it('round-trips any plaintext and any binding (property)', () => {
        const recipient = recipientFromSecret(enclave.secretKey);
        fc.assert(
            fc.property(
                fc.uint8Array({ maxLength: 4096 }),
                fc.integer({ min: -0x80000000, max: 0x7fffffff }),
                fc.integer({ min: -128, max: 127 }),
                fc.nat(),
                fc.nat(),
                (pt, globalId, wc, maxIn, maxOut) => {
                    const b = requestBinding({ globalId, provider: randomProvider(wc), maxInputTokens: maxIn, maxOutputTokens: maxOut });
                    const env = sealRequest({ ...b, enclaveX25519: enclave.publicKey }, pt);
                    // Length prefix (4 bytes) and padding to the bucket: the exact length is not visible.
                    expect(env.length).toBe(bucketBytes(pt.length + 4 + ENVELOPE_OVERHEAD));
                    expect(env[0]).toBe(2);
                    expect(openRequest(recipient, b, env)).toEqual(Buffer.from(pt));
                },
            ),
            { numRuns: 60 },
        );
    });

    it('sealing twice gives different envelopes (fresh ephemeral key each time)', () => {
        const b = requestBinding();
        const a = sealRequest({ ...b, enclaveX25519: enclave.publicKey }, Buffer.from('same'));
        const c = sealRequest({ ...b, enclaveX25519: enclave.publicKey }, Buffer.from('same'));
        expect(a.subarray(1, 33)).not.toEqual(c.subarray(1, 33));
    });

    it('flipping any bit of any byte makes it unopenable', () => {
        const b = requestBinding();
        const env = sealRequest({ ...b, enclaveX25519: enclave.publicKey }, Buffer.from('{"prompt":"tamper me"}'));
        const recipient = recipientFromSecret(enclave.secretKey);
        for (let i = 0; i < env.length; i++) {
            for (const bit of [0x01, 0x80]) {
                const bad = Buffer.from(env);
                bad[i] ^= bit;
                expect(() => openRequest(recipient, b, bad)).toThrow(EnvelopeError);
            }
        }
    });

    it('a flipped version byte is BadVersion and a short envelope is Truncated', () => {
        const b = requestBinding();
        const env = sealRequest({ ...b, enclaveX25519: enclave.publicKey }, Buffer.from('x'));
        const bad = Buffer.from(env);
        bad[0] = 3;
        expectCode(() => openRequest(enclave.secretKey, b, bad), 'BadVersion');
        expectCode(() => openRequest(enclave.secretKey, b, env.subarray(0, ENVELOPE_OVERHEAD - 1)), 'Truncated');
    });

    it('another enclave key cannot open it', () => {
        const b = requestBinding();
        const env = sealRequest({ ...b, enclaveX25519: enclave.publicKey }, Buffer.from('secret prompt'));
        expectCode(() => openRequest(generateX25519KeyPair().secretKey, b, env), 'DecryptFailed');
    });

    const rebinds: Array<[string, (b: ReturnType<typeof requestBinding>) => ReturnType<typeof requestBinding>]> = [
        ['another network', (b) => ({ ...b, globalId: b.globalId + 1 })],
        ['another provider', (b) => ({ ...b, provider: randomProvider() })],
        ['the same provider hash on another workchain', (b) => ({ ...b, provider: new Address(-1, b.provider.hash) })],
        ['another client result key', (b) => ({ ...b, clientResultKey: generateX25519KeyPair().publicKey })],
        ['another model', (b) => ({ ...b, modelId: randomBytes(32) })],
        ['other input limits', (b) => ({ ...b, maxInputTokens: b.maxInputTokens + 1 })],
        ['other output limits', (b) => ({ ...b, maxOutputTokens: b.maxOutputTokens - 1 })],
    ];
    it.each(rebinds)('cannot be replayed into a job with %s', (_name, rebind) => {
        const b = requestBinding();
        const env = sealRequest({ ...b, enclaveX25519: enclave.publicKey }, Buffer.from('bound'));
        expectCode(() => openRequest(enclave.secretKey, rebind(b), env), 'DecryptFailed');
    });

    it('rejects malformed keys and bindings with typed errors', () => {
        const b = requestBinding();
        expectCode(() => sealRequest({ ...b, enclaveX25519: new Uint8Array(31) }, Buffer.from('x')), 'BadKey');
        expectCode(() => sealRequest({ ...b, enclaveX25519: new Uint8Array(32) }, Buffer.from('x')), 'BadKey'); // low order
        expectCode(() => sealRequest({ ...b, enclaveX25519: enclave.publicKey, globalId: 2 ** 31 }, Buffer.from('x')), 'BadBinding');
        expectCode(() => sealRequest({ ...b, enclaveX25519: enclave.publicKey, modelId: new Uint8Array(3) }, Buffer.from('x')), 'BadBinding');
    });
});

describe('result envelope', () => {
    it('round-trips to the client result key (property)', () => {
        fc.assert(
            fc.property(fc.uint8Array({ maxLength: 4096 }), fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), (pt, jobId) => {
                const b = resultBinding({ jobId });
                const env = sealResult({ ...b, clientResultKey: client.publicKey }, pt);
                expect(openResult(client.secretKey, b, env)).toEqual(Buffer.from(pt));
            }),
            { numRuns: 60 },
        );
    });

    it('cannot be opened as another job, provider or network, or by another key', () => {
        const b = resultBinding();
        const env = sealResult({ ...b, clientResultKey: client.publicKey }, Buffer.from('answer'));
        expectCode(() => openResult(client.secretKey, { ...b, jobId: b.jobId + 1n }, env), 'DecryptFailed');
        expectCode(() => openResult(client.secretKey, { ...b, provider: randomProvider() }, env), 'DecryptFailed');
        expectCode(() => openResult(client.secretKey, { ...b, globalId: 0 }, env), 'DecryptFailed');
        expectCode(() => openResult(enclave.secretKey, b, env), 'DecryptFailed');
    });

    it('a request envelope is not accepted as a result even under the same key (distinct info and AAD)', () => {
        const b = requestBinding();
        const env = sealRequest({ ...b, enclaveX25519: client.publicKey }, Buffer.from('x'));
        expectCode(() => openResult(client.secretKey, resultBinding({ globalId: b.globalId, provider: b.provider }), env), 'DecryptFailed');
    });

    it('flipping any byte makes it unopenable', () => {
        const b = resultBinding();
        const env = sealResult({ ...b, clientResultKey: client.publicKey }, Buffer.from('{"choices":[]}'));
        for (let i = 0; i < env.length; i++) {
            const bad = Buffer.from(env);
            bad[i] ^= 0x10;
            expect(() => openResult(client.secretKey, b, bad)).toThrow(EnvelopeError);
        }
    });
});
