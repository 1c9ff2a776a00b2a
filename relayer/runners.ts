/**
 * Where each watched Provider's enclave runner is. The URL the operator configured
 * (COCOON_RELAYER_PROVIDERS "address=url") wins; a Provider listed by address alone is called at the
 * URL it publishes on chain (SetRunnerUrl, getter `runnerUrl`), re-read every `refreshMs` so that a
 * change is picked up without a restart. The published URL is untrusted: it must pass
 * protocol/runnerUrl.ts, and every outcome the runner returns is checked against the job and the
 * enclave key registered on chain (runnerClient.ts, checkOutcome), so a wrong URL only fails.
 */
import { Address } from '@ton/core';
import { checkRunnerUrl } from '../protocol/runnerUrl';
import { retryable } from './errors';

/** Default interval between two reads of a Provider's published runner URL. */
export const RUNNER_URL_REFRESH_MS = 60_000;

export interface RunnerUrlSource {
    /** The URL the Provider publishes (null: none). */
    runnerUrl(provider: Address): Promise<string | null>;
}

export class RunnerDirectory {
    private readonly published = new Map<string, { readAt: number; url: string | Error }>();

    constructor(
        private readonly chain: RunnerUrlSource,
        private readonly overrides: ReadonlyMap<string, string>, // provider raw address → configured URL
        private readonly refreshMs = RUNNER_URL_REFRESH_MS,
        private readonly now: () => number = Date.now,
    ) {}

    /**
     * The runner's base URL for a Provider (raw address). Throws a retryable error while none is
     * usable: the owner may publish or fix it before the job's grace period ends.
     */
    async urlFor(provider: string): Promise<string> {
        const configured = this.overrides.get(provider);
        if (configured) return configured;
        let known = this.published.get(provider);
        if (!known || this.now() - known.readAt >= this.refreshMs) {
            try {
                const raw = await this.chain.runnerUrl(Address.parseRaw(provider));
                known = { readAt: this.now(), url: raw === null ? new Error('the Provider publishes no runner URL (SetRunnerUrl)') : checkRunnerUrl(raw) };
                this.published.set(provider, known);
            } catch (e) {
                // A failed read keeps the last URL read: the runner is likely still there.
                if (!known) throw e;
            }
        }
        if (known.url instanceof Error) throw retryable('dispatch', `no usable runner URL: ${known.url.message}`);
        return known.url;
    }
}
