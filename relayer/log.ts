/**
 * Structured logs (pino). Call sites log ids, states, stages and error classes only; the relayer
 * never holds plaintext, and ciphertext, signatures and keys stay out of the logs too. The redact
 * list is a second line of defence if a whole job or outcome object is ever passed in.
 */
import pino, { DestinationStream, Logger } from 'pino';

const FIELDS = ['payload', 'input', 'outcome', 'result', 'signature', 'mnemonic', 'secretKey', 'body', 'boc', 'token', 'authorization', 'voucher'];
const REDACT = [...FIELDS, ...FIELDS.map((f) => `*.${f}`)];

export function createLogger(level: string, destination?: DestinationStream): Logger {
    const options = { name: 'cocoon-relayer', level, redact: { paths: REDACT, censor: '[redacted]' } };
    return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
