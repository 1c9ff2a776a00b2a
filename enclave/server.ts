/**
 * The runner's HTTP API (docs/spec/enclave.md): POST /v1/jobs, GET /v1/attestation, GET /healthz,
 * GET /metrics, and the session routes /v1/session/* (sessionServer.ts). The relayer in front is
 * untrusted, so every limit is enforced here: body size (413),
 * a body read in full before it may take a job slot and short header/request timeouts (a slow body
 * holds nobody out; both from the shared layer, http/), bounded concurrency and queue (503), the
 * job checked on chain before anything is signed (409, chainJobs.ts), per-job timeout (signed
 * BackendFailure decline).
 */
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { DeclineReason } from '../protocol/signed';
import type { AttestationDocument } from './attestation';
import { Address } from '@ton/core';
import { Gate } from './gate';
import { handleJob, RunnerContext } from './handleJob';
import { LateJobError, OneOutcomePerJob } from './oneOutcome';
import { JobSource, mismatch } from './chainJobs';
import type { SessionSource } from './chainSessions';
import type { LookupLimits } from './sessionLookups';
import { SessionBook } from './sessions';
import { sessionHttpError, sessionRoutes } from './sessionServer';
import { bigintFromBytes } from '../protocol/signed';
import { readJson } from '../http/body';
import { HttpError, methodNotAllowed, notFound } from '../http/errors';
import { createHttpServer, listen, sendJson } from '../http/server';
import { JobInputError, parseJobInput, type JobInput } from './jobInput';
import type { Logger } from './log';
import { createMetrics, RunnerMetrics } from './metrics';

