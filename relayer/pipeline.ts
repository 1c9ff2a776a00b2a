/**
 * Moves each open job through its stages: seen → dispatched (signed outcome from the runner, kept in
 * the store) → delivered (external sent) → final (the job is gone from the Provider).
 *
 * Every step checks the chain first, so a restarted relayer or several relayers racing on one
 * Provider only ever cost a refused duplicate: a job that is already final is never dispatched or
 * delivered again. A runner that stays down past the grace period, or a fatal refusal, leaves the job
 * `abandoned`: the relayer does nothing more and the job expires (the keeper or anyone ends it).
 *
 * Delivery is at most one external per resend interval (`resendDelayMs`), written ahead in the store,
 * and stops for good once the chain shows the job ended or a transaction that consumed a delivery
 * of it (the watcher), or once the job's deadline has passed in chain time: an accepted external is
 * charged to the Provider's settlement, and every other one is spam the endpoint may rate-limit.
 */
import { Address } from '@ton/core';
import { backoffMs, resendDelayMs } from './backoff';
import type { Chain } from './chain';
import { deliveryBody } from './delivery';
import { classify, RelayerError } from './errors';
import type { Logger } from './log';
import type { RelayerMetrics } from './metrics';
import { checkOutcome, JobInputJson, Outcome, postJob } from './runnerClient';
import type { RunnerDirectory } from './runners';
import type { JobRow, Store } from './store';

/**
 * The first `job` getter check after a delivery waits this many poll intervals: the watcher usually
 * reads the ending event (JobSettled / JobDeclined) first and marks the job final, and then no
 * getter call is needed at all.
 */
export const FIRST_CONFIRM_AFTER_POLLS = 2;

export interface PipelineOptions {
    runners: Pick<RunnerDirectory, 'urlFor'>;
    concurrency: number;
    graceSeconds: number;
    pollMs: number;
    runnerTimeoutMs: number;
}

export class Pipeline {
    private readonly inFlight = new Map<string, Promise<void>>();
    private scheduled = false;
    private stopped = false;
    private readonly abort = new AbortController();
    /** Jobs the watcher recorded in its latest poll: open on chain as of that read, so dispatch skips its `job` getter call. */
    private readonly fresh = new Set<string>();
    /** Jobs this process delivered and has not yet seen end: when each was seen and delivered (ms), for the confirm/total metrics. */
    private readonly awaitingEnd = new Map<string, { seenAt: number; deliveredAt: number }>();

    constructor(
        private readonly deps: { chain: Chain; store: Store; log: Logger; metrics: RelayerMetrics },
        private readonly options: PipelineOptions,
    ) {}

    /**
     * Jobs just read from the chain as created (and not ended in the same read). Their first dispatch
     * skips the pre-dispatch `job` check: the chain answered that question a moment ago. Retries and
     * jobs loaded after a restart still ask.
     */
    recordFresh(keys: Iterable<string>): void {
        for (const k of keys) this.fresh.add(k);
    }

    /** Jobs whose ending event the watcher just recorded (the store has them final already). */
    recordEnded(keys: Iterable<string>): void {
        const now = Date.now();
        for (const key of keys) {
            this.fresh.delete(key);
            const entry = this.awaitingEnd.get(key);
            if (!entry) continue;
            this.awaitingEnd.delete(key);
            this.deps.metrics.stageSeconds.observe({ stage: 'confirm' }, (now - entry.deliveredAt) / 1000);
            this.deps.metrics.stageSeconds.observe({ stage: 'total' }, (now - entry.seenAt) / 1000);
            const [provider, jobId] = key.split('/');
            this.deps.log.info({ provider, jobId, by: 'event' }, 'confirmed');
        }
    }

    /** Looks for due jobs soon (coalesced). */
    kick(): void {
        if (this.scheduled || this.stopped) return;
        this.scheduled = true;
        setImmediate(() => {
            this.scheduled = false;
            this.pump();
        });
    }

    private pump(): void {
        if (this.stopped) return;
        const room = this.options.concurrency - this.inFlight.size;
        if (room <= 0) return;
        const due = this.deps.store.due(Date.now(), room + this.inFlight.size);
        for (const row of due) {
            const key = `${row.provider}/${row.jobId}`;
            if (this.inFlight.has(key) || this.inFlight.size >= this.options.concurrency) continue;
            const run = this.advance(row).finally(() => {
                this.inFlight.delete(key);
                this.kick();
            });
            this.inFlight.set(key, run);
        }
    }

