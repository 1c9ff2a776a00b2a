/**
 * What the runner answers for a job: a signed receipt or a signed decline, never silence.
 * Both are signed over the same cells the Provider contract rebuilds (protocol/signed.ts).
 */
import { DeclineReason } from '../protocol/signed';

export interface ReceiptOutcome {
    kind: 'receipt';
    jobId: string;
    inputTokens: number;
    outputTokens: number;
    result: string; // base64 BOC of the byte tree of the result envelope
    signature: string; // hex Ed25519 over receiptCell(...).hash()
}

export interface DeclineOutcome {
    kind: 'decline';
    jobId: string;
    reason: DeclineReason;
    signature: string; // hex Ed25519 over declineCell(...).hash()
}

export type JobOutcome = ReceiptOutcome | DeclineOutcome;

/** A failure that ends a job with a signed decline for `reason`. */
export class Decline extends Error {
    constructor(
        readonly reason: DeclineReason,
        message: string,
    ) {
        super(message);
    }
}
