// getTransactions (paged newest-first from lt/hash, inclusive, down to to_lt exclusive) and the
// tryLocate* lookups that follow a message from one account to the other by its created_lt.
import { Address } from '@ton/core';
import { transactionJson } from '../../format/transaction';
import { IndexedTx } from '../../txIndex';
import { RpcContext, RpcMethod } from '../context';
import { invalid, notFound } from '../errors';
import { address, int, optionalHash, optionalInt, Params } from '../params';

// toncenter's page limit; a client that asks for more must page with (lt, hash).
export const MAX_TRANSACTIONS_PER_PAGE = 100;
const DEFAULT_LIMIT = 10n;

const getTransactions: RpcMethod = (ctx, params) => {
    const target = address(params);
    const limit = int(params, 'limit', DEFAULT_LIMIT);
    if (limit < 1n || limit > BigInt(MAX_TRANSACTIONS_PER_PAGE)) {
        throw invalid(`limit: between 1 and ${MAX_TRANSACTIONS_PER_PAGE}`);
    }
    const lt = optionalInt(params, 'lt');
    const hash = optionalHash(params, 'hash');
    // toncenter starts a page only at a transaction named by both; an lt alone is refused, not guessed at.
    if ((hash === undefined) !== (lt === undefined)) throw invalid('lt and hash: give both or neither');
    const query = { limit: Number(limit), from: lt !== undefined && hash ? { lt, hash } : undefined, toLt: optionalInt(params, 'to_lt') };
    return ctx.chain.exclusive(async () => {
        const page = ctx.chain.index.page(target, query);
        if (!page) throw notFound(`transaction lt=${lt} not found for ${target.toString()}`);
        return page.map(transactionJson);
    });
};

type Locator = { source: Address; destination: Address; createdLt: bigint };

function locator(params: Params): Locator {
    return { source: address(params, 'source'), destination: address(params, 'destination'), createdLt: int(params, 'created_lt') };
}

// The destination's transaction whose inbound message is the one sent at created_lt.
function isResultTx(e: IndexedTx, q: Locator): boolean {
    const info = e.tx.inMessage?.info;
    return info?.type === 'internal' && info.src.equals(q.source) && info.createdLt === q.createdLt;
}

// The source's transaction that emitted a message to destination at created_lt.
function isSourceTx(e: IndexedTx, q: Locator): boolean {
    return e.tx.outMessages.values().some(
        (m) => m.info.type === 'internal' && m.info.dest.equals(q.destination) && m.info.createdLt === q.createdLt,
    );
}

function locate(ctx: RpcContext, q: Locator, side: 'result' | 'source') {
    return ctx.chain.exclusive(async () => {
        const account = side === 'result' ? q.destination : q.source;
        const match = ctx.chain.index.ofAccount(account).find((e) => (side === 'result' ? isResultTx(e, q) : isSourceTx(e, q)));
        if (!match) throw notFound(`no ${side} transaction for message created at lt ${q.createdLt}`);
        return transactionJson(match);
    });
}

export const transactionMethods: Record<string, RpcMethod> = {
    getTransactions,
    tryLocateTx: (ctx, params) => locate(ctx, locator(params), 'result'),
    tryLocateResultTx: (ctx, params) => locate(ctx, locator(params), 'result'),
    tryLocateSourceTx: (ctx, params) => locate(ctx, locator(params), 'source'),
};
