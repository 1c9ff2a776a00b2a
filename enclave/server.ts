/**
 * The runner's HTTP API (docs/spec/enclave.md): POST /v1/jobs, GET /v1/attestation, GET /healthz,
 * GET /metrics. The relayer in front is untrusted, so every limit is enforced here: body size (413),
 * bounded concurrency and queue (503), per-job timeout (signed BackendFailure decline).
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { DeclineReason } from '../protocol/signed';
import type { AttestationDocument } from './attestation';
import { Gate } from './gate';
import { handleJob, RunnerContext } from './handleJob';
import { OneOutcomePerJob } from './oneOutcome';
import { HttpError, readJson, sendError, sendJson } from './httpBody';
import { JobInputError, parseJobInput } from './jobInput';
import type { Logger } from './log';
import { createMetrics, RunnerMetrics } from './metrics';

export interface ServerLimits {
    bodyLimitBytes: number;
    concurrency: number;
    queue: number;
}

export const DEFAULT_LIMITS: ServerLimits = { bodyLimitBytes: 256 * 1024, concurrency: 4, queue: 16 };

export interface ServerDeps {
    ctx: RunnerContext;
    attestation: AttestationDocument;
    logger: Logger;
    metrics?: RunnerMetrics;
    limits?: Partial<ServerLimits>;
    outcomes?: OneOutcomePerJob;
}

export interface EnclaveServer {
    server: Server;
    metrics: RunnerMetrics;
    listen(port: number, host?: string): Promise<string>; // resolves to the base URL
    close(): Promise<void>;
}

async function postJob(deps: Required<Omit<ServerDeps, 'limits'>>, limits: ServerLimits, gate: Gate, req: IncomingMessage, res: ServerResponse) {
    const entered = gate.tryEnter();
    if (!entered) throw new HttpError(503, 'Busy', 'job queue is full; retry later');
    const release = await entered;
    const started = process.hrtime.bigint();
    try {
        const job = parseJobInput(await readJson(req, limits.bodyLimitBytes));
        const outcome = await deps.outcomes.run(job, () => handleJob(deps.ctx, job));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const reason = outcome.kind === 'decline' ? DeclineReason[outcome.reason] : '';
        deps.metrics.jobs.inc({ outcome: outcome.kind, reason });
        deps.metrics.latency.observe({ outcome: outcome.kind }, seconds);
        const counts = outcome.kind === 'receipt' ? { inputTokens: outcome.inputTokens, outputTokens: outcome.outputTokens } : { reason };
        deps.logger.info({ jobId: outcome.jobId, outcome: outcome.kind, ...counts, ms: Math.round(seconds * 1000) }, 'job answered');
        sendJson(res, 200, outcome);
    } catch (e) {
        if (e instanceof JobInputError) throw new HttpError(400, 'BadJob', e.message);
        throw e;
    } finally {
        release();
    }
}

export function createEnclaveServer(input: ServerDeps): EnclaveServer {
    const limits = { ...DEFAULT_LIMITS, ...input.limits };
    const deps = { ...input, metrics: input.metrics ?? createMetrics(), outcomes: input.outcomes ?? new OneOutcomePerJob() };
    const gate = new Gate(limits.concurrency, limits.queue);
    deps.ctx = { ...deps.ctx, onInternalError: (e) => deps.logger.error({ err: (e as Error)?.name ?? 'unknown' }, 'internal error; job declined') };

    const route = async (req: IncomingMessage, res: ServerResponse) => {
        const path = (req.url ?? '/').split('?')[0];
        const method = req.method ?? 'GET';
        if (path === '/v1/jobs' && method === 'POST') return postJob(deps, limits, gate, req, res);
        if (path === '/v1/attestation' && method === 'GET') return sendJson(res, 200, deps.attestation);
        if (path === '/healthz' && method === 'GET') return sendJson(res, 200, { ok: true, ...gate.load });
        if (path === '/metrics' && method === 'GET') {
            res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
            return void res.end(await deps.metrics.registry.metrics());
        }
        if (['/v1/jobs', '/v1/attestation', '/healthz', '/metrics'].includes(path)) throw new HttpError(405, 'MethodNotAllowed', `${method} not allowed on ${path}`);
        throw new HttpError(404, 'NotFound', `no route ${path}`);
    };

    const server = createServer((req, res) => {
        route(req, res).catch((e) => {
            const error = e instanceof HttpError ? e : new HttpError(500, 'Internal', 'internal error');
            if (!(e instanceof HttpError)) deps.logger.error({ err: (e as Error)?.name ?? 'unknown' }, 'request failed');
            deps.metrics.rejected.inc({ status: String(error.status) });
            if (!res.headersSent) sendError(res, error);
        });
    });

    return {
        server,
        metrics: deps.metrics,
        listen: (port, host = '127.0.0.1') =>
            new Promise((resolve, reject) => {
                server.once('error', reject);
                server.listen(port, host, () => {
                    const a = server.address() as AddressInfo;
                    resolve(`http://${host}:${a.port}`);
                });
            }),
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
