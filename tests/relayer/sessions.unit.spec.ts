/**
 * The settlement service's parts without a chain: when to settle (`decide`), the voucher store (only
 * a higher sequence replaces the one held, an ended session is never revived, sends written ahead,
 * a database from before sessions gains the table) and the configuration.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../relayer/config';
import { decide } from '../../relayer/sessions';
import { NewVoucher, SessionSnapshot } from '../../relayer/sessionStore';
import { Store } from '../../relayer/store';

const TON = 1_000_000_000n;
const THRESHOLD = { thresholdNano: TON / 10n };

describe('decide: when a voucher is settled', () => {
    const snap = (over: Partial<SessionSnapshot> = {}) => ({ paid: 0n, lastSeq: 0n, deposit: 2n * TON, expiresAt: 10_000, settleUntil: 13_600, closing: false, window: 3600, ...over });
    const v = (charge: bigint, over: Partial<{ seq: bigint; final: boolean; tooSmallSeq: bigint | null }> = {}) => ({ seq: 1n, charge, final: false, tooSmallSeq: null, ...over });

    it('waits below the threshold until a third of the window before the expiry, then settles', () => {
        expect(decide(v(TON / 20n), snap(), 5_000, THRESHOLD)).toEqual({ action: 'wait', until: 10_000 - 1200 });
        expect(decide(v(TON / 20n), snap(), 8_800, THRESHOLD)).toEqual({ action: 'settle', reason: 'ending' });
        expect(decide(v(TON / 20n), snap(), 8_000, { ...THRESHOLD, marginSeconds: 60 })).toEqual({ action: 'wait', until: 10_000 - 60 });
    });

    it('settles what adds the threshold over what was paid, a closing session and a final voucher at once', () => {
        expect(decide(v(TON / 10n), snap(), 5_000, THRESHOLD)).toEqual({ action: 'settle', reason: 'threshold' });
        expect(decide(v(TON / 5n), snap({ paid: TON / 10n + 1n }), 5_000, THRESHOLD).action).toBe('wait');
        expect(decide(v(1n), snap({ closing: true, settleUntil: 8_600 }), 5_000, THRESHOLD)).toEqual({ action: 'settle', reason: 'closing' });
        expect(decide(v(1n, { final: true }), snap(), 5_000, THRESHOLD)).toEqual({ action: 'settle', reason: 'final' });
    });

    it('a close that moves the window before the expiry ends the session sooner', () => {
        // Closed at 6,000 with a 3,600 s window: settleUntil 9,600 < expiresAt.
        expect(decide(v(1n), snap({ settleUntil: 9_600 }), 5_000, THRESHOLD)).toEqual({ action: 'wait', until: 9_600 - 1200 });
    });

    it('holds a voucher above the deposit, and a too-small one (the caller knows whether the session is ending)', () => {
        expect(decide(v(3n * TON), snap(), 5_000, THRESHOLD)).toEqual({ action: 'hold', why: 'above_deposit', ending: false });
        expect(decide(v(1n, { tooSmallSeq: 1n }), snap({ closing: true }), 5_000, THRESHOLD)).toEqual({ action: 'hold', why: 'too_small', ending: true });
        expect(decide(v(1n, { seq: 2n, tooSmallSeq: 1n }), snap({ closing: true }), 5_000, THRESHOLD).action).toBe('settle');
    });
});

describe('session voucher store', () => {
    const dir = () => join(mkdtempSync(join(tmpdir(), 'cocoon-sessionstore-')), 'relayer.sqlite');
    const terms = { enclaveKey: 'ab'.repeat(32), priceIn: TON, priceOut: 4n * TON, window: 3600, feeBps: 500 };
    const snapshot: SessionSnapshot = { paid: 0n, lastSeq: 0n, deposit: 2n * TON, expiresAt: 10_000, settleUntil: 13_600, closing: false };
    const voucher = (seq: bigint, charge: bigint, nextCheckAt = 1_000): NewVoucher => ({
        provider: '0:' + '11'.repeat(32), sessionId: 7n, seq, charge, final: false, voucher: JSON.stringify({ seq: String(seq) }), terms, snapshot, nextCheckAt,
    });

    it('keeps only the highest sequence; an ended session is never revived', () => {
        const store = new Store(dir());
        const s = store.sessions;
        expect(s.record(voucher(2n, 20n))).toBe(true);
        expect(s.record(voucher(1n, 10n))).toBe(false);
        expect(s.record(voucher(2n, 99n))).toBe(false);
        expect(s.get(voucher(0n, 0n).provider, 7n)).toMatchObject({ seq: 2n, charge: 20n, state: 'pending', enclaveKey: terms.enclaveKey, window: 3600 });
        expect(s.record(voucher(3n, 30n, 500))).toBe(true);
        expect(s.get(voucher(0n, 0n).provider, 7n)).toMatchObject({ seq: 3n, nextCheckAt: 500 });
        s.ended(voucher(0n, 0n).provider, 7n, 'lost', 'window over');
        expect(s.record(voucher(4n, 40n))).toBe(false);
        expect(s.get(voucher(0n, 0n).provider, 7n)).toMatchObject({ seq: 3n, state: 'ended', endKind: 'lost' });
        store.close();
    });

    it('writes a send ahead, counts resends of one sequence, and refuses a send for a voucher it no longer holds', () => {
        const store = new Store(dir());
        const s = store.sessions;
        const p = voucher(0n, 0n).provider;
        s.record(voucher(1n, 10n));
        const at = { now: 100, checkAt: 200, resendAt: 300 };
        expect(s.sending(p, 7n, 1n, 'external', at)).toBe(true);
        expect(s.sending(p, 7n, 1n, 'external', { ...at, now: 400 })).toBe(true);
        expect(s.get(p, 7n)).toMatchObject({ state: 'sent', sends: 2, sentSeq: 1n, firstSentAt: 100, resendAt: 300, nextCheckAt: 200 });
        expect(s.sending(p, 7n, 2n, 'external', at)).toBe(false); // seq 2 is not the voucher held
        s.record(voucher(2n, 20n));
        expect(s.sending(p, 7n, 2n, 'wallet', { ...at, now: 500 })).toBe(true);
        expect(s.get(p, 7n)).toMatchObject({ sends: 1, sentSeq: 2n, sentVia: 'wallet', firstSentAt: 500 });
        expect(s.owed()).toBe(20n);
        store.close();
    });

    it('a database written before sessions gains the table on open, its jobs kept', () => {
        const path = dir();
        const old = new Database(path);
        old.exec(`create table cursors (provider text primary key, lt text not null, hash text not null, utime integer not null);
            insert into cursors values ('0:00', '5', 'aa', 1);`);
        old.close();
        const store = new Store(path);
        expect(store.cursor('0:00')).toEqual({ lt: 5n, hash: 'aa', utime: 1 });
        expect(store.sessions.record(voucher(1n, 1n))).toBe(true);
        store.close();
    });
});

describe('session config', () => {
    const base = { COCOON_RELAYER_ENDPOINT: 'http://127.0.0.1:8081/jsonRPC', COCOON_RELAYER_PROVIDERS: 'EQBzKQXEMymiggWuqpIK3Ui8nrtOwdh-G8upjHRAE_aA8ZUF' };
    const problems = (env: Record<string, string>) => {
        try {
            parseConfig({ ...base, ...env });
        } catch (e) {
            return (e as ConfigError).problems.join('\n');
        }
        return '';
    };

    it('is off without feeds; defaults: 0.1 TON threshold, margin a third of each window, 5 s polls, 5 min re-reads', () => {
        const c = parseConfig(base);
        expect(c.sessions).toEqual({ feeds: [], thresholdNano: TON / 10n, marginSeconds: undefined, pollMs: 5000, checkMs: 300_000, feedTimeoutMs: 10_000, walletSettle: false });
        const on = parseConfig({ ...base, COCOON_RELAYER_SESSION_FEEDS: `${base.COCOON_RELAYER_PROVIDERS}=abcdefghijklmnop+/==`, COCOON_RELAYER_SESSION_THRESHOLD_TON: '0.25', COCOON_RELAYER_SESSION_MARGIN_SECONDS: '300', COCOON_RELAYER_SESSION_WALLET_SETTLE: '1' });
        expect(on.sessions).toMatchObject({ thresholdNano: TON / 4n, marginSeconds: 300, walletSettle: true });
        expect(() => parseConfig({ ...base, COCOON_RELAYER_SESSION_WALLET_SETTLE: 'yes' })).toThrow(/COCOON_RELAYER_SESSION_WALLET_SETTLE must be 1 or 0/);
        expect(on.sessions.feeds[0].token).toBe('abcdefghijklmnop+/==');
        expect(Object.isFrozen(on.sessions)).toBe(true);
    });

    it('refuses a feed of an unwatched Provider, a missing or short token, and a bad threshold, all at once', () => {
        const text = problems({
            COCOON_RELAYER_SESSION_FEEDS: `EQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAM9c=abcdefghijklmnopq,${base.COCOON_RELAYER_PROVIDERS}=short`,
            COCOON_RELAYER_SESSION_THRESHOLD_TON: '-1',
        });
        expect(text).toContain('is not in COCOON_RELAYER_PROVIDERS');
        expect(text).toContain('must be a bearer token of 16 to 1024 characters');
        expect(text).toContain('COCOON_RELAYER_SESSION_THRESHOLD_TON must be an amount in TON');
        expect(problems({ COCOON_RELAYER_SESSION_FEEDS: base.COCOON_RELAYER_PROVIDERS })).toContain('must be a bearer token');
    });
});
