/** A JSON-ready summary of a verification result, shared by the CLI and the HTTP service. */
import { CheckFailure, CheckName } from './checks';
import { toHex } from './hex';
import { measurementsHex, MeasurementsHex } from './measurements';
import { VerificationResult } from './verify';

export interface Verdict extends MeasurementsHex {
    valid: boolean;
    version: number;
    teeType: string;
    bodyType?: number;
    trailingBytes: number;
    verifiedAt: string;
    collateralChecked: boolean;
    tcbStatus?: string;
    qeTcbStatus?: string;
    advisoryIds?: string[];
    fmspc?: string;
    qeVendorId: string;
    passed: CheckName[];
    errors: CheckFailure[];
}

export function verdictOf(r: VerificationResult): Verdict {
    return {
        valid: r.valid,
        version: r.quote.header.version,
        teeType: r.quote.header.teeType === 0x81 ? 'TDX' : `0x${r.quote.header.teeType.toString(16)}`,
        bodyType: r.quote.bodyType,
        trailingBytes: r.quote.trailingBytes,
        ...measurementsHex(r.measurements),
        qeVendorId: toHex(r.quote.header.qeVendorId),
        verifiedAt: r.verifiedAt.toISOString(),
        collateralChecked: r.collateralChecked,
        tcbStatus: r.tcb?.status,
        qeTcbStatus: r.tcb?.qeStatus,
        advisoryIds: r.tcb?.advisoryIds,
        fmspc: r.pck?.fmspc,
        passed: r.passed,
        errors: r.errors,
    };
}
