// The network command groups run as users run them (`node bin/cocoon.js ...` in a child process)
// against the demo network: exit statuses, --json output, and checks that fail before sending.
import { Address, beginCell, toNano } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { devImageHash } from '../../attestation/devQuote';
import { attestationCell, bigintFromBytes, signCell } from '../../protocol/signed';
import { storeDeployProvider } from '../../wrappers/Registry';
import { mnemonicNew } from '@ton/crypto';
import { WalletContractV5R1 } from '@ton/ton';
import { mnemonicToPrivateKey } from '@ton/crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REFERENCE_MODEL_NAME, modelIdOf } from '../../protocol/defaults';
import { openProvider } from '../../sdk/chain';
import { DEV_GLOBAL_ID } from '../../protocol/networks';
import { MnemonicSigner } from '../../sdk';
import { startWorld, World } from '../sdk/world';
import { cocoon } from './cocoonBin';

describe('cocoon CLI without a network', () => {
    it('rejects a bad address with exit 2 and names the flag', async () => {
        const r = await cocoon(['registry', 'show', '--registry', 'EQ-not-an-address']);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('--registry (or COCOON_REGISTRY): "EQ-not-an-address" is not a TON address');
        expect(r.stdout).toBe('');
    });

    it('refuses the removed --no-verify-quote and COCOON_VERIFY_QUOTE with exit 2, saying why (issue 11 #9)', async () => {
        const submit = ['job', 'submit', '--model', 'm', '--prompt', 'x', '--registry', '0:' + '11'.repeat(32), '--endpoint', 'http://127.0.0.1:9/jsonRPC'];
        for (const [args, env] of [[[...submit, '--no-verify-quote'], {}], [submit, { COCOON_VERIFY_QUOTE: '0' }], [['gateway', '--no-verify-quote'], {}]] as const) {
            const r = await cocoon([...args], env);
            expect(r.code).toBe(2);
            expect(r.stderr).toMatch(/can no longer be switched off .*compromised verifier.*dev root/);
        }
    });

    it('reports an unreachable endpoint with exit 4', async () => {
        const r = await cocoon(['registry', 'show', '--registry', '0:' + '11'.repeat(32), '--endpoint', 'http://127.0.0.1:9/jsonRPC', '--json']);
        expect(r.code).toBe(4);
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitCode: 4, error: expect.stringMatching(/cannot reach the endpoint/) });
    });
});

