/**
 * The settlement service: the provider's relayer keeps the latest voucher of every session its
 * runner serves and settles it on chain in time.
 *
 * Each round, per Provider with a feed: read the runner's voucher feed (voucherFeed.ts), check
 * each voucher (this network and Provider, signed by the session's enclave key read on chain,
 * charge = the price of its counts at the session's prices, sequence above the one held) and commit
 * it to SQLite before anything else happens (sessionStore.ts); then settle the sessions that are
 * due by an external SettleVoucher, which needs no wallet (the provider pays the delivery out of
 * what the voucher adds).
 *
 * When to settle (`decide`), whichever comes first: the voucher adds at least the threshold over
 * what the chain has paid; the client asked to close (the challenge window runs); the voucher is
 * final (the Provider then ends the session with it, as the client's CloseWithVoucher would: whichever
 * lands first, the client's rest returns at once and the other is refused); chain time is within the margin of the session's end (its expiry, or the end of the window
 * when that is earlier). Never after `settleUntil`: past it a voucher is recorded as lost, not sent.
 * A voucher that adds too little to pay its external delivery (ERR_NOTHING_TO_PAY) waits for a
 * bigger one; if the session is ending it is logged and left (the client keeps what it did not pay):
 * the wallet route costs more than the external one, which already costs more than such a voucher
 * adds. Only when `walletSettle` is on does it go as an internal message from the relayer wallet, at a loss.
 *
 * The chain is read before every send (`lastSeq`, `settleUntil`, chain time), never the relayer's
 * clock, so a restarted relayer or another settler cost at most a refused external. Sends are
 * written ahead and confirmed by reading the record again (`lastSeq` at or above the sequence sent);
 * one not seen applied is sent again on the job deliveries' schedule (backoff.ts), brought forward
 * as the window's end nears. The watcher reports the sessions its transactions touch (a close, a
 * settlement by someone else, a top-up), so the record is otherwise read again only every
 * min(check interval, a quarter of the margin).
 */
import { Address, internal, toNano } from '@ton/core';
import { Exit, exitName } from '../protocol/errors';
import { settleVoucherBody, voucherProblem } from '../protocol/settlement';
import { voucherFromJson } from '../protocol/voucherJson';
import type { SessionRecord } from '../wrappers/Provider';
import { backoffMs, resendDelayMs } from './backoff';
import type { Chain } from './chain';
import { classify } from './errors';
import type { Logger } from './log';
import type { RelayerMetrics } from './metrics';
import type { SessionRow, SessionSnapshot, SessionStore, SessionTerms } from './sessionStore';
import type { VoucherSource } from './voucherFeed';
import type { OperatorWallet } from './wallet';

/** What an internal settlement carries: its gas (~0.011 TON measured), the rest comes back. */
export const SETTLE_WALLET_VALUE = toNano('0.05');
/**
 * What a settlement from the relayer wallet costs it, all fees included: 0.0114 TON measured in the
 * sandbox (the Provider's transaction), 0.0155 on the devnet with the wallet's own transaction, 0.0173
 * with 131 sessions open (tests/relayer/sessions.scale.spec.ts); rounded up. The wallet route is taken
 * for a voucher that cannot go by external only when its share (owed less the protocol fee) is above this.
 */
export const SETTLE_WALLET_COST = toNano('0.02');
/**
 * The exit code of an external message that ran out of its 10,000-gas credit before acceptMessage()
 * (TVM out of gas; not accepted, nothing charged). For SettleVoucher it means the Provider's session
 * map has grown past what the credit covers (129 open sessions measured; docs/SPEC.md).
 */
