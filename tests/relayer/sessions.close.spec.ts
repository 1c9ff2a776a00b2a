/**
 * The race between the provider's relayer and the client's own close (docs/THREATS.md, sessions):
 * the demo relayer reads the runner's voucher feed and delivers a final voucher as soon as the feed
 * shows it, so it can land before the client's CloseWithVoucher carrying the same voucher. Forced
 * here: the client's wallet holds its close until the relayer's delivery has ended the session.
 * The final voucher ends the session however it arrives, so the client's rest is back at once
 * (exactly deposit − charge: the provider paid the delivery), the client's close is refused at the
 * cost of its bounce, `close()` reports success with the refund, and the provider is paid once.
 */
import { toNano } from '@ton/core';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import type { JobSigner, OutgoingMessage } from '../../sdk';
import { openProvider } from '../../sdk/chain';
import { startWorld, World } from '../sdk/world';
import { until } from './helpers';

jest.setTimeout(120_000);

const OP_CLOSE_WITH_VOUCHER = 0x51000034;

describe('a final voucher delivered by the relayer before the client\'s close', () => {
    let w: World;
    beforeAll(async () => {
        // Only the final voucher is due: the threshold is never reached.
        w = await startWorld({ relayerOverrides: { COCOON_RELAYER_SESSION_THRESHOLD_TON: '5', COCOON_RELAYER_SESSION_POLL_MS: '50' } });
    });
    afterAll(() => w?.stop());

    it('ends the session at once: close() succeeds with the refund, the client gets deposit − charge, the provider is paid once', async () => {
        const provider = openProvider(w.demo.client, w.provider);
        const closesSent: string[] = [];
        // The client's wallet sends its CloseWithVoucher only once the relayer's delivery has ended the session.
        const signer: JobSigner = {
            address: w.signer.address,
            balance: () => w.signer.balance(),
            send: async (m: OutgoingMessage) => {
                const body = m.body?.beginParse();
                if (body && body.remainingBits >= 32 && body.preloadUint(32) === OP_CLOSE_WITH_VOUCHER) {
                    const id = body.skip(32).preloadUintBig(64);
                    await until('the relayer to end the session with the final voucher', async () => ((await provider.getSession(id)) === null ? true : undefined), 50);
                    closesSent.push(id.toString());
                }
                return w.signer.send(m);
            },
        };
        const sdk = w.newSdk({ signer });
        const session = await sdk.openSession({ model: REFERENCE_MODEL_NAME, deposit: toNano('1') });
        // About 6,000 input and 2,000 output tokens: ~0.014 TON, more than the external delivery of a final voucher needs.
        const r = await session.chat({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'word '.repeat(6000) }], max_tokens: 2000 }).result;
        const { deposit, protocolFeeBps } = (await provider.getSession(session.id))!;
        const ledgerBefore = await provider.getLedger();
        const started = Date.now();

        const closed = await session.close();

        expect(closesSent).toEqual([session.id.toString()]); // the client's own close did go out, second
        expect(closed.cooperative).toBe(true);
        expect(closed.endedByOther).toBe(true);
        expect(closed.voucher!.final).toBe(true);
        expect(closed.voucher!.charge).toBe(r.voucher.charge); // the close adds no tokens
        // The relayer paid the delivery: the client gets exactly what it was not charged, without any window.
        expect(closed.refund).toBe(deposit - closed.voucher!.charge);
        expect(Date.now() - started).toBeLessThan(60_000);
        expect(await provider.getSession(session.id)).toBeNull();

        // Paid once: the protocol fee of the charge, and the provider's share less its delivery.
        const ledger = await provider.getLedger();
        const charge = closed.voucher!.charge;
        const fee = (charge * protocolFeeBps) / 10_000n;
        expect(ledger.fees - ledgerBefore.fees).toBe(fee);
        const delivery = charge - fee - (ledger.earnings - ledgerBefore.earnings);
        expect(delivery).toBeGreaterThan(0n);
        expect(delivery).toBeLessThan(toNano('0.01'));
        expect(ledger.sessionDeposits).toBe(ledgerBefore.sessionDeposits - deposit);

        const raw = w.provider.toRawString();
        const row = await until('the relayer to record the session ended', () => {
            const got = w.demo.relayer!.store.sessions.get(raw, session.id);
            return got?.state === 'ended' ? got : undefined;
        }, 50);
        expect([row.endKind, row.seq]).toEqual(['settled', closed.voucher!.seq]);
    });
});
