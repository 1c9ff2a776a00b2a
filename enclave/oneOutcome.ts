/**
 * At most one signed outcome per request: a job and the payload it carries.
 *
 * Sealing is randomised (a fresh HPKE ephemeral key per result), so running one job twice yields two
 * receipts with different result hashes: exactly the evidence that gets a provider slashed for
 * equivocation (docs/SPEC.md, "Equivocation"). Relayers are untrusted and may race or retry, so the
 * runner answers every later request for a (job, payload hash) with the outcome it signed first.
 * Receipts and declines sign the payload hash and the contract accepts only the job's own, so an
 * answer for another payload (junk posted first for a job id, or an old public payload replayed
 * under a new id) ends nothing and is no evidence against the job; keying the memory by payload
 * hash keeps such a request from blocking the real one.
 *
 * The memory is per process: keys are generated at start (docs/spec/enclave.md), so after a restart
 * no receipt for an earlier job can be signed with the old key anyway. It keeps the newest
 * `capacity` jobs; a job evicted from it is `capacity` jobs old, far past any deadline.
 */
import { payloadHashOf, type JobInput } from './jobInput';
import type { JobOutcome } from './outcome';

export const DEFAULT_OUTCOME_CAPACITY = 200_000;

export class OneOutcomePerJob {
    private readonly outcomes = new Map<string, Promise<JobOutcome>>();

    constructor(private readonly capacity = DEFAULT_OUTCOME_CAPACITY) {}

    /** The outcome of `job`: the first one computed for its request (globalId, provider, jobId, payload hash). */
    run(job: JobInput, compute: () => Promise<JobOutcome>): Promise<JobOutcome> {
        const key = `${job.globalId}:${job.provider.toRawString()}:${job.jobId}:${payloadHashOf(job).toString(16)}`;
        const known = this.outcomes.get(key);
        if (known) return known;
        const outcome = compute();
        this.outcomes.set(key, outcome);
        if (this.outcomes.size > this.capacity) {
            const oldest = this.outcomes.keys().next().value as string;
            this.outcomes.delete(oldest);
        }
        return outcome;
    }
}
