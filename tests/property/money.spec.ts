/**
 * Money properties of Registry + 2 Providers under random operation sequences (fast-check): jobs and
 * sessions side by side.
 *
 * Each run restores one sandbox snapshot (tests/property/world.ts, where two sessions are already
 * open on each Provider) and interprets an array of operation records in order. After every
 * operation: (1) exact conservation of value over every account involved, (2) solvency of each
 * Provider (what it owes includes session deposits), (3) ledger counters and escrow agree with the
 * jobs, each final job refunded exactly once, and the session ledger agrees with the session model
 * (the same open sessions with the same deposit, pay, sequence and deadlines; sessionDeposits =
 * Σ (deposit − paid) over open sessions; each ended session refunded exactly once, exactly deposit −
 * paid, plus the rest of the client's own value when the client itself ended it), plus a few
 * correct-behaviour oracles; at the end of a run (4) liveness: inside every open session's window its
 * enclave's latest voucher that the deposit covers settles, then past every deadline and window,
 * expiring every open job and finishing every open session leaves no escrow and no deposit behind,
 * every client has recovered everything it was not charged, and each provider was paid exactly what
 * its accepted vouchers added.
 *
 * The actors are adversarial as well as friendly: Providers deployed straight from their public
 * StateInit with value before the Registry touches them, external deliveries padded with trailing
 * bits, extra refs or a StateInit up to the 64 KB limit, replays of accepted messages, a masterchain
 * client and reporter, bouncing payees, forged equivocation evidence, governance proposing and
 * cancelling around syncs, verifier and image removals mid-job, key rotation, and time jumps of days
 * to years (storage rent). Beyond the four invariants above, after every step: no accepted external
 * fails after acceptance or is accepted twice; a provider is slashed only for what its own enclave
 * did (an expiry on a key it still holds unrevoked, two receipts or two vouchers its key signed, an
 * oversize result) or for its own delivery's cost; an expired job refunds at least its escrow; a
 * Provider's parameters were in force at the Registry.
 *
 * Sessions (tests/property/sessions.ts): openings with random deposits (down to one nanoton short of
 * the minimum), lifetimes in and out of bounds, own, foreign or unregistered keys, from the ghost and
 * from the masterchain; top-ups by the client or a stranger, also while closing or expired; settlement
 * by internal and external message of the enclave's vouchers (latest, older unsettled, stale), of
 * vouchers forged by another key or signed for another network, Provider or session, mispriced, past
 * the deposit, padded externals and externals adding about what their delivery costs; close requests
 * by the client and by strangers; finishes before and after the window; cooperative closes with final
 * and non-final vouchers; equivocation evidence, real (the session's key signs two vouchers for one
 * sequence) and forged; time jumps to a session's expiry and the end of its window. The enclave is
 * honest (one cumulative voucher per sequence, never past the deposit) except in those explicitly
 * hostile steps. Every session step's outcome is predicted by the model first (sessions.ts,
 * voucherValid) and must match; an accepted voucher moves the provider's earnings and fees by exactly
 * what it added (less, by external message, its delivery, which must cover what the contract paid and
 * exceed it by no more than the tail bound); a step that settles nothing moves the owner's money only
 * by storage rent.
 *
 * Default: fixed seed, 20 runs × 132 operations (about 100 job, stake and governance steps per run as
 * before, and 32 session steps). COCOON_DEEP=1: 200 runs.
 */
import fc from 'fast-check';
import { Address, beginCell, Cell, external, toNano, Transaction } from '@ton/core';
import { SendMessageResult, internal } from '@ton/sandbox';
import { buildWorld, World, ProviderSide } from './world';
import { summarize, conservation, solvency, counters, sessionCounters, drained, owed, JobModel, LedgerView, SessionModel, TxSummary, fmt } from './invariants';
import { sessionOps, sessionModel, serve, nextBody, tokensFor, voucherValid, split, transcriptOf, Delivered, SessionRef } from './sessions';
import { MODEL_ID, IMAGE_HASH, GLOBAL_ID, signedResult, signedDecline, equivocationEvidence } from '../fixtures/protocol';
import {
    Provider, storeCreateJob, storeClaimRefund, storeSubmitResult, storeSubmitDecline, storeAddStake,
    storeOpenSession, storeTopUpSession, storeCloseSession, storeFinishSession, storeCloseWithVoucher, storeSettleVoucher,
    OpenSession, TopUpSession, CloseSession, FinishSession, CloseWithVoucher, SettleVoucher,
} from '../../wrappers/Provider';
import { bytesToTree } from '../../protocol/bytesTree';
import { bigintFromBytes } from '../../protocol/signed';
import { signVoucher, SignedVoucher, voucherMessage } from '../../protocol/voucher';

const DEEP = process.env.COCOON_DEEP === '1';
const RUNS = Number(process.env.COCOON_RUNS ?? (DEEP ? 200 : 20));
/** 132 so that, with the session operations' weight beside the others', about 100 per run are job, stake and governance steps as before. */
const OPS = Number(process.env.COCOON_OPS ?? 132);
const SEED = Number(process.env.COCOON_SEED ?? 0x0c0c00);
/** Every job of these runs carries this payload; receipts and declines sign its hash. */
const PAYLOAD = bytesToTree(Buffer.alloc(300, 7));
const PAYLOAD_HASH = bigintFromBytes(PAYLOAD.hash());

/**
 * Solvency is checked strictly: balance >= everything the ledger owes, after every step. These runs
 * found three ways the contracts used to fall short (the creation's costs booked as escrow, storage
 * fees with no reserve, a bounce paying its own compute from owed funds); docs/SPEC.md ("Storage")
 * says how each is now paid. With sessions they found three more (tests/session.lifecycle.spec.ts
 * reproduces each): CloseSession and FinishSession, which have no deadline, did not book storage
 * rent; an external SettleVoucher whose share only just covered its bound failed after acceptance
 * once the session map was deeper than one entry (and could be replayed); TopUpSession used more gas
 * than it charged the deposit.
 */

// ---------------------------------------------------------------- operations

const pIdx = fc.integer({ min: 0, max: 1 });
const pick = fc.nat({ max: 1_000_000 });
const via = fc.constantFrom('internal' as const, 'external' as const);
/** How an external delivery is padded beyond its signed fields (the padding is the attacker's). */
const pad = fc.oneof({ weight: 6, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: fc.constantFrom('bits' as const, 'refs' as const, 'init' as const) });
/** Who sends a permissionless message: the basechain reporter or the masterchain one. */
const sender = fc.oneof({ weight: 4, arbitrary: fc.constant('reporter' as const) }, { weight: 1, arbitrary: fc.constant('masterchain' as const) });

const opArb = fc.oneof(
    { weight: 3, arbitrary: fc.record({ k: fc.constant('stake' as const), p: pIdx, byOwner: fc.boolean(), amount: fc.oneof(fc.bigInt({ min: 1n, max: 10_000_000n }), fc.bigInt({ min: toNano('0.01'), max: toNano('25') })) }) },
    {
        weight: 10,
        arbitrary: fc.record({
            k: fc.constant('create' as const),
            p: pIdx,
            client: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constant(4) }), // 3 = the ghost, 4 = masterchain
            maxIn: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 4000 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 9000) }),
            maxOut: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 4000 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 8192) }),
            ttl: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 60, max: 86400 }) }, { weight: 1, arbitrary: fc.constantFrom(59, 86401, 10) }),
            escrow: fc.constantFrom('exact', 'exact', 'exact', 'extra', 'extra', 'extra', 'short', 'half'),
            extra: fc.bigInt({ min: 0n, max: toNano('2') }),
            enclave: fc.oneof({ weight: 14, arbitrary: fc.constant('own' as const) }, { weight: 1, arbitrary: fc.constant('other-provider' as const) }, { weight: 1, arbitrary: fc.constant('unregistered' as const) }),
            e: pick,
        }),
    },
    {
        weight: 6,
        arbitrary: fc.record({
            k: fc.constant('result' as const), p: pIdx, job: pick, via,
            inFrac: fc.integer({ min: 0, max: 1000 }), outFrac: fc.integer({ min: 0, max: 1000 }),
            overLimit: fc.integer({ min: 0, max: 7 }).map((x) => x === 0), // 1 in 8 claims more input tokens than allowed
            bytes: fc.oneof(fc.integer({ min: 0, max: 2048 }), fc.constantFrom(20_000, 60_000)),
            fill: fc.integer({ min: 0, max: 255 }),
            pad,
        }),
    },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('decline' as const), p: pIdx, job: pick, via, pad, reason: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 5) }) }) },
    { weight: 4, arbitrary: fc.record({ k: fc.constant('expire' as const), p: pIdx, job: pick, by: sender }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('equivocate' as const), p: pIdx, e: pick, job: pick, by: sender }) },
    // Evidence an outsider can forge without the enclave cheating: a job not created yet, another
    // payload than the job's, or another provider's key over this provider's job.
    { weight: 1, arbitrary: fc.record({ k: fc.constant('forgeEvidence' as const), p: pIdx, job: pick, how: fc.constantFrom('future' as const, 'payload' as const, 'otherKey' as const) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('replay' as const), pick }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('phantomStake' as const), bounce: fc.boolean(), amount: fc.bigInt({ min: toNano('0.05'), max: toNano('50') }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('phantomDeploy' as const) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('propose' as const), fee: fc.integer({ min: 0, max: 3000 }), otherTreasury: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('cancel' as const) }) },
    {
        weight: 1,
        arbitrary: fc.record({
            k: fc.constant('governance' as const),
            what: fc.oneof({ weight: 1, arbitrary: fc.constantFrom('removeImage' as const, 'removeVerifier' as const) }, { weight: 2, arbitrary: fc.constantFrom('allowImage' as const, 'allowVerifier' as const) }),
        }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('report' as const), p: pIdx, what: fc.constantFrom('image' as const, 'verifier' as const), by: sender }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('rotate' as const), p: pIdx, e: pick }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('unbond' as const), p: pIdx, frac: fc.integer({ min: 0, max: 1200 }) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('withdrawStake' as const), p: pIdx, byOwner: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('withdrawEarnings' as const), p: pIdx, byOwner: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('flush' as const), p: pIdx, by: sender }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('fundReserve' as const), p: pIdx, amount: fc.bigInt({ min: 1n, max: toNano('1') }) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('claim' as const), p: pIdx, who: fc.integer({ min: 0, max: 3 }) }) },
    {
        weight: 5,
        arbitrary: fc.record({
            k: fc.constant('advance' as const),
            secs: fc.oneof(
                { weight: 30, arbitrary: fc.integer({ min: 1, max: 3600 }) },
                { weight: 4, arbitrary: fc.integer({ min: 3600, max: 30_000 }) },
                { weight: 1, arbitrary: fc.integer({ min: 600_000, max: 700_000 }) },
                { weight: 1, arbitrary: fc.integer({ min: 30 * 86400, max: 3 * 365 * 86400 }) }, // months to years: storage rent
            ),
        }),
    },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('sync' as const), p: pIdx, by: sender }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('register' as const), p: pIdx, e: pick }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('deployGhost' as const) }) },
    ...sessionOps,
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

