/**
 * The settlement service against a Provider with more open sessions than an external settlement's
 * 10,000-gas credit covers (129 measured in the sandbox, tests/session.lifecycle.spec.ts): the external
 * SettleVoucher runs out of gas before acceptMessage() (exit -14, not accepted, nothing charged), so
 * the relayer settles from its wallet when the voucher's share pays for it, and otherwise says why it
 * cannot, once per voucher, and counts it.
 */
import { Address, toNano } from '@ton/core';
import type { Counter } from 'prom-client';
import { mnemonicToPrivateKey } from '@ton/crypto';
import { cocoonWallet } from '../../protocol/wallet';
import { RelayerHandle, startRelayer } from '../../relayer/relayer';
import { openProvider } from '../../sdk/chain';
import { startWorld, World } from '../sdk/world';
import { memoryLog, until } from './helpers';
import { sessionRelayerConfig, feedServer, openManySessions, openSession, session, tokensFor, voucherJson } from './sessionWorld';

jest.setTimeout(120_000);

/** Open sessions at which the external settlement no longer fits the credit (sandbox: 128 settle, 129 do not). */
const OPEN_SESSIONS = 130;

async function count(metric: Counter, labels: Record<string, string> = {}): Promise<number> {
    const values = (await metric.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
    return values.reduce((a, v) => a + v.value, 0);
}

describe('relayer: settlement on a Provider with many open sessions', () => {
    let w: World;
    let feed: Awaited<ReturnType<typeof feedServer>>;
    let raw: string;
    const running: RelayerHandle[] = [];
    let id: bigint; // a session with a 2 TON deposit, opened before the many small ones

    beforeAll(async () => {
        w = await startWorld({ relayer: false });
        feed = await feedServer();
        raw = w.provider.toRawString();
        const t0 = Date.now();
        id = (await openSession(w)).id;
        await openManySessions(w, OPEN_SESSIONS);
        process.stdout.write(`opened ${OPEN_SESSIONS + 1} sessions on the devnet in ${Date.now() - t0} ms\n`);
    });
    afterEach(async () => {
        await Promise.all(running.splice(0).map((r) => r.stop()));
        feed.vouchers.length = 0;
    });
    afterAll(async () => {
        await feed?.close();
        await w?.stop();
    });

    async function relayer(env: Record<string, string> = {}) {
        const logs = memoryLog();
        const config = sessionRelayerConfig(w, feed.url, env);
        const r = await startRelayer(config, { logDestination: logs.stream });
        running.push(r);
        return { r, logs };
    }

    const operator = async (): Promise<Address> => cocoonWallet((await mnemonicToPrivateKey(w.demo.keeperMnemonic)).publicKey, 'devnet').address;

    it('the external settlement is refused out of gas before acceptance; the relayer settles from its wallet and the provider earns exactly the share', async () => {
        const { r, logs } = await relayer();
        const provider = openProvider(w.demo.client, w.provider);
        const before = await provider.getLedger();
        const rec = (await session(w, id))!;
        const v = voucherJson(w, id, 1n, 0n, tokensFor('0.1'));
        const wallet = await operator();
        const walletBefore = await w.demo.client.getBalance(wallet);
        feed.vouchers.push(v);
        const settled = await until('the voucher settled on chain', async () => {
            const x = (await session(w, id))!;
            return x.lastSeq === 1n && x;
        }, 20).catch((e) => {
            process.stdout.write(logs.text().split('\n').filter((l) => /settl|exit|voucher/.test(l)).slice(0, 12).join('\n') + '\n');
            throw e;
        });
        expect(settled.paid).toBe(BigInt(v.charge));
        expect(logs.text()).toContain('exit -14');
        await until('the wallet settlement confirmed', async () => (await count(r.metrics.settlements, { via: 'wallet' })) === 1);
        const after = await provider.getLedger();
        const charge = BigInt(v.charge);
        const fee = (charge * rec.protocolFeeBps) / 10000n;
        expect(after.earnings - before.earnings).toBe(charge - fee);
        expect(after.fees - before.fees).toBe(fee);
        expect(await count(r.metrics.settleSends, { via: 'external' })).toBe(1);
        expect(await count(r.metrics.settleSends, { via: 'wallet' })).toBe(1);
        const spent = walletBefore - (await w.demo.client.getBalance(wallet));
        process.stdout.write(`with ${OPEN_SESSIONS + 1} sessions open: external refused (exit -14), wallet settlement cost the relayer wallet ${Number(spent) / 1e9} TON\n`);
        expect(spent).toBeGreaterThan(0n);
        expect(spent).toBeLessThan(toNano('0.02'));
    });

    it('without a relayer wallet: logs once per voucher why it cannot settle, counts it, and sends no more externals while the route is closed', async () => {
        const { r, logs } = await relayer({ COCOON_RELAYER_KEEPER_MNEMONIC: '' });
        const lastSeq = (await session(w, id))!.lastSeq;
        feed.vouchers.push(voucherJson(w, id, lastSeq + 1n, 0n, tokensFor('0.3')));
        await until('the cause logged', () => logs.text().includes('more open sessions than an external settlement'));
        await new Promise((r) => setTimeout(r, 600));
        expect(logs.text().split('more open sessions than an external settlement').length - 1).toBe(1);
        expect(await count(r.metrics.sessionFailures, { reason: 'external_out_of_gas' })).toBe(1);
        expect(await count(r.metrics.settleSends, { via: 'external' })).toBe(1);
        expect((await session(w, id))!.lastSeq).toBe(lastSeq);
    });
});
