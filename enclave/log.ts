/**
 * Structured logs (pino). Call sites log only ids, counts, outcomes and error classes; the redact
 * list is a second line of defence in case a whole job or request object is ever passed in.
 */
import pino, { DestinationStream, Logger } from 'pino';

const REDACT = ['payload', 'plaintext', 'messages', 'prompt', 'result', 'secretKey', '*.payload', '*.plaintext', '*.messages', '*.prompt', '*.result', '*.secretKey'];

export function createLogger(destination?: DestinationStream, level = process.env.LOG_LEVEL ?? 'info'): Logger {
    const options = { name: 'cocoon-enclave', level, redact: { paths: REDACT, censor: '[redacted]' } };
    return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