export const EXIT_OUT_OF_GAS = -14;
/** After this long without an external refused out of gas the external route is tried again (sessions close, the map shrinks); a refusal costs nothing. */
export const EXTERNAL_RETRY_MS = 10 * 60_000;
/** Sends of one voucher from the wallet at most: each costs the wallet its gas. */
export const MAX_WALLET_SENDS_PER_VOUCHER = 2;
/** Sessions first seen in one feed poll whose record is read; the rest wait for the next poll (a hostile feed cannot make a poll read the chain thousands of times). */
export const MAX_LOOKUPS_PER_POLL = 100;
export const MAX_SETTLE_PER_ROUND = 100;
/** Sessions looked up and kept in memory until they have a stored voucher (the store holds the terms then). */
export const TERMS_CACHE_SIZE = 10_000;

export interface SessionSettings {
    thresholdNano: bigint;
    /** Seconds before a session's end at which its voucher is settled whatever it owes; default a third of its challenge window. */
    marginSeconds?: number;
    pollMs: number;
    /** A waiting session's record is read again at least this often (and at least every quarter margin). */
    checkMs: number;
    /** Settle a too-small voucher of an ending session from the relayer wallet, at a loss (off by default). */
    walletSettle: boolean;
}

export type Decision =
    | { action: 'wait'; until: number } // chain time at which the session starts ending
    | { action: 'settle'; reason: 'threshold' | 'closing' | 'final' | 'ending' }
    | { action: 'hold'; why: 'above_deposit' | 'too_small'; ending: boolean };

export function marginFor(window: number, marginSeconds?: number): number {
    return marginSeconds ?? Math.floor(window / 3);
}

/** Whether a voucher should be settled now, given a reading of its session's record at chain time `chainNow` (before `settleUntil`). */
export function decide(
    v: { seq: bigint; charge: bigint; final: boolean; tooSmallSeq: bigint | null },
    s: SessionSnapshot & { window: number },
    chainNow: number,
    o: { thresholdNano: bigint; marginSeconds?: number },
): Decision {
    const endingAt = Math.min(s.expiresAt, s.settleUntil) - marginFor(s.window, o.marginSeconds);
    const ending = s.closing || v.final || chainNow >= endingAt;
    const owed = v.charge - s.paid;
    if (!ending && owed < o.thresholdNano) return { action: 'wait', until: endingAt };
    if (v.charge > s.deposit) return { action: 'hold', why: 'above_deposit', ending };
    if (v.tooSmallSeq === v.seq) return { action: 'hold', why: 'too_small', ending };
    return { action: 'settle', reason: owed >= o.thresholdNano ? 'threshold' : s.closing ? 'closing' : v.final ? 'final' : 'ending' };
}

export function snapshotOf(r: SessionRecord): SessionSnapshot {
    return { paid: r.paid, lastSeq: r.lastSeq, deposit: r.deposit, expiresAt: Number(r.expiresAt), settleUntil: Number(r.settleUntil), closing: r.closing };
}

const hex32 = (v: bigint) => v.toString(16).padStart(64, '0');
const REFUSALS_TO_RECHECK = new Set([Exit.ERR_VOUCHER_STALE, Exit.ERR_SESSION_WINDOW_OVER, Exit.ERR_SESSION_UNKNOWN, Exit.ERR_VOUCHER_ABOVE_DEPOSIT]);

export interface SessionDeps {
    chain: Chain;
    store: SessionStore;
    log: Logger;
    metrics: RelayerMetrics;
    wallet?: OperatorWallet;
}

export class SessionSettler {
    /** Sessions looked up without a stored voucher yet (a forged voucher for one costs no second read); the terms never change, a stale reading is read again before use. */
    private readonly known = new Map<string, { terms: SessionTerms; snapshot: SessionSnapshot; checkedAt: number }>();
    private readonly unknownUntil = new Map<string, number>(); // sessions the chain did not know, not asked again before then (ms)
    private readonly globalIds = new Map<string, number>();
    private readonly inStep = new Set<string>();
    private readonly touchedInStep = new Set<string>();
    private readonly reported = new Set<string>(); // firstReport's memory
    private offset = 0; // chain seconds − local seconds at the last chain time read

    constructor(
        private readonly deps: SessionDeps,
        private readonly settings: SessionSettings,
        private readonly source: VoucherSource,
    ) {}

