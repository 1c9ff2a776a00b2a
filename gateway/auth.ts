/**
 * API keys (bearer tokens) with optional spending limits. A key's spending is what its jobs
 * actually cost the gateway's wallet (escrow less refund). Jobs in flight reserve their worst case
 * against the limit, so concurrent requests cannot overshoot it.
 *
 * Spending is kept in SQLite (`spendingDb`), so a restart does not reset a limit (the review spent
 * 0.165 TON on a 0.1 TON key across one restart). A reservation is booked as spent when it is made
 * and corrected to the actual cost when the job ends, so a crash in between can only under-use a
 * key, never overspend it.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { HttpError } from '../http/errors';

/**
 * better-sqlite3 is a native module (built at install), an optional peer dependency of the installed
 * package: only a gateway that keeps key spending on disk needs it, so SDK users never build it.
 */
function openDatabase(file: string): Database.Database {
    let open: typeof Database;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        open = require('better-sqlite3');
    } catch {
        throw new Error('the gateway keeps API key spending in SQLite: install better-sqlite3 next to cocoon (npm install better-sqlite3)');
    }
    return new open(file);
}

export interface ApiKeySpec {
    key: string;
    /** Most this key may spend, in nanotons; undefined = no limit. */
    limit?: bigint;
}

export interface KeyAccount {
    readonly id: string; // short hash of the key, safe to log
    readonly limit?: bigint;
    spent: bigint;
    reserved: bigint;
    /** Writes `spent + reserved` (what a crash now would leave booked) to the store, if any. */
    persist?: () => void;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class ApiKeys {
    private readonly accounts: { hash: Buffer; account: KeyAccount }[];

    private readonly db?: Database.Database;

    /** `spendingDb`: SQLite file that keeps each key's spending across restarts (':memory:' for none). */
    constructor(specs: ApiKeySpec[], spendingDb?: string) {
        if (spendingDb && specs.length) {
            this.db = openDatabase(spendingDb);
            this.db.pragma('journal_mode = WAL');
            this.db.exec('create table if not exists spending (key_id text primary key, spent text not null)');
        }
        const load = this.db?.prepare('select spent from spending where key_id = ?');
        const save = this.db?.prepare('insert into spending (key_id, spent) values (?, ?) on conflict(key_id) do update set spent = excluded.spent');
        this.accounts = specs.map((s) => {
            const id = digest(s.key).toString('hex').slice(0, 12);
            const stored = load?.get(id) as { spent: string } | undefined;
            const account: KeyAccount = { id, limit: s.limit, spent: stored ? BigInt(stored.spent) : 0n, reserved: 0n };
            if (save) account.persist = () => void save.run(id, (account.spent + account.reserved).toString());
            return { hash: digest(s.key), account };
        });
    }

    close(): void {
        this.db?.close();
    }

    get enabled(): boolean {
        return this.accounts.length > 0;
    }

    /** The account for an `Authorization` header; null when keys are off. Throws 401 on a missing or unknown key. */
    authenticate(header: string | undefined): KeyAccount | null {
        if (!this.enabled) return null;
        const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
        if (!m) throw new HttpError(401, 'invalid_api_key', 'missing API key: send "Authorization: Bearer <key>"');
        const h = digest(m[1].trim());
        const found = this.accounts.find((a) => timingSafeEqual(a.hash, h));
        if (!found) throw new HttpError(401, 'invalid_api_key', 'incorrect API key');
        return found.account;
    }
}

/** Reserves `amount` against the key's limit; returns the release function that books the actual cost. */
export function reserve(account: KeyAccount | null, amount: bigint): (cost: bigint) => void {
    if (!account) return () => {};
    if (account.limit !== undefined && account.spent + account.reserved + amount > account.limit) {
        throw new HttpError(429, 'spending_limit_exceeded', `this API key's spending limit is reached (spent ${account.spent} of ${account.limit} nanotons, ${account.reserved} reserved by jobs in flight)`);
    }
    account.reserved += amount;
    account.persist?.();
    let done = false;
    return (cost: bigint) => {
        if (done) return;
        done = true;
        account.reserved -= amount;
        account.spent += cost > 0n ? cost : 0n;
        account.persist?.();
    };
}
