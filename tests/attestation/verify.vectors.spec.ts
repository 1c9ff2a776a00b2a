import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyQuote } from '../../attestation/verify';
import { loadCollateral } from '../../attestation/collateralLoad';
import { CHECKS } from '../../attestation/checks';
import { collateralDir, dcapCollateral, FIXTURES, quoteBytes, SPR_E4_FILES, VECTORS } from './vectors';

const QUOTE_CHECKS = [CHECKS.quoteSignature, CHECKS.qeReportSignature, CHECKS.qeReportBinding, CHECKS.pckChain];

describe.each(VECTORS)('verifying real quote $quote at its pinned time', (v) => {
    it('passes checks (a)-(d) without collateral', () => {
        const r = verifyQuote(quoteBytes(v.quote), { at: v.at });
        expect(r.errors).toEqual([]);
        expect(r.valid).toBe(true);
        expect(r.passed).toEqual(expect.arrayContaining(QUOTE_CHECKS));
        expect(r.tcb).toBeUndefined();
        expect(r.collateralChecked).toBe(false);
    });

    it(`with collateral: ${v.tcb === 'UpToDate' ? 'valid, TCB UpToDate' : 'refused at TCB evaluation only'}`, () => {
        const r = verifyQuote(quoteBytes(v.quote), { at: v.at, collateral: v.collateral() });
        expect(r.passed).toEqual(expect.arrayContaining([...QUOTE_CHECKS, CHECKS.collateralSignature, CHECKS.collateralExpired, CHECKS.revoked, CHECKS.qeIdentity, CHECKS.tcbInfoMismatch]));
        expect(r.tcb?.qeStatus).toBe('UpToDate');
        if (v.tcb === 'UpToDate') {
            expect(r.errors).toEqual([]);
            expect(r.valid).toBe(true);
            expect(r.tcb).toMatchObject({ status: 'UpToDate', advisoryIds: [] });
        } else {
            expect(r.valid).toBe(false);
            expect(r.errors.map((e) => e.check)).toEqual([CHECKS.tcbStatus]);
            expect(r.errors[0].message).toMatch(/no TCB level matches/);
            expect(r.tcb?.status).toBeUndefined();
        }
    });

    it('collateral is expired one year later', () => {
        const later = new Date(v.at.getTime() + 365 * 86400_000);
        const r = verifyQuote(quoteBytes(v.quote), { at: later, collateral: v.collateral() });
        expect(r.valid).toBe(false);
        expect(r.errors.map((e) => e.check)).toContain(CHECKS.collateralExpired);
    });
});

