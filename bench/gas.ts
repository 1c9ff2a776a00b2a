/** `npm run bench:gas`: the gas and fee table of every operation, written to bench/results/gas.json. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { measureOperations, measureAtScale } from './gasOperations';
import { tonString } from './measure';

async function main() {
    const report = await measureOperations();
    const rows = [...report.operations, ...report.jobLifecycle, ...report.sessionLifecycle];
    const width = Math.max(...rows.map((r) => r.name.length));
    console.log(`${'operation'.padEnd(width)}  ${'gas'.padStart(7)}  ${'fees TON'.padStart(11)}  txs`);
    for (const r of rows) {
        console.log(`${r.name.padEnd(width)}  ${String(r.gasUsed).padStart(7)}  ${tonString(r.feesNano, 7).padStart(11)}  ${r.transactions}`);
    }
    console.log(`\njobLifecycleTon = ${report.jobLifecycleTon.toFixed(6)} (target ≤ 0.025)`);
    console.log(`sessionLifecycleTon = ${report.sessionLifecycleTon.toFixed(6)} (target ≤ 0.03; open + settlement + cooperative close)`);
    console.log(`sessionUnilateralTon = ${report.sessionUnilateralTon.toFixed(6)} (open + settlement + close request + finish)`);
    // The gas constants must bound these at 10,000 open jobs (COCOON_SCALE overrides, e.g. "1,100").
    const counts = (process.env.COCOON_SCALE ?? '1,100,1000,10000').split(',').map(Number);
    const scale = await measureAtScale(counts);
    console.log('\nopen jobs   CreateJob   external SubmitResult (1 KB)   external SubmitDecline');
    for (const s of scale) console.log(`${String(s.openJobs).padStart(9)}   ${String(s.createJobGas).padStart(9)}   ${String(s.settleExternalGas).padStart(28)}   ${String(s.declineExternalGas).padStart(22)}`);
    const out = {
        operations: report.operations.map((o) => ({ name: o.name, gasUsed: o.gasUsed, feesTon: Number(o.feesNano) / 1e9, transactions: o.transactions })),
        jobLifecycleTon: report.jobLifecycleTon,
        jobLifecycle: report.jobLifecycle.map((o) => ({ name: o.name, gasUsed: o.gasUsed, feesTon: Number(o.feesNano) / 1e9, transactions: o.transactions })),
        sessionLifecycleTon: report.sessionLifecycleTon,
        sessionUnilateralTon: report.sessionUnilateralTon,
        sessionLifecycle: report.sessionLifecycle.map((o) => ({ name: o.name, gasUsed: o.gasUsed, feesTon: Number(o.feesNano) / 1e9, transactions: o.transactions })),
        scale,
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    if (process.argv.includes('--update-snapshot')) {
        const snapshot = Object.fromEntries(rows.map((r) => [r.name, r.gasUsed]));
        writeFileSync(join(__dirname, 'gas-snapshot.json'), JSON.stringify(snapshot, null, 2) + '\n');
        console.log('bench/gas-snapshot.json updated');
    }
    writeFileSync(join(__dirname, 'results', 'gas.json'), JSON.stringify(out, null, 2) + '\n');
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
