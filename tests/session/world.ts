/**
 * The devnet world of the SDK specs (tests/sdk/world.ts) plus a second enclave runner whose model,
 * `cocoon-stream-v1`, is served by a streaming OpenAI-compatible stub engine (stubEngine.ts). Its
 * runtime configuration is allow-listed at genesis and its key registered like the demo's, so the
 * SDK verifies it exactly as any runner. The runner runs in this process (`startStreamRunner`) or
 * as a child process that a test can kill -9 (`spawnStreamRunner`).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeConfig } from '../../attestation/runtimeConfig';
import { DEMO_GLOBAL_ID } from '../../demo/protocol';
import { chainJobSource } from '../../enclave/chainJobs';
import { chainSessionSource } from '../../enclave/chainSessions';
import { UNMEASURED_ENV } from '../../enclave/config';
import { createLogger } from '../../enclave/log';
import { createRunner } from '../../enclave/runner';
import { runtimeConfigFor, RuntimeInputs } from '../../enclave/runtime';
import { createEnclaveServer, EnclaveServer, ServerLimits } from '../../enclave/server';
import { beginCell, toNano } from '@ton/core';
import type { Ed25519Signer } from '../../crypto';
import { CocoonClient } from '../../sdk';
import { openProvider } from '../../sdk/chain';
import { modelIdOf } from '../../protocol/defaults';
import { bigintFromBytes } from '../../protocol/signed';
import { storeOpenSession } from '../../wrappers/Provider';
import { startWorld, World } from '../sdk/world';
import { startStubEngine, StubEngine } from './stubEngine';

export const STREAM_MODEL = 'cocoon-stream-v1';
export const VOUCHER_TOKEN = 'session-world-voucher-token';
const ROOT = `${__dirname}/../..`;

export interface SessionWorld extends World {
    engine: StubEngine;
    /** The stream runner's settings; a child started with them attests the allow-listed measurement. */
    settings: RuntimeInputs;
    /**
     * A CocoonClient that finds the stream runner at `url` (the demo's runner stays the Provider's
     * published one) and trusts the dev root its quotes are made under (each dev runner has its own).
     */
    streamSdk: (runner: { url: string; devRootPem: string }) => CocoonClient;
}

/** `relayerPollMs`: the demo relayer's poll interval (tests/sdk/world.ts sets 10 ms). */
export async function startSessionWorld(opts: { tokenMs?: number; relayerPollMs?: number } = {}): Promise<SessionWorld> {
    const engine = await startStubEngine(opts.tokenMs ?? 20);
    const weights = join(mkdtempSync(join(tmpdir(), 'cocoon-session-weights-')), 'weights.bin');
    writeFileSync(weights, 'stub weights');
    const settings: RuntimeInputs = { backend: 'openai', upstream: engine.baseUrl, upstreamStream: true, model: STREAM_MODEL, weights, maxContext: 8192, jobTimeoutMs: 120_000 };
    const runtime: RuntimeConfig = await runtimeConfigFor(settings);
    let world: World;
    try {
        world = await startWorld({ extraRuntimes: [runtime], ...(opts.relayerPollMs ? { pollMs: opts.relayerPollMs } : {}) });
    } catch (e) {
        await engine.close();
        throw e;
    }
    const streamSdk = (r: { url: string; devRootPem: string }) => world.newSdk({ attestation: { trustAnchorPem: r.devRootPem, runnerUrl: () => r.url } });
    return {
        ...world, engine, settings, streamSdk,
        stop: async () => {
            await world.stop();
            await engine.close();
        },
    };
}

/** The stream runner in this process, registered on the Provider. */
export interface StreamRunner {
    url: string;
    enclaveKey: Uint8Array;
    devRootPem: string;
}