// ---------------------------------------------------------------- one run

class Violation extends Error {}

interface Stats {
    ops: number; created: number; completed: number; declined: number; expired: number; slashes: number; bounces: number; claimsPaid: number;
    minMargin: bigint; strictViolations: number; checkMs: number; createExits: Record<number, number>;
    /** Adversarial steps and what they achieved (all must achieve nothing but their refusal). */
    adversary: Record<string, number>;
    sessions: {
        opened: number; settledInternal: number; settledExternal: number; consumedSlashed: number; closedWithVoucher: number;
        finished: number; finishedAtEnd: number; toppedUp: number; slashes: number; openExits: Record<number, number>;
    };
}

/** What a session step must do, set just before it is sent and checked by book() against its transaction. */
interface Expectation {
    p: number;
    accept: boolean;
    what: string;
    /** The model's change when the Provider accepts (and only then). */
    apply?: () => void;
    /** Filled by book(): the Provider's transaction, and whether it succeeded. */
    tx?: Transaction;
    accepted?: boolean;
}
type SessionMessage = OpenSession | TopUpSession | CloseSession | FinishSession | CloseWithVoucher | SettleVoucher;
const bodyOf = (m: SessionMessage): Cell => {
    const b = beginCell();
    switch (m.$$type) {
        case 'OpenSession': return b.store(storeOpenSession(m)).endCell();
        case 'TopUpSession': return b.store(storeTopUpSession(m)).endCell();
        case 'CloseSession': return b.store(storeCloseSession(m)).endCell();
        case 'FinishSession': return b.store(storeFinishSession(m)).endCell();
        case 'CloseWithVoucher': return b.store(storeCloseWithVoucher(m)).endCell();
        case 'SettleVoucher': return b.store(storeSettleVoucher(m)).endCell();
    }
};
const succeeded = (tx: Transaction) => {
    const d = tx.description;
    return d.type === 'generic' && d.computePhase.type === 'vm' && d.computePhase.success && (!d.actionPhase || d.actionPhase.success);
};
const exitCode = (tx: Transaction | undefined) => (tx && tx.description.type === 'generic' && tx.description.computePhase.type === 'vm' ? tx.description.computePhase.exitCode : -1);

