/**
 * Intel TDX TCB info (version 3) and the TCB level matching rule of Intel's QVL:
 * the first level whose SGX components, PCESVN and TDX components are all <= the platform's wins;
 * TDX components 0 and 1 are skipped when TEE_TCB_SVN[1] > 0 because the TDX module's own level is
 * then taken from `tdxModuleIdentities` (`TDX_<TEE_TCB_SVN[1]>`, first level with isvsvn <= TEE_TCB_SVN[0]).
 */
import { PckExtensions } from './sgxExtensions';
import { TcbStatus, isTcbStatus, worseStatus } from './tcbStatus';
import { toHex } from './hex';

interface Svn {
    svn: number;
}
interface TcbLevel {
    tcb: { sgxtcbcomponents: Svn[]; pcesvn: number; tdxtcbcomponents: Svn[] };
    tcbDate: string;
    tcbStatus: string;
    advisoryIDs?: string[];
}
interface ModuleLevel {
    tcb: { isvsvn: number };
    tcbDate: string;
    tcbStatus: string;
    advisoryIDs?: string[];
}
interface ModuleIdentity {
    id: string;
    mrsigner: string;
    attributes: string;
    attributesMask: string;
    tcbLevels: ModuleLevel[];
}
export interface TcbInfoBody {
    id: string;
    version: number;
    issueDate: string;
    nextUpdate: string;
    fmspc: string;
    pceId: string;
    tcbEvaluationDataNumber: number;
    tdxModule?: { mrsigner: string; attributes: string; attributesMask: string };
    tdxModuleIdentities?: ModuleIdentity[];
    tcbLevels: TcbLevel[];
}

export interface SeamIdentity {
    teeTcbSvn: Uint8Array;
    mrSignerSeam: Uint8Array;
    seamAttributes: Uint8Array;
}

export type TcbEvaluation =
    | { matched: true; status: TcbStatus; advisoryIds: string[]; tcbDate: string; tdxModuleId?: string }
    | { matched: false; reason: string };

/** Throws on a body that is not TDX TCB info v3 (it is signed by Intel, so this means wrong input). */
export function parseTcbInfo(body: string): TcbInfoBody {
    const t = JSON.parse(body) as TcbInfoBody;
    if (t?.id !== 'TDX' || t.version !== 3 || !Array.isArray(t.tcbLevels)) {
        throw new Error(`not TDX TCB info v3 (id ${String(t?.id)}, version ${String(t?.version)})`);
    }
    return t;
}

export function evaluateTcb(info: TcbInfoBody, pck: PckExtensions, seam: SeamIdentity): TcbEvaluation {
    const svn = seam.teeTcbSvn;
    const moduleFromIdentities = svn[1] > 0;
    const platform = info.tcbLevels.find((l) => platformLevelMatches(l, pck, svn, moduleFromIdentities));
    if (!platform) return { matched: false, reason: `no TCB level matches TEE_TCB_SVN ${toHex(svn)}` };
    if (!isTcbStatus(platform.tcbStatus)) return { matched: false, reason: `unknown TCB status ${platform.tcbStatus}` };
    const advisoryIds = [...(platform.advisoryIDs ?? [])];
    if (!moduleFromIdentities) return { matched: true, status: platform.tcbStatus, advisoryIds, tcbDate: platform.tcbDate };

    const id = `TDX_${svn[1].toString(16).padStart(2, '0').toUpperCase()}`;
    const identity = info.tdxModuleIdentities?.find((m) => m.id.toUpperCase() === id);
    if (!identity) return { matched: false, reason: `TDX module identity ${id} not in TCB info` };
    if (!seamMatches(identity, seam)) return { matched: false, reason: `TDX module identity ${id} does not match MRSIGNERSEAM/SEAMATTRIBUTES` };
    const level = identity.tcbLevels.find((l) => l.tcb.isvsvn <= svn[0]);
    if (!level) return { matched: false, reason: `no ${id} level with isvsvn <= ${svn[0]}` };
    if (!isTcbStatus(level.tcbStatus)) return { matched: false, reason: `unknown TCB status ${level.tcbStatus}` };
    advisoryIds.push(...(level.advisoryIDs ?? []).filter((a) => !advisoryIds.includes(a)));
    return { matched: true, status: worseStatus(platform.tcbStatus, level.tcbStatus), advisoryIds, tcbDate: platform.tcbDate, tdxModuleId: id };
}

function platformLevelMatches(l: TcbLevel, pck: PckExtensions, svn: Uint8Array, skipModule: boolean): boolean {
    const sgx = l.tcb.sgxtcbcomponents;
    const tdx = l.tcb.tdxtcbcomponents;
    if (sgx.length !== 16 || tdx.length !== 16) return false;
    if (!sgx.every((c, i) => c.svn <= pck.cpuSvn[i])) return false;
    if (l.tcb.pcesvn > pck.pceSvn) return false;
    return tdx.every((c, i) => (skipModule && i < 2) || c.svn <= svn[i]);
}

/** MRSIGNERSEAM equal and SEAMATTRIBUTES & mask equal to the expected attributes. */
export function seamMatches(m: { mrsigner: string; attributes: string; attributesMask: string }, seam: SeamIdentity): boolean {
    if (m.mrsigner.toLowerCase() !== toHex(seam.mrSignerSeam)) return false;
    const attrs = Buffer.from(m.attributes, 'hex');
    const mask = Buffer.from(m.attributesMask, 'hex');
    if (attrs.length !== seam.seamAttributes.length || mask.length !== attrs.length) return false;
    return attrs.every((a, i) => (seam.seamAttributes[i] & mask[i]) === a);
}
