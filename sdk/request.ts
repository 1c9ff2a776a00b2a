/**
 * The request side of a job: token limits computed exactly as the enclave computes them
 * (enclave/request.ts inputText, cl100k tokens), and the sealed payload bound to the job's terms.
 */
import { Address } from '@ton/core';
import { sealRequest, generateX25519KeyPair, X25519KeyPair, MAX_PLAINTEXT_BYTES } from '../crypto';
import { RequestTooLargeError } from './errors';
import { bytesToTree } from '../protocol/bytesTree';
import { bytesFromBigint } from '../protocol/signed';
import { modelIdOf } from '../protocol/defaults';
import { InferenceRequest, inputText, parseRequest } from '../enclave/request';
import { countTokens } from '../enclave/tokens';

/** An OpenAI chat-completions or completions request body. */
export type OpenAIRequest = Record<string, unknown> & { model: string };

/** Output tokens escrowed when the request sets no `max_tokens`. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 256;

export interface PreparedRequest {
    kind: InferenceRequest['kind'];
    model: string;
    modelId: bigint;
    plaintext: Buffer; // what the enclave opens: the body without streaming fields
    maxInputTokens: number;
    maxOutputTokens: number;
}

/** Checks the body the way the enclave will and fixes the job's token limits. Throws on a malformed body. */
export function prepareRequest(body: OpenAIRequest, defaultMaxOutput = DEFAULT_MAX_OUTPUT_TOKENS): PreparedRequest {
    // Streaming is the gateway's business: the enclave always answers with one whole response.
    const { stream: _stream, stream_options: _opts, ...rest } = body as Record<string, unknown>;
    const maxTokens = (rest.max_completion_tokens ?? rest.max_tokens) as number | undefined;
    if (rest.max_completion_tokens !== undefined) {
        delete rest.max_completion_tokens;
        rest.max_tokens = maxTokens;
    }
    const plaintext = Buffer.from(JSON.stringify(rest), 'utf8');
    // Refused before anything is chosen or paid: sealJob could not seal it (crypto/padding.ts).
    if (plaintext.length > MAX_PLAINTEXT_BYTES) throw new RequestTooLargeError(plaintext.length, MAX_PLAINTEXT_BYTES);
    const req = parseRequest(plaintext);
    return {
        kind: req.kind,
        model: req.body.model,
        modelId: modelIdOf(req.body.model),
        plaintext,
        maxInputTokens: Math.max(1, countTokens(inputText(req))),
        maxOutputTokens: maxTokens ?? defaultMaxOutput,
    };
}

export interface SealedJob {
    payload: ReturnType<typeof bytesToTree>;
    resultKeys: X25519KeyPair; // fresh per job; the secret opens the result
}

export function sealJob(p: PreparedRequest, target: { globalId: number; provider: Address; encryptionKey: bigint }): SealedJob {
    const resultKeys = generateX25519KeyPair();
    const envelope = sealRequest(
        {
            globalId: target.globalId,
            provider: target.provider,
            clientResultKey: resultKeys.publicKey,
            modelId: bytesFromBigint(p.modelId),
            maxInputTokens: p.maxInputTokens,
            maxOutputTokens: p.maxOutputTokens,
            enclaveX25519: bytesFromBigint(target.encryptionKey),
        },
        p.plaintext,
    );
    return { payload: bytesToTree(envelope), resultKeys };
}
