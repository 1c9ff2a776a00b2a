/** The envelope layer's public surface; see docs/spec/envelope.md. */
export { EnvelopeError } from './errors';
export type { EnvelopeErrorCode } from './errors';
export { generateX25519KeyPair, x25519PublicKey } from './x25519';
export type { X25519KeyPair } from './x25519';
export { recipientFromSecret } from './hpke';
export type { Recipient } from './hpke';
export { REQUEST_INFO, RESULT_INFO, requestAad, resultAad } from './bindings';
export type { RequestBinding, ResultBinding } from './bindings';
export { ENVELOPE_VERSION, ENVELOPE_OVERHEAD, MAX_PLAINTEXT_BYTES, sealRequest, openRequest, sealResult, openResult } from './envelope';
export type { SealRequestParams, SealResultParams, RecipientSecret } from './envelope';
export { MAX_ENVELOPE_BYTES, MIN_ENVELOPE_CELLS, CELL_BYTES, bucketBytes, paddedLength } from './padding';
export type { BucketScheme } from './padding';
