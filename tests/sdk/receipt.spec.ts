// The receipt carried by the settling transaction is checked against the attested enclave key
// before the result is opened, so a lying RPC endpoint cannot substitute a result.
import { Address } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from 'node:crypto';
import { generateX25519KeyPair, RESULT_INFO, resultAad, sealResult } from '../../crypto';
import { sealUnpadded } from '../envelope/helpers';
import { bytesToTree } from '../../protocol/bytesTree';
import { bigintFromBytes, receiptCell, signCell } from '../../protocol/signed';
import { BadReceiptSignatureError, BadResultError, openJobResult, verifyReceipt } from '../../sdk';

const provider = new Address(0, randomBytes(32));
const secret = ed25519.utils.randomSecretKey();
const enclaveKey = bigintFromBytes(ed25519.getPublicKey(secret));
const client = generateX25519KeyPair();

const payloadHash = 0x1234n;

function settled(opts: { signer?: Uint8Array; jobId?: bigint; payloadHash?: bigint; eventInputTokens?: number } = {}) {
    const jobId = 7n;
    const response = { object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'hi' } }] };
    const result = bytesToTree(sealResult({ globalId: -239, provider, jobId, clientResultKey: client.publicKey }, Buffer.from(JSON.stringify(response))));
    const cell = receiptCell({ globalId: -239, provider, jobId: opts.jobId ?? jobId, payloadHash: opts.payloadHash ?? payloadHash, resultHash: bigintFromBytes(result.hash()), inputTokens: 5, outputTokens: 1 });
    return {
        globalId: -239, provider, jobId, enclaveKey, payloadHash, result, signature: signCell(cell, opts.signer ?? secret),
        inputTokens: 5, outputTokens: 1, eventResultHash: bigintFromBytes(result.hash()), eventInputTokens: opts.eventInputTokens ?? 5, eventOutputTokens: 1,
    };
}

describe('sdk: receipt verification', () => {
    it('accepts the enclave\'s signature and opens the result', () => {
        const s = settled();
        expect(() => verifyReceipt(s)).not.toThrow();
        expect(openJobResult(s, client.secretKey)).toMatchObject({ object: 'chat.completion' });
    });

    it('refuses a receipt signed by another key', () => {
        expect(() => verifyReceipt(settled({ signer: ed25519.utils.randomSecretKey() }))).toThrow(BadReceiptSignatureError);
    });

    it('refuses a receipt signed for another job', () => {
        expect(() => verifyReceipt(settled({ jobId: 8n }))).toThrow(BadReceiptSignatureError);
    });

    it('refuses a receipt signed for another request (payload) under the same job id', () => {
        expect(() => verifyReceipt(settled({ payloadHash: payloadHash + 1n }))).toThrow(BadReceiptSignatureError);
    });

    it('refuses a flipped signature bit', () => {
        const s = settled();
        s.signature[0] ^= 1;
        expect(() => verifyReceipt(s)).toThrow(BadReceiptSignatureError);
    });

    it('refuses an event whose counts differ from the SubmitResult', () => {
        expect(() => verifyReceipt(settled({ eventInputTokens: 4 }))).toThrow(BadReceiptSignatureError);
    });

    it('refuses an authentic result whose padding is malformed', () => {
        const s = settled();
        const binding = { globalId: s.globalId, provider: s.provider, jobId: s.jobId };
        const result = bytesToTree(sealUnpadded(client.publicKey, RESULT_INFO, resultAad(binding), Buffer.from('{"object":"chat.completion"}')));
        expect(() => openJobResult({ ...s, result }, client.secretKey)).toThrow(/result does not open: envelope: declares a \d+-byte message/);
    });

    it('refuses a result that does not open with the job\'s key', () => {
        expect(() => openJobResult(settled(), generateX25519KeyPair().secretKey)).toThrow(BadResultError);
    });
});
