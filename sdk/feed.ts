/**
 * One poller per watched address, shared by every job waiting on it: each poll reads only the
 * transactions newer than the cursor and hands them, oldest first, to every subscriber. A new
 * subscriber that starts behind the cursor gets the gap backfilled once.
 */
import type { Address, Transaction } from '@ton/core';
import type { Chain } from './chain';

const PAGE = 50;

type Listener = (tx: Transaction) => void;

/** Transactions of `address` with lt in (fromLt, toLt], oldest first (toLt undefined: up to the newest). */
export async function transactionsBetween(client: Chain, address: Address, fromLt: bigint, toLt?: bigint): Promise<Transaction[]> {
    const out: Transaction[] = [];
    let cursor: { lt: string; hash: string } | undefined;
    for (;;) {
        const page = await client.getTransactions(address, { limit: PAGE, ...(cursor ?? {}), to_lt: fromLt.toString(), archival: true });
        const fresh = (cursor ? page.slice(1) : page).filter((tx) => tx.lt > fromLt && (toLt === undefined || tx.lt <= toLt));
        out.push(...fresh);
        if (page.length < PAGE) break;
        const last = page[page.length - 1];
        cursor = { lt: last.lt.toString(), hash: last.hash().toString('base64') };
    }
    return out.reverse();
}

export class TransactionFeed {
    private readonly listeners = new Set<Listener>();
    private cursor: bigint | null = null;
    private timer: NodeJS.Timeout | null = null;
    private polling: Promise<void> | null = null;
    private again = false;

    constructor(private readonly client: Chain, readonly address: Address, private readonly pollMs: number, private readonly onError: (e: unknown) => void = () => {}) {}

    /** Calls `listener` for every transaction with lt > fromLt until the returned function is called. */
    async subscribe(fromLt: bigint, listener: Listener): Promise<() => void> {
        // Backfill up to the shared cursor; no await between the last check and adding the listener,
        // so a poll in flight delivers exactly what lies beyond what was backfilled.
        let upTo = fromLt;
        while (this.cursor !== null && upTo < this.cursor) {
            const target = this.cursor;
            for (const tx of await transactionsBetween(this.client, this.address, upTo, target)) listener(tx);
            upTo = target;
        }
        if (this.cursor === null) this.cursor = upTo;
        const filtered: Listener = (tx) => {
            if (tx.lt > upTo) listener(tx);
        };
        this.listeners.add(filtered);
        this.schedule(0);
        return () => {
            this.listeners.delete(filtered);
            if (!this.listeners.size && this.timer) {
                clearTimeout(this.timer);
                this.timer = null;
            }
        };
    }

    /** Polls now (e.g. right after a send), instead of at the next tick. */
    kick(): void {
        if (this.listeners.size) this.schedule(0);
    }

    private schedule(ms: number): void {
        if (this.polling) {
            this.again = true;
            return;
        }
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.poll(), ms);
    }

    private async poll(): Promise<void> {
        this.timer = null;
        if (!this.listeners.size || this.cursor === null) return;
        this.polling = (async () => {
            try {
                const txs = await transactionsBetween(this.client, this.address, this.cursor!);
                for (const tx of txs) {
                    this.cursor = tx.lt;
                    for (const l of [...this.listeners]) l(tx);
                }
            } catch (e) {
                this.onError(e);
            }
        })();
        await this.polling;
        this.polling = null;
        if (this.listeners.size) {
            const now = this.again;
            this.again = false;
            this.schedule(now ? 0 : this.pollMs);
        }
    }
}
