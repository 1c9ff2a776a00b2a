/**
 * What a chain observer learns from ciphertext sizes (issue 11, finding 12). The request payload is
 * in the CreateJob message and the result in SubmitResult, both public; only their size is visible,
 * and it must reveal a size bucket, not the exact length of the prompt or the answer.
 * Both sides go through the code users run: the SDK seals the request, the runner seals the result.
 */
import { Address, Cell } from '@ton/core';
import { generateX25519KeyPair, MAX_ENVELOPE_BYTES, MAX_PLAINTEXT_BYTES } from '../../crypto';
import { RequestTooLargeError } from '../../sdk';
import { treeToBytes } from '../../protocol/bytesTree';
import { prepareRequest, sealJob } from '../../sdk/request';
import { bigintFromBytes } from '../../protocol/signed';
import { handleJob } from '../../enclave/handleJob';
import { parseJobInput } from '../../enclave/jobInput';
import { REFERENCE_MODEL_NAME } from '../../enclave/models';
import { context, openReceipt, sealedJob } from '../enclave/helpers';

const enclave = generateX25519KeyPair();
const target = { globalId: -239, provider: new Address(0, Buffer.alloc(32, 7)), encryptionKey: bigintFromBytes(enclave.publicKey) };

/** Bytes a chain observer sees for a prompt: the CreateJob payload tree, as the SDK builds it. */
function payloadBytes(content: string): number {
    const { payload } = sealJob(prepareRequest({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content }] }), target);
    return treeToBytes(payload).length;
}

describe('sizes on chain', () => {
    it('two prompts a few bytes apart give request payloads of the same size', () => {
        expect(payloadBytes('is the tumour malignant?')).toBe(payloadBytes('is the tumour malignant? yes or no'));
    });

    it('two answers a few bytes apart give results of the same size', async () => {
        const ctx = context();
        const sizes: number[] = [];
        for (const content of ['yes', 'no, it is benign']) {
            const job = sealedJob(ctx.keys, { body: { model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content }] } });
            const outcome = await handleJob(ctx, parseJobInput(job.json));
            expect(openReceipt(ctx.keys, job, outcome).choices[0].message.content).toBe(content.split(' ').reverse().join(' '));
            if (outcome.kind !== 'receipt') throw new Error('expected a receipt');
            sizes.push(treeToBytes(Cell.fromBoc(Buffer.from(outcome.result, 'base64'))[0]).length);
        }
        expect(sizes[0]).toBe(sizes[1]);
    });
});

describe('the largest request', () => {
    /** A chat body whose JSON is exactly `bytes` long. */
    function bodyOf(bytes: number) {
        const empty = { model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: '' }] };
        const content = 'word '.repeat(bytes / 5 + 1).slice(0, bytes - JSON.stringify(empty).length);
        return { ...empty, messages: [{ role: 'user', content }] };
    }

    it('a body of exactly MAX_PLAINTEXT_BYTES fills the largest envelope; one byte more is refused before anything is sent', () => {
        const max = prepareRequest(bodyOf(MAX_PLAINTEXT_BYTES));
        expect(max.plaintext.length).toBe(MAX_PLAINTEXT_BYTES);
        expect(treeToBytes(sealJob(max, target).payload).length).toBe(MAX_ENVELOPE_BYTES);
        expect(() => prepareRequest(bodyOf(MAX_PLAINTEXT_BYTES + 1))).toThrow(RequestTooLargeError);
    });
});