    /** One round for one Provider: read its feed and keep what checks out, then settle what is due. */
    async round(provider: Address, signal?: AbortSignal): Promise<void> {
        try {
            await this.poll(provider, signal);
        } catch (e) {
            if (signal?.aborted) return;
            const err = classify('feed', e);
            this.deps.metrics.errors.inc({ stage: 'feed', class: err.retryable ? 'retryable' : 'fatal' });
            this.deps.log.warn({ provider: provider.toRawString(), error: err.message }, 'voucher feed read failed');
        }
        if (!signal?.aborted) await this.settleDue(provider);
    }

    async poll(provider: Address, signal?: AbortSignal): Promise<{ stored: number; refused: number }> {
        return this.ingest(provider, await this.source(provider, signal));
    }

    /** Sessions whose record a transaction may have changed: read again in the next round. */
    touch(provider: Address, sessionIds: readonly bigint[]): void {
        if (sessionIds.length === 0) return;
        const raw = provider.toRawString();
        this.deps.store.touch(raw, sessionIds);
        for (const id of sessionIds) if (this.inStep.has(`${raw}/${id}`)) this.touchedInStep.add(`${raw}/${id}`);
    }

    /** Checks each voucher of a feed answer and stores those that are new; one bad item costs only itself. */
    async ingest(provider: Address, items: unknown[]): Promise<{ stored: number; refused: number }> {
        const { store, chain, metrics, log } = this.deps;
        const raw = provider.toRawString();
        const globalId = await this.globalId(provider);
        const refused: Record<string, number> = {};
        const refuse = (reason: string) => {
            refused[reason] = (refused[reason] ?? 0) + 1;
            metrics.vouchersRefused.inc({ reason });
        };
        let stored = 0;
        let lookups = 0;
        for (const item of items) {
            let parsed;
            try {
                parsed = voucherFromJson(item);
            } catch {
                refuse('malformed');
                continue;
            }
            const { session, voucher: v } = parsed;
            if (session.globalId !== globalId || !session.provider.equals(provider)) {
                refuse('foreign');
                continue;
            }
            const key = `${raw}/${session.sessionId}`;
            const row = store.get(raw, session.sessionId);
            // Nothing newer than what is held (or the session is over for this relayer): no chain read.
            if (row && (row.state === 'ended' || row.seq >= v.seq)) continue;
            let known = row ? { terms: row as SessionTerms, snapshot: row as SessionSnapshot, checkedAt: row.checkedAt } : this.known.get(key);
            if (!known) {
                if ((this.unknownUntil.get(key) ?? 0) > Date.now()) {
                    refuse('unknown_session');
                    continue;
                }
                if (lookups >= MAX_LOOKUPS_PER_POLL) {
                    metrics.vouchersRefused.inc({ reason: 'deferred' });
                    continue;
                }
                lookups++;
                const record = await chain.session(provider, session.sessionId);
                if (!record) {
                    this.unknownUntil.set(key, Date.now() + this.settings.checkMs);
                    refuse('unknown_session');
                    continue;
                }
                const window = record.closing ? await chain.sessionWindow(provider, session.sessionId) : Number(record.settleUntil - record.expiresAt);
                if (window === null) continue; // ended between the two reads
                known = {
                    terms: { enclaveKey: hex32(record.enclaveKey), priceIn: record.pricePerMillionIn, priceOut: record.pricePerMillionOut, window, feeBps: Number(record.protocolFeeBps) },
                    snapshot: snapshotOf(record),
                    checkedAt: Date.now(),
                };
                this.remember(key, known);
            }
            const { terms, snapshot, checkedAt } = known;
            const problem = voucherProblem(session, v, { globalId, provider }, { enclaveKey: BigInt(`0x${terms.enclaveKey}`), pricePerMillionIn: terms.priceIn, pricePerMillionOut: terms.priceOut });
            if (problem) {
                refuse(problem);
                continue;
            }
            if (v.seq <= snapshot.lastSeq) continue; // the chain already holds it or a later one
            const d = decide({ ...v, tooSmallSeq: row?.tooSmallSeq ?? null }, { ...snapshot, window: terms.window }, this.chainNow(), this.settings);
            const nextCheckAt = d.action === 'wait' ? Math.min(checkedAt + this.recheckMs(terms.window), this.localMsAt(d.until)) : 0;
            const written = store.record({
                provider: raw, sessionId: session.sessionId, seq: v.seq, charge: v.charge, final: v.final, voucher: JSON.stringify(item),
                terms, snapshot, nextCheckAt,
            });
            if (!written) continue;
            stored++;
            metrics.vouchersStored.inc();
            log.info({ provider: raw, sessionId: session.sessionId.toString(), seq: v.seq.toString(), charge: v.charge.toString(), final: v.final }, 'voucher stored');
        }
        const refusedCount = Object.values(refused).reduce((a, b) => a + b, 0);
        if (refusedCount > 0) log.warn({ provider: raw, refused }, 'vouchers refused');
        return { stored, refused: refusedCount };
    }

