/**
 * The gateway's sessions (issue 13): one per model in use, opened on its first request, topped up
 * before a request could pass the deposit, closed cooperatively on shutdown. Requests on one session
 * run concurrently up to the SDK's channel limit; the SDK checks every voucher.
 */
import type { ChatStream, CocoonClient, Session } from '../sdk';
import { VoucherJson, voucherToJson } from '../protocol/voucherJson';
import type { SessionRef } from '../protocol/voucher';

export interface SessionPolicy {
    /** Value sent with OpenSession (nanotons). */
    deposit: bigint;
    /** Top up when the deposit left (deposit − what the latest voucher charged) falls below this. */
    topUpBelow: bigint;
    /** Value sent with each top-up. */
    topUpAmount: bigint;
    /** Session lifetime in seconds. */
    ttl: number;
}

/** Vouchers kept for GET /v1/cocoon/vouchers/… : the latest few per session, for end users to check. */
const VOUCHERS_KEPT = 256;

export class SessionPool {
    private readonly open = new Map<string, Promise<Session>>();
    private readonly vouchers = new Map<string, VoucherJson>(); // `${sessionId}:${seq}` → voucher
    private closed = false;

    constructor(private readonly sdk: CocoonClient, private readonly policy: SessionPolicy, private readonly log: (e: Record<string, unknown>) => void) {}

    /** The session serving `model`, opened (once, whatever the concurrency) on first use and topped up when low. */
    async forModel(model: string): Promise<Session> {
        if (this.closed) throw new Error('the gateway is shutting down');
        let pending = this.open.get(model);
        if (!pending) {
            pending = this.sdk.openSession({ model, deposit: this.policy.deposit, ttl: this.policy.ttl, autoReopen: true });
            this.open.set(model, pending);
            pending.then(
                (s) => this.log({ event: 'session_opened', model, sessionId: s.id.toString(), provider: s.provider.toString() }),
                () => this.open.delete(model), // a failed opening is retried by the next request
            );
        }
        const session = await pending;
        const left = session.deposit - (session.latestVoucher?.charge ?? 0n);
        if (left < this.policy.topUpBelow) {
            await session.topUp(this.policy.topUpAmount);
            this.log({ event: 'session_topped_up', model, sessionId: session.id.toString(), amount: this.policy.topUpAmount.toString() });
        }
        return session;
    }

    /** Remembers a voucher so the response can point an end user at it. */
    keep(session: SessionRef, stream: ChatStream): Promise<string | undefined> {
        return stream.result.then(
            (r) => {
                const key = `${session.sessionId}:${r.voucher.seq}`;
                this.vouchers.set(key, voucherToJson({ session, voucher: r.voucher }));
                if (this.vouchers.size > VOUCHERS_KEPT) this.vouchers.delete(this.vouchers.keys().next().value!);
                return key;
            },
            () => undefined,
        );
    }

    voucher(sessionId: string, seq: string): VoucherJson | undefined {
        return this.vouchers.get(`${sessionId}:${seq}`);
    }

    /** Closes every session cooperatively (final voucher; CloseSession when a runner is gone). */
    async close(): Promise<void> {
        this.closed = true;
        const sessions = await Promise.allSettled([...this.open.values()]);
        await Promise.allSettled(sessions.map(async (s) => {
            if (s.status !== 'fulfilled') return;
            try {
                const r = await s.value.close();
                this.log({ event: 'session_closed', sessionId: r.sessionId.toString(), cooperative: r.cooperative, refund: r.refund?.toString() });
            } catch (e) {
                this.log({ event: 'session_close_failed', sessionId: s.value.id.toString(), cause: (e as Error).message });
            }
        }));
    }
}
