/**
 * `npm run bench:pipeline`: jobs through the whole path on the devnet — the SDK a user calls
 * (CocoonClient over TonClient/HTTP: discovery, attestation, seal, CreateJob from its V5R1 wallet) →
 * relayer (a child process, as deployed) → enclave runner (reference engine) → SubmitResult external
 * → JobSettled → the SDK checks the receipt and decrypts — at concurrency 1, 8 and 32 (one user, i.e.
 * one wallet and one CocoonClient with its own poller, per concurrent job stream). Reports throughput, end-to-end latency percentiles,
 * the relayer's per-stage latencies (from its /metrics histograms), its peak RSS (VmHWM), and the
 * emulator bound: the same transactions pushed straight through a sandbox Blockchain, no HTTP,
 * relayer or runner. Writes bench/results/pipeline.json.
 */
import { appendFileSync, copyFileSync, readFileSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { Address, toNano } from '@ton/core';
import { chainClient } from '../sdk/chain';
import { chat, DemoUser, demoUser, startDemo, UserOptions } from '../demo/startDemo';
import { DevnetClock } from '../demo/clock';
import { deployProtocol } from '../demo/protocol';
import type { Devnet } from '../devnet';
import { protocol, signedResult } from '../tests/fixtures/protocol';
import { bytesToTree } from '../protocol/bytesTree';
import { percentile } from './rate';

const LEVELS = (process.env.COCOON_BENCH_LEVELS ?? '1,8,32').split(',').map(Number);
const JOBS_PER_STREAM = Number(process.env.COCOON_BENCH_JOBS_PER_STREAM ?? 10);
const JOB_TIMEOUT_MS = 60_000;
const EMULATOR_JOBS = 300;
const PAYLOAD_BYTES = 160; // about the size of a sealed short prompt
// What was measured (see docs/spec/pipeline-bench.md); the defaults are the faster choices.
const DEVNET_MODE = process.env.COCOON_BENCH_DEVNET ?? 'child'; // child | inproc
const RELAYER_MODE = process.env.COCOON_BENCH_RELAYER ?? 'dist'; // dist (tsc build) | ts-node
// How often each user's CocoonClient polls the Provider while its jobs are open (the SDK's `pollMs`; its default is 1000).
const CLIENT_POLL_MS = Number(process.env.COCOON_BENCH_CLIENT_POLL_MS ?? 50);
const WARMUP_JOBS = Number(process.env.COCOON_BENCH_WARMUP_JOBS ?? 5);
const ROOT = join(__dirname, '..');

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
    const payloadHash = BigInt(`0x${payload.hash().toString('hex')}`); // the receipt is bound to the job's payload
    const started = process.hrtime.bigint();
    for (let i = 0; i < EMULATOR_JOBS; i++) {
        const r = await p.createJob({ payload, terms: p.terms({ maxInputTokens: 256n, maxOutputTokens: 256n }) });
        const jobId = BigInt(i);
        if (!r.transactions.length) throw new Error('no transaction');
        await p.provider.sendExternal(signedResult({ provider: p.provider.address, enclave: p.enclave }, jobId, { inputTokens: 10, outputTokens: 10, payloadHash, result: bytesToTree(Buffer.alloc(PAYLOAD_BYTES, 9)) }));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return EMULATOR_JOBS / seconds;
}

function peakRssMb(pid: number): number {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
}

/** Starts a child process and waits for a line of its stdout to match `ready`. */
async function child(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpExecArray; out: () => string }> {
    const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    process.once('exit', () => proc.kill('SIGKILL')); // a failed run leaves no devnet or relayer behind
    let out = '';
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
        proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before it was ready`)));
        proc.stdout!.on('data', (c) => {
            out += c.toString();
            const m = ready.exec(out);
            if (m) resolve(m);
        });
    });
    proc.removeAllListeners('exit');
    return { proc, match, out: () => out };
}

/** The devnet as its own process (own event loop and core), used over HTTP exactly like the in-process one. */
async function devnetChild(): Promise<{ devnet: Devnet; proc: ChildProcess }> {
    const { proc, match } = await child([...(process.env.COCOON_BENCH_DEVNET_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '-r', 'ts-node/register/transpile-only', 'devnet/main.ts', '--port', '0'], process.env, /listening on (http:\S+)/);
    const url = match[1];
    const faucet = async (to: Address | string, amount?: bigint) => {
        const res = await fetch(`${url}/faucet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ address: to.toString(), ...(amount === undefined ? {} : { amount: amount.toString() }) }) });
        const body = (await res.json()) as any;
        if (!body.ok) throw new Error(`faucet: ${JSON.stringify(body)}`);
        return { amount: BigInt(body.result.amount), lt: BigInt(body.result.transaction_id.lt), hash: Buffer.from(body.result.transaction_id.hash, 'base64') };
    };
    const advance = async (seconds: number) => ((await (await fetch(`${url}/devnet/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) })).json()) as any).result;
    const close = async () => {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
    };
    return { devnet: { url, endpoint: `${url}/jsonRPC`, blockchain: undefined as never, faucet, advance, close }, proc };
}

interface Network {
    devnet: Devnet;
    relayerEnv: Record<string, string>;
    newUser: (options: UserOptions) => Promise<DemoUser>;
    stop: () => Promise<void>;
}

const RUNNER_LIMITS = { concurrency: 8, queue: 256 };

async function network(): Promise<Network> {
    const relayerEnv = (env: Record<string, string>) => ({ ...env, COCOON_RELAYER_POLL_MS: '10', COCOON_RELAYER_CONCURRENCY: '64', COCOON_RELAYER_KEEPER: '0', COCOON_RELAYER_PORT: '0' });
    if (DEVNET_MODE === 'inproc') {
        const demo = await startDemo({ relayer: false, pollMs: 10, runnerLimits: RUNNER_LIMITS });
        return { devnet: demo.devnet, relayerEnv: relayerEnv(demo.relayerEnv()), newUser: demo.newUser, stop: demo.stop };
    }
    // The same deployment as startDemo (demo/protocol.ts: wallets, TonClient, governance delay over HTTP), devnet out of process.
    const { devnet } = await devnetChild();
    const client = chainClient(devnet.endpoint);
    const clock = new DevnetClock(devnet.url);
    const protocol = await deployProtocol(devnet, client, clock, { runnerLimits: RUNNER_LIMITS });
    const dbPath = join(mkdtempSync(join(tmpdir(), 'cocoon-relayer-')), 'relayer.sqlite');
    return {
        devnet,
        relayerEnv: relayerEnv({ COCOON_RELAYER_ENDPOINT: devnet.endpoint, COCOON_RELAYER_PROVIDERS: `${protocol.provider.address.toString()}=${protocol.runnerUrl}`, COCOON_RELAYER_DB: dbPath }),
        newUser: (options) => demoUser(devnet, client, clock, protocol, options),
        stop: async () => {
            await protocol.runner.close();
            await devnet.close();
        },
    };
}

async function main() {
    // The relayer as deployed: JavaScript compiled by tsc (npm run build:relayer), no TypeScript compiler in the process.
    if (RELAYER_MODE === 'dist') {
        execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'relayer/tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
        // protocol/errors.ts reads the exit codes from their source at run time; tsc does not copy it.
        mkdirSync(join(ROOT, 'dist', 'relayer-build', 'contracts', 'common'), { recursive: true });
        copyFileSync(join(ROOT, 'contracts', 'common', 'errors.tact'), join(ROOT, 'dist', 'relayer-build', 'contracts', 'common', 'errors.tact'));
    }
    const net = await network();
    const relayerArgs = RELAYER_MODE === 'ts-node' ? ['-r', 'ts-node/register/transpile-only', 'relayer/main.ts'] : [join(ROOT, 'dist', 'relayer-build', 'relayer', 'main.js')];
    const relayer = await child(relayerArgs, { ...process.env, ...net.relayerEnv, LOG_LEVEL: 'info', COCOON_RELAYER_ENV_FILE: '/nonexistent' }, /"url":"(http:[^"]+)".*"msg":"relayer started"/);
    const logFile = process.env.COCOON_BENCH_RELAYER_LOG; // keep draining its log, optionally into a file
    relayer.proc.stdout!.on('data', logFile ? (c) => appendFileSync(logFile, c) : () => undefined);
    const url = relayer.match[1];
    const newUser = () => net.newUser({ funds: toNano('20'), pollMs: CLIENT_POLL_MS });
    const job = (user: DemoUser, prompt: string) => user.sdk.submit(chat(prompt), { timeoutMs: JOB_TIMEOUT_MS });
    const scrape = async () => histogram(await (await fetch(`${url}/metrics`)).text());

    // Warm-up (not measured): a few jobs through the whole path so the first measured ones do not pay
    // for JIT compilation and first connections in the relayer, runner and devnet.
    const warm = await newUser();
    for (let i = 0; i < WARMUP_JOBS; i++) await (await job(warm, `warm-up job ${i}`)).result;
    warm.sdk.close();

    const levels = [];
    for (const concurrency of LEVELS) {
        const users = await Promise.all(Array.from({ length: concurrency }, newUser));
        const before = await scrape();
        const latencies: number[] = [];
        const submitMs: number[] = [];
        let lost = 0;
        const lostBy: Record<string, number> = {}; // SDK error code (or message) → jobs
        const started = Date.now();
        await Promise.all(users.map(async (user, s) => {
            for (let i = 0; i < JOBS_PER_STREAM; i++) {
                const t0 = Date.now();
                try {
                    const pending = await job(user, `bench stream ${s} job ${i} with a short prompt`);
                    submitMs.push(Date.now() - t0);
                    await pending.result; // settled, receipt verified and result decrypted; else it throws
                    latencies.push(Date.now() - t0);
                } catch (e) {
                    lost++;
                    const why = (e as { code?: string }).code ?? (e as Error).message;
                    lostBy[why] = (lostBy[why] ?? 0) + 1;
                }
            }
        }));
        users.forEach((u) => u.sdk.close());
        const seconds = (Date.now() - started) / 1000;
        const after = await scrape();
        const level = {
            concurrency,
            jobs: concurrency * JOBS_PER_STREAM,
            lostJobs: lost,
            ...(lost ? { lostBy } : {}),
            jobsPerSecond: round(latencies.length / seconds),
            p50Ms: percentile(latencies, 50),
            p99Ms: percentile(latencies, 99),
            clientSubmitP50Ms: percentile(submitMs, 50),
            relayerDispatchP50Ms: round(histPct(before, after, 'dispatch', 50)),
            relayerDispatchP99Ms: round(histPct(before, after, 'dispatch', 99)),
            relayerDeliverP99Ms: round(histPct(before, after, 'deliver', 99)),
            relayerConfirmP99Ms: round(histPct(before, after, 'confirm', 99)),
            relayerTotalP99Ms: round(histPct(before, after, 'total', 99)),
        };
        levels.push(level);
        process.stdout.write(`${JSON.stringify(level)}\n`);
    }
    const relayerPeakRssMb = round(peakRssMb(relayer.proc.pid!));
    relayer.proc.kill('SIGTERM');
    await new Promise((r) => relayer.proc.once('exit', r));
    await net.stop();

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
        fractionOfEmulatorBound: Number((best.jobsPerSecond / emulatorBoundJobsPerSecond).toFixed(2)),
        levels,
        devnet: DEVNET_MODE,
        client: 'sdk',
        clientPollMs: CLIENT_POLL_MS,
        relayerBuild: RELAYER_MODE,
        notes: `Stage percentiles are interpolated inside the relayer histogram buckets (relayer/metrics.ts). Clients are CocoonClients (the SDK), one per concurrent stream, each polling the Provider every ${CLIENT_POLL_MS} ms; runner and clients run in the bench process; the relayer (${RELAYER_MODE === 'dist' ? 'compiled JavaScript from npm run build:relayer' : 'ts-node'}) and ${DEVNET_MODE === 'child' ? 'the devnet are child processes' : 'the devnet in-process'}.`,
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
