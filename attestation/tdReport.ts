/** TD report body: TDX 1.0 (584 bytes) and TDX 1.5 (648 bytes, two more fields at the end). */
import { ByteReader } from './reader';
import { TdReport } from './quoteTypes';

export function readTdReport(r: ByteReader, isTd15: boolean): TdReport {
    const report: TdReport = {
        teeTcbSvn: r.bytesOf(16, 'TEE_TCB_SVN'),
        mrSeam: r.bytesOf(48, 'MRSEAM'),
        mrSignerSeam: r.bytesOf(48, 'MRSIGNERSEAM'),
        seamAttributes: r.bytesOf(8, 'SEAMATTRIBUTES'),
        tdAttributes: r.bytesOf(8, 'TDATTRIBUTES'),
        xfam: r.bytesOf(8, 'XFAM'),
        mrTd: r.bytesOf(48, 'MRTD'),
        mrConfigId: r.bytesOf(48, 'MRCONFIGID'),
        mrOwner: r.bytesOf(48, 'MROWNER'),
        mrOwnerConfig: r.bytesOf(48, 'MROWNERCONFIG'),
        rtmr: [r.bytesOf(48, 'RTMR0'), r.bytesOf(48, 'RTMR1'), r.bytesOf(48, 'RTMR2'), r.bytesOf(48, 'RTMR3')],
        reportData: r.bytesOf(64, 'REPORTDATA'),
    };
    if (isTd15) {
        report.teeTcbSvn2 = r.bytesOf(16, 'TEE_TCB_SVN_2');
        report.mrServiceTd = r.bytesOf(48, 'MRSERVICETD');
    }
    return report;
}