async function run(world: World, ops: Op[], stats: Stats) {
    const { blockchain, sides, clients, relayer, reporter } = world;
    await blockchain.loadFrom(world.snapshot);
    const balanceOf = async (a: Address) => (await blockchain.getContract(a)).balance;
    const sumBalances = async () => {
        let s = 0n;
        for (const a of world.accounts) s += await balanceOf(a);
        return s;
    };
    const initial = await sumBalances();
    let fees = 0n, inTransit = 0n, injected = 0n;
    const trail: string[] = [];
    const models: JobModel[] = sides.map(() => ({ getterEscrow: new Map(), open: new Set(), final: new Set(), refunds: new Map() }));
    const deadlines: Map<bigint, bigint>[] = sides.map(() => new Map());
    const clientOf: Map<bigint, string>[] = sides.map(() => new Map());
    const registered: Set<number>[] = sides.map(() => new Set([0]));
    const known = new Set(world.accounts.map((a) => a.toRawString()));
    let ghostDeployed = false;
    let lastResult: SendMessageResult | null = null;
    const ledgers: (LedgerView | null)[] = sides.map(() => null);
    /** Externals accepted so far (by body hash): none may be accepted twice, and any may be replayed. */
    const acceptedExternals = new Map<string, { to: Address; body: Cell }>();
    /** Parameter sets that were in force at the Registry at some step ("fee/treasury"). */
    const inForce = new Set<string>();
    const paramsKey = (x: { protocolFeeBps: bigint; treasury: Address }) => `${x.protocolFeeBps}/${x.treasury.toRawString()}`;
    inForce.add(paramsKey(await world.registry.getParams()));
    /** The providers this step may lawfully slash (what their own enclave did); any other slash is a violation. */
    let mayBeSlashed = new Set<number>();
    let phantomDeployed = false;
    /**
     * Storage rent a Provider paid in transactions that failed since its last successful one. A
     * failed transaction still pays the storage phase, but its compute (and so its reserve top-up)
     * is rolled back; the next successful transaction re-books that rent from the owner's money
     * (Ledger.keepReserve). Solvency allows exactly this, and nothing else.
     */
    const unbookedRent: bigint[] = sides.map(() => 0n);
    /** Refund of each JobExpired event, by "provider:jobId". */
    const lastExpiry = new Map<string, bigint>();
    /** Every session each Provider opened in this run, as the model knows it. */
    const sessions: Map<bigint, SessionModel>[] = sides.map(() => new Map());
    /** Σ of what accepted vouchers added to what clients paid, per Provider. */
    const credited: bigint[] = sides.map(() => 0n);
    let expectation: Expectation | null = null;
    // The sessions the world opened before the snapshot.
    for (const side of sides) for (const [id, rec] of (await side.contract.getLedger()).sessions) sessions[side.index].set(id, sessionModel(id, rec));
    const adversary = (what: string) => {
        stats.adversary[what] = (stats.adversary[what] ?? 0) + 1;
    };

    const fail = (errs: string[]) => {
        if (errs.length) throw new Violation(`${errs.join('\n')}\n-- operations of this run so far:\n${trail.join('\n')}`);
    };
    const ledger = async (s: ProviderSide): Promise<LedgerView> => s.contract.getLedger();
    const isActive = async (a: Address) => (await blockchain.getContract(a)).accountState?.type === 'active';
    /** Providers frozen by storage rent with nothing owed: no operation is aimed at them any more. */
    const frozen = new Set<number>();
    let phantomLedger: LedgerView | null = null;

    /** Books one executed batch of transactions and checks every invariant. */
    const book = async (r: SendMessageResult | null, note: string) => {
        const touched = new Set<number>();
        let sum: TxSummary | null = null;
        if (r) {
            // An accepted external is paid by the contract: it must finish, and only once. (Sandbox
            // treasuries are driven by externals too; only the Providers' count.)
            for (const tx of r.transactions) {
                if (tx.inMessage?.info.type !== 'external-in') continue;
                if (!sides.some((s) => s.contract.address.equals(tx.inMessage!.info.dest as Address))) continue;
                const d = tx.description;
                const ok = d.type === 'generic' && d.computePhase.type === 'vm' && d.computePhase.success && (!d.actionPhase || d.actionPhase.success);
                if (!ok) fail([`${note}: an accepted external failed after acceptance`]);
                const key = tx.inMessage.body.hash().toString('hex');
                if (acceptedExternals.has(key)) fail([`${note}: the same external was accepted twice`]);
                acceptedExternals.set(key, { to: tx.inMessage.info.dest, body: tx.inMessage.body });
            }
            for (const tx of r.transactions) {
                const i = sides.findIndex((s) => tx.inMessage && s.contract.address.equals(tx.inMessage.info.dest as Address));
                if (i < 0 || tx.description.type !== 'generic') continue;
                const d = tx.description;
                const ok = d.computePhase.type === 'vm' && d.computePhase.success && (!d.actionPhase || d.actionPhase.success);
                unbookedRent[i] = ok ? 0n : unbookedRent[i] + (d.storagePhase?.storageFeesCollected ?? 0n);
            }
            sum = summarize(r.transactions);
            fees += sum.totalFees;
            inTransit += sum.inTransitFees;
            for (const a of sum.accounts) {
                if (!known.has(a.toRawString())) fail([`transaction on an account outside the world: ${a}`]);
                const i = sides.findIndex((s) => s.contract.address.equals(a));
                if (i >= 0) touched.add(i);
            }
            for (const e of sum.expired) {
                const i = sides.findIndex((s) => s.contract.address.equals(e.provider));
                lastExpiry.set(`${i}:${e.jobId}`, e.refund);
            }
            for (const c of sum.created) {
                const i = sides.findIndex((s) => s.contract.address.equals(c.provider));
                models[i].open.add(c.jobId);
                models[i].refunds.set(c.jobId, 0);
                deadlines[i].set(c.jobId, c.deadline);
                stats.created++;
            }
            for (const f of sum.refunds) {
                const i = sides.findIndex((s) => s.contract.address.equals(f.provider));
                const m = models[i];
                m.refunds.set(f.jobId, (m.refunds.get(f.jobId) ?? 0) + 1);
                m.open.delete(f.jobId);
                m.final.add(f.jobId);
                if (clientOf[i].get(f.jobId) !== f.to.toRawString()) fail([`${note}: refund of job ${f.jobId} sent to ${f.to}, client was ${clientOf[i].get(f.jobId)}`]);
            }
            stats.sessions.slashes += sum.sessionsSlashed.length;
            stats.bounces += r.transactions.filter((t) => t.inMessage?.info.type === 'internal' && t.inMessage.info.bounced).length;
        }
        trail.push(note);
        const t0 = performance.now();
        const errs: string[] = [];
        // The session step's outcome against the model's, then the model's change (only if accepted).
        const e = expectation;
        expectation = null;
        if (e) {
            const P = sides[e.p].contract.address;
            e.tx = r?.transactions.find((t) => t.inMessage && Address.isAddress(t.inMessage.info.dest) && P.equals(t.inMessage.info.dest as Address));
            e.accepted = !!e.tx && succeeded(e.tx);
            if (e.accepted !== e.accept) errs.push(`${e.what}: the Provider ${e.accepted ? 'accepted' : `refused (exit ${exitCode(e.tx)})`} what the model ${e.accept ? 'accepts' : 'refuses'}`);
            if (e.accepted) e.apply?.();
        }
        for (const f of sum?.sessionRefunds ?? []) {
            const i = sides.findIndex((s) => s.contract.address.equals(f.provider));
            const m = sessions[i]?.get(f.sessionId);
            if (!m) {
                errs.push(`SessionRefund for session ${f.sessionId} that provider ${i} never opened`);
                continue;
            }
            m.refunds++;
            if (!f.to.equals(m.client)) errs.push(`refund of session ${m.id} sent to ${f.to}, its client is ${m.client}`);
            // Ended by its client: the refund carries the rest of the client's own value, less the
            // transaction's compute and the refund's forward fee. Ended by anyone else: exactly deposit − paid.
            const byClient = !!f.from && f.from.equals(m.client);
            const excess = byClient ? f.inValue - f.gasFees - f.fwdFees : 0n;
            if (f.value !== m.deposit - m.paid + excess) {
                errs.push(`refund of session ${m.id} ${f.value} != deposit ${m.deposit} − paid ${m.paid}${byClient ? ` + the client's excess ${excess}` : ''}`);
            }
            m.recovered += f.value - excess;
        }
        errs.push(...conservation({ balances: await sumBalances(), fees, inTransit, initial, injected }));
        const registryParams = await world.registry.getParams();
        inForce.add(paramsKey(registryParams));
        for (const s of sides) {
            if (frozen.has(s.index)) continue;
            // Years of rent can freeze a Provider whose owner left nothing in it: allowed only when
            // nothing was owed (it had no balance beyond the reserve to lose).
            if (!(await isActive(s.contract.address))) {
                const last = ledgers[s.index];
                if (last && owed(last) > 0n) errs.push(`provider ${s.index} frozen by storage rent while owing ${owed(last)}`);
                frozen.add(s.index);
                adversary('frozen-by-rent');
                continue;
            }
            // A provider no transaction touched has the same storage: its getters answer as before.
            const slashedBefore = ledgers[s.index]?.totalSlashed ?? 0n;
            if (touched.has(s.index) || !ledgers[s.index]) ledgers[s.index] = await ledger(s);
            const l = ledgers[s.index]!;
            for (const o of sum?.sessionsOpened ?? []) {
                if (!s.contract.address.equals(o.provider)) continue;
                const rec = l.sessions.get(o.sessionId);
                if (!rec) {
                    errs.push(`provider ${s.index}: SessionOpened ${o.sessionId} with no record in the ledger`);
                    continue;
                }
                // The terms the event announced, not the record's: sessionCounters compares the two.
                const m = sessionModel(o.sessionId, rec);
                sessions[s.index].set(o.sessionId, { ...m, client: o.client, enclaveKey: o.enclaveKey, deposit: o.deposit, paid: 0n, lastSeq: 0n, expiresAt: o.expiresAt, settleUntil: o.expiresAt + m.window, closing: false });
                stats.sessions.opened++;
            }
            if (l.totalSlashed > slashedBefore && !mayBeSlashed.has(s.index)) errs.push(`provider ${s.index} slashed ${l.totalSlashed - slashedBefore} by an action that was not its own`);
            if (touched.has(s.index)) {
                const held = await s.contract.getParams();
                if (held && !inForce.has(paramsKey(held))) errs.push(`provider ${s.index} holds parameters (${paramsKey(held)}) that were never in force at the Registry`);
            }
            const bal = await balanceOf(s.contract.address);
            errs.push(...solvency(`provider ${s.index}`, bal, l, unbookedRent[s.index]));
            const margin = bal + unbookedRent[s.index] - owed(l);
            if (margin < stats.minMargin) stats.minMargin = margin;
            if (margin < 0n) stats.strictViolations++;
            if (touched.has(s.index)) {
                const m = models[s.index];
                for (const id of [...m.open, ...m.final]) {
                    if (m.getterEscrow.has(id) && m.getterEscrow.get(id) === null) continue; // gone stays gone (checked when it went)
                    const j = await s.contract.getJob(id);
                    m.getterEscrow.set(id, j ? j.escrow : null);
                    if (j && !clientOf[s.index].has(id)) clientOf[s.index].set(id, j.client.toRawString());
                }
            }
            errs.push(...counters(`provider ${s.index}`, l, models[s.index]));
            if (touched.has(s.index)) errs.push(...sessionCounters(`provider ${s.index}`, l, sessions[s.index]));
        }
        if (phantomDeployed && (await isActive(world.phantom.address))) {
            const pl = await world.phantom.getLedger();
            phantomLedger = pl;
            errs.push(...solvency('phantom provider', await balanceOf(world.phantom.address), pl));
        } else if (phantomDeployed && phantomLedger && owed(phantomLedger) > 0n) {
            errs.push(`phantom provider frozen by storage rent while owing ${owed(phantomLedger)}`);
        }
        fail(errs.map((e) => `after [${note}]: ${e}`));
        stats.checkMs += performance.now() - t0;
    };
    const by = (who: 'reporter' | 'masterchain') => (who === 'masterchain' ? world.mcReporter : reporter);
    /** Sends a delivery as a raw external with the attacker's padding; true when the contract accepted it. */
    const deliverPadded = async (note: string, side: ProviderSide, body: Cell, how: 'bits' | 'refs' | 'init') => {
        const to = side.contract.address;
        const big = (seed: number) => bytesToTree(Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 31 + seed * 17 + (i >> 7)) & 0xff)));
        let padded = body;
        let init: { code: Cell; data: Cell } | undefined;
        if (how === 'bits') padded = beginCell().storeSlice(body.beginParse()).storeUint(0x5a5a, 16).endCell();
        else if (how === 'refs') padded = beginCell().storeSlice(body.beginParse()).storeRef(big(1)).storeRef(big(2)).endCell();
        else init = (await Provider.fromInit(world.registry.address, side.owner.address)).init!; // its own public StateInit: the network takes it
        adversary(`padded-${how}`);
        const r = await send(`${note} padded with ${how}`, () => blockchain.sendMessage(external({ to, body: padded, init })));
        if (r && r.transactions.length) adversary(`padded-${how}-accepted`);
    };

    const send = async (note: string, f: () => Promise<SendMessageResult>): Promise<SendMessageResult | null> => {
        let r: SendMessageResult | null = null;
        try {
            r = await f();
        } catch (e) {
            if (e instanceof Violation) throw e;
            // Sandbox throws for an external message the contract did not accept: nothing happened.
            note += ` (external not accepted)`;
        }
        await book(r, note);
        lastResult = r;
        return r;
    };

    /** An open job of provider p when there is one (3 picks in 4), else any id up to nextJobId (final or unknown). */
    const chooseJob = (p: number, j: number): bigint => {
        const open = [...models[p].open];
        if (open.length && j % 4 !== 0) return open[j % open.length];
        const n = models[p].open.size + models[p].final.size;
        return BigInt(j % (n + 1));
    };
    const wasCreated = (p: number, n: number) => models[p].open.size + models[p].final.size > n;
    /** The key a job or session asks for: one provider p registered, the other provider's, or one never registered anywhere. */
    const enclaveKeyFor = (p: number, how: 'own' | 'other-provider' | 'unregistered', e: number) =>
        how === 'own' ? sides[p].enclaves[[...registered[p]][e % registered[p].size]].publicKey
        : how === 'other-provider' ? sides[1 - p].enclaves[0].publicKey
        : sides[p].enclaves[sides[p].enclaves.length - 1].publicKey ^ 1n;

    // ------------------------------------------------------------ sessions
    const { charges } = world;
    const now = () => blockchain.now!;
    const secretOf = (key: bigint) => sides.flatMap((x) => x.enclaves).find((e) => e.publicKey === key)?.secretKey;
    const refOf = (p: number, sessionId: bigint): SessionRef => ({ globalId: GLOBAL_ID, provider: sides[p].contract.address, sessionId });
    const isOpen = (m: SessionModel | undefined): m is SessionModel => !!m && m.refunds === 0;
    /**
     * A provider q (p, or the other one when only it has open sessions) and one of q's open sessions
     * (3 picks in 4), else any id up to its nextSessionId (ended or unknown). `live`: open sessions
     * not yet expired are preferred (the enclave serves only those).
     */
    const chooseSession = (p: number, j: number, live = false): { q: number; id: bigint; m?: SessionModel } => {
        const openOf = (x: number) => {
            const open = frozen.has(x) ? [] : [...sessions[x].values()].filter(isOpen);
            const alive = open.filter((m) => BigInt(now()) < m.expiresAt);
            return live && alive.length ? alive : open;
        };
        const q = openOf(p).length || !openOf(1 - p).length ? p : 1 - p;
        const open = openOf(q);
        if (open.length && j % 4 !== 0) return { q, id: open[j % open.length].id, m: open[j % open.length] };
        const id = BigInt(j % (sessions[q].size + 1));
        return { q, id, m: sessions[q].get(id) };
    };
    /** Sends a session message as `who`; the session's client may be the ghost, whose value comes from outside. */
    const sendSession = (note: string, side: ProviderSide, who: 'client' | 'relayer' | 'reporter' | 'masterchain', client: Address | undefined, value: bigint, msg: SessionMessage) => {
        if (who === 'client' && client?.equals(world.ghost)) {
            injected += value;
            return send(`${note} [ghost]`, () => world.fromGhost(side.contract.address, value, bodyOf(msg)));
        }
        const wallet = who === 'relayer' ? relayer : who === 'reporter' ? reporter : who === 'masterchain' ? world.mcReporter : clients.find((c) => client && c.address.equals(client)) ?? clients[0];
        return send(note, () => side.contract.send(wallet.getSender(), { value }, msg));
    };
    const slashedKey = async (side: ProviderSide, key: bigint) => (await side.contract.getEnclave(key))?.slashed ?? false;
    /** The Provider's ledger now, without a getter call when no transaction touched it since it was read. */
    const ledgerNow = async (side: ProviderSide) => ledgers[side.index] ?? (ledgers[side.index] = await ledger(side));
    /**
     * What an accepted voucher did to the provider's money: an internal settlement adds exactly
     * delta − fee to earnings and fee to fees; an external one as much less its delivery, which must
     * cover what the transaction cost the contract and exceed it by no more than the tail bound's
     * headroom. Where the delivery cost more than the share (a deep session map), the rest comes from
     * the provider's earnings, then stake. A slashed key's external voucher pays nothing and its
     * delivery is charged to the provider the same way.
     */
    const creditErrors = (before: LedgerView, after: LedgerView, delta: bigint, fee: bigint, how: 'internal' | 'external' | 'slashed', tx: Transaction | undefined, ends = false): string[] => {
        const errs: string[] = [];
        const dEarnings = after.earnings - before.earnings;
        const dFees = after.fees - before.fees;
        const dOwner = dEarnings + (after.stake - before.stake) + (after.unbonding - before.unbonding);
        const d = tx?.description;
        // A delivery that ends the session also sends the refund, whose forward fee the opening reserved: not the delivery's.
        const refundFee = ends && d?.type === 'generic' ? d.actionPhase?.totalActionFees ?? 0n : 0n;
        const contractPaid = tx ? tx.totalFees.coins - (d?.type === 'generic' ? d.storagePhase?.storageFeesCollected ?? 0n : 0n) - refundFee : 0n;
        const tail = ends ? charges.finalTail : charges.externalTail;
        if (how === 'internal') {
            if (dEarnings !== delta - fee || dFees !== fee || dOwner !== dEarnings) errs.push(`earnings +${dEarnings}, fees +${dFees}, owner's money +${dOwner}; the voucher added ${delta}, fee ${fee}`);
        } else {
            const delivery = (how === 'external' ? delta - fee : 0n) - dOwner;
            if (dFees !== (how === 'external' ? fee : 0n)) errs.push(`fees +${dFees}, want ${how === 'external' ? fee : 0n}`);
            if (how === 'external' && delivery <= delta - fee && dOwner !== dEarnings) errs.push(`stake or unbonding moved by ${dOwner - dEarnings} though the share covered the delivery`);
            if (delivery < contractPaid) errs.push(`the delivery was charged ${delivery} but cost the contract ${contractPaid}`);
            if (delivery > contractPaid + tail) errs.push(`the delivery was charged ${delivery}, more than its cost ${contractPaid} + the tail bound ${tail}`);
            if (how === 'external' && delivery > delta - fee) adversary('voucher-delivery-above-share');
        }
        return errs;
    };
    /** Nothing but storage rent (Ledger.keepReserve) may move the owner's money in a step that settles nothing. */
    const untouchedOwner = (before: LedgerView, after: LedgerView): string[] => {
        const moved = after.earnings + after.stake + after.unbonding + after.fees - (before.earnings + before.stake + before.unbonding + before.fees);
        return moved + (after.rentPaid - before.rentPaid) === 0n ? [] : [`the owner's money and fees moved by ${moved}, rent booked ${after.rentPaid - before.rentPaid}`];
    };

    for (const op of ops) {
        stats.ops++;
        mayBeSlashed = new Set();
        if ('p' in op && frozen.has(op.p)) continue;
        if ((op.k === 'phantomStake' || op.k === 'phantomDeploy') && phantomDeployed && !(await isActive(world.phantom.address))) continue;
        const s = sides['p' in op ? op.p : 0];
        const P = s.contract;
        switch (op.k) {
            case 'stake': {
                const from = op.byOwner ? s.owner : clients[0];
                await send(`stake p${op.p} ${op.amount} by ${op.byOwner ? 'owner' : 'client0'}`, () => P.send(from.getSender(), { value: op.amount }, { $$type: 'AddStake', queryId: 0n }));
                break;
            }
            case 'create': {
                const enclaveKey = enclaveKeyFor(op.p, op.enclave, op.e);
                const terms = { $$type: 'JobTerms' as const, modelId: MODEL_ID, maxInputTokens: BigInt(op.maxIn), maxOutputTokens: BigInt(op.maxOut), ttl: BigInt(op.ttl), enclaveKey, resultKey: 0x5555n };
                const required = await P.getRequiredEscrow(MODEL_ID, terms.maxInputTokens, terms.maxOutputTokens);
                const value = op.escrow === 'exact' ? required : op.escrow === 'extra' ? required + op.extra : op.escrow === 'short' ? required - 1n : required / 2n;
                if (value <= 0n) break;
                const n = models[op.p].open.size + models[op.p].final.size;
                const body = beginCell().store(storeCreateJob({ $$type: 'CreateJob', terms, payload: PAYLOAD })).endCell();
                const note = `create p${op.p} client${op.client} in=${op.maxIn} out=${op.maxOut} ttl=${op.ttl} escrow=${op.escrow}(${value}, required ${required}) enclave=${op.enclave}`;
                if (op.client === 3) {
                    injected += value;
                    await send(note + ' [ghost]', () => world.fromGhost(P.address, value, body));
                } else if (op.client === 4) {
                    adversary('masterchain-create');
                    await send(note + ' [masterchain]', () => P.send(world.mcClient.getSender(), { value }, { $$type: 'CreateJob', terms, payload: PAYLOAD }));
                    if (wasCreated(op.p, n)) fail([`after [${note}]: a job was created for a masterchain client`]);
                } else {
                    await send(note, () => P.send(clients[op.client].getSender(), { value }, { $$type: 'CreateJob', terms, payload: PAYLOAD }));
                }
                const r = lastResult as SendMessageResult | null; // assigned inside send()
                const tx = r?.transactions.find((t) => t.inMessage && Address.isAddress(t.inMessage.info.dest) && P.address.equals(t.inMessage.info.dest as Address));
                const code = tx && tx.description.type === 'generic' && tx.description.computePhase.type === 'vm' ? tx.description.computePhase.exitCode : -1;
                stats.createExits[code] = (stats.createExits[code] ?? 0) + 1;
                if (wasCreated(op.p, n)) {
                    // Oracles: a job exists only with enough escrow for the provider's own registered enclave.
                    const errs: string[] = [];
                    if (value < required) errs.push(`job created with escrow ${value} < required ${required}`);
                    if (op.enclave !== 'own') errs.push(`job created for an enclave (${op.enclave}) not registered on this provider`);
                    fail(errs.map((e) => `after [${note}]: ${e}`));
                }
                break;
            }
            case 'result': {
                const id = chooseJob(op.p, op.job);
                const job = await P.getJob(id);
                const maxIn = job ? Number(job.maxInputTokens) : 1000;
                const maxOut = job ? Number(job.maxOutputTokens) : 1000;
                const inputTokens = Math.floor((op.inFrac * maxIn) / 1000) + (op.overLimit ? maxIn : 0);
                const outputTokens = Math.floor((op.outFrac * maxOut) / 1000);
                const enclave = job ? s.enclaves.find((e) => e.publicKey === job.enclaveKey) ?? s.enclaves[0] : s.enclaves[0];
                const msg = signedResult({ provider: P.address, enclave }, id, { inputTokens, outputTokens, result: bytesToTree(Buffer.alloc(op.bytes, op.fill)), payloadHash: PAYLOAD_HASH });
                const note = `result p${op.p} job ${id} ${op.via} in=${inputTokens} out=${outputTokens} bytes=${op.bytes}`;
                const before = models[op.p].final.size;
                // A result larger than the escrow's allowance is paid by the provider whose enclave made it.
                mayBeSlashed.add(op.p);
                if (op.via === 'external' && op.pad !== 'none') {
                    await deliverPadded(note, s, beginCell().store(storeSubmitResult(msg)).endCell(), op.pad);
                    if (models[op.p].final.size > before) fail([`after [${note}]: a padded receipt settled a job`]);
                } else {
                    await send(note, () => (op.via === 'internal' ? P.send(relayer.getSender(), { value: toNano('0.1') }, msg) : P.sendExternal(msg)));
                }
                if (models[op.p].final.size > before) stats.completed++;
                break;
            }
            case 'decline': {
                const id = chooseJob(op.p, op.job);
                const job = await P.getJob(id);
                const enclave = job ? s.enclaves.find((e) => e.publicKey === job.enclaveKey) ?? s.enclaves[0] : s.enclaves[0];
                const msg = signedDecline({ provider: P.address, enclave }, id, op.reason, undefined, PAYLOAD_HASH);
                const before = models[op.p].final.size;
                const note = `decline p${op.p} job ${id} ${op.via} reason=${op.reason}`;
                if (op.via === 'external' && op.pad !== 'none') {
                    await deliverPadded(note, s, beginCell().store(storeSubmitDecline(msg)).endCell(), op.pad);
                    if (models[op.p].final.size > before) fail([`after [${note}]: a padded decline ended a job`]);
                } else {
                    await send(note, () => (op.via === 'internal' ? P.send(relayer.getSender(), { value: toNano('0.1') }, msg) : P.sendExternal(msg)));
                }
                if (models[op.p].final.size > before) stats.declined++;
                break;
            }
            case 'expire': {
                const id = chooseJob(op.p, op.job);
                const wasOpen = models[op.p].open.has(id);
                const deadline = deadlines[op.p].get(id);
                const note = `expire p${op.p} job ${id} by ${op.by} (now ${blockchain.now}, deadline ${deadline})`;
                // The provider is at fault for a missed deadline only on a key it still holds (or lost for equivocation).
                const job = await P.getJob(id);
                const key = job ? await P.getEnclave(job.enclaveKey) : null;
                const atFault = !!key && (!key.revoked || key.slashed);
                if (atFault) mayBeSlashed.add(op.p);
                else if (job) adversary('expire-without-fault');
                await send(note, () => P.send(by(op.by).getSender(), { value: toNano('0.1') }, { $$type: 'ExpireJob', queryId: 0n, jobId: id }));
                if (job && models[op.p].final.has(id)) {
                    const refund = lastExpiry.get(`${op.p}:${id}`);
                    if (refund === undefined || refund < job.escrow) fail([`after [${note}]: expiry refunded ${refund} < escrow ${job.escrow}`]);
                }
                const isFinal = models[op.p].final.has(id);
                if (wasOpen) {
                    // Oracles: not before the deadline; always after it (nothing may keep escrow hostage).
                    const late = BigInt(blockchain.now!) > deadline!;
                    if (!late && isFinal) fail([`after [${note}]: job expired before its deadline`]);
                    if (late && !isFinal) fail([`after [${note}]: job past its deadline could not be expired`]);
                    if (isFinal) stats.expired++;
                }
                break;
            }
            case 'equivocate': {
                const e = s.enclaves[op.e % s.enclaves.length];
                const id = chooseJob(op.p, op.job);
                const resultHash = (fill: number) => bigintFromBytes(bytesToTree(Buffer.alloc(64, fill)).hash());
                const evidence = equivocationEvidence({ provider: P.address, enclave: e }, id, resultHash(1), resultHash(2), { payloadHash: PAYLOAD_HASH, inputTokens: 10, outputTokens: 20 });
                const before = (await ledger(s)).totalSlashed;
                mayBeSlashed.add(op.p); // the provider's own key signed two results: guilty
                await send(`equivocate p${op.p} enclave ${op.e % s.enclaves.length} job ${id} by ${op.by}`, () =>
                    P.send(by(op.by).getSender(), { value: toNano('0.1') }, evidence));
                if ((await ledger(s)).totalSlashed > before) stats.slashes++;
                break;
            }
            case 'forgeEvidence': {
                const l = await ledger(s);
                const open = [...models[op.p].open];
                const resultHash = (fill: number) => bigintFromBytes(bytesToTree(Buffer.alloc(64, fill)).hash());
                let evidence;
                if (op.how === 'future' || open.length === 0) {
                    // What a runner that signs for any job id would hand an outsider.
                    evidence = equivocationEvidence({ provider: P.address, enclave: s.enclaves[0] }, l.nextJobId + BigInt(op.job % 3), resultHash(1), resultHash(2), { payloadHash: PAYLOAD_HASH });
                } else {
                    const id = open[op.job % open.length];
                    const job = (await P.getJob(id))!;
                    const own = s.enclaves.find((e) => e.publicKey === job.enclaveKey) ?? s.enclaves[0];
                    const other = s.enclaves.find((e) => e.publicKey !== job.enclaveKey) ?? s.enclaves[1];
                    evidence = op.how === 'payload'
                        ? equivocationEvidence({ provider: P.address, enclave: own }, id, resultHash(1), resultHash(2), { payloadHash: PAYLOAD_HASH ^ 1n })
                        : equivocationEvidence({ provider: P.address, enclave: other }, id, resultHash(1), resultHash(2), { payloadHash: PAYLOAD_HASH });
                }
                adversary(`forged-evidence-${op.how}`);
                await send(`forged evidence (${op.how}) p${op.p} job ${evidence.jobId}`, () => P.send(reporter.getSender(), { value: toNano('0.1') }, evidence));
                break;
            }
            case 'replay': {
                const all = [...acceptedExternals.values()];
                if (!all.length) break;
                const m = all[op.pick % all.length];
                adversary('replay');
                const r = await send(`replay an accepted external to ${m.to}`, () => blockchain.sendMessage(external({ to: m.to, body: m.body })));
                if (r && r.transactions.length) fail([`a replayed external was accepted again`]); // (book() has already said so)
                break;
            }
            case 'phantomStake': {
                // Deploy the phantom owner's Provider straight from its StateInit, with "stake".
                adversary(`phantom-stake-${op.bounce ? 'bounceable' : 'non-bounceable'}`);
                const note = `phantom AddStake ${op.amount} ${op.bounce ? 'bounceable' : 'non-bounceable'}${phantomDeployed ? ' (deployed)' : ' (before the Registry)'}`;
                if (op.bounce) {
                    await send(note, () => world.phantom.send(world.phantomOwner.getSender(), { value: op.amount }, { $$type: 'AddStake', queryId: 0n }));
                } else {
                    injected += op.amount; // sandbox does not debit a sender for a message it injects
                    const body = beginCell().store(storeAddStake({ $$type: 'AddStake', queryId: 0n })).endCell();
                    await send(note, () => blockchain.sendMessage(internal({ from: world.phantomOwner.address, to: world.phantom.address, value: op.amount, bounce: false, body, stateInit: world.phantom.init })));
                }
                // Value sent before the Registry deployed it is never recorded as stake.
                const active = (await blockchain.getContract(world.phantom.address)).accountState?.type === 'active';
                if (!phantomDeployed && active && (await world.phantom.getLedger()).stake !== 0n) fail([`after [${note}]: stake recorded before the Registry deployed the Provider`]);
                break;
            }
            case 'phantomDeploy': {
                if (phantomDeployed) break;
                await send('phantom owner deploys through the Registry', () => world.registry.send(world.phantomOwner.getSender(), { value: toNano('0.2') }, { $$type: 'DeployProvider', queryId: 0n }));
                phantomDeployed = (await blockchain.getContract(world.phantom.address)).accountState?.type === 'active';
                if (phantomDeployed && (await world.phantom.getLedger()).stake !== 0n) fail(['the phantom Provider was deployed with stake recorded before its deployment']);
                break;
            }
            case 'propose': {
                const params = { ...world.params, protocolFeeBps: BigInt(op.fee), treasury: op.otherTreasury ? world.treasury2.address : world.treasury.address };
                adversary('propose');
                await send(`governance proposes fee ${op.fee}${op.otherTreasury ? ' and treasury 2' : ''}`, () => world.registry.send(world.registryOwner.getSender(), { value: toNano('0.05') }, { $$type: 'ProposeParams', queryId: 0n, params }));
                break;
            }
            case 'cancel': {
                const pending = await world.registry.getPendingParams();
                const r = await send('governance cancels the pending change', () => world.registry.send(world.registryOwner.getSender(), { value: toNano('0.05') }, { $$type: 'CancelParams', queryId: 0n }));
                const cancelled = r?.transactions.some((t) => t.description.type === 'generic' && t.description.computePhase.type === 'vm' && t.description.computePhase.exitCode === 0 && t.inMessage?.info.dest?.toString() === world.registry.address.toString());
                if (cancelled) adversary('cancelled');
                // Oracle: success only when a change was still waiting (not one already in force).
                if (cancelled && pending === null) fail(['governance cancels: answered success while nothing was pending']);
                break;
            }
            case 'governance': {
                const q = { queryId: 0n };
                const o = world.registryOwner.getSender();
                const v = { value: toNano('0.05') };
                adversary(op.what);
                await send(`governance ${op.what}`, () =>
                    op.what === 'removeImage' ? world.registry.send(o, v, { $$type: 'RemoveImage', ...q, imageHash: IMAGE_HASH })
                    : op.what === 'allowImage' ? world.registry.send(o, v, { $$type: 'AllowImage', ...q, imageHash: IMAGE_HASH })
                    : op.what === 'removeVerifier' ? world.registry.send(o, v, { $$type: 'RemoveVerifier', ...q, publicKey: world.verifierKey })
                    : world.registry.send(o, v, { $$type: 'AllowVerifier', ...q, publicKey: world.verifierKey }));
                break;
            }
            case 'report': {
                const v = { value: toNano('0.1') };
                await send(`report ${op.what} removed to p${op.p} by ${op.by}`, () =>
                    op.what === 'image'
                        ? P.send(by(op.by).getSender(), v, { $$type: 'ReportImageRemoved', queryId: 0n, imageHash: IMAGE_HASH })
                        : P.send(by(op.by).getSender(), v, { $$type: 'ReportVerifierRemoved', queryId: 0n, verifierKey: world.verifierKey }));
                // Oracle: once reported, no key attested for a removed image or by a removed verifier serves.
                const removed = op.what === 'image' ? !(await world.registry.getImageActive(IMAGE_HASH)) : !(await world.registry.getVerifierActive(world.verifierKey));
                if (removed) {
                    for (const [key, e] of (await P.getEnclaves())) {
                        const attested = op.what === 'image' ? e.imageHash === IMAGE_HASH : e.verifierKey === world.verifierKey;
                        if (attested && !e.revoked) fail([`after the ${op.what} report: key ${key.toString(16).slice(0, 8)} still serves`]);
                    }
                }
                break;
            }
            case 'rotate': {
                // A runner restart: new keys; the owner revokes the old key and registers a spare.
                const live = [...registered[op.p]];
                const old = s.enclaves[live[op.e % live.length]];
                adversary('rotate');
                await send(`rotate p${op.p}: revoke enclave ${live[op.e % live.length]}`, () => P.send(s.owner.getSender(), { value: toNano('0.05') }, { $$type: 'RevokeEnclave', queryId: 0n, enclaveKey: old.publicKey }));
                const spare = s.enclaves.findIndex((e, i) => !registered[op.p].has(i) && i < s.enclaves.length - 1);
                if (spare >= 0) {
                    const r = await send(`rotate p${op.p}: register enclave ${spare}`, () => world.register(s, s.enclaves[spare]));
                    if (r && (await P.getEnclave(s.enclaves[spare].publicKey)) !== null) registered[op.p].add(spare);
                }
                break;
            }
            case 'fundReserve':
                await send(`fund reserve p${op.p} ${op.amount}`, () => P.send(clients[1].getSender(), { value: op.amount }, { $$type: 'FundReserve', queryId: 0n }));
                break;
            case 'unbond': {
                const l = await ledger(s);
                const amount = (BigInt(op.frac) * l.stake) / 1000n;
                await send(`unbond p${op.p} ${amount} of stake ${l.stake}`, () => P.send(s.owner.getSender(), { value: toNano('0.05') }, { $$type: 'RequestUnbond', queryId: 0n, amount }));
                break;
            }
            case 'withdrawStake':
                await send(`withdrawStake p${op.p} by ${op.byOwner ? 'owner' : 'reporter'}`, () => P.send((op.byOwner ? s.owner : reporter).getSender(), { value: toNano('0.05') }, { $$type: 'WithdrawStake', queryId: 0n }));
                break;
            case 'withdrawEarnings':
                await send(`withdrawEarnings p${op.p} by ${op.byOwner ? 'owner' : 'reporter'}`, () => P.send((op.byOwner ? s.owner : reporter).getSender(), { value: toNano('0.05') }, { $$type: 'WithdrawEarnings', queryId: 0n }));
                break;
            case 'flush':
                await send(`flush p${op.p} by ${op.by}`, () => P.send(by(op.by).getSender(), { value: toNano('0.05') }, { $$type: 'FlushFees', queryId: 0n }));
                break;
            case 'claim': {
                const note = `claim p${op.p} by ${op.who === 3 ? 'ghost' : 'client' + op.who}`;
                const claimer = op.who === 3 ? world.ghost : clients[op.who].address;
                const owedBefore = await P.getClaim(claimer);
                if (op.who === 3) {
                    injected += toNano('0.05');
                    await send(note, () => world.fromGhost(P.address, toNano('0.05'), beginCell().store(storeClaimRefund({ $$type: 'ClaimRefund', queryId: 0n })).endCell()));
                } else {
                    await send(note, () => P.send(clients[op.who].getSender(), { value: toNano('0.05') }, { $$type: 'ClaimRefund', queryId: 0n }));
                }
                if (owedBefore > 0n && (await P.getClaim(claimer)) === 0n) stats.claimsPaid++;
                break;
            }
            case 'openSession': {
                const enclaveKey = enclaveKeyFor(op.p, op.enclave, op.e);
                const value = op.deposit === 'min' ? charges.opening + charges.minDeposit : op.deposit === 'short' ? charges.opening + charges.minDeposit - 1n : op.deposit === 'tiny' ? toNano('0.005') : op.deposit;
                const key = await P.getEnclave(enclaveKey);
                const before = await ledgerNow(s);
                const n = sessions[op.p].size;
                const msg: OpenSession = { $$type: 'OpenSession', queryId: 0n, modelId: MODEL_ID, enclaveKey, clientKey: world.clientSessionKey, ttl: BigInt(op.ttl) };
                const note = `open session p${op.p} client${op.client} value ${value} ttl ${op.ttl} enclave=${op.enclave}`;
                let r: SendMessageResult | null;
                if (op.client === 3) r = await sendSession(note, s, 'client', world.ghost, value, msg);
                else if (op.client === 4) {
                    adversary('session-masterchain-open');
                    r = await send(note + ' [masterchain]', () => P.send(world.mcClient.getSender(), { value }, msg));
                } else r = await sendSession(note, s, 'client', clients[op.client].address, value, msg);
                const tx = r?.transactions.find((t) => t.inMessage && P.address.equals(t.inMessage.info.dest as Address));
                stats.sessions.openExits[exitCode(tx)] = (stats.sessions.openExits[exitCode(tx)] ?? 0) + 1;
                const m = sessions[op.p].get(BigInt(n));
                const errs: string[] = untouchedOwner(before, await ledgerNow(s));
                if (m) {
                    // Oracles: a session exists only on the terms the contract promises, and records them.
                    const params = (await P.getParams())!;
                    const offer = (await P.getOffer(MODEL_ID))!;
                    const sender = op.client === 3 ? world.ghost : op.client === 4 ? world.mcClient.address : clients[op.client].address;
                    if (op.client === 4) errs.push('a session was opened for a masterchain client');
                    if (op.enclave !== 'own' || !key || key.revoked || BigInt(now()) >= key.validUntil) errs.push(`a session was opened on a key that is not this provider's usable key (${op.enclave}, ${key ? `revoked ${key.revoked}, valid until ${key.validUntil}` : 'unknown'})`);
                    if (BigInt(op.ttl) < charges.minTtl || BigInt(op.ttl) > params.maxSessionTtl) errs.push(`a session was opened with ttl ${op.ttl} outside [${charges.minTtl}, ${params.maxSessionTtl}]`);
                    if (m.deposit !== value - charges.opening || m.deposit < charges.minDeposit) errs.push(`deposit ${m.deposit} != value ${value} − opening charge ${charges.opening}, or below the minimum`);
                    const expiresAt = BigInt(now()) + BigInt(op.ttl) < (key?.validUntil ?? 0n) ? BigInt(now()) + BigInt(op.ttl) : key?.validUntil;
                    if (m.expiresAt !== expiresAt) errs.push(`expiresAt ${m.expiresAt} != min(now + ttl, key valid until) ${expiresAt}`);
                    if (m.window !== params.sessionChallengeWindow || m.feeBps !== params.protocolFeeBps) errs.push(`window ${m.window} / fee ${m.feeBps} are not the rules in force (${params.sessionChallengeWindow} / ${params.protocolFeeBps})`);
                    if (m.pricePerMillionIn !== offer.pricePerMillionIn || m.pricePerMillionOut !== offer.pricePerMillionOut) errs.push(`prices ${m.pricePerMillionIn}/${m.pricePerMillionOut} are not the offer's`);
                    if (!m.client.equals(sender) || m.enclaveKey !== enclaveKey) errs.push(`client ${m.client} / key are not the opener's`);
                }
                fail(errs.map((e) => `after [${note}]: ${e}`));
                break;
            }
            case 'settle': {
                const { q, id, m } = chooseSession(op.p, op.sess, true);
                const side = sides[q];
                const ref = refOf(q, id);
                const secret = m ? secretOf(m.enclaveKey)! : side.enclaves[0].secretKey;
                if (isOpen(m)) for (let i = 0; i < op.serve; i++) serve(m, ref, secret, now(), BigInt(op.inTok >> i), BigInt(op.outTok >> i));
                const lastCharge = m?.signed[m.signed.length - 1]?.charge ?? 0n;
                let d: Delivered | null = null;
                let variant = op.variant;
                if (!m) {
                    // No such session (yet): a genuine voucher of another one.
                    const donor = [...sessions[q].values()].find((o) => o.signed.length);
                    if (donor) d = { v: donor.signed[donor.signed.length - 1], authentic: false };
                    variant = 'otherSession';
                } else if (variant === 'latest' || variant === 'older' || variant === 'stale') {
                    const from = variant === 'latest' ? m.signed.slice(-1) : m.signed.filter((v) => (variant === 'older' ? v.seq > m.lastSeq : v.seq <= m.lastSeq));
                    if (from.length) d = { v: from[op.sess % from.length], authentic: true };
                } else if (variant === 'edge') {
                    // The enclave's next voucher adds, after the fee, about what its external delivery may cost.
                    const target = m.paid + ((charges.externalBound + BigInt(op.edge)) * 10_000n + 9_999n - m.feeBps) / (10_000n - m.feeBps);
                    const v = isOpen(m) ? serve(m, ref, secret, now(), tokensFor(m, lastCharge, target), 0n) : null;
                    if (v) d = { v, authentic: true };
                } else if (variant === 'otherSession') {
                    const donor = [...sessions[q].values()].find((o) => o.id !== id && o.signed.length);
                    d = donor ? { v: donor.signed[donor.signed.length - 1], authentic: false } : { v: signVoucher(refOf(q, id + 1n), nextBody(m, 1000n), secret), authentic: false };
                } else {
                    const addIn = variant === 'aboveDeposit' ? tokensFor(m, lastCharge, m.deposit + 1n) + BigInt(op.inTok % 5000) : BigInt(op.inTok) + 1n;
                    const body = nextBody(m, addIn, { transcript: transcriptOf(id, 0n, 7n) });
                    if (variant === 'mispriced') body.charge = op.sess % 2 === 0 || body.charge === 0n ? body.charge + 1n : body.charge - 1n;
                    const otherKey = sides.flatMap((x) => x.enclaves).find((e) => e.publicKey !== m.enclaveKey)!;
                    const signer = variant === 'otherKey' ? otherKey.secretKey : secret;
                    const signedFor = variant === 'otherNetwork' ? { ...ref, globalId: GLOBAL_ID + 1 } : variant === 'otherProvider' ? { ...ref, provider: sides[1 - q].contract.address } : ref;
                    // Mispriced and past-the-deposit vouchers are the session key's own signature (a misbehaving enclave).
                    d = { v: signVoucher(signedFor, body, signer), authentic: variant === 'mispriced' || variant === 'aboveDeposit' };
                }
                if (!d) break;
                if (variant !== 'latest' && variant !== 'older') adversary(`voucher-${variant}`);
                const via = variant === 'edge' ? 'external' : op.via;
                const padded = via === 'external' && op.pad !== 'none';
                const slashed = m ? await slashedKey(side, m.enclaveKey) : false;
                const valid = voucherValid(m, d, now());
                const { delta, fee } = m ? split(m, d.v) : { delta: 0n, fee: 0n };
                // A final voucher ends the session however it arrives; by external message its bound is the close's.
                const ends = d.v.final;
                const accept = via === 'internal' ? valid && !slashed : !padded && valid && delta - fee >= (ends ? charges.finalBound : charges.externalBound);
                if (variant === 'edge') adversary(accept ? 'voucher-edge-accepted' : 'voucher-edge-refused');
                const how = via === 'internal' ? 'internal' : slashed ? 'slashed' : 'external';
                const before = await ledgerNow(side);
                const note = `settle p${q} session ${id} seq ${d.v.seq} charge ${d.v.charge} (${variant}, adds ${delta}) ${via}${padded ? '' : ` by ${op.by}`} (now ${now()})`;
                // A delivery the share does not cover is the provider's own cost (earnings, then stake: the
                // ledger counts what stake pays as slashed); creditErrors checks it is exactly the delivery.
                if (via === 'external') mayBeSlashed.add(q);
                const exp: Expectation = {
                    p: q, accept, what: note,
                    apply: () => {
                        m!.lastSeq = d!.v.seq;
                        if (how === 'slashed') return;
                        m!.paid = d!.v.charge;
                        credited[q] += delta;
                    },
                };
                expectation = exp;
                const msg: SettleVoucher = { $$type: 'SettleVoucher', sessionId: id, voucher: voucherMessage(d.v) };
                if (padded) {
                    adversary('voucher-padded');
                    await deliverPadded(note, side, bodyOf(msg), op.pad as 'bits' | 'refs' | 'init');
                } else if (via === 'external') await send(note, () => side.contract.sendExternal(msg));
                else await sendSession(note, side, op.by, undefined, toNano('0.03'), msg);
                if (exp.accepted) {
                    if (how === 'internal') stats.sessions.settledInternal++;
                    else if (how === 'external') stats.sessions.settledExternal++;
                    else stats.sessions.consumedSlashed++;
                    fail(creditErrors(before, await ledgerNow(side), delta, fee, how, exp.tx, ends).map((e) => `after [${note}]: ${e}`));
                }
                break;
            }
            case 'topUp': {
                const { q, id, m } = chooseSession(op.p, op.sess);
                const side = sides[q];
                const value = op.amount === 'fee' ? charges.topUp : op.amount;
                const late = isOpen(m) && (m.closing || BigInt(now()) >= m.expiresAt);
                if (late) adversary('topup-while-closing');
                const before = await ledgerNow(side);
                const note = `top up p${q} session ${id} by ${op.by} ${value}${late ? ' (closing or expired)' : ''}`;
                expectation = {
                    p: q, accept: isOpen(m) && !late && value > charges.topUp, what: note,
                    apply: () => {
                        m!.deposit += value - charges.topUp;
                        stats.sessions.toppedUp++;
                    },
                };
                await sendSession(note, side, op.by, m?.client, value, { $$type: 'TopUpSession', queryId: 0n, sessionId: id });
                fail(untouchedOwner(before, await ledgerNow(side)).map((e) => `after [${note}]: ${e}`));
                break;
            }
            case 'closeSession': {
                const { q, id, m } = chooseSession(op.p, op.sess);
                const side = sides[q];
                if (!op.byClient) adversary('close-by-stranger');
                const before = await ledgerNow(side);
                const note = `close session p${q} ${id} by ${op.byClient ? 'its client' : 'a stranger'} (now ${now()})`;
                expectation = {
                    p: q, accept: isOpen(m) && op.byClient && !m.closing, what: note,
                    apply: () => {
                        m!.closing = true;
                        const end = BigInt(now()) + m!.window;
                        if (end < m!.settleUntil) m!.settleUntil = end;
                    },
                };
                await sendSession(note, side, op.byClient ? 'client' : 'reporter', m?.client, toNano('0.05'), { $$type: 'CloseSession', queryId: 0n, sessionId: id });
                fail(untouchedOwner(before, await ledgerNow(side)).map((e) => `after [${note}]: ${e}`));
                break;
            }
            case 'finishSession': {
                const { q, id, m } = chooseSession(op.p, op.sess);
                const side = sides[q];
                const early = isOpen(m) && BigInt(now()) <= m.settleUntil;
                if (early) adversary('finish-early');
                const before = await ledgerNow(side);
                const note = `finish session p${q} ${id} by ${op.by} (now ${now()}, settle until ${m?.settleUntil})`;
                expectation = { p: q, accept: isOpen(m) && !early, what: note, apply: () => stats.sessions.finished++ };
                await sendSession(note, side, op.by, m?.client, toNano('0.05'), { $$type: 'FinishSession', queryId: 0n, sessionId: id });
                fail(untouchedOwner(before, await ledgerNow(side)).map((e) => `after [${note}]: ${e}`));
                break;
            }
            case 'closeWithVoucher': {
                const { q, id, m } = chooseSession(op.p, op.sess, true);
                const side = sides[q];
                if (!m) break;
                const ref = refOf(q, id);
                const secret = secretOf(m.enclaveKey)!;
                // The enclave's next voucher, final when the client asked to close; else a replay of its last.
                const v: SignedVoucher | undefined = serve(m, ref, secret, now(), BigInt(op.inTok), BigInt(op.outTok), op.final) ?? (op.final ? serve(m, ref, secret, now(), 0n, 0n, true) : null) ?? m.signed[m.signed.length - 1];
                if (!v) break;
                if (!v.final) adversary('close-not-final');
                const slashed = await slashedKey(side, m.enclaveKey);
                const { delta, fee } = split(m, v);
                const before = await ledgerNow(side);
                const note = `close session p${q} ${id} with voucher seq ${v.seq} final=${v.final} charge ${v.charge} by ${op.byClient ? 'its client' : 'the relayer'} (now ${now()})`;
                // The relayer may deliver the final voucher as a settlement (internal or external): it ends
                // the session all the same (the race with the client's own close, THREATS).
                const as = op.byClient || !v.final ? 'close' : (['close', 'settle', 'settleExternal'] as const)[op.inTok % 3];
                const valid = voucherValid(m, { v, authentic: true }, now()) && v.final;
                const accept = as === 'settleExternal' ? valid && delta - fee >= charges.finalBound : valid && !slashed;
                const how = as !== 'settleExternal' ? 'internal' : slashed ? 'slashed' : 'external';
                if (as === 'settleExternal') mayBeSlashed.add(q); // its delivery may take from the stake, as the settlement's
                const exp: Expectation = {
                    p: q, accept, what: `${note}${as === 'close' ? '' : ` as ${as === 'settle' ? 'an internal' : 'an external'} SettleVoucher`}`,
                    apply: () => {
                        m.lastSeq = v.seq;
                        if (as !== 'close') adversary('voucher-final-settled');
                        stats.sessions.closedWithVoucher++;
                        if (how === 'slashed') return;
                        m.paid = v.charge;
                        credited[q] += delta;
                    },
                };
                expectation = exp;
                const msg = { sessionId: id, voucher: voucherMessage(v) };
                if (as === 'settleExternal') await send(exp.what, () => side.contract.sendExternal({ $$type: 'SettleVoucher', ...msg }));
                else if (as === 'settle') await sendSession(exp.what, side, 'relayer', m.client, toNano('0.05'), { $$type: 'SettleVoucher', ...msg });
                else await sendSession(exp.what, side, op.byClient ? 'client' : 'relayer', m.client, toNano('0.05'), { $$type: 'CloseWithVoucher', ...msg });
                if (exp.accepted) fail(creditErrors(before, await ledgerNow(side), delta, fee, how, exp.tx, true).map((e) => `after [${exp.what}]: ${e}`));
                break;
            }
            case 'sessionEvidence': {
                const { q, id: picked, m } = chooseSession(op.p, op.sess);
                const side = sides[q];
                const key = m?.enclaveKey ?? side.enclaves[0].publicKey;
                const secret = secretOf(key)!;
                const id = op.how === 'future' ? BigInt(sessions[q].size) + BigInt(op.sess % 3) : picked;
                const ref = refOf(q, id);
                const seq = BigInt((m?.signed.length ?? 0) + 1);
                const a = { seq, inputTokens: 1000n, outputTokens: 2000n, charge: 0n, transcript: transcriptOf(id, seq, 11n), final: false };
                const b = op.how === 'seqs' ? { ...a, seq: seq + 1n } : { ...a, transcript: transcriptOf(id, seq, 12n) };
                const otherKey = side.enclaves.find((e) => e.publicKey !== key)!;
                const signedFor = op.how === 'otherProvider' ? { ...ref, provider: sides[1 - q].contract.address } : ref;
                const first = signVoucher(signedFor, a, secret);
                const second = op.how === 'identical' ? first : signVoucher(signedFor, b, op.how === 'otherKey' ? otherKey.secretKey : secret);
                const claim = (v: SignedVoucher) => ({ $$type: 'VoucherClaim' as const, inputTokens: v.inputTokens, outputTokens: v.outputTokens, charge: v.charge, transcript: v.transcript, final: v.final, signature: v.signature });
                const enclave = await side.contract.getEnclave(key);
                const real = op.how === 'real';
                // Real evidence: the session's own key signed two vouchers for one sequence. Guilty.
                if (real) mayBeSlashed.add(q);
                else adversary(`session-evidence-${op.how}`);
                const note = `session evidence (${op.how}) p${q} session ${id} seq ${seq} by ${op.by}`;
                expectation = { p: q, accept: real && !!enclave && !enclave.slashed && id < BigInt(sessions[q].size), what: note };
                await send(note, () => side.contract.send(by(op.by).getSender(), { value: toNano('0.1') }, { $$type: 'ReportSessionEquivocation', queryId: 0n, enclaveKey: key, sessionId: id, seq, first: claim(first), second: claim(second) }));
                break;
            }
            case 'sessionTime': {
                // The nearest such edge of any open session, at most 2 hours away: the job steps' keys and
                // parameter copies age no faster than the 'advance' steps make them.
                const edge = (m: SessionModel) => ({ 'expiry-1': m.expiresAt - 1n, expiry: m.expiresAt, 'expiry+1': m.expiresAt + 1n, until: m.settleUntil, 'until+1': m.settleUntil + 1n })[op.at];
                const next = sides.flatMap((x) => (frozen.has(x.index) ? [] : [...sessions[x.index].values()].filter(isOpen)))
                    .filter((m) => edge(m) > BigInt(now()))
                    .sort((a, b) => (edge(a) < edge(b) ? -1 : 1))[0];
                if (!next || edge(next) > BigInt(now() + 7200)) break;
                blockchain.now = Number(edge(next));
                await book(null, `advance to session ${next.id}'s ${op.at} (${blockchain.now})`);
                break;
            }
            case 'advance':
                if (op.secs >= 30 * 86400) adversary('months-or-years');
                blockchain.now = blockchain.now! + op.secs;
                await book(null, `advance ${op.secs}s`);
                break;
            case 'sync':
                await send(`sync p${op.p} by ${op.by}`, () => P.send(by(op.by).getSender(), { value: toNano('0.1') }, { $$type: 'RequestSync', queryId: 0n }));
                break;
            case 'register': {
                // Half the time a spare never registered (keys revoked by removals or rotation stay revoked).
                const spare = s.enclaves.findIndex((_, i) => !registered[op.p].has(i));
                const i = op.e % 2 === 0 && spare >= 0 ? spare : op.e % s.enclaves.length;
                const r = await send(`register p${op.p} enclave ${i}`, () => world.register(s, s.enclaves[i]));
                if (r && (await P.getEnclave(s.enclaves[i].publicKey)) !== null) registered[op.p].add(i);
                break;
            }
            case 'deployGhost':
                if (ghostDeployed) break;
                ghostDeployed = true;
                injected += toNano('0.1');
                await send('deployGhost', () => world.deployGhost(toNano('0.1')));
                break;
        }
    }

    // Liveness of the provider's pay: inside each open session's window, the latest voucher its
    // enclave signed that the deposit covers must settle (what the settlement service does last).
    mayBeSlashed = new Set();
    for (const s of sides) {
        if (frozen.has(s.index)) continue;
        for (const m of [...sessions[s.index].values()].filter(isOpen)) {
            if (BigInt(now()) > m.settleUntil || (await slashedKey(s, m.enclaveKey))) continue;
            const v = [...m.signed].reverse().find((x) => x.seq > m.lastSeq && x.charge <= m.deposit);
            if (!v) continue;
            const { delta, fee } = split(m, v);
            const before = await ledgerNow(s);
            const note = `final settlement p${s.index} session ${m.id} seq ${v.seq} charge ${v.charge} (now ${now()}, window until ${m.settleUntil})`;
            const exp: Expectation = { p: s.index, accept: true, what: note, apply: () => { m.paid = v.charge; m.lastSeq = v.seq; credited[s.index] += delta; } };
            expectation = exp;
            await send(note, () => s.contract.send(relayer.getSender(), { value: toNano('0.03') }, { $$type: 'SettleVoucher', sessionId: m.id, voucher: voucherMessage(v) }));
            fail(creditErrors(before, await ledgerNow(s), delta, fee, 'internal', exp.tx).map((e) => `after [${note}]: ${e}`));
            stats.sessions.settledInternal++;
        }
    }

    // Liveness: past every deadline and every session's window, expire every open job and finish
    // every open session; no escrow and no deposit may stay behind.
    let last = BigInt(blockchain.now!);
    for (const d of deadlines) for (const v of d.values()) if (v > last) last = v;
    for (const ss of sessions) for (const m of ss.values()) if (isOpen(m) && m.settleUntil > last) last = m.settleUntil;
    blockchain.now = Number(last) + 1;
    await book(null, `advance past every deadline and window (to ${blockchain.now})`);
    for (const s of sides) {
        if (frozen.has(s.index)) continue;
        for (const id of [...models[s.index].open]) {
            const job = await s.contract.getJob(id);
            const key = job ? await s.contract.getEnclave(job.enclaveKey) : null;
            mayBeSlashed = new Set(key && (!key.revoked || key.slashed) ? [s.index] : []);
            await send(`final expire p${s.index} job ${id}`, () => s.contract.send(reporter.getSender(), { value: toNano('0.1') }, { $$type: 'ExpireJob', queryId: 0n, jobId: id }));
            stats.expired++;
        }
        mayBeSlashed = new Set();
        for (const m of [...sessions[s.index].values()].filter(isOpen)) {
            const note = `final finish p${s.index} session ${m.id} by a stranger (settle until ${m.settleUntil})`;
            expectation = { p: s.index, accept: true, what: note, apply: () => stats.sessions.finishedAtEnd++ };
            await send(note, () => s.contract.send(reporter.getSender(), { value: toNano('0.05') }, { $$type: 'FinishSession', queryId: 0n, sessionId: m.id }));
        }
        const l = await ledger(s);
        fail(drained(`provider ${s.index}`, l).map((e) => `${e}\n${fmt(l)}`));
        // The provider was paid, in total, exactly what its accepted vouchers added.
        let paid = 0n;
        for (const m of sessions[s.index].values()) paid += m.paid;
        if (paid !== credited[s.index]) fail([`provider ${s.index}: clients paid ${paid} in all, accepted vouchers added ${credited[s.index]}`]);
    }
    // Every client has recovered everything it was not charged: Σ (deposits − charges) over its sessions.
    const due = new Map<string, bigint>();
    const recovered = new Map<string, bigint>();
    for (const s of sides) {
        if (frozen.has(s.index)) continue;
        for (const m of sessions[s.index].values()) {
            const c = m.client.toRawString();
            due.set(c, (due.get(c) ?? 0n) + m.deposit - m.paid);
            recovered.set(c, (recovered.get(c) ?? 0n) + m.recovered);
            if (m.refunds !== 1) fail([`liveness: session ${m.id} of provider ${s.index} refunded ${m.refunds} times`]);
        }
    }
    for (const [c, v] of due) if (recovered.get(c) !== v) fail([`liveness: client ${c} recovered ${recovered.get(c)} of the ${v} it was not charged`]);
}

