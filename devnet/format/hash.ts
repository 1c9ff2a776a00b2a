// Hashes travel as base64 in toncenter responses; requests may carry base64 (standard or
// url-safe) or hex, since TonClient converts transaction hashes to hex before sending.
export function hashToBase64(hash: bigint | Buffer): string {
    const bytes = typeof hash === 'bigint' ? Buffer.from(hash.toString(16).padStart(64, '0'), 'hex') : hash;
    return bytes.toString('base64');
}

export function parseHash(text: string): Buffer | undefined {
    if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
    // A '+' in an unencoded GET query string arrives as a space.
    const bytes = Buffer.from(text.replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return bytes.length === 32 ? bytes : undefined;
}

export const ZERO_HASH = Buffer.alloc(32).toString('base64');
