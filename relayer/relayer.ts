/**
 * Assembles a relayer from its configuration: store, chain client, one watcher per Provider, the job
 * pipeline, the keeper when asked, the session settlement service for the Providers with a voucher
 * feed, and the HTTP endpoints. One shutdown path (`stop`): stop polling,
 * let in-flight steps end, close the HTTP server and the store. main.ts, the demo and the tests all
 * start it through `startRelayer`.
 */
import type { DestinationStream } from 'pino';
import { sleep } from './backoff';
import { Chain } from './chain';
import type { RelayerConfig } from './config';
import { classify } from './errors';
import { startHttp } from './http';
import { Keeper } from './keeper';
import { createLogger, Logger } from './log';
import { createMetrics, RelayerMetrics } from './metrics';
import { Pipeline } from './pipeline';
import { RunnerDirectory } from './runners';
import { SessionSettler } from './sessions';
import { Store } from './store';
import { httpVoucherSource, VoucherSource } from './voucherFeed';
import { OperatorWallet } from './wallet';
import { Watcher } from './watcher';

/** /healthz turns 503 when a watcher has not reached its head for this many poll intervals (and at least the floor). */
export const HEALTH_STALE_POLLS = 10;
export const HEALTH_STALE_FLOOR_MS = 5_000;

export interface RelayerHandle {
    url: string; // base URL of /healthz and /metrics
    store: Store;
    metrics: RelayerMetrics;
    log: Logger;
    keeperAddress?: string;
    sessions?: SessionSettler;
    /** Resolves once every watcher has polled (successfully) at least once since start. */
    caughtUp(): Promise<void>;
    stop(): Promise<void>;
}

export interface RelayerOptions {
    logDestination?: DestinationStream;
    logger?: Logger;
    /** Where the settlement service reads vouchers (default: each runner's feed over HTTP). */
    voucherSource?: VoucherSource;
}

export async function startRelayer(config: RelayerConfig, options: RelayerOptions = {}): Promise<RelayerHandle> {
    const log = options.logger ?? createLogger(config.logLevel, options.logDestination);
    const store = new Store(config.dbPath);
    let storeOpen = true;
    const metrics = createMetrics(() => (storeOpen ? store : undefined));
    const chain = new Chain({ endpoint: config.endpoint, apiKey: config.apiKey, timeoutMs: config.rpcTimeoutMs });
    const deps = { chain, store, log, metrics };
    const watchers = config.providers.map((p) => new Watcher(p.address, { ...deps, pageSize: config.pageSize }));
    const runners = new RunnerDirectory(chain, new Map(config.providers.flatMap((p) => (p.runnerUrl ? [[p.address.toRawString(), p.runnerUrl] as const] : []))), config.runnerUrlRefreshMs);
    const pipeline = new Pipeline(deps, {
        runners,
        concurrency: config.concurrency,
        graceSeconds: config.graceSeconds,
        pollMs: config.pollMs,
        runnerTimeoutMs: config.runnerTimeoutMs,
    });
    const wallet = config.keeperMnemonic ? new OperatorWallet(config.keeperMnemonic, chain, config.keeperNetwork) : undefined;
    const keeper = config.keeper && wallet ? new Keeper(wallet, { ...deps, providers: config.providers.map((p) => p.address) }) : undefined;
    const feeds = config.sessions.feeds;
    const settler = feeds.length === 0 ? undefined : new SessionSettler(
        { chain, store: store.sessions, log, metrics, wallet },
        config.sessions,
        options.voucherSource ?? httpVoucherSource(runners, new Map(feeds.map((f) => [f.address.toRawString(), f.token])), { timeoutMs: config.sessions.feedTimeoutMs }),
    );
    // Whatever happened to the waiting sessions while the relayer was down is read before anything is sent.
    if (settler) store.sessions.touchAll();

    const stopping = new AbortController();
    const staleMs = Math.max(HEALTH_STALE_FLOOR_MS, HEALTH_STALE_POLLS * config.pollMs);
    const health = () => {
        const now = Date.now();
        const providers = watchers.map((w) => ({ address: w.raw, lagSeconds: Number.isFinite(w.lagSeconds(now)) ? w.lagSeconds(now) : null }));
        const ok = storeOpen && !stopping.signal.aborted && watchers.every((w) => now - w.lastHeadAt < staleMs);
        return {
            ok, providers, jobs: storeOpen ? store.countsByState() : null, deliveries: storeOpen ? store.deliveryCounts() : null, keeper: Boolean(keeper),
            sessions: settler && storeOpen ? store.sessions.countsByState() : null,
        };
    };
    const http = await startHttp(config.host, config.port, metrics, health);

    const loop = async (name: string, every: number, step: () => Promise<unknown>, onError: (e: unknown) => void) => {
        while (!stopping.signal.aborted) {
            try {
                await step();
            } catch (e) {
                if (!stopping.signal.aborted) onError(e);
            }
            await sleep(every, stopping.signal);
        }
        log.debug({ loop: name }, 'loop stopped');
    };

    let firstPolls: Promise<void>[] = [];
    const loops = watchers.map((w) => {
        let resolveFirst!: () => void;
        firstPolls.push(new Promise<void>((r) => (resolveFirst = r)));
        return loop(`watch ${w.raw}`, config.pollMs, async () => {
            await w.poll();
            metrics.cursorLag.set({ provider: w.raw }, 0);
            resolveFirst();
            pipeline.recordFresh(w.lastCreated);
            pipeline.recordEnded(w.lastFinished);
            pipeline.kick();
            settler?.touch(w.address, w.lastSessions);
        }, (e) => {
            const err = classify('watch', e);
            metrics.errors.inc({ stage: 'watch', class: err.retryable ? 'retryable' : 'fatal' });
            metrics.cursorLag.set({ provider: w.raw }, Number.isFinite(w.lagSeconds()) ? w.lagSeconds() : -1);
            log.warn({ provider: w.raw, error: err.message }, 'poll failed');
        });
    });
    // Retries that came due while no new transaction arrived.
    loops.push(loop('pipeline', config.pollMs, async () => pipeline.kick(), () => undefined));
    if (keeper) {
        loops.push(loop('keeper', config.keeperIntervalMs, () => keeper.tick(), (e) => {
            const err = classify('expire', e);
            metrics.errors.inc({ stage: 'expire', class: err.retryable ? 'retryable' : 'fatal' });
            log.warn({ error: err.message }, 'keeper round failed');
        }));
    }
    if (settler) {
        for (const f of feeds) loops.push(loop(`sessions ${f.address.toRawString()}`, config.sessions.pollMs, () => settler.round(f.address, stopping.signal), () => undefined));
    }
    const keeperAddress = keeper ? (await wallet!.address()).toString() : undefined;
    log.info({ url: http.url, providers: watchers.map((w) => w.raw), keeper: keeperAddress ?? false, sessionFeeds: feeds.map((f) => f.address.toRawString()), pollMs: config.pollMs }, 'relayer started');

    let stopped: Promise<void> | undefined;
    const stop = () =>
        (stopped ??= (async () => {
            log.info('relayer stopping');
            stopping.abort();
            await pipeline.stop();
            await Promise.allSettled(loops);
            await new Promise<void>((resolve) => {
                http.server.close(() => resolve());
                http.server.closeAllConnections();
            });
            storeOpen = false;
            store.close();
            log.info('relayer stopped');
        })());

    return { url: http.url, store, metrics, log, keeperAddress, sessions: settler, caughtUp: () => Promise.all(firstPolls).then(() => undefined), stop };
}
