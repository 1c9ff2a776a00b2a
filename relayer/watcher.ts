/**
 * One Provider's watcher: reads the transactions after the stored cursor, records JobCreated (with
 * the runner input built from its CreateJob) and job endings, and moves the cursor, all in one
 * store transaction. The pipeline then takes the new jobs from the store.
 */
import type { Address } from '@ton/core';
import type { Chain } from './chain';
import { advance, newTransactions } from './cursor';
import { eventsOf } from './events';
import { jobInputOf } from './jobInput';
import type { Logger } from './log';
import type { RelayerMetrics } from './metrics';
import type { Batch, Store } from './store';

export class Watcher {
    private globalId?: number;
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

    /** One poll; returns how many new jobs it recorded. */
    async poll(): Promise<number> {
        this.lastCreated = [];
        this.lastFinished = [];
        const { chain, store, metrics, pageSize } = this.deps;
        this.globalId ??= await chain.globalId(this.address);
        const stored = store.cursor(this.raw);
        const cursor = stored ? { lt: stored.lt, hash: Buffer.from(stored.hash, 'hex') } : null;
        const txs = await newTransactions(chain.pages(this.address), cursor, pageSize);
        this.lastHeadAt = Date.now();
        metrics.cursorLag.set({ provider: this.raw }, 0);
        if (txs.length === 0) return 0;

        const batch: Batch = { created: [], finished: [] };
        for (const tx of txs) {
            for (const e of eventsOf(tx)) {
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

    /** Seconds since a poll last reached the head (what /metrics reports between polls). */
    lagSeconds(now = Date.now()): number {
        return this.lastHeadAt ? (now - this.lastHeadAt) / 1000 : Number.POSITIVE_INFINITY;
    }
}
