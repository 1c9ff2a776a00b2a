/**
 * The one error type the quote parser throws.
 *
 * Callers (the CLI, the HTTP service) map it to "malformed input" without having to guess whether a
 * RangeError came from a bad quote or from a bug, so the parser must never let anything else escape.
 */
export class QuoteParseError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'QuoteParseError';
    }
}
