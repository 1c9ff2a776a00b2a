/** Prometheus metrics, named cocoon_relayer_<thing>_<unit>. Job counts by state are read from the store at scrape time. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ALL_STATES, Store } from './store';

export const STAGE_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function createMetrics(store: () => Store | undefined) {
    const registry = new Registry();
    const jobs = new Gauge({
        name: 'cocoon_relayer_jobs',
        help: 'Jobs in the relayer store, by state',
        labelNames: ['state'],
        registers: [registry],
        collect() {
            const counts = store()?.countsByState();
            if (counts) for (const s of ALL_STATES) this.set({ state: s }, counts[s]);
        },
    });
    return {
        registry,
        jobs,
        stageSeconds: new Histogram({ name: 'cocoon_relayer_stage_latency_seconds', help: 'Time per job stage: dispatch (seen → signed outcome), deliver (→ external accepted), confirm (→ job gone on chain), total', labelNames: ['stage'], buckets: STAGE_BUCKETS_SECONDS, registers: [registry] }),
        finals: new Counter({ name: 'cocoon_relayer_jobs_final_total', help: 'Jobs seen ending, by how', labelNames: ['kind'], registers: [registry] }),
        errors: new Counter({ name: 'cocoon_relayer_errors_total', help: 'Errors by stage and class', labelNames: ['stage', 'class'], registers: [registry] }),
        walletBalance: new Gauge({ name: 'cocoon_relayer_wallet_balance_nanotons', help: 'Balance of the keeper (operator) wallet', registers: [registry] }),
        cursorLag: new Gauge({ name: 'cocoon_relayer_cursor_lag_seconds', help: 'Age of the newest recorded transaction behind the last poll (0 when caught up)', labelNames: ['provider'], registers: [registry] }),
        chainAnomalies: new Counter({ name: 'cocoon_relayer_chain_anomalies_total', help: 'Chain API answers refused: a batch that does not chain (gap), or a cursor the account head does not reach (rewind)', labelNames: ['provider', 'kind'], registers: [registry] }),
        externalsSent: new Counter({ name: 'cocoon_relayer_externals_sent_total', help: 'Delivery externals (SubmitResult / SubmitDecline) sent, first or resend; a send whose answer was lost counts, since the chain may have taken it', labelNames: ['attempt'], registers: [registry] }),
        deliveriesAccepted: new Counter({ name: 'cocoon_relayer_deliveries_accepted_total', help: 'Provider transactions seen consuming a delivery external (from any relayer); ended="no": accepted without ending the job', labelNames: ['ended'], registers: [registry] }),
        paramSyncs: new Counter({ name: 'cocoon_relayer_param_syncs_sent_total', help: 'RequestSync messages sent by the keeper to keep a Provider\'s parameter copy fresh', registers: [registry] }),
        paramsStaleIn: new Gauge({ name: 'cocoon_relayer_params_stale_in_seconds', help: 'Chain seconds until the Provider\'s parameter copy goes stale (≤ 0: stale, it takes no jobs)', labelNames: ['provider'], registers: [registry] }),
        expirations: new Counter({ name: 'cocoon_relayer_expirations_sent_total', help: 'ExpireJob messages sent by the keeper', registers: [registry] }),
    };
}

export type RelayerMetrics = ReturnType<typeof createMetrics>;
