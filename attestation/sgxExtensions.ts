/**
 * Intel SGX PCK certificate extension (OID 1.2.840.113741.1.13.1): the platform's FMSPC, PCE-ID and
 * TCB (16 CPUSVN components + PCESVN). TCB evaluation compares these against Intel's TCB info.
 */
import { X509Certificate } from 'node:crypto';
import { derChildren, derOid, derUint, readDer, DerNode } from './der';

const SGX_EXTENSION = '1.2.840.113741.1.13.1';
const OID_TCB = `${SGX_EXTENSION}.2`;
const OID_PCESVN = `${SGX_EXTENSION}.2.17`;
const OID_CPUSVN = `${SGX_EXTENSION}.2.18`;
const OID_PCEID = `${SGX_EXTENSION}.3`;
const OID_FMSPC = `${SGX_EXTENSION}.4`;

export interface PckExtensions {
    fmspc: string; // hex, lowercase
    pceId: string; // hex
    cpuSvn: number[]; // 16 components
    pceSvn: number;
}

/** Throws Error when the extension is missing or malformed. */
export function readPckExtensions(cert: X509Certificate): PckExtensions {
    const ext = findExtension(new Uint8Array(cert.raw), SGX_EXTENSION);
    if (!ext) throw new Error('PCK leaf has no SGX extension');
    const fields = namedFields(readDer(ext));
    const tcb = fields.get(OID_TCB);
    const fmspc = fields.get(OID_FMSPC);
    const pceId = fields.get(OID_PCEID);
    if (!tcb || !fmspc || !pceId) throw new Error('SGX extension lacks TCB, FMSPC or PCE-ID');
    const tcbFields = namedFields(tcb);
    const cpuSvn: number[] = [];
    for (let i = 1; i <= 16; i++) {
        const c = tcbFields.get(`${OID_TCB}.${i}`);
        if (!c) throw new Error(`SGX extension lacks TCB component ${i}`);
        cpuSvn.push(derUint(c.content));
    }
    const pceSvn = tcbFields.get(OID_PCESVN);
    if (!pceSvn || !tcbFields.get(OID_CPUSVN)) throw new Error('SGX extension lacks PCESVN or CPUSVN');
    const hex = (n: DerNode) => Buffer.from(n.content).toString('hex');
    return { fmspc: hex(fmspc), pceId: hex(pceId), cpuSvn, pceSvn: derUint(pceSvn.content) };
}

/** SEQUENCE OF SEQUENCE { OID, value } → map from OID to value node. */
function namedFields(seq: DerNode): Map<string, DerNode> {
    const out = new Map<string, DerNode>();
    for (const item of derChildren(seq)) {
        const [oid, value] = derChildren(item);
        if (oid?.tag === 0x06 && value) out.set(derOid(oid.content), value);
    }
    return out;
}

/** Certificate → tbsCertificate → extensions [3] → the extnValue OCTET STRING content for `oid`. */
function findExtension(certDer: Uint8Array, oid: string): Uint8Array | undefined {
    const [tbs] = derChildren(readDer(certDer));
    const explicit = derChildren(tbs).find((n) => n.tag === 0xa3);
    if (!explicit) return undefined;
    for (const ext of derChildren(derChildren(explicit)[0])) {
        const parts = derChildren(ext);
        if (parts[0]?.tag === 0x06 && derOid(parts[0].content) === oid) return parts[parts.length - 1].content;
    }
    return undefined;
}
