/** Shared pieces of the relayer specs: a relayer as a child process, in-memory logs, a fault proxy, and on-chain checks. */
import { Address, Transaction } from '@ton/core';
import { TonClient } from '@ton/ton';
import { ChildProcess, spawn } from 'node:child_process';
import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { OP } from '../../sdk/events';
import { open } from '../../protocol/tonClient';
import { loadJobRefund, Provider } from '../../wrappers/Provider';

export const ROOT = `${__dirname}/../..`;

export interface ChildRelayer {
    proc: ChildProcess;
    output: () => string;
    exited: Promise<number | null>;
}

export function spawnRelayer(env: Record<string, string>, args: string[] = []): ChildRelayer {
    const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'relayer/main.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, ...env, COCOON_RELAYER_ENV_FILE: '/nonexistent' },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    proc.stdout!.on('data', (c) => chunks.push(c));
    proc.stderr!.on('data', (c) => chunks.push(c));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    return { proc, output: () => Buffer.concat(chunks).toString('utf8'), exited };
}

/** A pino destination that keeps every line. */
export function memoryLog(): { stream: Writable; text: () => string } {
    const chunks: string[] = [];
    const stream = new Writable({
        write(chunk, _enc, cb) {
            chunks.push(chunk.toString());
            cb();
        },
    });
    return { stream, text: () => chunks.join('') };
}

export interface FaultPlan {
    failRate: number; // answered 500 without reaching the target
    hangRate: number; // held for hangMs before forwarding (beyond the client's timeout)
    hangMs: number;
}

/**
 * Which requests a fault plan hits, spread evenly and deterministically: of every request index n,
 * the share `failRate` fails and the next share `hangRate` hangs, so any 10 consecutive requests
 * at rates 0.25 / 0.1 hold 2 or 3 failures and exactly 1 hang. (Drawing them at random made a test
 * that needs at least one hang fail now and then in a clean run.)
 */
export function evenSchedule(plan: Pick<FaultPlan, 'failRate' | 'hangRate'>): () => 'fail' | 'hang' | 'pass' {
    let n = 0;
    const hits = (rate: number, i: number) => Math.floor((i + 1) * rate) > Math.floor(i * rate);
    return () => {
        const i = n++;
        if (hits(plan.failRate, i)) return 'fail';
        // Offset the hangs so they do not all land on requests that would have failed.
        if (hits(plan.hangRate, i + Math.round(0.5 / Math.max(plan.hangRate, 1e-9)))) return 'hang';
        return 'pass';
    };
}

/** An HTTP proxy in front of `target` that fails or stalls a share of the requests (evenSchedule). */
export async function faultProxy(target: string, plan: FaultPlan, next = evenSchedule(plan)): Promise<{ url: string; stats: { failed: number; hung: number; passed: number }; close: () => Promise<void> }> {
    const t = new URL(target);
    const stats = { failed: 0, hung: 0, passed: 0 };
    const server: Server = createServer((req, res) => {
        const fate = next();
        if (fate === 'fail') {
            stats.failed++;
            req.resume();
            res.writeHead(500, { 'content-type': 'application/json' });
            return void res.end(JSON.stringify({ ok: false, error: 'injected fault', code: 500 }));
        }
        const hang = fate === 'hang';
        if (hang) stats.hung++;
        else stats.passed++;
        const forward = () => {
            const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (upRes) => {
                res.writeHead(upRes.statusCode ?? 502, upRes.headers);
                upRes.pipe(res);
            });
            up.on('error', () => {
                if (!res.headersSent) res.writeHead(502);
                res.end();
            });
            req.pipe(up);
        };
        if (hang) setTimeout(forward, plan.hangMs);
        else forward();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}`,
        stats,
        close: () => new Promise((r) => {
            server.close(() => r());
            server.closeAllConnections();
        }),
    };
}

/** Every transaction of `address`, newest first. */
export async function history(client: TonClient, address: Address): Promise<Transaction[]> {
    const out: Transaction[] = [];
    let from: Transaction | undefined;
    for (;;) {
        const page = await client.getTransactions(address, { limit: 100, archival: true, ...(from ? { lt: from.lt.toString(), hash: from.hash().toString('base64') } : {}) });
        out.push(...page);
        if (page.length < 100) return out;
        from = page[page.length - 1];
    }
}

/** JobRefund messages the Provider sent, counted per job id. */
export async function refundsPerJob(client: TonClient, provider: Address): Promise<Map<bigint, number>> {
    const counts = new Map<bigint, number>();
    for (const tx of await history(client, provider)) {
        for (const m of tx.outMessages.values()) {
            if (m.info.type !== 'internal') continue;
            const s = m.body.beginParse();
            if (s.remainingBits < 32 || s.preloadUint(32) !== OP.JobRefund) continue;
            const { jobId } = loadJobRefund(s);
            counts.set(jobId, (counts.get(jobId) ?? 0) + 1);
        }
    }
    return counts;
}

export async function ledgerOf(client: TonClient, provider: Address) {
    return open(client, Provider.fromAddress(provider)).getLedger();
}

export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, pauseMs = 100, attempts = 600): Promise<T> {
    for (let i = 0; i < attempts; i++) {
        const v = await check();
        if (v !== undefined && v !== false) return v as T;
        await new Promise((r) => setTimeout(r, pauseMs));
    }
    throw new Error(`gave up waiting for ${what}`);
}
