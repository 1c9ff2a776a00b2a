/** Hex and byte helpers shared by the attestation modules. */
export function toHex(bytes: Uint8Array): string {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Strict: rejects odd length and non-hex characters (Buffer.from(.., 'hex') silently truncates). */
export function fromHex(hex: string, expectedLength?: number): Uint8Array {
    const clean = hex.startsWith('0x') ? hex.slice(2) : hex;
    if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
        throw new Error(`not a hex string: ${JSON.stringify(hex.slice(0, 40))}`);
    }
    const out = new Uint8Array(Buffer.from(clean, 'hex'));
    if (expectedLength !== undefined && out.length !== expectedLength) {
        throw new Error(`expected ${expectedLength} bytes of hex, got ${out.length}`);
    }
    return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
        out.set(p, at);
        at += p.length;
    }
    return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
    return a.length === b.length && a.every((v, i) => v === b[i]);
}
