/**
 * `npm run bench:gateway`: what the gateway and the protocol add over calling the same engine
 * directly, every client the official openai one streaming, session mode (the default) and per-job
 * mode side by side in one run. docs/spec/gateway-bench.md discusses the figures; results go to
 * bench/results/gateway.json.
 *
 * One network (tests/session/world.ts): devnet with instant blocks, relayer, the engine (an
 * OpenAI-compatible server streaming the prompt's words reversed, one per token), the gateways and
 * the clients in this process; the enclave runner in a process of its own (openai backend in front
 * of that engine, 32 requests at the engine at once), as on a provider's host.
 *
 *   direct:  openai → engine
 *   session: openai → gateway → SDK session (sealed request) → runner → engine → sealed chunks as
 *            they come + voucher → SDK (voucher checked) → gateway
 *   job:     openai → gateway → SDK → CreateJob → devnet → relayer → runner → engine → external
 *            SubmitResult → SDK (receipt, decrypt) → gateway (replays the answer as a stream)
 *
 * Two engine speeds, because they answer two questions: instant (the whole answer at once) shows
 * what the path costs by itself; paced (a token every TOKEN_MS, as a real engine) shows time to first
 * token and throughput as a user meets them. "Added" is the gateway's percentile minus the direct
 * one at the same concurrency; requests/s is requests over wall time. Last, the chain's cost per
 * request end to end (`chainCost`): a 100-request session, opened and closed, and a few jobs. Knobs: BENCH_REQUESTS (at
 * concurrency 16; half at 1; default 200), BENCH_TOKEN_MS (20), BENCH_TOKENS (32), BENCH_JOB=0
 * skips per-job mode, BENCH_COST_JOBS (10) jobs in the cost phase, BENCH_PACED=0 stops after the instant engine without writing (for profiling).
 */
import { cpus, loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startGateway } from '../gateway/server';
import { freePort, SessionWorld, spawnStreamRunner, startSessionWorld, STREAM_MODEL } from '../tests/session/world';
import { openProvider } from '../sdk/chain';
import { tonString } from './measure';
import { percentile } from './rate';
import { open } from '../protocol/tonClient';
import { toNano } from '@ton/core';

const TARGETS = { addedP50MsC1: 5, addedP50MsC16: 20, ttftAddedP50Ms: 10, rpsRatioC16: 0.8, chainTonPerRequest: 0.0003 };
const COST_REQUESTS = 100;
const COST_JOBS = Number(process.env.BENCH_COST_JOBS ?? 10);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const TOKEN_MS = Number(process.env.BENCH_TOKEN_MS ?? 20);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 32);
const WITH_JOBS = process.env.BENCH_JOB !== '0';
const JOB_REQUESTS = Math.min(REQUESTS, 80); // each job is two chain transactions: fewer suffice
const WARMUP = 10;
const POLL_MS = 5; // the SDK's poll while a job is open (per-job mode)
// The relayer's, as `npm start` runs it: it shares this process (and the devnet) with the gateway, so a
// 5 ms poll (this benchmark's setting until sessions) would load what it measures.
const RELAYER_POLL_MS = 100;

type Stats = { n: number; p50Ms: number; p99Ms: number; maxMs: number };

const round1 = (x: number) => Math.round(x * 10) / 10;

function stats(samples: number[]): Stats {
    return { n: samples.length, p50Ms: round1(percentile(samples, 50)), p99Ms: round1(percentile(samples, 99)), maxMs: Math.round(Math.max(...samples)) };
}

let counter = 0;
/** A prompt of TOKENS words (the paced engine answers them reversed, one token each), max TOKENS out. */
const request = () => {
    const words = Array.from({ length: TOKENS }, (_, i) => `w${i}`);
    words[0] = `request${counter++}`;
    return { model: STREAM_MODEL, messages: [{ role: 'user' as const, content: words.join(' ') }], max_tokens: TOKENS };
};

interface Sample { totalMs: number; firstMs: number }

