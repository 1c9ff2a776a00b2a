/** The external message body that delivers a runner outcome to the Provider. */
import { beginCell, Cell } from '@ton/core';
import { storeSubmitDecline, storeSubmitResult } from '../wrappers/Provider';
import type { Outcome } from './runnerClient';

export function deliveryBody(o: Outcome): Cell {
    const signature = Buffer.from(o.signature, 'hex');
    if (o.kind === 'receipt') {
        return beginCell()
            .store(storeSubmitResult({
                $$type: 'SubmitResult',
                jobId: BigInt(o.jobId),
                inputTokens: BigInt(o.inputTokens),
                outputTokens: BigInt(o.outputTokens),
                signature,
                result: Cell.fromBoc(Buffer.from(o.result, 'base64'))[0],
            }))
            .endCell();
    }
    return beginCell().store(storeSubmitDecline({ $$type: 'SubmitDecline', jobId: BigInt(o.jobId), reason: BigInt(o.reason), signature })).endCell();
}
