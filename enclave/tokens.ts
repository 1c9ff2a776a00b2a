/**
 * Token counting with a real BPE tokenizer (cl100k_base from gpt-tokenizer, vocabulary bundled in
 * the npm package, so nothing is downloaded at run time). Used to enforce the job's input limit
 * before any backend runs, and as the reference engine's token count.
 */
import type * as Cl100k from 'gpt-tokenizer/encoding/cl100k_base';

// Loaded on first use: the vocabulary takes ~120 ms to load, which every `cocoon` command (even
// --help) and every SDK import would otherwise pay before doing anything.
let cl100k: typeof Cl100k | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bpe = (): typeof Cl100k => (cl100k ??= require('gpt-tokenizer/encoding/cl100k_base'));
const encode = (text: string) => bpe().encode(text);
const decode = (ids: number[]) => bpe().decode(ids);

export function countTokens(text: string): number {
    return encode(text).length;
}

/** The first `limit` tokens of `text`, decoded back to a string. */
export function truncateTokens(text: string, limit: number): { text: string; tokens: number } {
    const ids = encode(text);
    if (ids.length <= limit) return { text, tokens: ids.length };
    return { text: decode(ids.slice(0, limit)), tokens: limit };
}
