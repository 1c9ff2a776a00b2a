/**
 * The Quoting Enclave's 384-byte SGX report body (Intel SGX SDK `sgx_report_body_t`).
 * Only the fields the verifier compares are decoded; reserved ranges are skipped by offset.
 */
import { ByteReader } from './reader';
import { QeReport } from './quoteTypes';
import { SGX_REPORT_SIZE } from './layout';

export function readQeReport(outer: ByteReader): QeReport {
    const raw = outer.bytesOf(SGX_REPORT_SIZE, 'QE report');
    const r = new ByteReader(raw);
    const cpuSvn = r.bytesOf(16, 'QE CPUSVN'); // 0
    const miscSelect = r.u32('QE MISCSELECT'); // 16
    r.bytesOf(28, 'QE reserved1'); // 20
    const attributes = r.bytesOf(16, 'QE ATTRIBUTES'); // 48
    const mrEnclave = r.bytesOf(32, 'QE MRENCLAVE'); // 64
    r.bytesOf(32, 'QE reserved2'); // 96
    const mrSigner = r.bytesOf(32, 'QE MRSIGNER'); // 128
    r.bytesOf(96, 'QE reserved3'); // 160
    const isvProdId = r.u16('QE ISVPRODID'); // 256
    const isvSvn = r.u16('QE ISVSVN'); // 258
    r.bytesOf(60, 'QE reserved4'); // 260
    const reportData = r.bytesOf(64, 'QE REPORTDATA'); // 320
    return { raw, cpuSvn, miscSelect, attributes, mrEnclave, mrSigner, isvProdId, isvSvn, reportData };
}