    /** Advances every job due now, and the ones that become due meanwhile, until none is left (tests drive the pipeline with it). */
    async settle(): Promise<void> {
        for (;;) {
            this.pump();
            if (this.inFlight.size === 0) return;
            await Promise.allSettled([...this.inFlight.values()]);
        }
    }

    async stop(): Promise<void> {
        this.stopped = true;
        this.abort.abort();
        await Promise.allSettled([...this.inFlight.values()]);
    }

    private async advance(row: JobRow): Promise<void> {
        const { store, log, metrics } = this.deps;
        try {
            let justDispatched = false;
            if (row.state === 'seen') {
                const next = await this.dispatch(row);
                if (next) [row, justDispatched] = [next, true];
            }
            if (row.state === 'dispatched') await this.deliver(row, justDispatched);
            else if (row.state === 'delivered') await this.confirm(row);
        } catch (e) {
            if (this.stopped) return;
            const err = classify(row.state === 'seen' ? 'dispatch' : row.state === 'dispatched' ? 'deliver' : 'confirm', e);
            metrics.errors.inc({ stage: err.stage, class: err.retryable ? 'retryable' : 'fatal' });
            const graceOver = row.state === 'seen' && Date.now() - row.seenAt > this.options.graceSeconds * 1000;
            const late = await this.pastDeadline(row);
            if (!err.retryable || graceOver || late) {
                store.abandoned(row.provider, row.jobId, err.message);
                log.warn({ provider: row.provider, jobId: row.jobId.toString(), stage: err.stage, error: err.message, graceOver, late }, 'job abandoned; it will expire');
                return;
            }
            store.retryLater(row.provider, row.jobId, Date.now() + backoffMs(row.attempts + 1), err.message);
            log.info({ provider: row.provider, jobId: row.jobId.toString(), stage: err.stage, error: err.message, attempt: row.attempts + 1 }, 'retrying');
        }
    }

    /**
     * Whether chain time is past the job's deadline (then nothing more can be delivered). Chain time,
     * not ours: a relayer whose clock runs ahead gave jobs up at their first error. When the chain
     * cannot be asked, the job is not given up: the next attempt asks again.
     */
    private async pastDeadline(row: JobRow): Promise<boolean> {
        try {
            return (await this.deps.chain.chainTime(Address.parseRaw(row.provider))) > row.deadline;
        } catch {
            return false;
        }
    }

    /** Still open on chain? A job already ended by anyone is marked final here and goes no further. */
    private async stillOpen(row: JobRow, stage: 'dispatch' | 'deliver' | 'confirm'): Promise<boolean> {
        if (await this.deps.chain.jobOpen(Address.parseRaw(row.provider), row.jobId, stage)) return true;
        this.deps.store.final(row.provider, row.jobId, 'gone');
        return false;
    }

    private async dispatch(row: JobRow): Promise<JobRow | null> {
        const key = `${row.provider}/${row.jobId}`;
        const fresh = this.fresh.delete(key) && row.attempts === 0;
        if (!fresh && !(await this.stillOpen(row, 'dispatch'))) return null;
        if (!row.input) throw new RelayerError('dispatch', false, 'job input missing');
        const runner = await this.options.runners.urlFor(row.provider);
        const input = JSON.parse(row.input) as JobInputJson;
        const body = await postJob(runner, input, this.options.runnerTimeoutMs, this.abort.signal);
        const outcome = checkOutcome(body, input, row.enclaveKey);
        const json = JSON.stringify(outcome);
        this.deps.store.dispatched(row.provider, row.jobId, json);
        this.deps.metrics.stageSeconds.observe({ stage: 'dispatch' }, (Date.now() - row.seenAt) / 1000);
        this.deps.log.info({ provider: row.provider, jobId: row.jobId.toString(), outcome: outcome.kind }, 'dispatched');
        return { ...row, state: 'dispatched', outcome: json, input: null, attempts: 0 };
    }

