/**
 * Minimal DER walker: enough to split signed ASN.1 objects (CRLs) into TBS bytes and signature, and to
 * read Intel's SGX certificate extension. It only reads definite-length encodings, which DER requires,
 * and throws on any length that runs past its parent.
 */
export interface DerNode {
    tag: number;
    /** Encoded bytes of the whole element (tag, length, content). */
    raw: Uint8Array;
    content: Uint8Array;
}

export function readDer(bytes: Uint8Array, at = 0): DerNode {
    if (at + 2 > bytes.length) throw new Error('DER: truncated header');
    const tag = bytes[at];
    if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags unsupported');
    let len = bytes[at + 1];
    let head = 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4 || at + 2 + n > bytes.length) throw new Error('DER: bad length');
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + bytes[at + 2 + i];
        head += n;
    }
    const end = at + head + len;
    if (end > bytes.length) throw new Error('DER: element runs past its parent');
    return { tag, raw: bytes.subarray(at, end), content: bytes.subarray(at + head, end) };
}

export function derChildren(node: DerNode): DerNode[] {
    const out: DerNode[] = [];
    for (let at = 0; at < node.content.length; ) {
        const child = readDer(node.content, at);
        out.push(child);
        at += child.raw.length;
    }
    return out;
}

/** Dotted OID from the content bytes of an OBJECT IDENTIFIER. */
export function derOid(content: Uint8Array): string {
    if (content.length === 0) throw new Error('DER: empty OID');
    const parts = [Math.floor(content[0] / 40), content[0] % 40];
    let v = 0;
    for (let i = 1; i < content.length; i++) {
        v = v * 128 + (content[i] & 0x7f);
        if (!(content[i] & 0x80)) {
            parts.push(v);
            v = 0;
        }
    }
    return parts.join('.');
}

export function derUint(content: Uint8Array): number {
    if (content.length > 6) throw new Error('DER: integer too large');
    return content.reduce((n, b) => n * 256 + b, 0);
}

/** A signed object (certificate, CRL): SEQUENCE { tbs, algorithm, BIT STRING signature }. */
export function splitSigned(der: Uint8Array): { tbs: Uint8Array; signature: Uint8Array } {
    const [tbs, , sig] = derChildren(readDer(der));
    if (!tbs || !sig || sig.tag !== 0x03 || sig.content[0] !== 0) throw new Error('DER: not a signed object');
    return { tbs: tbs.raw, signature: sig.content.subarray(1) };
}
