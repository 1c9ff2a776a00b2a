// Block identifiers in toncenter's "ton.blockIdExt" shape. The devnet has no real blocks, so the
// hashes are derived from (workchain, seqno): stable across restarts and unique per block.
import { createHash } from 'node:crypto';

// The single shard covering the whole workchain (shard prefix 0x8000000000000000, signed).
export const FULL_SHARD = '-9223372036854775808';
export const MASTERCHAIN = -1;
export const BASECHAIN = 0;

export function blockIdExt(workchain: number, seqno: number) {
    const root = createHash('sha256').update(`cocoon-devnet:${workchain}:${seqno}`).digest();
    return {
        '@type': 'ton.blockIdExt' as const,
        workchain,
        shard: FULL_SHARD,
        seqno,
        root_hash: root.toString('base64'),
        file_hash: createHash('sha256').update(root).digest().toString('base64'),
    };
}
