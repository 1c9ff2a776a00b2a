/**
 * Prometheus metrics for the runner, on a registry of its own (not prom-client's global one) so
 * several runners in one process, as in tests, never collide. Names follow cocoon_<thing>_<unit>.
 */
import { Counter, Histogram, Registry } from 'prom-client';

export interface RunnerMetrics {
    registry: Registry;
    jobs: Counter<'outcome' | 'reason'>;
    latency: Histogram<'outcome'>;
    rejected: Counter<'status'>;
    sessionEvents: Counter<'event' | 'outcome'>;
}

export function createMetrics(): RunnerMetrics {
    const registry = new Registry();
    return {
        registry,
        jobs: new Counter({ name: 'cocoon_enclave_jobs_total', help: 'Jobs answered, by outcome (receipt/decline) and decline reason', labelNames: ['outcome', 'reason'], registers: [registry] }),
        latency: new Histogram({
            name: 'cocoon_enclave_job_duration_seconds',
            help: 'Time from accepting a job to its signed outcome',
            labelNames: ['outcome'],
            buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120],
            registers: [registry],
        }),
        rejected: new Counter({ name: 'cocoon_enclave_http_rejected_total', help: 'Requests refused before reaching a job (400/404/413/503)', labelNames: ['status'], registers: [registry] }),
        sessionEvents: new Counter({
            name: 'cocoon_enclave_session_events_total',
            help: 'Session handshakes, requests and closes, by outcome (accepted, served, cut, closed, or the refusal code)',
            labelNames: ['event', 'outcome'],
            registers: [registry],
        }),
    };
}
