// Block-level views. The devnet has one masterchain and one basechain shard that advance
// together: block n of each holds the transactions of that workchain applied in devnet block n.
import { Cell, Dictionary } from '@ton/core';
import { BASECHAIN, blockIdExt, FULL_SHARD, MASTERCHAIN } from '../../format/block';
import { hashToBase64 } from '../../format/hash';
import { RpcContext, RpcMethod } from '../context';
import { invalid, notFound } from '../errors';
import { int, optionalInt, Params } from '../params';

// "mode" flags of blocks.shortTxId: account, lt and hash are all filled in.
const SHORT_TX_ALL_FIELDS = 135;
const DEFAULT_BLOCK_TX_COUNT = 40n;

function existingSeqno(ctx: RpcContext, params: Params): number {
    const seqno = Number(int(params, 'seqno'));
    if (seqno < 0 || seqno > ctx.chain.lastBlock.seqno) throw notFound(`block ${seqno} not found`);
    return seqno;
}

const getMasterchainInfo: RpcMethod = async (ctx) => {
    const last = blockIdExt(MASTERCHAIN, ctx.chain.lastBlock.seqno);
    return { '@type': 'blocks.masterchainInfo', last, state_root_hash: last.root_hash, init: blockIdExt(MASTERCHAIN, 0) };
};

const getBlockTransactions: RpcMethod = async (ctx, params) => {
    const workchain = Number(int(params, 'workchain'));
    if (workchain !== MASTERCHAIN && workchain !== BASECHAIN) throw invalid('workchain: -1 or 0');
    if (params.shard !== undefined && String(params.shard) !== FULL_SHARD) throw notFound(`shard ${params.shard} not found`);
    const seqno = existingSeqno(ctx, params);
    const count = Number(int(params, 'count', DEFAULT_BLOCK_TX_COUNT));
    const afterLt = optionalInt(params, 'after_lt') ?? -1n;
    const txs = ctx.chain.index.ofBlock(seqno).filter((e) => e.address.workChain === workchain && e.lt > afterLt);
    return {
        '@type': 'blocks.transactions',
        id: blockIdExt(workchain, seqno),
        req_count: count,
        incomplete: txs.length > count,
        transactions: txs.slice(0, count).map((e) => ({
            '@type': 'blocks.shortTxId',
            mode: SHORT_TX_ALL_FIELDS,
            account: e.address.toRawString(),
            lt: e.lt.toString(),
            hash: hashToBase64(e.hash),
        })),
    };
};

const getConfigParam: RpcMethod = (ctx, params) => {
    const id = Number(int(params, 'config_id'));
    return ctx.chain.exclusive(async (blockchain) => {
        const dict = Dictionary.loadDirect(Dictionary.Keys.Int(32), Dictionary.Values.Cell(), blockchain.config);
        const param: Cell | undefined = dict.get(id);
        if (!param) throw notFound(`config param ${id} not set`);
        return { '@type': 'configInfo', config: { '@type': 'tvm.cell', bytes: param.toBoc().toString('base64') } };
    });
};

export const blockMethods: Record<string, RpcMethod> = {
    getMasterchainInfo,
    getConsensusBlock: async (ctx) => {
        const block = ctx.producer.syncBlock();
        return { consensus_block: block.seqno, timestamp: block.utime };
    },
    shards: async (ctx, params) => ({ '@type': 'blocks.shards', shards: [blockIdExt(BASECHAIN, existingSeqno(ctx, params))] }),
    getBlockTransactions,
    getConfigParam,
};
