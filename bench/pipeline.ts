/**
 * `npm run bench:pipeline`: jobs through the whole path on the devnet — client wallet (TonClient over
 * HTTP) → CreateJob → relayer (a child process, as deployed) → enclave runner (reference engine) →
 * SubmitResult external → JobSettled → JobRefund seen by the client — at concurrency 1, 8 and 32
 * (one client wallet per concurrent job stream). Reports throughput, end-to-end latency percentiles,
 * the relayer's per-stage latencies (from its /metrics histograms), its peak RSS (VmHWM), and the
 * emulator bound: the same transactions pushed straight through a sandbox Blockchain, no HTTP,
 * relayer or runner. Writes bench/results/pipeline.json.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { toNano } from '@ton/core';
import { startDemo } from '../demo/startDemo';
import type { DemoWallet } from '../demo/wallet';
import { protocol, signedResult } from '../tests/fixtures/protocol';
import { bytesToTree } from '../protocol/bytesTree';

const LEVELS = [1, 8, 32];
const JOBS_PER_STREAM = Number(process.env.COCOON_BENCH_JOBS_PER_STREAM ?? 10);
const JOB_TIMEOUT_MS = 60_000;
const EMULATOR_JOBS = 300;
const PAYLOAD_BYTES = 160; // about the size of a sealed short prompt

const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const round = (x: number) => Math.round(x * 10) / 10;

type Buckets = Map<string, Map<number, number>>; // stage → le → cumulative count
function histogram(text: string): Buckets {
    const out: Buckets = new Map();
    for (const m of text.matchAll(/cocoon_relayer_stage_latency_seconds_bucket\{le="([^"]+)",stage="([^"]+)"\} (\d+)/g)) {
        const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
        if (!out.has(m[2])) out.set(m[2], new Map());
        out.get(m[2])!.set(le, Number(m[3]));
    }
    return out;
}
/** p-th percentile in ms from the difference of two cumulative histograms, interpolated inside the bucket. */
function histPct(before: Buckets, after: Buckets, stage: string, p: number): number {
    const a = after.get(stage);
    if (!a) return NaN;
    const les = [...a.keys()].sort((x, y) => x - y);
    const counts = les.map((le) => a.get(le)! - (before.get(stage)?.get(le) ?? 0));
    const total = counts[counts.length - 1];
    if (!total) return NaN;
    const target = (p / 100) * total;
    for (let i = 0; i < les.length; i++) {
        if (counts[i] >= target) {
            const lo = i ? les[i - 1] : 0;
            const hi = Number.isFinite(les[i]) ? les[i] : lo;
            const below = i ? counts[i - 1] : 0;
            return 1000 * (lo + ((hi - lo) * (target - below)) / Math.max(1, counts[i] - below));
        }
    }
    return NaN;
}

