// Issue 12, provider onboarding: "no verifier exists to run" and registration took hand-written
// scripts. Here a provider does it with commands only: `cocoon verifier keygen` and `serve` (the
// attestation service as a command), then `cocoon provider attest` (runner quote → verifier →
// certificate → RegisterEnclave, confirmed on chain), which sends nothing when run again.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginCell, toNano } from '@ton/core';
import { createEnclaveServer } from '../../enclave/server';
import { createRunner } from '../../enclave/runner';
import { chainJobSource } from '../../enclave/chainJobs';
import { createLogger } from '../../enclave/log';
import { openProvider } from '../../sdk/chain';
import { Registry, storeDeployProvider } from '../../wrappers/Registry';
import { startWorld, World } from '../sdk/world';
import { BIN, cocoon } from './cocoonBin';

jest.setTimeout(180_000);

/** Starts `cocoon verifier serve` and resolves with its URL once it prints it. */
function serveVerifier(args: string[]): Promise<{ url: string; child: ChildProcess }> {
    const child = spawn('node', [BIN, 'verifier', 'serve', '--port', '0', ...args], { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp' } });
    return new Promise((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d) => {
            out += d;
            const line = out.split('\n')[0];
            if (out.includes('\n')) resolve({ url: JSON.parse(line).url, child });
        });
        child.on('exit', (code) => reject(new Error(`verifier exited ${code}`)));
    });
}

describe('cocoon verifier + provider attest', () => {
    let w: World;
    beforeAll(async () => {
        w = await startWorld();
    });
    afterAll(() => w.stop());

    it('a new provider attests its runner through a running verifier, once', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'cocoon-attest-'));
        const env = { COCOON_ENDPOINT: w.demo.devnet.endpoint, COCOON_REGISTRY: w.registry.toString(), COCOON_WALLET_MNEMONIC: w.mnemonic.join(' ') };

        // The verifier: a key, allow-listed by governance (active after the delay).
        const keygen = await cocoon(['verifier', 'keygen', '--out', join(dir, 'verifier.key')], env);
        expect(keygen.code).toBe(0);
        const verifierKey = BigInt(`0x${keygen.stdout.trim()}`);
        const registry = w.demo.client.open(Registry.fromAddress(w.registry));
        await registry.send(w.demo.protocol.owner, { value: toNano('0.1') }, { $$type: 'AllowVerifier', queryId: 0n, publicKey: verifierKey });
        await w.advance(Number(w.demo.protocol.params.governanceDelay) + 1);

        // The provider: its own Provider contract and a runner started for it (the demo's runtime, which governance listed).
        await w.signer.send({ to: w.registry, value: toNano('0.2'), body: beginCell().store(storeDeployProvider({ $$type: 'DeployProvider', queryId: 0n })).endCell() });
        const provider = await registry.getProviderAddress(w.signer.address);
        const runner = await createRunner({ provider, globalId: w.demo.protocol.attestation.globalId, quote: 'dev', backend: 'reference', upstreamStream: false, maxContext: 8192, host: '127.0.0.1', port: 0, jobTimeoutMs: 30_000 });
        const server = createEnclaveServer({ ...runner, logger: createLogger(undefined, 'silent'), jobs: chainJobSource(w.demo.client, provider) });
        const runnerUrl = await server.listen(0);
        // A dev network's verifier trusts the dev root its runners' quotes chain to (docs/spec/attestation.md §3).
        writeFileSync(join(dir, 'dev-root.pem'), runner.attestation.devRootPem!);
        const verifier = await serveVerifier(['--key-file', join(dir, 'verifier.key'), '--trust-root', join(dir, 'dev-root.pem')]);
        try {
            const first = await cocoon(['provider', 'attest', '--runner-url', runnerUrl, '--verifier', verifier.url, '--json'], env, 90_000);
            expect(first.stderr).toBe('');
            expect(first.code).toBe(0);
            expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, sent: true, enclaveKey: runner.attestation.enclaveEd25519 });
            const enclave = await openProvider(w.demo.client, provider).getEnclave(BigInt(`0x${runner.attestation.enclaveEd25519}`));
            expect(enclave?.verifierKey).toBe(verifierKey);

            const again = await cocoon(['provider', 'attest', '--runner-url', runnerUrl, '--verifier', verifier.url, '--json'], env, 90_000);
            expect(again.code).toBe(0);
            expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, sent: false });
        } finally {
            verifier.child.kill('SIGTERM');
            await server.close();
        }
    });
});