export async function startStreamRunner(w: SessionWorld, limits?: Partial<ServerLimits>): Promise<StreamRunner & { server: EnclaveServer }> {
    const runner = await createRunner({ ...w.settings, provider: w.provider, globalId: DEMO_GLOBAL_ID, quote: 'dev', host: '127.0.0.1', port: 0 } as Parameters<typeof createRunner>[0]);
    const client = w.demo.client;
    const server = createEnclaveServer({
        ...runner, limits, logger: createLogger(undefined, 'silent'), jobs: chainJobSource(client, w.provider), sessions: chainSessionSource(client, w.provider), voucherToken: VOUCHER_TOKEN,
    });
    const url = await server.listen(0);
    const attestation = await w.demo.protocol.registerRunner(url);
    return { server, ...registered(url, attestation) };
}

const registered = (url: string, a: { enclaveEd25519: string; devRootPem?: string }): StreamRunner => ({ url, enclaveKey: Buffer.from(a.enclaveEd25519, 'hex'), devRootPem: a.devRootPem! });

export interface ChildRunner extends StreamRunner {
    proc: ChildProcess;
    output: () => string;
    exited: Promise<number | null>;
}

/** A free TCP port on 127.0.0.1 (a restarted runner takes the port of the one killed). */
export async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    return port;
}

/** The stream runner as a child process (enclave/main.ts) on `port`, registered on the Provider once it listens. */
export async function spawnStreamRunner(w: SessionWorld, port: number, extraEnv: Record<string, string> = {}): Promise<ChildRunner> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (UNMEASURED_ENV.includes(k.toUpperCase())) delete env[k];
    const s = w.settings;
    Object.assign(env, {
        COCOON_PROVIDER: w.provider.toString(), COCOON_CHAIN_ENDPOINT: w.demo.devnet.endpoint, COCOON_GLOBAL_ID: String(DEMO_GLOBAL_ID),
        COCOON_BACKEND: 'openai', COCOON_UPSTREAM: s.upstream, COCOON_UPSTREAM_STREAM: '1', COCOON_MODEL: s.model, COCOON_WEIGHTS: s.weights,
        COCOON_MAX_CONTEXT: String(s.maxContext), COCOON_JOB_TIMEOUT_MS: String(s.jobTimeoutMs), COCOON_PORT: String(port), COCOON_HOST: '127.0.0.1',
        COCOON_RUNNER_VOUCHER_TOKEN: VOUCHER_TOKEN, LOG_LEVEL: 'info',
        ...extraEnv,
    });
    const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'enclave/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    proc.stdout!.on('data', (c) => chunks.push(c));
    proc.stderr!.on('data', (c) => chunks.push(c));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const output = () => Buffer.concat(chunks).toString('utf8');
    let ended = false;
    void exited.then(() => (ended = true));
    while (!output().includes('"msg":"enclave runner listening"')) {
        if (ended) throw new Error(`the runner exited before listening:\n${output()}`);
        await new Promise((r) => setTimeout(r, 20));
    }
    const url = `http://127.0.0.1:${port}`;
    return { proc, output, exited, ...registered(url, await w.demo.protocol.registerRunner(url)) };
}

/**
 * Opens a session from the world's wallet with `client` as its key, for tests that speak the wire
 * format themselves (the SDK keeps its client key to itself). Resolves to the session id.
 */
export async function openRawSession(w: World, enclaveKey: Uint8Array, client: Ed25519Signer, model: string, deposit = toNano('1')): Promise<bigint> {
    const p = openProvider(w.demo.client, w.provider);
    const id = (await p.getLedger()).nextSessionId;
    const body = beginCell()
        .store(storeOpenSession({ $$type: 'OpenSession', queryId: 0n, modelId: modelIdOf(model), enclaveKey: bigintFromBytes(enclaveKey), clientKey: bigintFromBytes(client.publicKey), ttl: 3600n }))
        .endCell();
    await w.signer.send({ to: w.provider, value: deposit, body });
    for (;;) {
        const record = await p.getSession(id);
        if (record) {
            if (record.enclaveKey !== bigintFromBytes(enclaveKey)) throw new Error('another session took the id');
            return id;
        }
        await new Promise((r) => setTimeout(r, 20));
    }
}
