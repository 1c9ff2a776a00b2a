/** Loads the real Intel TDX vectors in tests/fixtures/attestation (sources listed in its README.md). */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collateral, collateralFromDcapJson } from '../../attestation/collateral';
import { loadCollateral } from '../../attestation/collateralLoad';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'attestation');

export const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')).vectors as Record<string, any>;

export function quoteBytes(name: string): Uint8Array {
    return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

export function dcapCollateral(name: string): Collateral {
    return collateralFromDcapJson(readFileSync(join(FIXTURES, name), 'utf8'));
}

/** Copies the named fixtures into a fresh directory, as the CLI's --collateral <dir> expects. */
export function collateralDir(files: string[]): string {
    const dir = mkdtempSync(join(tmpdir(), 'cocoon-collateral-'));
    for (const f of files) copyFileSync(join(FIXTURES, f), join(dir, f));
    return dir;
}

export const SPR_E4_FILES = [
    'tdx-v4-go-tdx-guest-spr-e4.tcbinfo.json',
    'tdx-v4-go-tdx-guest-spr-e4.qeidentity.json',
    'tdx-v4-go-tdx-guest-spr-e4.pckcrl.der',
    'tdx-v4-go-tdx-guest-spr-e4.rootcrl.der',
    'intel-tcb-signing-chain-2018.pem',
];

export interface VectorCase {
    quote: string;
    collateral: () => Collateral;
    at: Date;
    /** TCB result the README expects at the pinned time. */
    tcb: 'UpToDate' | 'unmatched';
}

export const VECTORS: VectorCase[] = [
    { quote: 'tdx-v4-dcap-qvl.bin', collateral: () => dcapCollateral('tdx-v4-dcap-qvl.collateral.json'), at: new Date('2025-07-01T00:00:00Z'), tcb: 'UpToDate' },
    { quote: 'tdx-v4-dcap-qvl-near.bin', collateral: () => dcapCollateral('tdx-v4-dcap-qvl-near.collateral.json'), at: new Date('2025-09-15T00:00:00Z'), tcb: 'UpToDate' },
    {
        quote: 'tdx-v5-dcap-qvl-tcb-unmatched.bin',
        collateral: () => dcapCollateral('tdx-v5-dcap-qvl-tcb-unmatched.collateral.json'),
        at: new Date('2026-03-01T00:00:00Z'),
        tcb: 'unmatched',
    },
    { quote: 'tdx-v4-go-tdx-guest-spr-e4.bin', collateral: () => loadCollateral(collateralDir(SPR_E4_FILES)), at: new Date('2023-07-01T01:00:00Z'), tcb: 'unmatched' },
    { quote: 'tdx-v5-go-tdx-guest.bin', collateral: () => dcapCollateral('tdx-v5-dcap-qvl-tcb-unmatched.collateral.json'), at: new Date('2026-03-01T00:00:00Z'), tcb: 'UpToDate' },
];

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