async function emulatorBound(): Promise<number> {
    const p = await protocol();
    const payload = bytesToTree(Buffer.alloc(PAYLOAD_BYTES, 7));
    const started = process.hrtime.bigint();
    for (let i = 0; i < EMULATOR_JOBS; i++) {
        const r = await p.createJob({ payload, terms: p.terms({ maxInputTokens: 256n, maxOutputTokens: 256n }) });
        const jobId = BigInt(i);
        if (!r.transactions.length) throw new Error('no transaction');
        await p.provider.sendExternal(signedResult({ provider: p.provider.address, enclave: p.enclave }, jobId, { inputTokens: 10, outputTokens: 10, result: bytesToTree(Buffer.alloc(PAYLOAD_BYTES, 9)) }));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return EMULATOR_JOBS / seconds;
}

function peakRssMb(pid: number): number {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
}

async function main() {
    const demo = await startDemo({ relayer: false, pollMs: 10, runnerLimits: { concurrency: 8, queue: 256 } });
    const env = demo.relayerEnv({ COCOON_RELAYER_POLL_MS: '10', COCOON_RELAYER_CONCURRENCY: '64', COCOON_RELAYER_KEEPER: '0', LOG_LEVEL: 'warn', COCOON_RELAYER_PORT: '0' });
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'relayer/main.ts'], { cwd: join(__dirname, '..'), env: { ...process.env, ...env, LOG_LEVEL: 'info', COCOON_RELAYER_ENV_FILE: '/nonexistent' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (c) => (out += c.toString()));
    const url = await new Promise<string>((resolve) => {
        const t = setInterval(() => {
            const m = /"url":"(http:[^"]+)".*"msg":"relayer started"/.exec(out);
            if (m) {
                clearInterval(t);
                resolve(m[1]);
            }
        }, 20);
    });
    const scrape = async () => histogram(await (await fetch(`${url}/metrics`)).text());

    const levels = [];
    for (const concurrency of LEVELS) {
        const wallets: DemoWallet[] = await Promise.all(Array.from({ length: concurrency }, () => demo.newClient(toNano('20'))));
        const before = await scrape();
        const latencies: number[] = [];
        const submitMs: number[] = [];
        let lost = 0;
        const started = Date.now();
        await Promise.all(wallets.map(async (w, s) => {
            for (let i = 0; i < JOBS_PER_STREAM; i++) {
                const t0 = Date.now();
                try {
                    const job = await demo.submitJob(w, { prompt: `bench stream ${s} job ${i} with a short prompt` });
                    submitMs.push(Date.now() - t0);
                    const end = await demo.awaitEnd(w, job, AbortSignal.timeout(JOB_TIMEOUT_MS));
                    if (end.kind !== 'settled') lost++;
                    latencies.push(Date.now() - t0);
                } catch {
                    lost++;
                }
            }
        }));
        const seconds = (Date.now() - started) / 1000;
        const after = await scrape();
        const level = {
            concurrency,
            jobs: concurrency * JOBS_PER_STREAM,
            lostJobs: lost,
            jobsPerSecond: round(latencies.length / seconds),
            p50Ms: pct(latencies, 50),
            p99Ms: pct(latencies, 99),
            clientSubmitP50Ms: pct(submitMs, 50),
            relayerDispatchP50Ms: round(histPct(before, after, 'dispatch', 50)),
            relayerDispatchP99Ms: round(histPct(before, after, 'dispatch', 99)),
            relayerDeliverP99Ms: round(histPct(before, after, 'deliver', 99)),
            relayerConfirmP99Ms: round(histPct(before, after, 'confirm', 99)),
            relayerTotalP99Ms: round(histPct(before, after, 'total', 99)),
        };
        levels.push(level);
        process.stdout.write(`${JSON.stringify(level)}\n`);
    }
    const relayerPeakRssMb = round(peakRssMb(child.pid!));
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await demo.stop();

    const emulatorBoundJobsPerSecond = round(await emulatorBound());
    const best = levels.reduce((a, b) => (b.jobsPerSecond > a.jobsPerSecond ? b : a));
    const result = {
        generatedAt: new Date().toISOString(),
        node: process.version,
        cpus: require('node:os').cpus().length,
        jobsPerStream: JOBS_PER_STREAM,
        jobsPerSecond: best.jobsPerSecond,
        atConcurrency: best.concurrency,
        lostJobs: levels.reduce((s, l) => s + l.lostJobs, 0),
        p50Ms: best.p50Ms,
        p99Ms: best.p99Ms,
        relayerDispatchP99Ms: best.relayerDispatchP99Ms,
        relayerPeakRssMb,
        emulatorBoundJobsPerSecond,
        fractionOfEmulatorBound: round((100 * best.jobsPerSecond) / emulatorBoundJobsPerSecond) / 100,
        levels,
        notes: 'Stage percentiles are interpolated inside the relayer histogram buckets (relayer/metrics.ts). The devnet, runner and client run in the bench process; the relayer is a child process.',
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'pipeline.json'), JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`${JSON.stringify({ ...result, levels: undefined }, null, 2)}\n`);
    process.exit(0);
}

main().catch((e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
});
