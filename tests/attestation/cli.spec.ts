/** The CLI as users run it: `node bin/cocoon.js attestation verify ...` in a child process. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevQuoteAuthority, devEnclaveMeasurement, devImageHash, generateDevQuote } from '../../attestation/devQuote';
import { devSetup } from './devFixture';
import { collateralDir, expected, FIXTURES, SPR_E4_FILES } from './vectors';

const BIN = join(__dirname, '..', '..', 'bin', 'cocoon.js');

function cocoon(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile('node', [BIN, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
            resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
        });
    });
}

const fx = (f: string) => join(FIXTURES, f);

describe('cocoon attestation verify', () => {
    it('valid real quote with collateral: exit 0 and the JSON fields', async () => {
        const r = await cocoon('attestation', 'verify', fx('tdx-v4-dcap-qvl.bin'), '--collateral', fx('tdx-v4-dcap-qvl.collateral.json'), '--at', '2025-07-01T00:00:00Z', '--json');
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const j = JSON.parse(r.stdout);
        const exp = expected['tdx-v4-dcap-qvl.bin'].tdReport;
        expect(j).toMatchObject({ valid: true, version: 4, teeType: 'TDX', mrtd: exp.mrTd, rtmr0: exp.rtmr0, rtmr1: exp.rtmr1, rtmr2: exp.rtmr2, rtmr3: exp.rtmr3, reportData: exp.reportData, errors: [], tcbStatus: 'UpToDate' });
        expect(j.imageHash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('quote refused at TCB evaluation: exit 1, errors name tcb-status; human output says INVALID', async () => {
        const dir = collateralDir(SPR_E4_FILES);
        const args = ['attestation', 'verify', fx('tdx-v4-go-tdx-guest-spr-e4.bin'), '--collateral', dir, '--at', '2023-07-01T01:00:00Z'];
        const json = await cocoon(...args, '--json');
        expect(json.code).toBe(1);
        expect(JSON.parse(json.stdout).errors.map((e: { check: string }) => e.check)).toEqual(['tcb-status']);
        const text = await cocoon(...args);
        expect(text.code).toBe(1);
        expect(text.stdout).toMatch(/FAIL {2}tcb-status: TCB not supported/);
        expect(text.stdout.trim().endsWith('INVALID')).toBe(true);
    });

    it('dev quote: valid only with --trust-root', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'cocoon-cli-'));
        const authority = createDevQuoteAuthority();
        writeFileSync(join(dir, 'dev.quote'), generateDevQuote(authority, new Uint8Array(64)));
        writeFileSync(join(dir, 'root.pem'), authority.rootPem);
        const ok = await cocoon('attestation', 'verify', join(dir, 'dev.quote'), '--trust-root', join(dir, 'root.pem'), '--json');
        expect(ok.code).toBe(0);
        expect(JSON.parse(ok.stdout).imageHash).toBe(Buffer.from(devImageHash()).toString('hex'));
        const refused = await cocoon('attestation', 'verify', join(dir, 'dev.quote'), '--json');
        expect(refused.code).toBe(1);
        expect(JSON.parse(refused.stdout).errors[0].check).toBe('pck-chain');
    });

    it('usage and parse errors exit 2', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'cocoon-cli-'));
        writeFileSync(join(dir, 'junk.bin'), Buffer.from('not a quote at all, '.repeat(10)));
        const cases = [
            ['attestation', 'verify'],
            ['attestation', 'verify', join(dir, 'missing.bin')],
            ['attestation', 'verify', join(dir, 'junk.bin')],
            ['attestation', 'verify', fx('tdx-v4-dcap-qvl.bin'), '--at', 'yesterday-ish'],
            ['attestation', 'verify', fx('tdx-v4-dcap-qvl.bin'), '--reject-trailing'],
            ['attestation', 'bogus'],
        ];
        const results = await Promise.all(cases.map((c) => cocoon(...c)));
        results.forEach((r, i) => expect([cases[i].join(' '), r.code]).toEqual([cases[i].join(' '), 2]));
        expect(results[2].stderr).toMatch(/unsupported quote version/);
    });

    it('measure: prints the enclave measurement of a runner document, and refuses a runtime the quote does not commit to', async () => {
        const s = devSetup();
        const dir = mkdtempSync(join(tmpdir(), 'cocoon-cli-'));
        const doc = {
            quote: Buffer.from(s.quote).toString('base64'), globalId: s.globalId, provider: s.provider.toRawString(),
            enclaveEd25519: Buffer.from(s.enclaveEd25519).toString('hex'), enclaveX25519: Buffer.from(s.enclaveX25519).toString('hex'), runtime: s.runtime,
        };
        writeFileSync(join(dir, 'doc.json'), JSON.stringify(doc));
        writeFileSync(join(dir, 'lying.json'), JSON.stringify({ ...doc, runtime: { ...s.runtime, jobTimeoutMs: 1 } }));
        writeFileSync(join(dir, 'root.pem'), s.authority.rootPem);
        const [good, untrusted, lying] = await Promise.all([
            cocoon('attestation', 'measure', join(dir, 'doc.json'), '--trust-root', join(dir, 'root.pem'), '--json'),
            cocoon('attestation', 'measure', join(dir, 'doc.json'), '--json'),
            cocoon('attestation', 'measure', join(dir, 'lying.json')),
        ]);
        expect(good.code).toBe(0);
        const m = JSON.parse(good.stdout);
        expect(m).toMatchObject({ valid: true, measurement: Buffer.from(devEnclaveMeasurement(s.runtime)).toString('hex'), warnings: [] });
        expect(m.registers).toMatchObject({ mrConfigId: '00'.repeat(48), mrOwner: '00'.repeat(48), xfam: 'e702060000000000' });
        // Under the Intel anchor a dev quote does not verify: exit 1, the measurement still shown.
        expect(untrusted.code).toBe(1);
        expect(JSON.parse(untrusted.stdout)).toMatchObject({ valid: false, errors: [expect.stringMatching(/^pck-chain/)] });
        expect(lying.code).toBe(2);
        expect(lying.stderr).toMatch(/REPORTDATA does not commit/);
    });
});
