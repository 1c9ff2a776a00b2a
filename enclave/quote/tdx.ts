/**
 * Real TDX quotes through the Linux configfs-tsm ABI (Documentation/ABI/testing/configfs-tsm):
 * make a report entry, write REPORTDATA to `inblob`, read the quote from `outblob`, remove the entry.
 *
 * `root` is configurable so tests can point it at a temp dir imitating configfs. Reading `outblob`
 * makes the guest ask the host's quoting service and can fail transiently (EBUSY/EAGAIN while a
 * quote is in flight, or the attribute not yet visible), hence a short bounded retry.
 */
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { QuoteProvider, requireReportData } from './provider';

export const CONFIGFS_TSM_REPORT_ROOT = '/sys/kernel/config/tsm/report';
const RETRY_CODES = new Set(['EBUSY', 'EAGAIN', 'ENOENT']);
const RETRY_DELAY_MS = 10;
const DEFAULT_RETRY_BUDGET_MS = 5000;

export interface TdxQuoteOptions {
    root?: string;
    retryBudgetMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readOutblob(path: string, budgetMs: number): Promise<Buffer> {
    const deadline = Date.now() + budgetMs;
    for (;;) {
        try {
            const quote = await readFile(path);
            if (quote.length > 0) return quote;
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code ?? '';
            if (!RETRY_CODES.has(code) || Date.now() > deadline) throw new Error(`configfs-tsm: reading outblob failed (${code})`);
        }
        if (Date.now() > deadline) throw new Error('configfs-tsm: outblob stayed empty');
        await sleep(RETRY_DELAY_MS);
    }
}

export function tdxQuoteProvider(options: TdxQuoteOptions = {}): QuoteProvider {
    const root = options.root ?? CONFIGFS_TSM_REPORT_ROOT;
    return {
        kind: 'tdx',
        async getQuote(reportData: Uint8Array) {
            requireReportData(reportData);
            // A fresh entry per quote: entries are shared kernel state, and a unique name keeps two
            // callers from reading each other's outblob.
            const entry = join(root, `cocoon-${process.pid}-${randomBytes(6).toString('hex')}`);
            await mkdir(entry).catch((e: NodeJS.ErrnoException) => {
                if (e.code !== 'ENOENT' && e.code !== 'EACCES' && e.code !== 'EPERM') throw e;
                throw new Error(
                    `configfs-tsm is not usable at ${root} (${e.code}): this machine is not a TDX guest, the kernel lacks TSM reports, or configfs is not mounted ` +
                        '(mount -t configfs none /sys/kernel/config). For development without TDX use --quote dev.',
                );
            });
            try {
                await writeFile(join(entry, 'inblob'), reportData);
                return new Uint8Array(await readOutblob(join(entry, 'outblob'), options.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS));
            } finally {
                await rmdir(entry).catch(() => undefined);
            }
        },
    };
}
