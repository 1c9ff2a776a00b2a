/**
 * Reading a Provider's new transactions from a durable cursor.
 *
 * getTransactions pages backwards from the newest transaction; `toLt` stops the listing after the
 * cursor. We page from the head down to the cursor, then hand the transactions back oldest first,
 * so events are recorded in chain order and the cursor only ever moves forward. History is
 * immutable, so transactions that arrive while we page just wait for the next poll.
 *
 * The chain API is not trusted to tell the truth: an account's transactions form a chain (each
 * names the lt and hash of the one before), so a batch must chain onto the cursor and within
 * itself, or it is refused (ChainGapError). One forged transaction with a huge lt used to move the
 * cursor past every real job for good; watcher.ts also checks the cursor against the account's head.
 */
import type { Transaction } from '@ton/core';

export interface TxRef {
    lt: bigint;
    hash: Buffer;
}

export interface PageQuery {
    limit: number;
    lt?: string; // start from this transaction (exclusive)...
    hash?: string; // ...given by lt + base64 hash
    toLt?: string; // stop before this lt (the cursor)
}

export class ChainGapError extends Error {}

/** Whether `newer` names `older` as the transaction before it on the account. */
export function chainsOnto(newer: Transaction, older: TxRef): boolean {
    return newer.prevTransactionLt === older.lt && newer.prevTransactionHash === BigInt('0x' + older.hash.toString('hex'));
}

/** One page, newest first, as TonClient.getTransactions returns it. */
export type PageSource = (query: PageQuery) => Promise<Transaction[]>;

/**
 * Every transaction after `cursor` (all history when null), oldest first. The walk holds the whole
 * backlog in memory: a relayer that was down for long catches up in one (large) poll.
 */
export async function newTransactions(source: PageSource, cursor: TxRef | null, pageSize: number): Promise<Transaction[]> {
    const newestFirst: Transaction[] = [];
    let from: Transaction | undefined;
    for (;;) {
        const txs = await source({
            limit: pageSize,
            ...(from ? { lt: from.lt.toString(), hash: from.hash().toString('base64') } : {}),
            ...(cursor ? { toLt: cursor.lt.toString() } : {}),
        });
        // `toLt` is exclusive on toncenter; filter anyway so an endpoint that includes it cannot replay it.
        const fresh = cursor ? txs.filter((t) => t.lt > cursor.lt) : txs;
        newestFirst.push(...fresh);
        if (txs.length < pageSize || fresh.length < txs.length) return verified(newestFirst, cursor).reverse();
        from = txs[txs.length - 1];
    }
}

function verified(newestFirst: Transaction[], cursor: TxRef | null): Transaction[] {
    for (let i = 0; i + 1 < newestFirst.length; i++) {
        const older = newestFirst[i + 1];
        if (!chainsOnto(newestFirst[i], { lt: older.lt, hash: older.hash() })) {
            throw new ChainGapError(`transaction ${newestFirst[i].lt} does not follow ${older.lt}: the chain API's answer is not one account history`);
        }
    }
    const oldest = newestFirst[newestFirst.length - 1];
    if (cursor && oldest && !chainsOnto(oldest, cursor)) {
        throw new ChainGapError(`transaction ${oldest.lt} does not follow the cursor ${cursor.lt}`);
    }
    return newestFirst;
}

/** Where the cursor goes after recording `txs` (oldest first). */
export function advance(cursor: TxRef | null, txs: Transaction[]): TxRef | null {
    const last = txs[txs.length - 1];
    return last ? { lt: last.lt, hash: last.hash() } : cursor;
}
