// What every RPC method handler gets: the chain to read and the block producer to submit to.
import { BlockProducer } from '../blockProducer';
import { Chain } from '../chain';
import { Params } from './params';

export type RpcContext = { chain: Chain; producer: BlockProducer };

export type RpcMethod = (ctx: RpcContext, params: Params) => Promise<unknown>;