/** `requests` streamed requests from `concurrency` workers, each timed to its first text delta and to its end. */
async function load(openai: OpenAI, concurrency: number, requests: number): Promise<{ samples: Sample[]; wallMs: number }> {
    const samples: Sample[] = [];
    let next = 0;
    const worker = async () => {
        while (next < requests) {
            next++;
            const t = performance.now();
            let first = Number.NaN;
            const s = await openai.chat.completions.create({ ...request(), stream: true });
            for await (const chunk of s) if (Number.isNaN(first) && chunk.choices[0]?.delta?.content) first = performance.now() - t;
            samples.push({ totalMs: performance.now() - t, firstMs: first });
        }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { samples, wallMs: performance.now() - t0 };
}

interface Row { concurrency: number; requests: number; latency: Stats; firstToken: Stats; rps: number }

async function measure(openai: OpenAI, concurrency: number, requests: number): Promise<Row> {
    const { samples, wallMs } = await load(openai, concurrency, requests);
    return {
        concurrency, requests,
        latency: stats(samples.map((s) => s.totalMs)),
        firstToken: stats(samples.map((s) => s.firstMs)),
        rps: round1((samples.length * 1000) / wallMs),
    };
}

const ratio = (via: Row, direct: Row) => Math.round((100 * via.rps) / direct.rps) / 100;
const client = (baseURL: string) => new OpenAI({ baseURL, apiKey: 'bench', maxRetries: 0, timeout: 120_000 });
const added = (via: Row, direct: Row) => ({ p50Ms: round1(via.latency.p50Ms - direct.latency.p50Ms), p99Ms: round1(via.latency.p99Ms - direct.latency.p99Ms) });

/** One phase's comparison: direct and via the session gateway (and per-job mode), at concurrency 1 and 16. */
async function phase(name: string, paths: { direct: OpenAI; session: OpenAI; job?: OpenAI }) {
    const levels = [];
    for (const concurrency of [1, 16]) {
        const n = concurrency === 1 ? REQUESTS / 2 : REQUESTS;
        const d = await measure(paths.direct, concurrency, n);
        const s = await measure(paths.session, concurrency, n);
        const j = paths.job ? await measure(paths.job, concurrency, concurrency === 1 ? JOB_REQUESTS / 2 : JOB_REQUESTS) : undefined;
        const level = {
            concurrency, direct: d, session: s, sessionAdded: added(s, d), firstTokenAddedP50Ms: round1(s.firstToken.p50Ms - d.firstToken.p50Ms), sessionRpsRatio: ratio(s, d),
            ...(j ? { job: j, jobAdded: added(j, d), jobRpsRatio: ratio(j, d) } : {}),
        };
        levels.push(level);
        console.log(`${name}, concurrency ${concurrency}: direct p50 ${d.latency.p50Ms} ms (first token ${d.firstToken.p50Ms}, ${d.rps}/s); ` +
            `session p50 ${s.latency.p50Ms} ms, added ${level.sessionAdded.p50Ms} (first token +${level.firstTokenAddedP50Ms}, ${s.rps}/s, ${level.sessionRpsRatio})` +
            (j ? `; job p50 ${j.latency.p50Ms} ms, added ${level.jobAdded!.p50Ms} (${j.rps}/s)` : ''));
    }
    return levels;
}

/**
 * What the chain costs per request, end to end, read from balances: a fresh session gateway serves
 * COST_REQUESTS requests one after another and closes its session as it does on shutdown (the demo
 * relayer settling at its threshold meanwhile), then a job gateway serves COST_JOBS. The client's
 * cost is what left its wallet beyond the price of what it used; the provider's is what its
 * deliveries took from the price (earnings + protocol fees grew by less than the charge).
 */
async function chainCost(world: SessionWorld, runner: { url: string; devRootPem: string }) {
    const sdk = world.newSdk({ pollMs: POLL_MS, snapshotTtlMs: 60_000, attestation: { trustAnchorPem: runner.devRootPem, runnerUrl: () => runner.url } });
    const provider = openProvider(world.demo.client, world.provider);
    const measureMode = async (mode: 'session' | 'job', requests: number) => {
        let priced = 0n;
        const gateway = await startGateway({ sdk, port: 0, mode, log: (e) => (priced += BigInt((e.charged ?? e.price ?? 0) as string)) });
        const wallet = await world.signer.balance();
        const ledger = await provider.getLedger();
        try {
            await load(client(gateway.url), 1, requests);
        } finally {
            await gateway.close(); // a session gateway closes its session cooperatively
        }
        const after = await provider.getLedger();
        const clientGas = wallet - (await world.signer.balance()) - priced;
        const providerGas = priced - (after.earnings - ledger.earnings) - (after.fees - ledger.fees);
        const total = clientGas + providerGas;
        const perRequest = total / BigInt(requests);
        console.log(`${mode} mode, ${requests} requests: price ${tonString(priced)} TON, chain cost ${tonString(total)} TON (client ${tonString(clientGas)}, provider ${tonString(providerGas)}), ${tonString(perRequest)} per request`);
        return { requests, priceTon: Number(tonString(priced, 9)), clientGasTon: Number(tonString(clientGas, 9)), providerGasTon: Number(tonString(providerGas, 9)), totalTon: Number(tonString(total, 9)), perRequestTon: Number(tonString(perRequest, 9)) };
    };
    return { session: await measureMode('session', COST_REQUESTS), job: WITH_JOBS ? await measureMode('job', COST_JOBS) : undefined };
}

async function publishRunnerUrl(world: SessionWorld, url: string) {
    const { protocol, client: chain } = world.demo;
    const provider = open(chain, protocol.provider);
    await provider.send(protocol.providerOwner, { value: toNano('0.1') }, { $$type: 'SetRunnerUrl', queryId: 0n, url });
    if ((await provider.getRunnerUrl()) !== url) throw new Error('the runner URL was not published');
}

async function main() {
    const world = await startSessionWorld({ tokenMs: 0, relayerPollMs: RELAYER_POLL_MS });
    // The runner in a process of its own, as on a provider's host, with a gate sized for a batching engine.
    const runner = await spawnStreamRunner(world, await freePort(), { COCOON_RUNNER_CONCURRENCY: '32', COCOON_RUNNER_QUEUE: '256' });
    await publishRunnerUrl(world, runner.url); // the relayer sends jobs where the Provider says
    const sdk = world.newSdk({ pollMs: POLL_MS, snapshotTtlMs: 60_000, attestation: { trustAnchorPem: runner.devRootPem, runnerUrl: () => runner.url } });
    const sessionGateway = await startGateway({ sdk, port: 0 });
    const jobGateway = await startGateway({ sdk, port: 0, mode: 'job' });
    const paths = { direct: client(world.engine.baseUrl), session: client(sessionGateway.url), job: WITH_JOBS ? client(jobGateway.url) : undefined };
    let instant, paced, cost;
    try {
        // Warm up every path; the first session request also opens the gateway's session on chain.
        await load(paths.direct, 1, WARMUP);
        await load(paths.session, 1, WARMUP);
        if (paths.job) await load(paths.job, 1, 3);
        instant = await phase('instant engine', paths);
        if (process.env.BENCH_PACED === '0') return; // profiling the instant path alone; nothing written
        world.engine.tokenMs = TOKEN_MS;
        paced = await phase(`paced engine (${TOKEN_MS} ms/token, ${TOKENS} tokens)`, { direct: paths.direct, session: paths.session });
        world.engine.tokenMs = 0;
        cost = await chainCost(world, runner);
    } finally {
        for (const g of [sessionGateway, jobGateway]) await g.close();
        runner.proc.kill('SIGTERM');
        await runner.exited;
        await world.stop();
    }
    const [i1, i16] = instant;
    const [p1, p16] = paced;
    const figure = (target: number, measured: number, atMost = true) => ({ target, measured, met: atMost ? measured <= target : measured >= target });
    const figures = {
        addedP50MsC1: figure(TARGETS.addedP50MsC1, i1.sessionAdded.p50Ms),
        addedP50MsC16: figure(TARGETS.addedP50MsC16, i16.sessionAdded.p50Ms),
        ttftAddedP50Ms: figure(TARGETS.ttftAddedP50Ms, p1.firstTokenAddedP50Ms),
        ttftAddedP50MsC16: figure(TARGETS.ttftAddedP50Ms, p16.firstTokenAddedP50Ms),
        rpsRatioC16Paced: figure(TARGETS.rpsRatioC16, p16.sessionRpsRatio, false),
        rpsRatioC16Instant: figure(TARGETS.rpsRatioC16, i16.sessionRpsRatio, false),
    };
    const result = {
        generatedAt: new Date().toISOString(),
        machine: { node: process.version, cpus: cpus().length, loadavg: loadavg().map(round1) },
        setup: 'devnet with instant blocks (each message its own block, applied before the HTTP answer), relayer, engine, gateways and clients in one process; the enclave runner in its own',
        method: { requestsPerLevel: REQUESTS, jobRequestsPerLevel: JOB_REQUESTS, promptWords: TOKENS, maxTokens: TOKENS, pacedTokenMs: TOKEN_MS, sdkPollMs: POLL_MS, relayerPollMs: RELAYER_POLL_MS },
        figures,
        chainCost: cost,
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