export interface ServerLimits {
    bodyLimitBytes: number;
    concurrency: number;
    queue: number;
    /** A request's headers, then its whole body, must arrive within these (Node's defaults are 60 s and 300 s; http/server.ts). */
    headersTimeoutMs: number;
    requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = { bodyLimitBytes: 256 * 1024, concurrency: 4, queue: 16, headersTimeoutMs: 5_000, requestTimeoutMs: 10_000 };

export interface ServerDeps {
    ctx: RunnerContext;
    attestation: AttestationDocument;
    logger: Logger;
    metrics?: RunnerMetrics;
    limits?: Partial<ServerLimits>;
    outcomes?: OneOutcomePerJob;
    /** The Provider's jobs as the chain holds them: nothing is signed for a job that is not open there. */
    jobs: JobSource;
    /** The Provider's sessions as the chain holds them; without it the session routes answer 404. */
    sessions?: SessionSource;
    /** Bearer token of GET /v1/session/vouchers (COCOON_RUNNER_VOUCHER_TOKEN); the feed is off without one. */
    voucherToken?: string;
    /** Bounds on the chain reads Hellos cause (enclave/sessionLookups.ts), and their clock (tests). */
    sessionLookups?: Partial<LookupLimits> & { nowMs?: () => number };
}

export interface EnclaveServer {
    server: Server;
    metrics: RunnerMetrics;
    /** The sessions this runner serves (undefined without a session source). */
    sessions?: SessionBook;
    listen(port: number, host?: string): Promise<string>; // resolves to the base URL
    close(): Promise<void>;
}

/** The job on chain, checked against the request; throws the HTTP answer when nothing may be signed. */
type JobDeps = Required<Omit<ServerDeps, 'limits' | 'sessions' | 'voucherToken' | 'sessionLookups'>>;

async function checkOnChain(deps: JobDeps, job: JobInput) {
    if (job.globalId !== deps.attestation.globalId || job.provider.toRawString() !== deps.attestation.provider) {
        throw new HttpError(409, 'WrongTarget', 'this runner serves another network or provider');
    }
    let onChain;
    try {
        onChain = await deps.jobs.openJob(job.jobId);
    } catch {
        throw new HttpError(503, 'ChainUnavailable', 'the job could not be read on chain; retry later');
    }
    const why = mismatch(onChain, { payloadHash: job.payloadHash, maxInputTokens: job.maxInputTokens, maxOutputTokens: job.maxOutputTokens }, bigintFromBytes(deps.ctx.keys.ed25519Public));
    if (why || !onChain) throw new HttpError(409, 'NotTheJob', `${why}: nothing signed`);
    return onChain;
}

async function postJob(deps: JobDeps, limits: ServerLimits, gate: Gate, req: IncomingMessage, res: ServerResponse) {
    // The whole body is read before a slot is taken: a slow sender holds only its own connection.
    let job: JobInput;
    try {
        job = parseJobInput(await readJson(req, limits.bodyLimitBytes));
    } catch (e) {
        if (e instanceof JobInputError) throw new HttpError(400, 'BadJob', e.message);
        throw e;
    }
    const entered = gate.tryEnter();
    if (!entered) throw new HttpError(503, 'Busy', 'job queue is full; retry later');
    const release = await entered;
    const started = process.hrtime.bigint();
    try {
        const onChain = await checkOnChain(deps, job);
        const outcome = await deps.outcomes.run(job, onChain.deadline, () => handleJob(deps.ctx, job));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const reason = outcome.kind === 'decline' ? DeclineReason[outcome.reason] : '';
        deps.metrics.jobs.inc({ outcome: outcome.kind, reason });
        deps.metrics.latency.observe({ outcome: outcome.kind }, seconds);
        const counts = outcome.kind === 'receipt' ? { inputTokens: outcome.inputTokens, outputTokens: outcome.outputTokens } : { reason };
        deps.logger.info({ jobId: outcome.jobId, outcome: outcome.kind, ...counts, ms: Math.round(seconds * 1000) }, 'job answered');
        sendJson(res, 200, outcome);
    } catch (e) {
        if (e instanceof LateJobError) throw new HttpError(409, 'JobLate', `${e.message}: nothing signed`);
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
    const book = input.sessions && new SessionBook({
        ctx: deps.ctx, globalId: deps.attestation.globalId, provider: Address.parseRaw(deps.attestation.provider), source: input.sessions,
        lookups: input.sessionLookups, nowMs: input.sessionLookups?.nowMs,
        onInternalError: (e) => deps.logger.error({ err: (e as Error)?.name ?? 'unknown' }, 'internal error; session answer ended with an error'),
    });
    // Session requests share the engine slots with jobs: one bound on what the engine runs at once.
    const sessions = sessionRoutes(book && { book, gate, bodyLimitBytes: limits.bodyLimitBytes, logger: deps.logger, metrics: deps.metrics, voucherToken: input.voucherToken });

    const route = async (req: IncomingMessage, res: ServerResponse) => {
        const path = (req.url ?? '/').split('?')[0];
        const method = req.method ?? 'GET';
        if (path === '/v1/jobs' && method === 'POST') return postJob(deps, limits, gate, req, res);
        if (await sessions(req, res, path, method)) return;
        if (path === '/v1/attestation' && method === 'GET') return sendJson(res, 200, deps.attestation);
        if (path === '/healthz' && method === 'GET') return sendJson(res, 200, { ok: true, ...gate.load });
        if (path === '/metrics' && method === 'GET') {
            res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
            return void res.end(await deps.metrics.registry.metrics());
        }
        if (path === '/v1/jobs') throw methodNotAllowed(method, path, ['POST']);
        if (['/v1/attestation', '/healthz', '/metrics'].includes(path)) throw methodNotAllowed(method, path, ['GET']);
        throw notFound(method, path);
    };

    const server = createHttpServer(
        {
            limits,
            classify: sessionHttpError,
            onError: (error, { cause }) => {
                if (!(cause instanceof HttpError) && !sessionHttpError(cause)) deps.logger.error({ err: (cause as Error)?.name ?? 'unknown' }, 'request failed');
                deps.metrics.rejected.inc({ status: String(error.status) });
            },
        },
        route,
    );

    return {
        server,
        metrics: deps.metrics,
        sessions: book,
        listen: (port, host = '127.0.0.1') => listen(server, port, host),
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
