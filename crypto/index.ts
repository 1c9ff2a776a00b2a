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
// Sessions: handshake and channel (docs/spec/session-channel.md).
export { SessionError } from './sessionErrors';
export type { SessionErrorCode } from './sessionErrors';
export { ed25519Signer } from './ed25519';
export type { Ed25519Signer } from './ed25519';
export {
    acceptHello,
    encodeHello,
    encodeWelcome,
    parseHello,
    parseWelcome,
    startHandshake,
    ClientHandshake,
    HELLO_BYTES,
    WELCOME_BYTES,
    SESSION_VERSION,
    TAG_SESSION_HELLO,
    TAG_SESSION_WELCOME,
} from './sessionHandshake';
export type { AcceptedHello, ClientHandshakeParams, Hello, SessionBinding, SessionFacts, Welcome } from './sessionHandshake';
export {
    AnswerStream,
    ClientChannel,
    RunnerChannel,
    CHANNEL_ID_BYTES,
    CHUNK_MIN_SEALED_BYTES,
    MAX_CHUNK_BYTES,
    MAX_CHUNKS_PER_ANSWER,
    MAX_FAILED_OPENS,
    MAX_REQUEST_BYTES,
    MAX_REQUESTS,
    MAX_SEALED_BYTES,
    REQUEST_MIN_SEALED_BYTES,
} from './sessionChannel';
export type { ChannelKeys, ChannelLimits, OpenedChunk, SealedRequest } from './sessionChannel';
