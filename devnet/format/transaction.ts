// Transactions and messages in toncenter's "raw.transaction" / "raw.message" shapes, which
// TonClient validates field by field. The raw message cells are read from the transaction BOC so
// that message hashes match what was actually sent, not a re-serialisation.
import { Cell, Dictionary, Message, Slice, beginCell, storeStateInit } from '@ton/core';
import { IndexedTx } from '../txIndex';
import { hashToBase64 } from './hash';

export function transactionJson(entry: IndexedTx) {
    const { tx } = entry;
    const raw = rawMessages(tx.raw);
    const fee = tx.totalFees.coins;
    const storageFee = storageFeeOf(entry);
    return {
        '@type': 'raw.transaction',
        address: { '@type': 'accountAddress', account_address: entry.address.toString() },
        utime: tx.now,
        data: entry.boc,
        transaction_id: { '@type': 'internal.transactionId', lt: entry.lt.toString(), hash: hashToBase64(entry.hash) },
        fee: fee.toString(),
        storage_fee: storageFee.toString(),
        other_fee: (fee - storageFee).toString(),
        in_msg: tx.inMessage && raw.inMsg ? messageJson(tx.inMessage, raw.inMsg) : undefined,
        out_msgs: tx.outMessages.keys().map((k) => messageJson(tx.outMessages.get(k)!, raw.outMsgs.get(k)!)),
    };
}

function storageFeeOf(entry: IndexedTx): bigint {
    const d = entry.tx.description;
    return d.type === 'generic' || d.type === 'tick-tock' ? (d.storagePhase?.storageFeesCollected ?? 0n) : 0n;
}

export function messageJson(message: Message, cell: Cell) {
    const info = message.info;
    const body = message.body;
    return {
        '@type': 'raw.message',
        hash: hashToBase64(cell.hash()),
        source: info.type === 'external-in' ? '' : info.src.toString(),
        destination: info.type === 'external-out' ? '' : info.dest.toString(),
        value: info.type === 'internal' ? info.value.coins.toString() : '0',
        fwd_fee: info.type === 'internal' ? info.forwardFee.toString() : '0',
        ihr_fee: info.type === 'internal' ? info.ihrFee.toString() : '0',
        created_lt: info.type === 'external-in' ? '0' : info.createdLt.toString(),
        body_hash: hashToBase64(body.hash()),
        msg_data: {
            '@type': 'msg.dataRaw',
            body: body.toBoc().toString('base64'),
            init_state: message.init ? beginCell().store(storeStateInit(message.init)).endCell().toBoc().toString('base64') : '',
        },
        message: commentOf(body.beginParse()),
    };
}

// A text comment (op 0) decoded for convenience, as toncenter does; undefined otherwise.
function commentOf(body: Slice): string | undefined {
    if (body.remainingBits < 32 || body.loadUint(32) !== 0) return undefined;
    try {
        return body.loadStringTail();
    } catch {
        return undefined;
    }
}

function rawMessages(txCell: Cell): { inMsg?: Cell; outMsgs: Dictionary<number, Cell> } {
    const msgs = txCell.refs[0].beginParse();
    const inMsg = msgs.loadBit() ? msgs.loadRef() : undefined;
    const outMsgs = msgs.loadDict(Dictionary.Keys.Uint(15), {
        serialize: (src: Cell, b) => b.storeRef(src),
        parse: (s) => s.loadRef(),
    });
    return { inMsg, outMsgs };
}
