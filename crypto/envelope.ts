/**
 * Cocoon envelopes: a request sealed to an enclave, a result sealed to a client.
 *
 * Wire format v1 (docs/spec/envelope.md):  version (1 byte = 0x01) || enc (32) || ciphertext || tag (16)
 * where enc is the HPKE ephemeral X25519 public key and ciphertext || tag is ChaCha20-Poly1305
 * output of RFC 9180 base-mode SealBase. The version byte is outside the AEAD but any change of it
 * is rejected before decryption, and a v2 would use new info strings, so it cannot be downgraded.
 */
import { EnvelopeError } from './errors';
import { openBase, Recipient, recipientFromSecret, sealBase } from './hpke';
import { AEAD_TAG_BYTES } from './aead';
import { X25519_KEY_BYTES } from './x25519';
import { REQUEST_INFO, requestAad, RequestBinding, RESULT_INFO, resultAad, ResultBinding } from './bindings';

export const ENVELOPE_VERSION = 1;
const HEADER_BYTES = 1 + X25519_KEY_BYTES;
export const ENVELOPE_OVERHEAD = HEADER_BYTES + AEAD_TAG_BYTES; // 49 bytes

export interface SealRequestParams extends RequestBinding {
    enclaveX25519: Uint8Array; // the enclave's attested encryption key
}

export interface SealResultParams extends ResultBinding {
    clientResultKey: Uint8Array; // the result key the job named
}

/** A secret key as raw bytes, or prepared once with `recipientFromSecret` to skip a scalar multiplication per open. */
export type RecipientSecret = Uint8Array | Recipient;

function encode(enc: Uint8Array, ciphertext: Uint8Array): Buffer {
    return Buffer.concat([Buffer.from([ENVELOPE_VERSION]), enc, ciphertext]);
}

function decode(envelope: Uint8Array): { enc: Uint8Array; ciphertext: Uint8Array } {
    if (envelope.length < ENVELOPE_OVERHEAD) {
        throw new EnvelopeError('Truncated', `${envelope.length} bytes is shorter than the ${ENVELOPE_OVERHEAD}-byte minimum`);
    }
    if (envelope[0] !== ENVELOPE_VERSION) throw new EnvelopeError('BadVersion', `unknown version ${envelope[0]}`);
    return { enc: envelope.subarray(1, HEADER_BYTES), ciphertext: envelope.subarray(HEADER_BYTES) };
}

function recipient(secret: RecipientSecret): Recipient {
    return secret instanceof Uint8Array ? recipientFromSecret(secret) : secret;
}

export function sealRequest(params: SealRequestParams, plaintext: Uint8Array): Buffer {
    const { enc, ciphertext } = sealBase(params.enclaveX25519, REQUEST_INFO, requestAad(params), plaintext);
    return encode(enc, ciphertext);
}

export function openRequest(enclaveSecret: RecipientSecret, params: RequestBinding, envelope: Uint8Array): Buffer {
    const { enc, ciphertext } = decode(envelope);
    return openBase(recipient(enclaveSecret), enc, REQUEST_INFO, requestAad(params), ciphertext);
}

export function sealResult(params: SealResultParams, plaintext: Uint8Array): Buffer {
    const { enc, ciphertext } = sealBase(params.clientResultKey, RESULT_INFO, resultAad(params), plaintext);
    return encode(enc, ciphertext);
}

export function openResult(clientSecret: RecipientSecret, params: ResultBinding, envelope: Uint8Array): Buffer {
    const { enc, ciphertext } = decode(envelope);
    return openBase(recipient(clientSecret), enc, RESULT_INFO, resultAad(params), ciphertext);
}
