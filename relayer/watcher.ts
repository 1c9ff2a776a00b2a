/**
 * One Provider's watcher: reads the transactions after the stored cursor, records JobCreated (with
 * the runner input built from its CreateJob) and job endings, and moves the cursor, all in one
 * store transaction. The pipeline then takes the new jobs from the store.
 */
import type { Address } from '@ton/core';
import type { Chain } from './chain';
import { advance, ChainGapError, newTransactions, TxRef } from './cursor';
import { deliveryOf, eventsOf, sessionTouchedBy } from './events';
import { jobInputOf } from './jobInput';
import type { Logger } from './log';
import type { RelayerMetrics } from './metrics';
import type { Batch, Store } from './store';

/** Batches in a row that do not chain onto the cursor before the cursor itself is distrusted. */
export const GAPS_BEFORE_REWIND = 3;
/** Idle polls between checks of the cursor against the account's newest transaction. */
export const HEAD_CHECK_EVERY = 10;

export class Watcher {
    private globalId?: number;
    private gaps = 0;
    private idlePolls = 0;
    lastHeadAt = 0; // ms, when a poll last reached the head of the history
    readonly raw: string;

    constructor(
        readonly address: Address,
        private readonly deps: { chain: Chain; store: Store; log: Logger; metrics: RelayerMetrics; pageSize: number },
    ) {
        this.raw = address.toRawString();
    }

    /** Keys (`provider/jobId`) of the jobs created and not ended in the latest poll's batch. */
    lastCreated: string[] = [];
    /** Keys of the jobs whose ending event the latest poll recorded. */
    lastFinished: string[] = [];
    /** Sessions whose record a transaction of the latest poll may have changed (the settlement service reads them again). */
    lastSessions: bigint[] = [];

    /** One poll; returns how many new jobs it recorded. */
    async poll(): Promise<number> {
        this.lastCreated = [];
        this.lastFinished = [];
        this.lastSessions = [];
        const { chain, store, metrics, pageSize } = this.deps;
        this.globalId ??= await chain.globalId(this.address);
        const stored = store.cursor(this.raw);
        const cursor = stored ? { lt: stored.lt, hash: Buffer.from(stored.hash, 'hex') } : null;
        let txs;
        try {
            txs = await newTransactions(chain.pages(this.address), cursor, pageSize);
        } catch (e) {
            if (e instanceof ChainGapError) this.onGap(e);
            throw e;
        }
        this.gaps = 0;
        if (txs.length === 0) {
            if (cursor && ++this.idlePolls % HEAD_CHECK_EVERY === 0 && !(await this.headReaches(cursor))) return 0;
            this.lastHeadAt = Date.now();
            metrics.cursorLag.set({ provider: this.raw }, 0);
            return 0;
        }
        this.lastHeadAt = Date.now();
        metrics.cursorLag.set({ provider: this.raw }, 0);

        const batch: Batch = { created: [], finished: [], accepted: [] };
        for (const tx of txs) {
            const touched = sessionTouchedBy(tx);
            if (touched !== null) this.lastSessions.push(touched);
            const events = eventsOf(tx);
            const delivered = deliveryOf(tx);
            if (delivered !== null) {
                const ended = events.some((e) => e.kind === 'finished' && e.jobId === delivered);
                batch.accepted!.push({ provider: this.raw, jobId: delivered, lt: tx.lt });
                metrics.deliveriesAccepted.inc({ ended: ended ? 'yes' : 'no' });
                if (!ended) this.deps.log.error({ provider: this.raw, jobId: delivered.toString(), lt: tx.lt.toString() }, 'delivery accepted without ending the job; it is not sent again');
            }
            for (const e of events) {
                if (e.kind === 'created') {
                    const input = JSON.stringify(jobInputOf(this.globalId, this.address, e));
                    batch.created.push({ provider: this.raw, jobId: e.jobId, deadline: e.deadline, enclaveKey: e.enclaveKey.toString(16).padStart(64, '0'), input });
                } else {
                    batch.finished.push({ provider: this.raw, jobId: e.jobId, kind: e.final });
                    metrics.finals.inc({ kind: e.final });
                }
            }
        }
        const next = advance(cursor, txs)!;
        store.commit(this.raw, { lt: next.lt, hash: next.hash.toString('hex'), utime: txs[txs.length - 1].now }, batch);
        const ended = new Set(batch.finished.map((f) => f.jobId));
        this.lastFinished = batch.finished.map((f) => `${f.provider}/${f.jobId}`);
        this.lastCreated = batch.created.filter((j) => !ended.has(j.jobId)).map((j) => `${j.provider}/${j.jobId}`);
        if (batch.created.length || batch.finished.length) {
            this.deps.log.debug({ provider: this.raw, created: batch.created.length, finished: batch.finished.length, cursorLt: next.lt.toString() }, 'events recorded');
        }
        return batch.created.length;
    }

    /** A batch that does not chain: the answer or the cursor is false; after a few in a row, the cursor. */
    private onGap(e: ChainGapError) {
        this.deps.metrics.chainAnomalies.inc({ provider: this.raw, kind: 'gap' });
        this.deps.log.warn({ provider: this.raw, error: e.message }, 'chain API answer refused');
        if (++this.gaps >= GAPS_BEFORE_REWIND) this.rewind('batches keep failing to chain onto the cursor');
    }

    /**
     * Whether the account's newest transaction (as the endpoint reports the account state) is the
     * cursor or newer. A cursor beyond it was never part of the history: read it again from the start.
     * A newer head with an empty page means the pages lag: not at the head, so health says so.
     */
    private async headReaches(cursor: TxRef): Promise<boolean> {
        const head = await this.deps.chain.lastTransaction(this.address);
        if (!head || head.lt < cursor.lt || (head.lt === cursor.lt && !head.hash.equals(cursor.hash))) {
            this.rewind(`the cursor (lt ${cursor.lt}) is not in the account's history (head lt ${head?.lt ?? 'none'})`);
            return false;
        }
        return head.lt === cursor.lt;
    }

    private rewind(why: string) {
        this.deps.metrics.chainAnomalies.inc({ provider: this.raw, kind: 'rewind' });
        this.deps.log.error({ provider: this.raw, why }, 'cursor rewound: reading the history again');
        this.deps.store.rewind(this.raw);
        this.gaps = 0;
    }

    /** Seconds since a poll last reached the head (what /metrics reports between polls). */
    lagSeconds(now = Date.now()): number {
        return this.lastHeadAt ? (now - this.lastHeadAt) / 1000 : Number.POSITIVE_INFINITY;
    }
}
