/**
 * Collateral as the verifier consumes it, and parsers for the two formats Intel data circulates in:
 * dcap-qvl's "QuoteCollateralV3" JSON and raw Intel PCS response bodies.
 *
 * Signed JSON keeps the exact signed text: Intel signs the bytes of the `tcbInfo` / `enclaveIdentity`
 * value as served, and re-serialising parsed JSON would not reproduce them.
 */
import { fromHex } from './hex';

export interface SignedJson {
    /** The exact signed text (UTF-8), e.g. `{"id":"TDX",...}`. */
    body: string;
    /** Raw r||s ECDSA P-256 / SHA-256 signature over `body`. */
    signature: Uint8Array;
    /** PEM chain that came with it (signing certificate first); still validated against the anchor. */
    issuerChainPem?: string;
}

export interface Collateral {
    tcbInfo?: SignedJson;
    qeIdentity?: SignedJson;
    /** DER CRL issued by the PCK Platform/Processor CA (revokes PCK leaves). */
    pckCrl?: Uint8Array;
    /** DER CRL issued by the root (revokes intermediates and the TCB Signing certificate). */
    rootCaCrl?: Uint8Array;
    /** Extra PEM chain for signed JSON that came without one. */
    tcbSigningChainPem?: string;
}

/** dcap-qvl QuoteCollateralV3 JSON (every field as published by dcap-qvl's collateral fetcher). */
export function collateralFromDcapJson(text: string): Collateral {
    const j = JSON.parse(text) as Record<string, unknown>;
    const str = (k: string): string => {
        if (typeof j[k] !== 'string') throw new Error(`collateral JSON: field ${k} missing or not a string`);
        return j[k] as string;
    };
    return {
        tcbInfo: { body: str('tcb_info'), signature: fromHex(str('tcb_info_signature'), 64), issuerChainPem: str('tcb_info_issuer_chain') },
        qeIdentity: {
            body: str('qe_identity'),
            signature: fromHex(str('qe_identity_signature'), 64),
            issuerChainPem: str('qe_identity_issuer_chain'),
        },
        pckCrl: fromHex(str('pck_crl')),
        rootCaCrl: fromHex(str('root_ca_crl')),
    };
}

/** An Intel PCS response body: `{"tcbInfo":{...},"signature":"<hex>"}` or `{"enclaveIdentity":...}`. */
export function signedJsonFromPcsBody(text: string, member: 'tcbInfo' | 'enclaveIdentity'): SignedJson {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (typeof parsed.signature !== 'string') throw new Error(`PCS ${member} body: no signature`);
    return { body: rawJsonMember(text, member), signature: fromHex(parsed.signature, 64) };
}

/** The exact source text of an object-valued top-level member, found by scanning braces and strings. */
export function rawJsonMember(text: string, member: string): string {
    const key = text.indexOf(`"${member}"`);
    if (key < 0) throw new Error(`JSON member ${member} not found`);
    const start = text.indexOf('{', key);
    let depth = 0;
    let inString = false;
    for (let i = start; i >= 0 && i < text.length; i++) {
        const c = text[i];
        if (inString) {
            if (c === '\\') i++;
            else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{') depth++;
        else if (c === '}' && --depth === 0) return text.slice(start, i + 1);
    }
    throw new Error(`JSON member ${member} is not a complete object`);
}
