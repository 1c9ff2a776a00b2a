/** Human-readable rendering of a verification verdict for `cocoon attestation verify`. */
import { Verdict } from '../../attestation/verdict';

export function formatVerdict(v: Verdict): string {
    const body = v.version === 5 ? `TD report ${v.bodyType === 3 ? '1.5' : '1.0'}` : 'TD report 1.0';
    const lines = [
        `quote        ${v.teeType} quote v${v.version} (${body})${v.trailingBytes ? `, ${v.trailingBytes} trailing bytes ignored` : ''}`,
        `verified at  ${v.verifiedAt}`,
        `MRTD         ${v.mrtd}`,
        `RTMR0        ${v.rtmr0}`,
        `RTMR1        ${v.rtmr1}`,
        `RTMR2        ${v.rtmr2}`,
        `RTMR3        ${v.rtmr3}`,
        `REPORTDATA   ${v.reportData}`,
        `image hash   ${v.imageHash}`,
        `TCB          ${v.collateralChecked ? `${v.tcbStatus ?? 'not supported'} (QE ${v.qeTcbStatus ?? 'unknown'})${v.fmspc ? `, FMSPC ${v.fmspc}` : ''}` : 'not evaluated (no collateral given)'}`,
        ...(v.advisoryIds?.length ? [`advisories   ${v.advisoryIds.join(', ')}`] : []),
        '',
        ...v.passed.map((c) => `  ok    ${c}`),
        ...v.errors.map((e) => `  FAIL  ${e.check}: ${e.message}`),
        '',
        v.valid ? 'VALID' : 'INVALID',
    ];
    return `${lines.join('\n')}\n`;
}