    /** Reads, settles or confirms every session of `provider` whose check is due; returns how many were looked at. */
    async settleDue(provider: Address): Promise<number> {
        const { store, chain, metrics, log } = this.deps;
        const raw = provider.toRawString();
        const rows = store.due(raw, Date.now(), MAX_SETTLE_PER_ROUND);
        if (rows.length === 0) return 0;
        let chainNow: number;
        try {
            chainNow = await chain.chainTime(provider, 'settle');
        } catch (e) {
            const err = classify('settle', e);
            metrics.errors.inc({ stage: 'settle', class: err.retryable ? 'retryable' : 'fatal' });
            log.warn({ provider: raw, error: err.message }, 'chain time read failed; settlement waits');
            return 0;
        }
        this.offset = chainNow - Math.floor(Date.now() / 1000);
        for (const row of rows) {
            const key = `${raw}/${row.sessionId}`;
            this.inStep.add(key);
            try {
                await this.step(provider, row, chainNow);
            } catch (e) {
                const err = classify('settle', e);
                metrics.errors.inc({ stage: 'settle', class: err.retryable ? 'retryable' : 'fatal' });
                store.retryLater(raw, row.sessionId, Date.now() + backoffMs(row.attempts + 1), err.message);
                log.info({ provider: raw, sessionId: row.sessionId.toString(), error: err.message, attempt: row.attempts + 1 }, 'settlement step failed; retrying');
            } finally {
                this.inStep.delete(key);
                if (this.touchedInStep.delete(key)) store.checkAt(raw, row.sessionId, 0);
            }
        }
        return rows.length;
    }

