/** Prometheus metrics, named cocoon_relayer_<thing>_<unit>. Job and session-voucher counts by state, and what vouchers owe, are read from the store at scrape time. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SESSION_STATES } from './sessionStore';
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
        sessionVouchers: new Gauge({
            name: 'cocoon_relayer_session_vouchers',
            help: 'Sessions with a stored voucher, by state (pending: waiting to settle; sent: settlement not yet seen on chain; settled; ended)',
            labelNames: ['state'],
            registers: [registry],
            collect() {
                const counts = store()?.sessions.countsByState();
                if (counts) for (const s of SESSION_STATES) this.set({ state: s }, counts[s]);
            },
        }),
        sessionOwed: new Gauge({
            name: 'cocoon_relayer_session_owed_nanotons',
            help: 'What the stored vouchers of sessions still waiting add above what the chain had paid at the last reading',
            registers: [registry],
            collect() {
                const owed = store()?.sessions.owed();
                if (owed !== undefined) this.set(Number(owed));
            },
        }),
        vouchersStored: new Counter({ name: 'cocoon_relayer_session_vouchers_stored_total', help: 'Vouchers from a runner feed that passed every check and were stored (each a newer sequence of its session)', registers: [registry] }),
        vouchersRefused: new Counter({ name: 'cocoon_relayer_session_vouchers_refused_total', help: 'Feed items not stored, by reason (malformed, foreign, unknown_session, bad_signature, bad_charge; deferred: past the lookups of one poll)', labelNames: ['reason'], registers: [registry] }),
        settleSends: new Counter({ name: 'cocoon_relayer_session_settle_sends_total', help: 'SettleVoucher messages sent, external or from the relayer wallet, first or resend', labelNames: ['via', 'attempt'], registers: [registry] }),
        settlements: new Counter({ name: 'cocoon_relayer_session_settlements_total', help: 'Vouchers seen settled on chain: by this relayer (external, wallet) or by someone else (other)', labelNames: ['via'], registers: [registry] }),
        settleSeconds: new Histogram({ name: 'cocoon_relayer_session_settle_latency_seconds', help: 'First send of a voucher to its settlement read on chain', buckets: STAGE_BUCKETS_SECONDS, registers: [registry] }),
        sessionFailures: new Counter({ name: 'cocoon_relayer_session_failures_total', help: 'Vouchers that did not settle (window_over, gone, too_small; external_out_of_gas: no wallet while externals run out of gas on the Provider) or a settlement refused for another reason (its ERR_ name)', labelNames: ['reason'], registers: [registry] }),
    };
}

export type RelayerMetrics = ReturnType<typeof createMetrics>;
