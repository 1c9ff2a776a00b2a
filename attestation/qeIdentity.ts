/**
 * Intel TD_QE identity (version 2): the QE report must come from Intel's TDX Quoting Enclave
 * (MRSIGNER, ISVPRODID, masked MISCSELECT and ATTRIBUTES), and its ISVSVN picks the QE's TCB level.
 */
import { QeReport } from './quoteTypes';
import { toHex } from './hex';
import { TcbStatus, isTcbStatus } from './tcbStatus';

export interface QeIdentityBody {
    id: string;
    version: number;
    issueDate: string;
    nextUpdate: string;
    miscselect: string;
    miscselectMask: string;
    attributes: string;
    attributesMask: string;
    mrsigner: string;
    isvprodid: number;
    tcbLevels: { tcb: { isvsvn: number }; tcbDate: string; tcbStatus: string; advisoryIDs?: string[] }[];
}

export function parseQeIdentity(body: string): QeIdentityBody {
    const q = JSON.parse(body) as QeIdentityBody;
    if (q?.id !== 'TD_QE' || !Array.isArray(q.tcbLevels)) throw new Error(`not a TD_QE identity (id ${String(q?.id)})`);
    return q;
}

/** The first mismatch, or undefined when the QE report matches. */
export function qeIdentityMismatch(id: QeIdentityBody, qe: QeReport): string | undefined {
    if (id.mrsigner.toLowerCase() !== toHex(qe.mrSigner)) return `QE MRSIGNER ${toHex(qe.mrSigner)} is not Intel's ${id.mrsigner}`;
    if (id.isvprodid !== qe.isvProdId) return `QE ISVPRODID ${qe.isvProdId}, expected ${id.isvprodid}`;
    const misc = parseInt(id.miscselect, 16);
    const miscMask = parseInt(id.miscselectMask, 16);
    if (((qe.miscSelect & miscMask) >>> 0) !== misc >>> 0) return `QE MISCSELECT ${qe.miscSelect.toString(16)} does not match`;
    const attrs = Buffer.from(id.attributes, 'hex');
    const mask = Buffer.from(id.attributesMask, 'hex');
    if (attrs.length !== 16 || mask.length !== 16 || !attrs.every((a, i) => (qe.attributes[i] & mask[i]) === a)) {
        return `QE ATTRIBUTES ${toHex(qe.attributes)} do not match`;
    }
    return undefined;
}

export function qeTcbStatus(id: QeIdentityBody, qe: QeReport): TcbStatus | undefined {
    const level = id.tcbLevels.find((l) => l.tcb.isvsvn <= qe.isvSvn);
    return level && isTcbStatus(level.tcbStatus) ? level.tcbStatus : undefined;
}