    private async step(provider: Address, row: SessionRow, chainNow: number): Promise<void> {
        const { store, chain, metrics, log } = this.deps;
        const raw = row.provider;
        const id = row.sessionId;
        const ids = { provider: raw, sessionId: id.toString(), seq: row.seq.toString() };
        const record = await chain.session(provider, id);
        if (!record && row.final && chainNow <= row.settleUntil) {
            // Before its window is over only a final voucher ends a session, and the enclave signs one:
            // this one, delivered by this relayer or by the client's own close, whichever came first.
            const ours = row.sentSeq === row.seq;
            if (ours && row.firstSentAt !== null) metrics.settleSeconds.observe((Date.now() - row.firstSentAt) / 1000);
            metrics.settlements.inc({ via: ours ? row.sentVia ?? 'external' : 'other' });
            log.info({ ...ids, sent: ours }, 'the final voucher ended the session');
            return store.ended(raw, id, 'settled');
        }
        if (!record) {
            // FinishSession or a cooperative close (whose final voucher may include this one) ended it.
            store.ended(raw, id, 'gone', 'the session ended on chain before this voucher was seen settled');
            metrics.sessionFailures.inc({ reason: 'gone' });
            log.warn(ids, 'session ended on chain before its latest voucher was seen settled');
            return;
        }
        const s = snapshotOf(record);
        const now = Date.now();
        store.observed(raw, id, s, now + this.recheckMs(row.window), now);
        if (row.sentSeq !== null && s.lastSeq >= row.sentSeq) {
            if (row.firstSentAt !== null) metrics.settleSeconds.observe((now - row.firstSentAt) / 1000);
            metrics.settlements.inc({ via: row.sentVia ?? 'external' });
            log.info({ ...ids, via: row.sentVia, lastSeq: s.lastSeq.toString(), sends: row.sends }, 'settled');
            store.sendConfirmed(raw, id);
        } else if (s.lastSeq >= row.seq) {
            metrics.settlements.inc({ via: 'other' });
            log.info({ ...ids, lastSeq: s.lastSeq.toString() }, 'settled by someone else');
        }
        if (s.lastSeq >= row.seq) return store.settled(raw, id);
        if (chainNow > s.settleUntil) {
            store.ended(raw, id, 'lost', `the challenge window closed (settleUntil ${s.settleUntil}) before sequence ${row.seq} settled`);
            metrics.sessionFailures.inc({ reason: 'window_over' });
            log.error({ ...ids, settleUntil: s.settleUntil, chainNow }, 'voucher lost: the challenge window closed before it settled');
            return;
        }
        const d = decide(row, { ...s, window: row.window }, chainNow, this.settings);
        if (d.action === 'wait') return store.checkAt(raw, id, Math.min(now + this.recheckMs(row.window), this.localMsAt(d.until)));
        if (d.action === 'hold') {
            if (d.why === 'too_small' && d.ending) await this.settleSmallByWallet(provider, row, s, chainNow);
            else if (d.why === 'above_deposit') log.warn({ ...ids, charge: row.charge.toString(), deposit: s.deposit.toString() }, 'voucher above the deposit: waits for a top-up');
            return;
        }
        // The Provider holds more open sessions than an external settlement's gas credit covers.
        if (this.externalOutOfGas(raw, now)) return this.settleWithoutExternal(provider, row, s, chainNow, d.reason !== 'threshold');
        // A send of this very voucher not yet seen applied: wait for its schedule.
        if (row.sentSeq === row.seq && now < row.resendAt) return store.checkAt(raw, id, Math.min(row.resendAt, now + this.settings.pollMs));
        await this.settleExternal(provider, row, s, chainNow, d.reason);
    }

    private schedule(row: SessionRow, s: SessionSnapshot, chainNow: number, now: number) {
        const sends = row.sentSeq === row.seq ? row.sends : 0;
        const timeLeftMs = (s.settleUntil - chainNow) * 1000;
        const { pollMs } = this.settings;
        return { now, checkAt: now + pollMs, resendAt: now + Math.max(pollMs, Math.min(resendDelayMs(sends + 1, pollMs), timeLeftMs / 4)), resend: sends > 0 };
    }

