/** Splits PEM text into certificates, in order; unparsable blocks are reported, not skipped. */
import { X509Certificate } from 'node:crypto';

const BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

export function pemBlocks(text: string): string[] {
    return [...text.matchAll(BLOCK)].map((m) => m[0]);
}

/** Throws Error naming the failing block index; callers turn it into a named check failure. */
export function parseCertificates(text: string): X509Certificate[] {
    const blocks = pemBlocks(text);
    if (blocks.length === 0) throw new Error('no PEM certificate found');
    return blocks.map((pem, i) => {
        try {
            return new X509Certificate(pem);
        } catch (e) {
            throw new Error(`certificate ${i} does not parse: ${(e as Error).message}`);
        }
    });
}
