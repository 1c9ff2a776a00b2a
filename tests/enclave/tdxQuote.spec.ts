/**
 * The tdx quote provider against a temp dir imitating configfs-tsm: a watcher plays the kernel,
 * turning each report entry's `inblob` into an `outblob` "quote" that embeds the REPORTDATA.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, watch, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tdxQuoteProvider } from '../../enclave/quote/tdx';

const FAKE_HEADER = Buffer.from('FAKE-TDX-QUOTE:');

function fakeConfigfs() {
    const root = mkdtempSync(join(tmpdir(), 'tsm-report-'));
    const seen = new Set<string>();
    const kernel = watch(root, (_event, name) => {
        if (!name || seen.has(name)) return;
        seen.add(name);
        const entry = join(root, name);
        const answer = () => {
            const inblob = join(entry, 'inblob');
            if (existsSync(inblob) && readFileSync(inblob).length === 64) writeFileSync(join(entry, 'outblob'), Buffer.concat([FAKE_HEADER, readFileSync(inblob)]));
            else setTimeout(answer, 2);
        };
        answer();
    });
    return { root, close: () => (kernel.close(), rmSync(root, { recursive: true, force: true })) };
}

describe('tdx quote provider (configfs-tsm)', () => {
    it('writes REPORTDATA to inblob of a fresh entry and returns outblob', async () => {
        const fs = fakeConfigfs();
        try {
            const reportData = Buffer.alloc(64, 0xab);
            const provider = tdxQuoteProvider({ root: fs.root, retryBudgetMs: 2000 });
            expect(provider.kind).toBe('tdx');
            const quote = await provider.getQuote(reportData);
            expect(Buffer.from(quote)).toEqual(Buffer.concat([FAKE_HEADER, reportData]));
            const entries = readdirSync(fs.root);
            expect(entries).toHaveLength(1);
            expect(entries[0]).toMatch(/^cocoon-\d+-[0-9a-f]{12}$/);
        } finally {
            fs.close();
        }
    });

    it('rejects REPORTDATA that is not 64 bytes', async () => {
        await expect(tdxQuoteProvider({ root: tmpdir() }).getQuote(new Uint8Array(32))).rejects.toThrow(/64 bytes/);
    });

    it('fails clearly when no quote ever appears', async () => {
        const root = mkdtempSync(join(tmpdir(), 'tsm-dead-'));
        try {
            await expect(tdxQuoteProvider({ root, retryBudgetMs: 50 }).getQuote(new Uint8Array(64))).rejects.toThrow(/configfs-tsm/);
        } finally {
            rmSync(root, { recursive: true, force: true });
        }
    });

    it('fails clearly when configfs-tsm is absent', async () => {
        // Issue 12 #8: a raw "ENOENT mkdir /sys/kernel/config/tsm/…" told a provider nothing.
        const failure = tdxQuoteProvider({ root: join(tmpdir(), 'no-such-tsm-root') }).getQuote(new Uint8Array(64));
        await expect(failure).rejects.toThrow(/configfs-tsm is not usable at .*no-such-tsm-root \(ENOENT\): this machine is not a TDX guest.*--quote dev/);
    });
});