    private async settleExternal(provider: Address, row: SessionRow, s: SessionSnapshot, chainNow: number, reason: string): Promise<void> {
        const { store, chain, metrics, log } = this.deps;
        const raw = row.provider;
        const at = this.schedule(row, s, chainNow, Date.now());
        if (!store.sending(raw, row.sessionId, row.seq, 'external', at)) return;
        metrics.settleSends.inc({ via: 'external', attempt: at.resend ? 'resend' : 'first' });
        const ids = { provider: raw, sessionId: row.sessionId.toString(), seq: row.seq.toString(), owed: (row.charge - s.paid).toString(), reason };
        log.info(ids, at.resend ? 'settlement re-sent' : 'settling');
        try {
            await chain.sendExternal(provider, settleVoucherBody(row.sessionId, this.voucherOf(row)), 'settle');
        } catch (e) {
            const err = classify('settle', e);
            if (err.exitCode === EXIT_OUT_OF_GAS) {
                // Refused before acceptance, nothing paid: the route is closed for this Provider for now. Decided again at once.
                store.externalOutOfGas(raw, Date.now());
                store.checkAt(raw, row.sessionId, 0);
                log.warn({ ...ids, refused: `exit ${EXIT_OUT_OF_GAS}` }, 'external settlement out of gas before acceptance: the Provider has more open sessions than its gas credit covers; its vouchers go from the relayer wallet when that pays');
            } else if (err.exitCode === Exit.ERR_NOTHING_TO_PAY) {
                // Refused before acceptance: nothing was paid. Decided again in the next round.
                store.tooSmall(raw, row.sessionId, row.seq, 0);
                log.info(ids, 'the voucher adds too little to pay its external delivery (ERR_NOTHING_TO_PAY)');
            } else if (err.exitCode !== null && REFUSALS_TO_RECHECK.has(err.exitCode)) {
                store.checkAt(raw, row.sessionId, 0);
                log.info({ ...ids, refused: exitName(err.exitCode) }, 'settlement refused; reading the session again');
            } else if (err.exitCode !== null) {
                metrics.sessionFailures.inc({ reason: exitName(err.exitCode) });
                log.warn({ ...ids, refused: exitName(err.exitCode) }, 'settlement refused');
            } else {
                // The answer may be lost although the message went through: confirmed before any resend.
                metrics.errors.inc({ stage: 'settle', class: err.retryable ? 'retryable' : 'fatal' });
                log.info({ ...ids, error: err.message }, 'settlement answer lost; confirming before any resend');
            }
        }
    }

    /** Whether an external settlement to this Provider was refused out of gas recently (read from the store: it survives restarts). */
    private externalOutOfGas(raw: string, now: number): boolean {
        const since = this.deps.store.externalOutOfGasSince(raw);
        if (since === null) return false;
        if (now - since < EXTERNAL_RETRY_MS) return true;
        this.deps.store.externalFits(raw); // try the external again: the next refusal closes it again
        return false;
    }

    /**
     * A voucher due for settlement that cannot go by external message (out of gas before acceptance):
     * from the relayer wallet when what it adds to the provider pays for that, or whatever the cost when
     * `walletSettle` is on; otherwise it waits for a bigger voucher, and an ending session's follows the
     * too-small rule. Without a wallet it is logged once and counted.
     */
    private async settleWithoutExternal(provider: Address, row: SessionRow, s: SessionSnapshot, chainNow: number, ending: boolean): Promise<void> {
        const { store, metrics, log, wallet } = this.deps;
        const raw = row.provider;
        const owed = row.charge - s.paid;
        const share = owed - (owed * BigInt(row.feeBps)) / 10000n;
        const ids = { provider: raw, sessionId: row.sessionId.toString(), seq: row.seq.toString(), owed: owed.toString(), share: share.toString() };
        const later = () => store.checkAt(raw, row.sessionId, Date.now() + this.recheckMs(row.window));
        if (!wallet) {
            if (this.firstReport(row, 'no_wallet')) {
                metrics.sessionFailures.inc({ reason: 'external_out_of_gas' });
                log.warn(ids, 'voucher cannot be settled: the Provider has more open sessions than an external settlement\'s gas credit covers (out of gas before acceptance) and there is no relayer wallet to send it (COCOON_RELAYER_KEEPER_MNEMONIC)');
            }
            return later();
        }
        if (share > SETTLE_WALLET_COST || this.settings.walletSettle) {
            return this.sendFromWallet(wallet, provider, row, s, chainNow, 'settling from the relayer wallet: an external settlement runs out of gas before acceptance on this Provider');
        }
        if (!ending) {
            if (this.firstReport(row, 'hold')) log.info({ ...ids, walletCost: SETTLE_WALLET_COST.toString() }, 'external settlement out of gas on this Provider and the wallet route would cost more than the voucher adds: waiting for a bigger voucher');
            return later();
        }
        return this.settleSmallByWallet(provider, row, s, chainNow);
    }