describe('cocoon CLI against the demo network', () => {
    let w: World;
    let env: Record<string, string>;
    let trustRoot: string;
    beforeAll(async () => {
        w = await startWorld();
        const dir = mkdtempSync(join(tmpdir(), 'cocoon-cli-'));
        trustRoot = join(dir, 'dev-root.pem');
        writeFileSync(trustRoot, w.devRootPem);
        env = { COCOON_ENDPOINT: w.demo.devnet.endpoint, COCOON_REGISTRY: w.registry.toString(), COCOON_WALLET_MNEMONIC: w.mnemonic.join(' ') };
    });
    afterAll(() => w.stop());

    it('registry show --json: parameters, allow-lists and the deployed Provider', async () => {
        const r = await cocoon(['registry', 'show', '--json'], env);
        expect(r.code).toBe(0);
        const j = JSON.parse(r.stdout);
        expect(j.globalId).toBe(DEV_GLOBAL_ID);
        expect(j.params.minStake).toBe(toNano('10').toString());
        expect(j.models).toEqual([expect.objectContaining({ name: REFERENCE_MODEL_NAME, modelId: modelIdOf(REFERENCE_MODEL_NAME).toString(16).padStart(64, '0'), active: true })]);
        expect(j.images).toHaveLength(1);
        expect(j.verifiers).toHaveLength(1);
        expect(j.providers).toEqual([w.provider.toString()]);
    });

    it('job submit: a verified job end to end, JSON with the response and signed usage', async () => {
        const r = await cocoon(['job', 'submit', '--model', REFERENCE_MODEL_NAME, '--prompt', 'cli says hello', '--runner', `${w.provider.toString()}=${w.runnerUrl}`, '--trust-root', trustRoot, '--json'], env);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const j = JSON.parse(r.stdout);
        expect(j.response.choices[0].message.content).toBe('hello says cli');
        expect(j.usage.outputTokens).toBe(j.response.usage.completion_tokens);

        const s = await cocoon(['job', 'status', w.provider.toString(), String(j.jobId), '--json'], env);
        expect(s.code).toBe(0);
        expect(JSON.parse(s.stdout)).toMatchObject({ state: 'settled', jobId: String(j.jobId), price: j.price });
    });

    it('job submit: human output with progress on stderr', async () => {
        const r = await cocoon(['job', 'submit', '--model', REFERENCE_MODEL_NAME, '--prompt', 'plain text please', '--runner', `${w.provider.toString()}=${w.runnerUrl}`, '--trust-root', trustRoot], env);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^please text plain\n— job \d+: \d+ in \+ \d+ out tokens, price [\d.]+ TON, refund [\d.]+ TON \(receipt verified\)\n$/);
        expect(r.stderr).toMatch(/enclave attestation checked/);
    });

    it('job submit: an unknown model is exit 2', async () => {
        const r = await cocoon(['job', 'submit', '--model', 'gpt-4o', '--prompt', 'x'], env);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('unknown model "gpt-4o": the Registry lists cocoon-reference-v1');
    });

    it('job submit: without the dev trust root the quote is refused, exit 3, nothing sent', async () => {
        const next = (await openProvider(w.demo.client, w.provider).getLedger()).nextJobId;
        const r = await cocoon(['job', 'submit', '--model', REFERENCE_MODEL_NAME, '--prompt', 'x', '--runner', `${w.provider.toString()}=${w.runnerUrl}`], env);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/attestation refused \(bad_quote\)/);
        expect((await openProvider(w.demo.client, w.provider).getLedger()).nextJobId).toBe(next);
    });

    it('job submit: a wallet with too little balance is exit 3, nothing sent', async () => {
        const poor = await mnemonicNew();
        const address = WalletContractV5R1.create({ workchain: 0, publicKey: (await mnemonicToPrivateKey(poor)).publicKey }).address;
        await w.demo.devnet.faucet(address, toNano('0.001'));
        const r = await cocoon(['job', 'submit', '--model', REFERENCE_MODEL_NAME, '--prompt', 'x', '--trust-root', trustRoot, '--runner', `${w.provider.toString()}=${w.runnerUrl}`], { ...env, COCOON_WALLET_MNEMONIC: poor.join(' ') });
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/wallet balance too low/);
        expect(await w.demo.client.getBalance(address)).toBe(toNano('0.001'));
    });

    it('provider prices from a wallet that does not own the Provider is exit 3; status shows the offer', async () => {
        const r = await cocoon(['provider', 'prices', '--provider', w.provider.toString(), '--model', REFERENCE_MODEL_NAME, '--in', '1', '--out', '1'], env);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/is not the owner of Provider/);
        const s = await cocoon(['provider', 'status', '--provider', w.provider.toString(), '--json'], env);
        expect(s.code).toBe(0);
        expect(JSON.parse(s.stdout)).toMatchObject({ unavailable: null, offers: [expect.objectContaining({ name: REFERENCE_MODEL_NAME })] });
    });

    it('provider sync: nothing sent while the copy is fresh; --force refreshes it; status says until when', async () => {
        const provider = openProvider(w.demo.client, w.provider);
        const before = Number(await provider.getParamsStaleAt());
        const idle = await cocoon(['provider', 'sync', '--provider', w.provider.toString(), '--json'], env);
        expect(idle.code).toBe(0);
        expect(JSON.parse(idle.stdout)).toMatchObject({ ok: true, sent: false, paramsStaleAt: before });
        await w.advance(60);
        const forced = await cocoon(['provider', 'sync', '--provider', w.provider.toString(), '--force', '--json'], env);
        expect(forced.code).toBe(0);
        expect(JSON.parse(forced.stdout)).toMatchObject({ ok: true, sent: true });
        expect(Number(await provider.getParamsStaleAt())).toBeGreaterThanOrEqual(before + 60);
        const status = await cocoon(['provider', 'status', '--provider', w.provider.toString()], env);
        expect(status.stdout).toMatch(/parameters fresh until \d{4}-/);
    });

    it('wallet new / devnet faucet / wallet address and balance: a new user gets a funded wallet with commands only', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'cocoon-wallet-'));
        const made = await cocoon(['wallet', 'new', '--out', join(dir, 'mnemonic'), '--json'], env);
        expect(made.code).toBe(0);
        const { address } = JSON.parse(made.stdout);
        const words = readFileSync(join(dir, 'mnemonic'), 'utf8').trim();
        expect(words.split(' ')).toHaveLength(24);
        expect((await cocoon(['wallet', 'new', '--out', join(dir, 'mnemonic')], env)).code).toBe(2); // never overwrites
        const funded = await cocoon(['devnet', 'faucet', address, '--amount', '2', '--json'], env);
        expect(funded.code).toBe(0);
        expect(JSON.parse(funded.stdout)).toMatchObject({ ok: true, amount: toNano('2').toString() });
        const own = { ...env, COCOON_WALLET_MNEMONIC: words };
        const [addr, balance] = await Promise.all([cocoon(['wallet', 'address'], own), cocoon(['wallet', 'balance', '--json'], own)]);
        expect(Address.parse(addr.stdout.trim()).equals(Address.parse(address))).toBe(true);
        expect(JSON.parse(balance.stdout)).toMatchObject({ balance: toNano('2').toString(), deployed: false });
    });

    it('job expire before the deadline is exit 3, nothing sent', async () => {
        const pending = w.sdk.submit({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'quick' }] });
        const job = await pending;
        await job.result; // settled by the relayer: no longer open
        const r = await cocoon(['job', 'expire', w.provider.toString(), String(job.jobId)], env);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(new RegExp(`job ${job.jobId} is not open`));
    });

    it('provider commands for the wallet\'s own Provider: stake, prices (unknown model exit 2), register (expired certificate exit 3), status', async () => {
        await w.signer.send({ to: w.registry, value: toNano('0.2'), body: beginCell().store(storeDeployProvider({ $$type: 'DeployProvider', queryId: 0n })).endCell() });
        const stake = await cocoon(['provider', 'stake', '--amount', '20', '--json'], env);
        expect(stake.code).toBe(0);
        const own = Address.parse(JSON.parse(stake.stdout).provider);
        expect(JSON.parse(stake.stdout).stake).toMatch(/^199\d{8}$/); // 20 TON less the AddStake gas

        const unknown = await cocoon(['provider', 'prices', '--model', 'gpt-4o', '--in', '1', '--out', '4'], env);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toContain('unknown model "gpt-4o"');
        const prices = await cocoon(['provider', 'prices', '--model', REFERENCE_MODEL_NAME, '--in', '0.5', '--out', '2', '--json'], env);
        expect(prices.code).toBe(0);
        expect(JSON.parse(prices.stdout)).toMatchObject({ ok: true, pricePerMillionIn: toNano('0.5').toString() });

        // A certificate that expired an hour ago, signed by some verifier: refused before sending.
        const verifier = ed25519.utils.randomSecretKey();
        const now = w.demo.clock.now();
        const cert = attestationCell({
            globalId: DEV_GLOBAL_ID, registry: w.registry, provider: own, imageHash: bigintFromBytes(devImageHash()), enclaveEd25519: 1n, enclaveX25519: 2n, quoteHash: 3n,
            issuedAt: now - 7200, expiresAt: now - 3600,
        });
        const register = await cocoon(['provider', 'register', '--certificate', cert.toBoc().toString('base64'), '--signature', signCell(cert, verifier).toString('hex'), '--verifier-key', Buffer.from(ed25519.getPublicKey(verifier)).toString('hex')], env);
        expect(register.code).toBe(3);
        expect(register.stderr).toMatch(/the attestation certificate has expired/);

        const status = await cocoon(['provider', 'status', '--json'], env);
        expect(status.code).toBe(0);
        expect(JSON.parse(status.stdout)).toMatchObject({ unavailable: 'no usable enclave key', offers: [expect.objectContaining({ name: REFERENCE_MODEL_NAME, pricePerMillionOut: toNano('2').toString() })] });
    }, 180_000); // five CLI runs: 57 s measured on a loaded 2-core machine, against the 60 s default

    // Six CLI runs of 7 s or more each (node + ts-node): more than the default timeout on a loaded machine.
    it('provider runner-url: publishes the URL once (a second run sends nothing), status shows it, "" clears it, bad input is exit 2', async () => {
        // The wallet's own Provider (deployed, or re-synced if a test above deployed it). A fresh signer
        // reads the seqno anew: the CLI runs above used this wallet behind w.signer's back.
        const owner = await MnemonicSigner.fromMnemonic(w.demo.client, w.mnemonic, { now: w.demo.clock.now });
        await owner.send({ to: w.registry, value: toNano('0.2'), body: beginCell().store(storeDeployProvider({ $$type: 'DeployProvider', queryId: 0n })).endCell() });
        const stranger = await cocoon(['provider', 'runner-url', 'https://elsewhere.example', '--provider', w.provider.toString()], env);
        expect(stranger.code).toBe(3);
        expect(stranger.stderr).toMatch(/is not the owner of Provider/);

        const first = await cocoon(['provider', 'runner-url', 'https://Runner.Example:8443/', '--json'], env);
        expect(first.code).toBe(0);
        const own = Address.parse(JSON.parse(first.stdout).provider);
        expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, sent: true, runnerUrl: 'https://runner.example:8443' });
        expect(await openProvider(w.demo.client, own).getRunnerUrl()).toBe('https://runner.example:8443');

        const lastTx = async () => (await w.demo.client.getContractState(own)).lastTransaction?.lt;
        const [ltBefore, seqnoBefore] = [await lastTx(), await w.demo.client.open(owner['wallet']).getSeqno()];
        const again = await cocoon(['provider', 'runner-url', 'https://runner.example:8443', '--json'], env);
        expect(again.code).toBe(0);
        expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, sent: false, runnerUrl: 'https://runner.example:8443' });
        const bad = await cocoon(['provider', 'runner-url', 'https://user:pw@runner.example'], env);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain('runner URL carries credentials');
        expect(await lastTx()).toBe(ltBefore);
        expect(await w.demo.client.open(owner['wallet']).getSeqno()).toBe(seqnoBefore);

        const status = await cocoon(['provider', 'status'], env);
        expect(status.stdout).toMatch(/^runner {5}https:\/\/runner\.example:8443$/m);

        const cleared = await cocoon(['provider', 'runner-url', '', '--json'], env);
        expect(JSON.parse(cleared.stdout)).toMatchObject({ ok: true, sent: true, runnerUrl: null });
        expect(await openProvider(w.demo.client, own).getRunnerUrl()).toBeNull();
    }, 180_000);

    it('job submit without --runner finds the runner at the URL the Provider publishes', async () => {
        const r = await cocoon(['job', 'submit', '--model', REFERENCE_MODEL_NAME, '--prompt', 'found on chain', '--provider', w.provider.toString(), '--trust-root', trustRoot, '--json'], env);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
    });
});
