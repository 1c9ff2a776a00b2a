// Issue 12, provider onboarding end to end with commands only: a new provider gets a wallet and
// funds, deploys and stakes its Provider, starts a runner, has it attested through a running
// verifier (`cocoon verifier serve`), publishes the runner URL and prices, serves a client's job
// found through on-chain discovery (no --runner anywhere; a relayer that lists the Provider by
// address alone), then unbonds and withdraws. Every sending command run twice sends once.
//
// Under toncenter's rate limits, as on testnet: the devnet allows 10 requests/s per API key and
// 1 request/s per IP without one (429 beyond). The provider's and the client's commands each carry
// a key of their own (a free toncenter key each); the read-only commands run without one. None is
// told the rate (the devnet is not toncenter.com, whose tier the CLI knows): they succeed because
// the chain client finds it from the 429s and retries, which the devnet's counters show. The demo
// network's own services (its setup, relayer and runner) use a key the devnet never limits: another
// user's traffic does not spend this user's share, as on toncenter.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Address, fromNano, toNano } from '@ton/core';
import { createEnclaveServer } from '../../enclave/server';
import { createRunner } from '../../enclave/runner';
import { chainJobSource } from '../../enclave/chainJobs';
import { createLogger } from '../../enclave/log';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { parseConfig } from '../../relayer/config';
import { startRelayer } from '../../relayer/relayer';
import { openProvider } from '../../sdk/chain';
import { Registry } from '../../wrappers/Registry';
import { startWorld, World } from '../sdk/world';
import { BIN, cocoon } from './cocoonBin';

jest.setTimeout(300_000);

/** Starts `cocoon verifier serve` and resolves with its URL once it prints it. */
function serveVerifier(args: string[]): Promise<{ url: string; child: ChildProcess }> {
    const child = spawn('node', [BIN, 'verifier', 'serve', '--port', '0', ...args], { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp' } });
    return new Promise((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d) => {
            out += d;
            if (out.includes('\n')) resolve({ url: JSON.parse(out.split('\n')[0]).url, child });
        });
        child.on('exit', (code) => reject(new Error(`verifier exited ${code}`)));
    });
}

type Tiers = { withoutKey: number; withKey: number };

/** The devnet's rate-limit counters (GET /devnet/status): requests let through and refused, without an API key and with one. */
async function limiterCounts(w: World): Promise<{ admitted: Tiers; refused: Tiers }> {
    const { result } = (await (await fetch(`${w.demo.devnet.url}/devnet/status`)).json()) as { result: { admitted: Tiers; refused: Tiers } };
    return result;
}

