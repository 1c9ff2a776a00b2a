/**
 * Gas of every operation against the committed snapshot (bench/gas-snapshot.json): a change that
 * raises an operation's gas by more than 3 % fails here, so it shows up in review. After an
 * intended change, regenerate with `npm run bench:gas -- --update-snapshot` and commit the diff.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureOperations, GasReport } from '../bench/gasOperations';

const TOLERANCE = 0.03;
const snapshot: Record<string, number> = JSON.parse(readFileSync(join(__dirname, '..', 'bench', 'gas-snapshot.json'), 'utf8'));

let report: GasReport;
beforeAll(async () => {
    report = await measureOperations();
}, 120_000);

describe('gas snapshot', () => {
    it('covers exactly the measured operations', () => {
        const names = [...report.operations, ...report.jobLifecycle, ...report.sessionLifecycle].map((o) => o.name).sort();
        expect(Object.keys(snapshot).sort()).toEqual(names);
    });

    it('no operation uses more than 3 % above its snapshot', () => {
        const over = [...report.operations, ...report.jobLifecycle, ...report.sessionLifecycle]
            .filter((o) => o.gasUsed > snapshot[o.name] * (1 + TOLERANCE))
            .map((o) => `${o.name}: ${o.gasUsed} > ${snapshot[o.name]}`);
        expect(over).toEqual([]);
    });

    it('the gas constants the contract charges stay above what the operations use', () => {
        const source = readFileSync(join(__dirname, '..', 'contracts', 'common', 'fees.tact'), 'utf8');
        const constant = (name: string) => Number(new RegExp(`const ${name}: Int = (\\d+);`).exec(source)![1]);
        const gas = (name: string) => report.operations.find((o) => o.name === name)!.gasUsed;
        expect(gas('job.CreateJob (1 KB payload)')).toBeLessThan(constant('GAS_CREATE_JOB'));
        expect(gas('job.SubmitResult external (1 KB result)')).toBeLessThan(constant('GAS_SETTLE_EXTERNAL'));
        expect(gas('job.SubmitDecline external')).toBeLessThan(constant('GAS_SETTLE_EXTERNAL'));
        expect(gas('provider.AddStake')).toBeLessThan(constant('GAS_ADD_STAKE'));
        const session = (name: string) => report.sessionLifecycle.find((o) => o.name.includes(name))!.gasUsed;
        expect(session('OpenSession')).toBeLessThan(constant('GAS_OPEN_SESSION'));
        expect(session('external SettleVoucher')).toBeLessThan(constant('GAS_SETTLE_VOUCHER_EXTERNAL'));
        expect(session('external CloseWithVoucher')).toBeLessThan(constant('GAS_CLOSE_VOUCHER_EXTERNAL'));
        expect(session('external SettleVoucher (final')).toBeLessThan(constant('GAS_CLOSE_VOUCHER_EXTERNAL'));
        expect(session('TopUpSession')).toBeLessThan(constant('GAS_SESSION_TOPUP'));
    });
});