describe('collateral policy', () => {
    const v4 = VECTORS[0];

    it('the TDX module identity used for the TCB level is reported', () => {
        expect(verifyQuote(quoteBytes(v4.quote), { at: v4.at, collateral: v4.collateral() }).tcb?.tdxModuleId).toBe('TDX_01');
    });

    it('tdx-v5-go-tdx-guest is UpToDate with its own PCS TCB info plus the rest of the 2026 collateral', () => {
        const dir = collateralDir(['tdx-v5-go-tdx-guest.tcbinfo.json', 'tdx-v5-dcap-qvl-tcb-unmatched.collateral.json', 'intel-tcb-signing-chain-2025.pem']);
        const r = verifyQuote(quoteBytes('tdx-v5-go-tdx-guest.bin'), { at: new Date('2026-03-01T00:00:00Z'), collateral: loadCollateral(dir) });
        expect(r.errors).toEqual([]);
        expect(r.tcb?.status).toBe('UpToDate');
        // That TCB info expires 2026-03-03T14:49:26Z, earlier than the dcap-qvl one.
        const late = verifyQuote(quoteBytes('tdx-v5-go-tdx-guest.bin'), { at: new Date('2026-03-05T00:00:00Z'), collateral: loadCollateral(dir) });
        expect(late.errors).toEqual([{ check: CHECKS.collateralExpired, message: expect.stringMatching(/^TCB info is valid/) }]);
    });

    it('2023 collateral verifies without a chain file: the pinned 2018 TCB Signing certificate is picked by time', () => {
        const dir = collateralDir(SPR_E4_FILES.filter((f) => !f.endsWith('.pem')));
        const r = verifyQuote(quoteBytes('tdx-v4-go-tdx-guest-spr-e4.bin'), { at: new Date('2023-07-01T01:00:00Z'), collateral: loadCollateral(dir) });
        expect(r.errors.map((e) => e.check)).toEqual([CHECKS.tcbStatus]);
    });

    it('a TCB Signing chain that is not valid at the time is refused as expired', () => {
        const c = loadCollateral(collateralDir(SPR_E4_FILES));
        c.tcbSigningChainPem = readFileSync(join(FIXTURES, 'intel-tcb-signing-chain-2025.pem'), 'utf8');
        // 2025-06 is inside the 2025 certificate but far past the 2023 collateral: both kinds of expiry show.
        const r = verifyQuote(quoteBytes('tdx-v4-go-tdx-guest-spr-e4.bin'), { at: new Date('2025-06-01T00:00:00Z'), collateral: c });
        expect(r.errors.map((e) => e.check)).toContain(CHECKS.collateralExpired);
    });

    it('collateral for another platform is a tcb-info-mismatch', () => {
        const r = verifyQuote(quoteBytes(v4.quote), { at: v4.at, collateral: dcapCollateral('tdx-v4-dcap-qvl-near.collateral.json') });
        expect(r.errors.map((e) => e.check)).toEqual(expect.arrayContaining([CHECKS.tcbInfoMismatch, CHECKS.tcbStatus]));
        expect(r.errors.find((e) => e.check === CHECKS.tcbInfoMismatch)?.message).toMatch(/FMSPC 20a06f000000/);
        expect(r.tcb?.status).toBeUndefined();
    });

    it('every missing piece is named collateral-missing', () => {
        for (const piece of ['tcbInfo', 'qeIdentity', 'pckCrl', 'rootCaCrl'] as const) {
            const c = v4.collateral();
            delete c[piece];
            const r = verifyQuote(quoteBytes(v4.quote), { at: v4.at, collateral: c });
            expect([piece, r.valid]).toEqual([piece, false]);
            expect(r.errors.map((e) => e.check)).toContain(CHECKS.collateralMissing);
        }
        const none = verifyQuote(quoteBytes(v4.quote), { at: v4.at, requireCollateral: true });
        expect(none.errors.map((e) => e.check)).toEqual([CHECKS.collateralMissing]);
    });

    it('tampered collateral is a collateral-signature failure', () => {
        const c = v4.collateral();
        c.tcbInfo!.body = c.tcbInfo!.body.replace('"tcbStatus":"OutOfDate"', '"tcbStatus":"UpToDate"');
        const c2 = v4.collateral();
        c2.pckCrl![c2.pckCrl!.length - 5] ^= 1;
        c2.qeIdentity!.signature[3] ^= 1;
        for (const [coll, n] of [[c, 1], [c2, 2]] as const) {
            const r = verifyQuote(quoteBytes(v4.quote), { at: v4.at, collateral: coll });
            expect(r.errors.filter((e) => e.check === CHECKS.collateralSignature)).toHaveLength(n);
        }
    });

    it('accepted TCB statuses are configurable; unmatched levels are refused under any policy', () => {
        const r = verifyQuote(quoteBytes(v4.quote), { at: v4.at, collateral: v4.collateral(), acceptedTcbStatuses: ['OutOfDate'] });
        expect(r.errors).toEqual([{ check: CHECKS.tcbStatus, message: 'TCB status UpToDate is not accepted (accepted: OutOfDate)' }]);
        const un = VECTORS[2];
        const all = ['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded'];
        expect(verifyQuote(quoteBytes(un.quote), { at: un.at, collateral: un.collateral(), acceptedTcbStatuses: all }).valid).toBe(false);
    });

    it('the PCK chain is checked at the verification time', () => {
        const r = verifyQuote(quoteBytes('tdx-v5-go-tdx-guest.bin'), { at: new Date('2025-06-01T00:00:00Z') });
        expect(r.errors).toEqual([{ check: CHECKS.pckChain, message: expect.stringMatching(/Intel SGX PCK Certificate is not valid at 2025-06-01/) }]);
    });

    it('an expected REPORTDATA that differs is a report-data failure', () => {
        const r = verifyQuote(quoteBytes(v4.quote), { at: v4.at, expectedReportData: new Uint8Array(64) });
        expect(r.errors.map((e) => e.check)).toEqual([CHECKS.reportData]);
    });
});