    /** An ending session's voucher too small for the external route: from the wallet only when `walletSettle` says so, at a loss. */
    private async settleSmallByWallet(provider: Address, row: SessionRow, s: SessionSnapshot, chainNow: number): Promise<void> {
        const { metrics, log, wallet } = this.deps;
        if (wallet && this.settings.walletSettle) return this.sendFromWallet(wallet, provider, row, s, chainNow, 'settling a small voucher of an ending session from the relayer wallet');
        if (!this.firstReport(row, 'too_small')) return;
        metrics.sessionFailures.inc({ reason: 'too_small' });
        const why = wallet ? 'settling it from the relayer wallet would cost more than it adds (COCOON_RELAYER_SESSION_WALLET_SETTLE=1 does it anyway)' : 'no relayer wallet to send it';
        const ids = { provider: row.provider, sessionId: row.sessionId.toString(), seq: row.seq.toString(), owed: (row.charge - s.paid).toString() };
        log.warn({ ...ids, settleUntil: s.settleUntil }, `session ending with a voucher too small to settle by external message: left unsettled; ${why}`);
    }

    /** Sends the voucher as an internal SettleVoucher from the relayer wallet, at most MAX_WALLET_SENDS_PER_VOUCHER times. */
    private async sendFromWallet(wallet: OperatorWallet, provider: Address, row: SessionRow, s: SessionSnapshot, chainNow: number, why: string): Promise<void> {
        const { store, metrics, log } = this.deps;
        const raw = row.provider;
        const sentBefore = row.sentVia === 'wallet' && row.sentSeq === row.seq;
        if (sentBefore && row.sends >= MAX_WALLET_SENDS_PER_VOUCHER) return;
        if (sentBefore && Date.now() < row.resendAt) return store.checkAt(raw, row.sessionId, Math.min(row.resendAt, Date.now() + this.settings.pollMs));
        const at = this.schedule(row, s, chainNow, Date.now());
        if (!store.sending(raw, row.sessionId, row.seq, 'wallet', at)) return;
        metrics.settleSends.inc({ via: 'wallet', attempt: sentBefore ? 'resend' : 'first' });
        log.info({ provider: raw, sessionId: row.sessionId.toString(), seq: row.seq.toString(), owed: (row.charge - s.paid).toString() }, why);
        const body = settleVoucherBody(row.sessionId, this.voucherOf(row));
        await wallet.transfer([internal({ to: provider, value: SETTLE_WALLET_VALUE, bounce: true, body })], chainNow, 'settle');
    }

    /** True the first time a (voucher, kind of report) is seen: warnings and counters once per voucher, not per round. */
    private firstReport(row: SessionRow, what: string): boolean {
        const key = `${row.provider}/${row.sessionId}/${row.seq}/${what}`;
        if (this.reported.has(key)) return false;
        this.reported.add(key);
        return true;
    }

    private voucherOf(row: SessionRow) {
        return voucherFromJson(JSON.parse(row.voucher)).voucher;
    }

    private async globalId(provider: Address): Promise<number> {
        const raw = provider.toRawString();
        let id = this.globalIds.get(raw);
        if (id === undefined) {
            id = await this.deps.chain.globalId(provider);
            this.globalIds.set(raw, id);
        }
        return id;
    }

    private remember(key: string, known: { terms: SessionTerms; snapshot: SessionSnapshot; checkedAt: number }): void {
        this.known.set(key, known);
        if (this.known.size > TERMS_CACHE_SIZE) this.known.delete(this.known.keys().next().value!);
    }

    /** How long a waiting session's reading may age: the check interval, or a quarter of its margin if sooner. */
    private recheckMs(window: number): number {
        return Math.max(this.settings.pollMs, Math.min(this.settings.checkMs, (marginFor(window, this.settings.marginSeconds) * 1000) / 4));
    }

    private chainNow(): number {
        return Math.floor(Date.now() / 1000) + this.offset;
    }

    private localMsAt(chainSeconds: number): number {
        return (chainSeconds - this.offset) * 1000;
    }
}
