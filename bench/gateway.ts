/**
 * `npm run bench:gateway`: latency the gateway and the protocol add over calling the same reference
 * engine directly, both through the official openai client, at concurrency 1 and 16.
 *
 *   direct:  openai → HTTP server running referenceBackend (enclave/backends/reference.ts) in-process
 *   gateway: openai → gateway → SDK (attestation cached, seal, CreateJob from a V5R1 wallet) → devnet
 *            (instant blocks) → relayer → enclave runner → external SubmitResult → SDK (receipt,
 *            decrypt) → gateway
 *
 * "Added" is the gateway percentile minus the direct percentile at the same concurrency. A stage
 * breakdown at concurrency 1 comes from the SDK's progress callbacks. Writes
 * bench/results/gateway.json; docs/spec/gateway-bench.md discusses the figures.
 */
import { toNano } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startDemo } from '../demo/startDemo';
import { referenceBackend } from '../enclave/backends/reference';
import { parseRequest } from '../enclave/request';
import { startGateway } from '../gateway/server';
import { REFERENCE_MODEL_NAME } from '../protocol/defaults';
import { CocoonClient, MnemonicSigner } from '../sdk';

const TARGET_ADDED_P50_MS = 30;
const LEVELS = (process.env.BENCH_LEVELS ?? '1:40,16:160').split(',').map((l) => {
    const [concurrency, requests] = l.split(':').map(Number);
    return { concurrency, requests };
});
const WARMUP = 5;
const POLL_MS = 5; // relayer and SDK poll intervals

function percentile(sorted: number[], p: number): number {
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return Math.round(sorted[i] * 10) / 10;
}

function stats(samples: number[]) {
    const s = [...samples].sort((a, b) => a - b);
    return { n: s.length, p50Ms: percentile(s, 50), p99Ms: percentile(s, 99), maxMs: Math.round(s[s.length - 1]) };
}

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
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections(); // the openai client keeps connections alive
    }) };
}

let counter = 0;
const request = () => ({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user' as const, content: `benchmark request number ${counter++} with a few words` }], max_tokens: 32 });

async function run(openai: OpenAI, concurrency: number, requests: number): Promise<number[]> {
    const samples: number[] = [];
    let next = 0;
    const worker = async () => {
        while (next < requests) {
            next++;
            const t = performance.now();
            await openai.chat.completions.create(request());
            samples.push(performance.now() - t);
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return samples;
}

async function main() {
    const demo = await startDemo({ pollMs: POLL_MS, relayerLogLevel: 'silent', runnerLogLevel: 'silent', runnerLimits: { concurrency: 16, queue: 256 } });
    const signer = await MnemonicSigner.fromMnemonic(demo.client, await mnemonicNew(), { now: demo.clock.now });
    await demo.devnet.faucet(signer.address, toNano('1000'));
    const provider = demo.protocol.provider.address;
    const sdk = new CocoonClient({
        client: demo.client, registry: demo.protocol.registry.address, signer, pollMs: POLL_MS, snapshotTtlMs: 60_000,
        attestation: { trustAnchorPem: demo.protocol.attestation.devRootPem, runnerUrl: (p) => (p.equals(provider) ? demo.protocol.runnerUrl : undefined) },
    });
    const gateway = await startGateway({ sdk, port: 0, mode: 'job' }); // per-job figures; session mode is not benchmarked yet
    const direct = await directServer();
    const viaGateway = new OpenAI({ baseURL: gateway.url, apiKey: 'bench', maxRetries: 0 });
    const viaDirect = new OpenAI({ baseURL: direct.url, apiKey: 'bench', maxRetries: 0 });
    try {
        await run(viaDirect, 1, WARMUP);
        await run(viaGateway, 1, WARMUP);
        console.log('warmed up');

        // Where the time goes, at concurrency 1 (SDK directly, same path as the gateway's).
        const stages: Record<string, number[]> = {};
        for (let i = 0; i < 20; i++) {
            const t0 = performance.now();
            let last = t0;
            await sdk.run(request(), {
                onProgress: (stage) => {
                    const now = performance.now();
                    (stages[stage] ??= []).push(now - last);
                    last = now;
                },
            });
            (stages.decrypt ??= []).push(performance.now() - last);
        }
        const breakdown = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, stats(v).p50Ms]));

        const levels = [];
        for (const { concurrency, requests } of LEVELS) {
            const d = stats(await run(viaDirect, concurrency, requests));
            const g = stats(await run(viaGateway, concurrency, requests));
            const level = { concurrency, requests, direct: d, gateway: g, addedP50Ms: Math.round((g.p50Ms - d.p50Ms) * 10) / 10, addedP99Ms: Math.round((g.p99Ms - d.p99Ms) * 10) / 10 };
            levels.push(level);
            console.log(`concurrency ${concurrency}: direct p50 ${d.p50Ms} ms p99 ${d.p99Ms} ms; gateway p50 ${g.p50Ms} ms p99 ${g.p99Ms} ms; added p50 ${level.addedP50Ms} ms p99 ${level.addedP99Ms} ms`);
        }
        const c1 = levels[0];
        const result = {
            generatedAt: new Date().toISOString(),
            node: process.version,
            cpus: cpus().length,
            devnet: 'instant blocks (each message its own block, applied before the HTTP answer)',
            pollMs: POLL_MS,
            targetAddedP50Ms: TARGET_ADDED_P50_MS,
            addedP50Ms: c1.addedP50Ms,
            addedP99Ms: c1.addedP99Ms,
            met: c1.addedP50Ms <= TARGET_ADDED_P50_MS,
            stageP50MsAtConcurrency1: breakdown,
            levels,
        };
        console.log('stage p50 (ms) at concurrency 1:', breakdown);
        mkdirSync(join(__dirname, 'results'), { recursive: true });
        writeFileSync(join(__dirname, 'results', 'gateway.json'), `${JSON.stringify(result, null, 2)}\n`);
        console.log(`added latency at concurrency 1: p50 ${c1.addedP50Ms} ms, p99 ${c1.addedP99Ms} ms (target p50 <= ${TARGET_ADDED_P50_MS} ms: ${result.met ? 'met' : 'NOT met'})`);
    } finally {
        await gateway.close();
        await direct.close();
        await demo.stop();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
