// Every transaction the devnet has executed, indexed the way toncenter serves them: per account in
// lt order (for getTransactions paging) and per block (for getBlockTransactions). We keep our own
// index instead of the sandbox's because it must survive restarts and the sandbox's list is not
// keyed by account.
import { Address, Cell, Transaction, loadTransaction } from '@ton/core';

export type IndexedTx = {
    address: Address;
    lt: bigint;
    hash: Buffer;
    boc: string;
    tx: Transaction;
    block: number;
};

/** `from` names the newest transaction of the page; as on toncenter, by lt and hash together. */
export type PageQuery = { limit: number; from?: { lt: bigint; hash: Buffer }; toLt?: bigint };

export type SavedTx = { boc: string; block: number };

export class TxIndex {
    private readonly byAccount = new Map<string, IndexedTx[]>();
    private readonly byBlock = new Map<number, IndexedTx[]>();
    private readonly all: IndexedTx[] = [];

    add(tx: Transaction, block: number): IndexedTx {
        const entry: IndexedTx = {
            address: accountOf(tx),
            lt: tx.lt,
            hash: tx.hash(),
            boc: tx.raw.toBoc().toString('base64'),
            tx,
            block,
        };
        pushTo(this.byAccount, entry.address.toRawString(), entry);
        pushTo(this.byBlock, block, entry);
        this.all.push(entry);
        return entry;
    }

    last(address: Address): IndexedTx | undefined {
        const list = this.byAccount.get(address.toRawString());
        return list?.[list.length - 1];
    }

    ofAccount(address: Address): readonly IndexedTx[] {
        return this.byAccount.get(address.toRawString()) ?? [];
    }

    ofBlock(block: number): readonly IndexedTx[] {
        return this.byBlock.get(block) ?? [];
    }

    // Newest first, starting at (lt, hash) inclusive like toncenter, stopping before to_lt.
    // Returns undefined when the starting transaction does not exist.
    page(address: Address, q: PageQuery): IndexedTx[] | undefined {
        const list = this.ofAccount(address);
        let start = list.length - 1;
        if (q.from) {
            start = findStart(list, q.from.lt, q.from.hash);
            if (start < 0) return undefined;
        }
        const out: IndexedTx[] = [];
        for (let i = start; i >= 0 && out.length < q.limit; i--) {
            if (q.toLt !== undefined && q.toLt > 0n && list[i].lt <= q.toLt) break;
            out.push(list[i]);
        }
        return out;
    }

    save(): SavedTx[] {
        return this.all.map((e) => ({ boc: e.boc, block: e.block }));
    }

    static load(saved: SavedTx[]): TxIndex {
        const index = new TxIndex();
        for (const s of saved) {
            index.add(loadTransaction(Cell.fromBase64(s.boc).beginParse()), s.block);
        }
        return index;
    }
}

// With a hash the pair must match exactly (toncenter semantics); with lt alone we start at the
// newest transaction not newer than lt, which is friendlier for hand-written queries.
function findStart(list: readonly IndexedTx[], lt: bigint, hash: Buffer): number {
    for (let i = list.length - 1; i >= 0; i--) {
        if (list[i].lt === lt) return list[i].hash.equals(hash) ? i : -1;
    }
    return -1;
}

function pushTo<K>(map: Map<K, IndexedTx[]>, key: K, entry: IndexedTx): void {
    const list = map.get(key);
    if (list) list.push(entry);
    else map.set(key, [entry]);
}

// A transaction stores only the account id, not its workchain; the inbound message carries the
// full address. Transactions without one are tick-tock, which exist only on the masterchain.
function accountOf(tx: Transaction): Address {
    const dest = tx.inMessage?.info.dest;
    if (dest && Address.isAddress(dest)) return dest;
    return new Address(-1, Buffer.from(tx.address.toString(16).padStart(64, '0'), 'hex'));
}