describe('money properties (fast-check over sandbox)', () => {
    let world: World;
    beforeAll(async () => {
        world = await buildWorld();
    }, 60_000);

    it(`conservation, solvency, counters and liveness over ${RUNS} runs × ${OPS} operations (seed ${SEED})`, async () => {
        const stats: Stats = {
            ops: 0, created: 0, completed: 0, declined: 0, expired: 0, slashes: 0, bounces: 0, claimsPaid: 0, minMargin: 1n << 120n, strictViolations: 0, checkMs: 0, createExits: {}, adversary: {},
            sessions: { opened: 0, settledInternal: 0, settledExternal: 0, consumedSlashed: 0, closedWithVoucher: 0, finished: 0, finishedAtEnd: 0, toppedUp: 0, slashes: 0, openExits: {} },
        };
        const started = Date.now();
        await fc.assert(
            fc.asyncProperty(fc.array(opArb, { minLength: OPS, maxLength: OPS }), async (ops) => {
                await run(world, ops, stats);
            }),
            { seed: SEED, numRuns: RUNS, verbose: 1, endOnFailure: process.env.COCOON_NO_SHRINK === '1' },
        );
        // Figures for the report (not assertions on them beyond coverage of the paths under test).
        console.log(`money properties: ${RUNS} runs, ${stats.ops} operations, ${((Date.now() - started) / 1000).toFixed(1)} s; jobs created ${stats.created}, completed ${stats.completed}, declined ${stats.declined}, expired ${stats.expired}; equivocation slashes ${stats.slashes}; bounces ${stats.bounces}; claims paid ${stats.claimsPaid}; min solvency margin ${stats.minMargin} (steps with balance < owed: ${stats.strictViolations}); invariant checks ${(stats.checkMs / 1000).toFixed(1)} s; CreateJob exit codes ${JSON.stringify(stats.createExits)}; adversarial steps ${JSON.stringify(stats.adversary)}; sessions ${JSON.stringify(stats.sessions)}`);
        expect(stats.ops).toBeGreaterThanOrEqual(RUNS * OPS);
        expect(stats.created).toBeGreaterThan(0);
        expect(stats.completed).toBeGreaterThan(0);
        expect(stats.declined).toBeGreaterThan(0);
        expect(stats.expired).toBeGreaterThan(0);
        expect(stats.slashes).toBeGreaterThan(0);
        expect(stats.bounces).toBeGreaterThan(0);
        // Every kind of adversary acted at least once in the run.
        const kinds = ['phantom-stake-bounceable', 'phantom-stake-non-bounceable', 'masterchain-create', 'replay', 'forged-evidence-future', 'forged-evidence-payload', 'forged-evidence-otherKey', 'padded-bits', 'padded-refs', 'padded-init', 'propose', 'cancelled', 'removeImage', 'removeVerifier', 'rotate', 'months-or-years', 'expire-without-fault'];
        expect(kinds.filter((k) => !stats.adversary[k])).toEqual([]);
        // Every session path was taken: opened, settled both ways, topped up, closed with a voucher,
        // finished during the run (not only at its end), and a cheating enclave slashed.
        const ss = stats.sessions;
        expect([ss.opened, ss.settledInternal, ss.settledExternal, ss.toppedUp, ss.closedWithVoucher, ss.finished, ss.finishedAtEnd, ss.slashes].every((n) => n > 0)).toBe(true);
        const sessionKinds = [
            'session-masterchain-open', 'voucher-stale', 'voucher-otherKey', 'voucher-otherNetwork', 'voucher-otherProvider', 'voucher-otherSession', 'voucher-mispriced', 'voucher-aboveDeposit',
            'voucher-edge-accepted', 'voucher-edge-refused', 'voucher-padded', 'voucher-final-settled', 'close-by-stranger', 'close-not-final', 'finish-early', 'topup-while-closing',
            'session-evidence-identical', 'session-evidence-otherKey', 'session-evidence-future', 'session-evidence-seqs', 'session-evidence-otherProvider',
        ];
        expect(sessionKinds.filter((k) => !stats.adversary[k])).toEqual([]);
    }, DEEP ? 3_600_000 : 600_000);
});