describe('provider onboarding with commands only, under toncenter\'s rate limits', () => {
    let w: World;
    beforeAll(async () => {
        w = await startWorld({ rateLimit: 1, keyRateLimit: 10 });
    });
    afterAll(() => w.stop());

    it('wallet → deploy → stake → attest → runner URL → prices → a discovered job → unbond → withdraw', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'cocoon-onboard-'));
        const base = { COCOON_ENDPOINT: w.demo.devnet.endpoint, COCOON_REGISTRY: w.registry.toString() };
        // What the devnet's limiter let through and refused, per command (devnet/status).
        const figures: Array<{ command: string; admitted: number; refused: number }> = [];
        const json = async (args: string[], env: Record<string, string>) => {
            const before = await limiterCounts(w);
            const r = await cocoon([...args, '--json'], env, 120_000);
            const after = await limiterCounts(w);
            const tier = env.COCOON_ENDPOINT_API_KEY ? 'withKey' : 'withoutKey';
            figures.push({ command: args.slice(0, 2).join(' '), admitted: after.admitted[tier] - before.admitted[tier], refused: after.refused[tier] - before.refused[tier] });
            expect([args.join(' '), r.code, r.stderr]).toEqual([args.join(' '), 0, '']);
            return JSON.parse(r.stdout);
        };

        // Governance (not the provider's job): a verifier key, allow-listed; active after the delay.
        const keygen = await cocoon(['verifier', 'keygen', '--out', join(dir, 'verifier.key')], base);
        const registry = w.demo.client.open(Registry.fromAddress(w.registry));
        await registry.send(w.demo.protocol.owner, { value: toNano('0.1') }, { $$type: 'AllowVerifier', queryId: 0n, publicKey: BigInt(`0x${keygen.stdout.trim()}`) });
        await w.advance(Number(w.demo.protocol.params.governanceDelay) + 1);

        // The provider: a wallet, funds, its Provider (twice: sent once), stake.
        const { address: owner } = await json(['wallet', 'new', '--out', join(dir, 'mnemonic')], base);
        const mnemonic = readFileSync(join(dir, 'mnemonic'), 'utf8').trim();
        const env = { ...base, COCOON_WALLET_MNEMONIC: mnemonic, COCOON_ENDPOINT_API_KEY: 'provider-free-key' };
        await json(['devnet', 'faucet', owner, '--amount', '50'], base);
        const deployed = await json(['provider', 'deploy'], env);
        expect(deployed).toMatchObject({ ok: true, sent: true });
        expect(await json(['provider', 'deploy'], env)).toMatchObject({ ok: true, sent: false });
        const provider = Address.parse(deployed.provider);
        expect(await json(['provider', 'stake', '--amount', '20'], env)).toMatchObject({ ok: true });

        // Its runner (the demo's runtime, which governance listed) and a verifier that trusts the dev root of its quotes.
        const runner = await createRunner({ provider, globalId: w.demo.protocol.attestation.globalId, quote: 'dev', backend: 'reference', upstreamStream: false, maxContext: 8192, host: '127.0.0.1', port: 0, jobTimeoutMs: 30_000 });
        const server = createEnclaveServer({ ...runner, logger: createLogger(undefined, 'silent'), jobs: chainJobSource(w.demo.client, provider) });
        const runnerUrl = await server.listen(0);
        writeFileSync(join(dir, 'dev-root.pem'), runner.attestation.devRootPem!);
        const verifier = await serveVerifier(['--key-file', join(dir, 'verifier.key'), '--trust-root', join(dir, 'dev-root.pem')]);
        const relayer = await startRelayer(parseConfig(w.demo.relayerEnv({
            COCOON_RELAYER_PROVIDERS: provider.toString(), // by address alone: the runner URL is read on chain
            COCOON_RELAYER_SESSION_FEEDS: '', // the demo's feed is for the demo's Provider, not watched here
            COCOON_RELAYER_DB: join(dir, 'relayer.sqlite'), COCOON_RELAYER_KEEPER: '0', LOG_LEVEL: 'silent',
        })));
        try {
            const attest = ['provider', 'attest', '--runner-url', runnerUrl, '--verifier', verifier.url];
            expect(await json(attest, env)).toMatchObject({ ok: true, sent: true, enclaveKey: runner.attestation.enclaveEd25519 });
            expect(await json(attest, env)).toMatchObject({ ok: true, sent: false });
            expect(await json(['provider', 'runner-url', runnerUrl], env)).toMatchObject({ ok: true });
            expect(await json(['provider', 'runner-url', runnerUrl], env)).toMatchObject({ sent: false });
            expect(await json(['provider', 'prices', '--model', REFERENCE_MODEL_NAME, '--in', '1', '--out', '4'], env)).toMatchObject({ ok: true });
            const status = await json(['provider', 'status'], env);
            expect(status).toMatchObject({ unavailable: null, runnerUrl });

            // A client finds it on chain: no --runner, only the dev root of this network's quotes.
            const client = { ...base, COCOON_WALLET_MNEMONIC: w.mnemonic.join(' '), COCOON_ENDPOINT_API_KEY: 'client-free-key' };
            const job = await json(['job', 'submit', '--provider', provider.toString(), '--model', REFERENCE_MODEL_NAME, '--prompt', 'onboarded at last', '--trust-root', join(dir, 'dev-root.pem')], client);
            expect(job.response.choices[0].message.content).toBe('last at onboarded');
            expect((await openProvider(w.demo.client, provider).getLedger()).completed).toBe(1n);
            // Every command so far ran at 10 requests/s: the bursts of reads beyond it (provider status reads
            // 19 getters, job submit ~50) were refused, and ridden out.
            const refused = (from: number) => figures.slice(from).reduce((n, f) => n + f.refused, 0);
            expect(refused(0)).toBeGreaterThan(0);

            // The read-only commands without a key, at 1 request/s: the provider's wallet, the Registry,
            // the Provider (what the job did to it) and the job.
            const readOnly = { ...base, COCOON_WALLET_MNEMONIC: mnemonic };
            const unkeyed = figures.length;
            expect(await json(['wallet', 'address'], readOnly)).toMatchObject({ address: owner });
            expect(BigInt((await json(['wallet', 'balance'], readOnly)).balance)).toBeGreaterThan(0n);
            expect(await json(['registry', 'show'], readOnly)).toMatchObject({ providers: expect.arrayContaining([provider.toString()]) });
            const served = await json(['provider', 'status'], readOnly);
            expect(served).toMatchObject({ runnerUrl, unavailable: null, ledger: expect.objectContaining({ completed: '1' }) });
            expect(await json(['job', 'status', provider.toString(), String(job.jobId)], readOnly)).toMatchObject({ state: 'settled' });
            expect(refused(unkeyed)).toBeGreaterThan(0); // the limiter was met, and absorbed

            // Leaving: unbond all of the stake (a little of it kept the reserve topped up: rent), wait out the period, withdraw.
            expect(await json(['provider', 'unbond', '--amount', fromNano(BigInt(served.ledger.stake))], env)).toMatchObject({ ok: true });
            await w.advance(Number(w.demo.protocol.params.unbondingPeriod) + 1);
            expect(await json(['provider', 'withdraw'], env)).toMatchObject({ ok: true });
            expect((await openProvider(w.demo.client, provider).getLedger()).unbonding).toBe(0n);
        } finally {
            verifier.child.kill('SIGTERM');
            await relayer.stop();
            await server.close();
        }
    });
});
