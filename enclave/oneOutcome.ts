/**
 * At most one signed outcome per request: a job and the payload it carries.
 *
 * Sealing is randomised (a fresh HPKE ephemeral key per result), so running one job twice yields two
 * receipts with different result hashes: exactly the evidence that gets a provider slashed for
 * equivocation (docs/SPEC.md, "Equivocation"). Relayers are untrusted and may race or retry, so the
 * runner answers every later request for a (job, payload hash) with the outcome it signed first.
 * Receipts and declines sign the payload hash and the contract accepts only the job's own, so an
 * answer for another payload ends nothing and is no evidence against the job.
 *
 * Nothing is evicted while its job can still be answered: an outcome is kept until an hour past its
 * job's deadline (read on chain), and no new outcome is signed after a deadline, so the memory holds
 * at most the jobs open on chain for this key, each paid for by a real client. (A size-bounded memory
 * let anyone evict a job's outcome with junk requests and obtain a second receipt.) The memory is per
 * process on purpose: keys are created at start (docs/spec/enclave.md), so after a restart no answer
 * for an earlier job can be signed with the old key anyway, and the contract binds a job to its key.
 * The deadline is compared with this VM's clock: a host that moves it can only hurt its own provider.
 */
import type { JobInput } from './jobInput';
import type { JobOutcome } from './outcome';

/** How long an outcome is kept after its job's deadline. */
export const KEEP_AFTER_DEADLINE_S = 3600;
const PRUNE_EVERY_S = 60;

export class LateJobError extends Error {}

export class OneOutcomePerJob {
    private readonly outcomes = new Map<string, { deadline: number; outcome: Promise<JobOutcome> }>();
    private prunedAt = 0;

    constructor(private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000)) {}

    /**
     * The outcome of `job` (whose on-chain deadline is `deadline`): the first one computed for its
     * request (globalId, provider, jobId, payload hash). Throws LateJobError for a request past its
     * deadline that was never answered: nothing new is signed for a job that can only expire.
     */
    run(job: JobInput, deadline: number, compute: () => Promise<JobOutcome>): Promise<JobOutcome> {
        const key = `${job.globalId}:${job.provider.toRawString()}:${job.jobId}:${job.payloadHash.toString(16)}`;
        const known = this.outcomes.get(key);
        if (known) return known.outcome;
        const now = this.nowSeconds();
        if (now > deadline) throw new LateJobError(`job ${job.jobId} is past its deadline`);
        this.prune(now);
        const outcome = compute();
        this.outcomes.set(key, { deadline, outcome });
        return outcome;
    }

    get size(): number {
        return this.outcomes.size;
    }

    private prune(now: number) {
        if (now - this.prunedAt < PRUNE_EVERY_S) return;
        this.prunedAt = now;
        for (const [key, entry] of this.outcomes) if (entry.deadline + KEEP_AFTER_DEADLINE_S < now) this.outcomes.delete(key);
    }
}
