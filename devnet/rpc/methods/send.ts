// sendBoc / sendBocReturnHash: accept a serialized external-in message. In instant mode it is
// applied before we answer, so a rejection comes back as the error. In batched mode we first
// dry-run it against the current state (as a liteserver does) and answer once it is queued.
import { beginCell, Cell, loadMessage, Message } from '@ton/core';
import { EmulationError } from '@ton/sandbox';
import { dryRunExternal } from '../../emulate';
import { hashToBase64 } from '../../format/hash';
import { RpcContext, RpcMethod } from '../context';
import { invalid, liteServerError } from '../errors';
import { boc, Params } from '../params';

function externalMessage(params: Params): { cell: Cell; message: Message } {
    const cell = boc(params, 'boc');
    let message: Message;
    try {
        message = loadMessage(cell.beginParse());
    } catch {
        throw invalid('boc: not a message');
    }
    if (message.info.type !== 'external-in') throw invalid('boc: only external-in messages can be sent');
    return { cell, message };
}

// toncenter relays the liteserver's refusal as HTTP 500 with this text, and clients (wallets,
// blueprint, our relayer) read the exit code out of `exitcode=N`. The emulator does not report the
// steps or gas of a refused message, so those two read 0.
export function rejection(error: unknown, message: Message): Error {
    if (error instanceof EmulationError) {
        const account = message.info.type === 'external-in' ? message.info.dest.hash.toString('hex').toUpperCase() : '';
        const why = error.exitCode === undefined ? error.error : `exitcode=${error.exitCode}, steps=0, gas_used=0`;
        return liteServerError(
            'cannot apply external message to current state : External message was not accepted\n' +
                `Cannot run message on account: inbound external message rejected by transaction ${account}:\n${why}`,
        );
    }
    return error instanceof Error ? error : new Error(String(error));
}

async function submit(ctx: RpcContext, message: Message): Promise<void> {
    const apply = (): Promise<unknown> => ctx.producer.submit((blockchain) => blockchain.sendMessage(message));
    if (ctx.producer.blockMs === 0) {
        await apply().catch((error) => Promise.reject(rejection(error, message)));
        return;
    }
    await dryRunExternal(ctx.chain, message, false).catch((error) => Promise.reject(rejection(error, message)));
    // Still possible: an earlier message in the same block changes the state first (e.g. two
    // transfers with the same seqno). Like a real chain we then drop it; we log why.
    apply().catch((error) => console.warn(`devnet: dropped external message: ${rejection(error, message).message}`));
}

// TEP-467 normalized hash: the message hash with src, import_fee and init cleared and the body
// stored as a ref, so re-signed or re-packed copies of one transfer hash alike.
function normalizedHash(message: Message): string {
    if (message.info.type !== 'external-in') throw new TypeError('external-in expected');
    const cell = beginCell()
        .storeUint(0b10, 2)
        .storeUint(0, 2)
        .storeAddress(message.info.dest)
        .storeCoins(0)
        .storeBit(false)
        .storeBit(true)
        .storeRef(message.body)
        .endCell();
    return hashToBase64(cell.hash());
}

export const sendMethods: Record<string, RpcMethod> = {
    sendBoc: async (ctx, params) => {
        const { message } = externalMessage(params);
        await submit(ctx, message);
        return { '@type': 'ok' };
    },
    sendBocReturnHash: async (ctx, params) => {
        const { cell, message } = externalMessage(params);
        await submit(ctx, message);
        return { '@type': 'raw.extMessageInfo', hash: hashToBase64(cell.hash()), hash_norm: normalizedHash(message) };
    },
};
