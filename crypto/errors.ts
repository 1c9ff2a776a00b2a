/**
 * The one error type the envelope layer throws.
 *
 * Callers (the enclave runner, the SDK) must tell "this ciphertext is not for me / was tampered
 * with" apart from programming errors, without parsing messages; `code` is that distinction.
 * Messages never include key or plaintext bytes.
 */
export type EnvelopeErrorCode =
    | 'BadVersion' // first byte is not a version this code knows
    | 'Truncated' // shorter than version + enc + AEAD tag
    | 'BadKey' // a key has the wrong length or is a low-order point
    | 'BadBinding' // a binding field is out of range (e.g. globalId not int32)
    | 'DecryptFailed' // AEAD tag did not verify: wrong key, wrong binding or tampered bytes
    | 'BadPadding' // decrypted, but the plaintext is not in the one padded form its length allows
    | 'TooLarge'; // the message does not fit the largest envelope the chain accepts

export class EnvelopeError extends Error {
    readonly code: EnvelopeErrorCode;

    constructor(code: EnvelopeErrorCode, message: string) {
        super(`envelope: ${message}`);
        this.name = 'EnvelopeError';
        this.code = code;
    }
}
