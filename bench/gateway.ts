/**
 * `npm run bench:gateway`: what the gateway and the protocol add over calling the same engine
 * directly, every client the official openai one, session mode (the default) and per-job mode side
 * by side in one run, on one devnet (instant blocks) in this process. docs/spec/gateway-bench.md
 * discusses the figures; results go to bench/results/gateway.json.
 *
 * Two engines, because they answer two questions:
 *  - instant (the reference engine, in-process: the answer exists as soon as it is asked): what the
 *    gateway's path costs by itself. Direct: openai → HTTP server around referenceBackend. Session:
 *    openai → gateway → SDK session (sealed request) → enclave runner → reference engine → sealed
 *    chunks + voucher → SDK (voucher checked) → gateway. Job: openai → gateway → SDK → CreateJob →
 *    devnet → relayer → runner → external SubmitResult → SDK (receipt, decrypt) → gateway.
 *  - paced (an OpenAI-compatible engine streaming one token every TOKEN_MS, as a real one does; the
 *    tests' stub engine): time to first token and throughput as a user meets them. Direct: openai →
 *    engine, streamed. Session: openai → gateway → SDK → runner (openai backend) → engine, streamed.
 *
 * "Added" is the gateway's percentile minus the direct one at the same concurrency; requests/s is
 * requests over wall time at concurrency 16. Knobs: BENCH_REQUESTS (per level, default 200),
 * BENCH_TOKEN_MS (20), BENCH_TOKENS (32), BENCH_JOB=0 skips per-job mode, BENCH_PACED=0 stops after
 * the instant engine without writing results (for profiling).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { referenceBackend } from '../enclave/backends/reference';
import { parseRequest } from '../enclave/request';
import { startGateway } from '../gateway/server';
import { REFERENCE_MODEL_NAME } from '../protocol/defaults';
import { startSessionWorld, startStreamRunner, STREAM_MODEL } from '../tests/session/world';
import { startWorld } from '../tests/sdk/world';

const TARGETS = { addedP50MsC1: 5, addedP50MsC16: 20, ttftAddedP50Ms: 10, rpsRatioC16: 0.8 };
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const TOKEN_MS = Number(process.env.BENCH_TOKEN_MS ?? 20);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 32);
const WITH_JOBS = process.env.BENCH_JOB !== '0';
const JOB_REQUESTS = Math.min(REQUESTS, 80); // each job is two chain transactions: fewer suffice
const WARMUP = 10;
// A runner in front of a batching engine (vLLM serves dozens of streams at once): 16 in flight.
const RUNNER_LIMITS = { concurrency: 16, queue: 256 };
const POLL_MS = 5; // relayer and SDK poll intervals (per-job mode)

type Stats = { n: number; p50Ms: number; p99Ms: number; maxMs: number };

function percentile(sorted: number[], p: number): number {
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return Math.round(sorted[i] * 10) / 10;
}

function stats(samples: number[]): Stats {
    const s = [...samples].sort((a, b) => a - b);
    return { n: s.length, p50Ms: percentile(s, 50), p99Ms: percentile(s, 99), maxMs: Math.round(s[s.length - 1]) };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The reference engine behind a plain OpenAI-compatible HTTP server: the instant baseline. */
async function directServer(): Promise<{ url: string; close: () => Promise<void> }> {
    const engine = referenceBackend();
    const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', async () => {
            const { response } = await engine.run(parseRequest(Buffer.concat(chunks)), AbortSignal.timeout(30_000));
            const text = JSON.stringify(response);
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
            res.end(text);
        });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        close: () => new Promise((r) => {
            server.close(() => r());
            server.closeAllConnections(); // the openai client keeps connections alive
        }),
    };
}

let counter = 0;
/** A prompt of TOKENS words (the paced engine answers them reversed, one token each), max TOKENS out. */
const request = (model: string) => {
    const words = Array.from({ length: TOKENS }, (_, i) => `w${i}`);
    words[0] = `request${counter++}`;
    return { model, messages: [{ role: 'user' as const, content: words.join(' ') }], max_tokens: TOKENS };
};

