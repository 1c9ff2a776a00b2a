/** One job end to end on the devnet: the SDK (CocoonClient) → CreateJob → relayer → runner → SubmitResult → JobSettled, via TonClient only. */
import { keyPairFromSeed } from '@ton/crypto';
import { internal, SendMode, toNano, WalletContractV5R1 } from '@ton/ton';
import { randomBytes } from 'node:crypto';
import { chat, replyText, startDemo, DemoHandles } from '../../demo/startDemo';
import { ledgerOf, memoryLog, refundsPerJob, until } from './helpers';

describe('relayer: happy path on the devnet', () => {
    let demo: DemoHandles;
    const logs = memoryLog();
    beforeAll(async () => {
        demo = await startDemo({ pollMs: 50, relayerLogDestination: logs.stream });
    });
    afterAll(() => demo?.stop());
    const provider = () => demo.protocol.provider.address;

    // Issue 12: the demo used to move the devnet a day ahead to activate its allow-lists, so every
    // wallet that signs valid_until with local time (blueprint, TonConnect) failed with exit 136.
    it('leaves the devnet on real time: a wallet signing with this machine\'s clock is accepted', async () => {
        const wall = Math.floor(Date.now() / 1000);
        expect(Math.abs(demo.clock.now() - wall)).toBeLessThanOrEqual(1);
        const keys = keyPairFromSeed(randomBytes(32));
        const wallet = demo.client.open(WalletContractV5R1.create({ workchain: 0, publicKey: keys.publicKey }));
        await demo.devnet.faucet(wallet.address, toNano('1'));
        // @ton/ton's default valid_until: this machine's clock + 60 s.
        await wallet.sendTransfer({ seqno: 0, secretKey: keys.secretKey, sendMode: SendMode.PAY_GAS_SEPARATELY, messages: [internal({ to: wallet.address, value: 1n })] });
        expect(await wallet.getSeqno()).toBe(1);
    });

    it('settles a job: the client reads the result, the provider is paid, the fee is taken, the rest refunded', async () => {
        const { sdk } = await demo.newUser();
        const end = await sdk.run(chat('one two three'));
        expect(replyText(end)).toBe('three two one');
        expect(end.price).toBeGreaterThan(0n);
        expect(end.fee).toBe((end.price * demo.protocol.params.protocolFeeBps) / 10_000n);
        expect(end.fee + end.providerEarned).toBe(end.price);
        expect(end.refund).toBeLessThan(end.escrow - end.price);
        expect(end.refund).toBeGreaterThan(0n);
        expect((await refundsPerJob(demo.client, provider())).get(end.jobId)).toBe(1);
    });

    it('records the job as final and leaves the provider ledger balanced', async () => {
        const { sdk } = await demo.newUser();
        const jobs = await Promise.all([0, 1, 2].map(() => sdk.run(chat('alpha beta'))));
        for (const j of jobs) {
            // The client reads the settlement on chain; the relayer's watcher records it on its next poll.
            const row = await until(`job ${j.jobId} recorded as final`, () => {
                const r = demo.relayer!.store.get(provider().toRawString(), j.jobId);
                return r?.state === 'final' && r;
            }, 50, 200);
            expect(row).toMatchObject({ state: 'final', input: null, outcome: null });
        }
        const ledger = await ledgerOf(demo.client, provider());
        expect(ledger.openJobs).toBe(0n);
        expect(ledger.escrowed).toBe(0n);
        expect(ledger.completed).toBe(4n);
    });

    it('serves /healthz and /metrics named cocoon_relayer_*', async () => {
        const health = await fetch(`${demo.relayer!.url}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.json()).toMatchObject({ ok: true, keeper: true, deliveries: { sent: 4, resent: 0, accepted: 4 } });
        const text = await (await fetch(`${demo.relayer!.url}/metrics`)).text();
        expect(text).toMatch(/cocoon_relayer_jobs\{state="final"\} 4/);
        expect(text).toMatch(/cocoon_relayer_stage_latency_seconds_count\{stage="dispatch"\} 4/);
        expect(text).toMatch(/cocoon_relayer_wallet_balance_nanotons \d+/);
        // One external per job, each seen consumed by the Provider transaction that ended its job.
        expect(text).toMatch(/cocoon_relayer_externals_sent_total\{attempt="first"\} 4/);
        expect(text).not.toMatch(/cocoon_relayer_externals_sent_total\{attempt="resend"\}/);
        expect(text).toMatch(/cocoon_relayer_deliveries_accepted_total\{ended="yes"\} 4/);
        expect(text).not.toMatch(/cocoon_relayer_deliveries_accepted_total\{ended="no"\}/);
        expect(text).toMatch(/cocoon_relayer_cursor_lag_seconds\{provider="0:[0-9a-f]{64}"\} 0/);
        expect(logs.text()).toContain('"msg":"confirmed"');
    });
});
