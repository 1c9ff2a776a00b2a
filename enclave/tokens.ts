/**
 * Token counting with a real BPE tokenizer (cl100k_base from gpt-tokenizer, vocabulary bundled in
 * the npm package, so nothing is downloaded at run time). Used to enforce the job's input limit
 * before any backend runs, and as the reference engine's token count.
 */
import { decode, encode } from 'gpt-tokenizer/encoding/cl100k_base';

export function countTokens(text: string): number {
    return encode(text).length;
}

/** The first `limit` tokens of `text`, decoded back to a string. */
export function truncateTokens(text: string, limit: number): { text: string; tokens: number } {
    const ids = encode(text);
    if (ids.length <= limit) return { text, tokens: ids.length };
    return { text: decode(ids.slice(0, limit)), tokens: limit };
}
