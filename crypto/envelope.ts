/**
 * Cocoon envelopes: a request sealed to an enclave, a result sealed to a client.
 *
 * Wire format v2 (docs/spec/envelope.md):  version (1 byte = 0x02) || enc (32) || ciphertext || tag (16)
 * where enc is the HPKE ephemeral X25519 public key and ciphertext || tag is ChaCha20-Poly1305
 * output of RFC 9180 base-mode SealBase over the padded plaintext (./padding). The version byte is
 * outside the AEAD but any other value is rejected before decryption, and each version has its own
 * info strings (cocoon/request/v2), so an envelope cannot be relabelled to another version.
 * v1 (unpadded, so its size gave away the exact length) is refused, not read.
 */
import { EnvelopeError } from './errors';
import { openBase, Recipient, recipientFromSecret, sealBase } from './hpke';
import { AEAD_TAG_BYTES } from './aead';
import { MAX_ENVELOPE_BYTES, pad, PAD_LENGTH_BYTES, unpad } from './padding';
import { X25519_KEY_BYTES } from './x25519';
import { REQUEST_INFO, requestAad, RequestBinding, RESULT_INFO, resultAad, ResultBinding } from './bindings';

export const ENVELOPE_VERSION = 2;
const RETIRED_VERSIONS: Record<number, string> = { 1: 'version 1 envelopes (unpadded) are no longer accepted; seal with version 2' };
const HEADER_BYTES = 1 + X25519_KEY_BYTES;
export const ENVELOPE_OVERHEAD = HEADER_BYTES + AEAD_TAG_BYTES; // 49 bytes besides the padded plaintext
/** The largest plaintext that can be sealed: it fills the largest envelope the chain accepts. */
export const MAX_PLAINTEXT_BYTES = MAX_ENVELOPE_BYTES - PAD_LENGTH_BYTES - ENVELOPE_OVERHEAD; // 173,302

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
    if (envelope[0] !== ENVELOPE_VERSION) throw new EnvelopeError('BadVersion', RETIRED_VERSIONS[envelope[0]] ?? `unknown version ${envelope[0]}`);
    return { enc: envelope.subarray(1, HEADER_BYTES), ciphertext: envelope.subarray(HEADER_BYTES) };
}

function recipient(secret: RecipientSecret): Recipient {
    return secret instanceof Uint8Array ? recipientFromSecret(secret) : secret;
}

// Padding happens here and nowhere else, so every sealer (SDK, demo, runner) pads the same way and
// every opener checks it. Throws TooLarge when the plaintext does not fit the largest envelope.
export function sealRequest(params: SealRequestParams, plaintext: Uint8Array): Buffer {
    const padded = pad(plaintext, ENVELOPE_OVERHEAD);
    const { enc, ciphertext } = sealBase(params.enclaveX25519, REQUEST_INFO, requestAad(params), padded);
    return encode(enc, ciphertext);
}

/** Throws BadPadding when the authenticated plaintext is not canonically padded (a runner declines it). */
export function openRequest(enclaveSecret: RecipientSecret, params: RequestBinding, envelope: Uint8Array): Buffer {
    const { enc, ciphertext } = decode(envelope);
    return unpad(openBase(recipient(enclaveSecret), enc, REQUEST_INFO, requestAad(params), ciphertext), ENVELOPE_OVERHEAD);
}

export function sealResult(params: SealResultParams, plaintext: Uint8Array): Buffer {
    const padded = pad(plaintext, ENVELOPE_OVERHEAD);
    const { enc, ciphertext } = sealBase(params.clientResultKey, RESULT_INFO, resultAad(params), padded);
    return encode(enc, ciphertext);
}

/** Throws BadPadding when the authenticated plaintext is not canonically padded (a client rejects the result). */
export function openResult(clientSecret: RecipientSecret, params: ResultBinding, envelope: Uint8Array): Buffer {
    const { enc, ciphertext } = decode(envelope);
    return unpad(openBase(recipient(clientSecret), enc, RESULT_INFO, resultAad(params), ciphertext), ENVELOPE_OVERHEAD);
}