    /**
     * `afterDispatch`: the outcome was obtained just now in the same step, right after the job was
     * known open, so the pre-delivery check is skipped; if the job ended meanwhile the endpoint
     * refuses the duplicate external and the check below marks it final. Returns null: the send is
     * confirmed by the watcher's event or a later getter check, never by the send's answer.
     */
    private async deliver(row: JobRow, afterDispatch = false): Promise<null> {
        const { store, metrics, log } = this.deps;
        const { pollMs } = this.options;
        const resend = row.sends > 0;
        // Past the deadline the contract refuses any delivery: stop here rather than send into it.
        if (resend && (await this.pastDeadline(row))) {
            store.abandoned(row.provider, row.jobId, 'deadline passed on chain before the delivery was seen applied');
            log.warn({ provider: row.provider, jobId: row.jobId.toString(), sends: row.sends }, 'deadline passed; delivery no longer re-sent, the job expires');
            return null;
        }
        if (!afterDispatch && !(await this.stillOpen(row, 'deliver'))) return null;
        const started = Date.now();
        // Written before the send and after the chain check, atomically against the watcher: a job it
        // recorded as ended, or whose delivery it saw consumed, while the getter (lagging) still said
        // open gets nothing; and a relayer killed mid-send waits for the schedule after a restart.
        if (!store.sending(row.provider, row.jobId, started + FIRST_CONFIRM_AFTER_POLLS * pollMs, started + resendDelayMs(row.sends + 1, pollMs))) return null;
        metrics.externalsSent.inc({ attempt: resend ? 'resend' : 'first' });
        const outcome = JSON.parse(row.outcome!) as Outcome;
        const ids = { provider: row.provider, jobId: row.jobId.toString(), outcome: outcome.kind, send: row.sends + 1 };
        try {
            await this.deps.chain.sendExternal(Address.parseRaw(row.provider), deliveryBody(outcome));
        } catch (e) {
            const err = classify('deliver', e);
            if (!err.retryable) {
                // Refused: most often another relayer (or our previous life) delivered first.
                if (!(await this.stillOpen(row, 'deliver'))) return null;
                throw err;
            }
            // An endpoint may answer 500 or time out on a message it passed on: the job is confirmed
            // like any other delivery and re-sent only on the schedule.
            metrics.errors.inc({ stage: 'deliver', class: 'retryable' });
            log.info({ ...ids, error: err.message }, 'delivery answer lost; confirming before any resend');
        }
        const now = Date.now();
        const key = `${row.provider}/${row.jobId}`;
        // (Unless the watcher read the ending event in the meantime and the job is final already.)
        if (!this.awaitingEnd.has(key) && store.get(row.provider, row.jobId)?.state === 'delivered') this.awaitingEnd.set(key, { seenAt: row.seenAt, deliveredAt: now });
        metrics.stageSeconds.observe({ stage: 'deliver' }, (now - started) / 1000);
        log.info(ids, resend ? 'delivery re-sent' : 'delivered');
        return null;
    }

    private async confirm(row: JobRow): Promise<void> {
        const started = Date.now();
        const key = `${row.provider}/${row.jobId}`;
        if (!(await this.deps.chain.jobOpen(Address.parseRaw(row.provider), row.jobId, 'confirm'))) {
            const endedByEvent = this.deps.store.get(row.provider, row.jobId)?.state === 'final';
            this.deps.store.final(row.provider, row.jobId, 'gone');
            const now = Date.now();
            const entry = this.awaitingEnd.get(key);
            this.awaitingEnd.delete(key);
            // Counted once: not again when the watcher's event already did (recordEnded).
            if (entry || !endedByEvent) {
                this.deps.metrics.stageSeconds.observe({ stage: 'confirm' }, (now - (entry?.deliveredAt ?? started)) / 1000);
                this.deps.metrics.stageSeconds.observe({ stage: 'total' }, (now - row.seenAt) / 1000);
                this.deps.log.info({ provider: row.provider, jobId: row.jobId.toString(), by: 'getter' }, 'confirmed');
            }
            return;
        }
        // Accepted but not applied yet (batched blocks), a lagging endpoint, or dropped: look again,
        // and send again once the schedule allows (deliver checks the deadline first).
        if (started >= row.resendAt) this.deps.store.redeliver(row.provider, row.jobId);
        else this.deps.store.retryLater(row.provider, row.jobId, started + this.options.pollMs, 'not applied yet');
    }
}