interface Sample { totalMs: number; firstMs: number }

/** `requests` requests from `concurrency` workers; streamed ones also time their first text delta. */
async function load(openai: OpenAI, model: string, concurrency: number, requests: number, stream: boolean): Promise<{ samples: Sample[]; wallMs: number }> {
    const samples: Sample[] = [];
    let next = 0;
    const worker = async () => {
        while (next < requests) {
            next++;
            const t = performance.now();
            let first = Number.NaN;
            if (stream) {
                const s = await openai.chat.completions.create({ ...request(model), stream: true });
                for await (const chunk of s) if (Number.isNaN(first) && chunk.choices[0]?.delta?.content) first = performance.now() - t;
            } else {
                await openai.chat.completions.create(request(model));
            }
            samples.push({ totalMs: performance.now() - t, firstMs: first });
        }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { samples, wallMs: performance.now() - t0 };
}

interface Row { concurrency: number; requests: number; latency: Stats; firstToken?: Stats; rps: number }

async function measure(openai: OpenAI, model: string, concurrency: number, requests: number, stream: boolean): Promise<Row> {
    const { samples, wallMs } = await load(openai, model, concurrency, requests, stream);
    return {
        concurrency, requests,
        latency: stats(samples.map((s) => s.totalMs)),
        ...(stream ? { firstToken: stats(samples.map((s) => s.firstMs)) } : {}),
        rps: round1((samples.length * 1000) / wallMs),
    };
}

const ratio = (via: Row, direct: Row) => Math.round((100 * via.rps) / direct.rps) / 100;
const client = (baseURL: string) => new OpenAI({ baseURL, apiKey: 'bench', maxRetries: 0, timeout: 120_000 });
const added = (via: Row, direct: Row) => ({ p50Ms: round1(via.latency.p50Ms - direct.latency.p50Ms), p99Ms: round1(via.latency.p99Ms - direct.latency.p99Ms) });

async function instantPhase() {
    const world = await startWorld({ pollMs: POLL_MS, runnerLimits: RUNNER_LIMITS });
    const sdk = world.newSdk({ pollMs: POLL_MS, snapshotTtlMs: 60_000 });
    const sessionGateway = await startGateway({ sdk, port: 0 });
    const jobGateway = await startGateway({ sdk, port: 0, mode: 'job' });
    const direct = await directServer();
    const viaDirect = client(direct.url);
    const viaSession = client(sessionGateway.url);
    const viaJob = client(jobGateway.url);
    try {
        // Warm up every path; the first session request also opens the gateway's session on chain.
        await load(viaDirect, REFERENCE_MODEL_NAME, 1, WARMUP, false);
        await load(viaSession, REFERENCE_MODEL_NAME, 1, WARMUP, false);
        if (WITH_JOBS) await load(viaJob, REFERENCE_MODEL_NAME, 1, 3, false);
        const levels = [];
        for (const concurrency of [1, 16]) {
            const d = await measure(viaDirect, REFERENCE_MODEL_NAME, concurrency, REQUESTS, false);
            const s = await measure(viaSession, REFERENCE_MODEL_NAME, concurrency, REQUESTS, false);
            const j = WITH_JOBS ? await measure(viaJob, REFERENCE_MODEL_NAME, concurrency, concurrency === 1 ? JOB_REQUESTS / 2 : JOB_REQUESTS, false) : undefined;
            const level = {
                concurrency, direct: d, session: s, sessionAdded: added(s, d), sessionRpsRatio: ratio(s, d),
                ...(j ? { job: j, jobAdded: added(j, d), jobRpsRatio: ratio(j, d) } : {}),
            };
            levels.push(level);
            console.log(`instant engine, concurrency ${concurrency}: direct p50 ${d.latency.p50Ms} ms (${d.rps}/s); session p50 ${s.latency.p50Ms} ms, added ${level.sessionAdded.p50Ms} ms (${s.rps}/s)` +
                (j ? `; job p50 ${j.latency.p50Ms} ms, added ${level.jobAdded!.p50Ms} ms (${j.rps}/s)` : ''));
        }
        return levels;
    } finally {
        for (const g of [sessionGateway, jobGateway]) await g.close();
        await direct.close();
        await world.stop();
    }
}

/**
 * A Provider publishes one runner URL, so the paced engine's runner gets a network of its own
 * (tests/session/world.ts: the stub engine's runtime allow-listed, its runner registered).
 */
async function pacedPhase() {
    const world = await startSessionWorld({ tokenMs: TOKEN_MS });
    const runner = await startStreamRunner(world, RUNNER_LIMITS);
    const gateway = await startGateway({ sdk: world.newSdk({ pollMs: POLL_MS, snapshotTtlMs: 60_000, attestation: { trustAnchorPem: runner.devRootPem, runnerUrl: () => runner.url } }), port: 0 });
    const direct = client(world.engine.baseUrl);
    const via = client(gateway.url);
    try {
        await load(direct, STREAM_MODEL, 1, WARMUP, true);
        await load(via, STREAM_MODEL, 1, WARMUP, true);
        const levels = [];
        for (const concurrency of [1, 16]) {
            const n = concurrency === 1 ? REQUESTS / 4 : REQUESTS;
            const d = await measure(direct, STREAM_MODEL, concurrency, n, true);
            const s = await measure(via, STREAM_MODEL, concurrency, n, true);
            const level = { concurrency, direct: d, session: s, sessionAdded: added(s, d), firstTokenAddedP50Ms: round1(s.firstToken!.p50Ms - d.firstToken!.p50Ms), sessionRpsRatio: ratio(s, d) };
            levels.push(level);
            console.log(`paced engine (${TOKEN_MS} ms/token, ${TOKENS} tokens), concurrency ${concurrency}: first token direct p50 ${d.firstToken!.p50Ms} ms, via gateway ${s.firstToken!.p50Ms} ms (added ${level.firstTokenAddedP50Ms}); ` +
                `total added p50 ${level.sessionAdded.p50Ms} ms; ${d.rps}/s direct, ${s.rps}/s via gateway (${level.sessionRpsRatio})`);
        }
        return levels;
    } finally {
        await gateway.close();
        await runner.server.close();
        await world.stop();
    }
}

async function main() {
    const instant = await instantPhase();
    if (process.env.BENCH_PACED === '0') return; // profiling the instant path alone; nothing written
    const paced = await pacedPhase();
    const [i1, i16] = instant;
    const [p1, p16] = paced;
    const figure = (target: number, measured: number, atMost = true) => ({ target, measured, met: atMost ? measured <= target : measured >= target });
    const figures = {
        addedP50MsC1: figure(TARGETS.addedP50MsC1, i1.sessionAdded.p50Ms),
        addedP50MsC16: figure(TARGETS.addedP50MsC16, i16.sessionAdded.p50Ms),
        ttftAddedP50Ms: figure(TARGETS.ttftAddedP50Ms, p1.firstTokenAddedP50Ms),
        rpsRatioC16Paced: figure(TARGETS.rpsRatioC16, p16.sessionRpsRatio, false),
        rpsRatioC16Instant: figure(TARGETS.rpsRatioC16, i16.sessionRpsRatio, false),
    };
    const result = {
        generatedAt: new Date().toISOString(),
        machine: { node: process.version, cpus: cpus().length, loadavg: loadavg().map(round1) },
        devnet: 'instant blocks (each message its own block, applied before the HTTP answer); devnet, relayer, runner, engine, gateways and clients in one process',
        method: { requestsPerLevel: REQUESTS, jobRequestsPerLevel: JOB_REQUESTS, promptWords: TOKENS, maxTokens: TOKENS, pacedTokenMs: TOKEN_MS, pollMs: POLL_MS },
        figures,
        instantEngine: instant,
        pacedEngine: paced,
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'gateway.json'), `${JSON.stringify(result, null, 2)}\n`);
    for (const [name, f] of Object.entries(figures)) console.log(`${name}: ${f.measured} (target ${f.target}: ${f.met ? 'met' : 'NOT met'})`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
