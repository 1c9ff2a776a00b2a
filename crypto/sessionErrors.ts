/**
 * The one error type the session handshake and channel throw (docs/spec/session-channel.md, "Errors").
 *
 * `code` tells a runner or client what was refused without parsing messages; messages never contain
 * key, secret or plaintext bytes. A refusal changes no position: the channel or handshake that threw
 * still accepts the message it expected next (only a channel's count of failed authentications grows).
 */
export type SessionErrorCode =
    | 'Malformed' // a Hello, Welcome or sealed message of the wrong length, or an argument out of range
    | 'BadVersion' // a Hello or Welcome version this code does not speak
    | 'BadKey' // a key of the wrong length, not a point, or of small order
    | 'BadSignature' // the Hello is not signed by the session's client key, or the Welcome by the enclave key
    | 'WrongEnclave' // the Hello names another enclave key than the session's, or the session names another than this runner's
    | 'WrongSession' // the Hello names another session id than the one the runner looked up
    | 'WrongProvider' // ... another Provider contract
    | 'WrongNetwork' // ... another network (globalId)
    | 'HandshakeDone' // a second Welcome offered to a finished client handshake
    | 'Replayed' // a request sequence number or chunk index already opened (or sealed)
    | 'OutOfOrder' // a request sequence number or chunk index past the next expected one
    | 'UnknownRequest' // a chunk for a request this side never sealed (client) or opened (runner)
    | 'AnswerClosed' // a chunk for an answer already finished by its final chunk, or ended
    | 'Truncated' // an answer ended without its final chunk
    | 'DecryptFailed' // the AEAD tag did not verify: wrong channel, direction, position, or tampered bytes
    | 'BadPadding' // authentic, but not the one padded form its length allows, or an unknown chunk flag
    | 'LimitReached' // every request number or chunk index used, or too many messages failed authentication
    | 'TooLarge'; // a message larger than a session message may be

export class SessionError extends Error {
    readonly code: SessionErrorCode;

    constructor(code: SessionErrorCode, message: string) {
        super(`session: ${message}`);
        this.name = 'SessionError';
        this.code = code;
    }
}
