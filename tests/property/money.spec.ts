/**
 * Money properties of Registry + 2 Providers under random operation sequences (fast-check).
 *
 * Each run restores one sandbox snapshot (tests/property/world.ts) and interprets an array of
 * operation records in order. After every operation: (1) exact conservation of value over every
 * account involved, (2) solvency of each Provider, (3) ledger counters and escrow agree with the
 * jobs, each final job refunded exactly once, plus a few correct-behaviour oracles; at the end of a
 * run (4) liveness: past every deadline, expiring every open job leaves no escrow behind.
 *
 * The actors are adversarial as well as friendly: Providers deployed straight from their public
 * StateInit with value before the Registry touches them, external deliveries padded with trailing
 * bits, extra refs or a StateInit up to the 64 KB limit, replays of accepted messages, a masterchain
 * client and reporter, bouncing payees, forged equivocation evidence, governance proposing and
 * cancelling around syncs, verifier and image removals mid-job, key rotation, and time jumps of days
 * to years (storage rent). Beyond the four invariants above, after every step: no accepted external
 * fails after acceptance or is accepted twice; a provider is slashed only for what its own enclave
 * did (an expiry on a key it still holds unrevoked, two receipts its key signed, an oversize result);
 * an expired job refunds at least its escrow; a Provider's parameters were in force at the Registry.
 *
 * Default: fixed seed, 20 runs × 100 operations. COCOON_DEEP=1: 200 runs × 100 operations.
 */
import fc from 'fast-check';
import { Address, beginCell, Cell, external, toNano } from '@ton/core';
import { SendMessageResult, internal } from '@ton/sandbox';
import { buildWorld, World, ProviderSide } from './world';
import { summarize, conservation, solvency, counters, drained, owed, JobModel, LedgerView, fmt } from './invariants';
import { MODEL_ID, IMAGE_HASH, signedResult, signedDecline, equivocationEvidence } from '../fixtures/protocol';
import { Provider, storeCreateJob, storeClaimRefund, storeSubmitResult, storeSubmitDecline, storeAddStake } from '../../wrappers/Provider';
import { bytesToTree } from '../../protocol/bytesTree';
import { bigintFromBytes } from '../../protocol/signed';

const DEEP = process.env.COCOON_DEEP === '1';
const RUNS = Number(process.env.COCOON_RUNS ?? (DEEP ? 200 : 20));
const OPS = Number(process.env.COCOON_OPS ?? 100);
const SEED = Number(process.env.COCOON_SEED ?? 0x0c0c00);
/** Every job of these runs carries this payload; receipts and declines sign its hash. */
const PAYLOAD = bytesToTree(Buffer.alloc(300, 7));
const PAYLOAD_HASH = bigintFromBytes(PAYLOAD.hash());

/**
 * Solvency is checked strictly: balance >= everything the ledger owes, after every step. These runs
 * found three ways the contracts used to fall short (the creation's costs booked as escrow, storage
 * fees with no reserve, a bounce paying its own compute from owed funds); docs/SPEC.md ("Storage")
 * says how each is now paid.
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
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

// ---------------------------------------------------------------- one run

class Violation extends Error {}

interface Stats {
    ops: number; created: number; completed: number; declined: number; expired: number; slashes: number; bounces: number; claimsPaid: number;
    minMargin: bigint; strictViolations: number; checkMs: number; createExits: Record<number, number>;
    /** Adversarial steps and what they achieved (all must achieve nothing but their refusal). */
    adversary: Record<string, number>;
}

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
            const sum = summarize(r.transactions);
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
            stats.bounces += r.transactions.filter((t) => t.inMessage?.info.type === 'internal' && t.inMessage.info.bounced).length;
        }
        trail.push(note);
        const t0 = performance.now();
        const errs: string[] = [];
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
                const other = sides[1 - op.p];
                const enclaveKey =
                    op.enclave === 'own' ? s.enclaves[[...registered[op.p]][op.e % registered[op.p].size]].publicKey
                    : op.enclave === 'other-provider' ? other.enclaves[0].publicKey
                    : s.enclaves[s.enclaves.length - 1].publicKey ^ 1n; // never registered anywhere
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

    // Liveness: past every deadline, expire every open job; no escrow may stay behind.
    let last = BigInt(blockchain.now!);
    for (const d of deadlines) for (const v of d.values()) if (v > last) last = v;
    blockchain.now = Number(last) + 1;
    await book(null, `advance past every deadline (to ${blockchain.now})`);
    for (const s of sides) {
        if (frozen.has(s.index)) continue;
        for (const id of [...models[s.index].open]) {
            const job = await s.contract.getJob(id);
            const key = job ? await s.contract.getEnclave(job.enclaveKey) : null;
            mayBeSlashed = new Set(key && (!key.revoked || key.slashed) ? [s.index] : []);
            await send(`final expire p${s.index} job ${id}`, () => s.contract.send(reporter.getSender(), { value: toNano('0.1') }, { $$type: 'ExpireJob', queryId: 0n, jobId: id }));
            stats.expired++;
        }
        const l = await ledger(s);
        fail(drained(`provider ${s.index}`, l).map((e) => `${e}\n${fmt(l)}`));
    }
}

describe('money properties (fast-check over sandbox)', () => {
    let world: World;
    beforeAll(async () => {
        world = await buildWorld();
    }, 60_000);

    it(`conservation, solvency, counters and liveness over ${RUNS} runs × ${OPS} operations (seed ${SEED})`, async () => {
        const stats: Stats = { ops: 0, created: 0, completed: 0, declined: 0, expired: 0, slashes: 0, bounces: 0, claimsPaid: 0, minMargin: 1n << 120n, strictViolations: 0, checkMs: 0, createExits: {}, adversary: {} };
        const started = Date.now();
        await fc.assert(
            fc.asyncProperty(fc.array(opArb, { minLength: OPS, maxLength: OPS }), async (ops) => {
                await run(world, ops, stats);
            }),
            { seed: SEED, numRuns: RUNS, verbose: 1, endOnFailure: process.env.COCOON_NO_SHRINK === '1' },
        );
        // Figures for the report (not assertions on them beyond coverage of the paths under test).
        console.log(`money properties: ${RUNS} runs, ${stats.ops} operations, ${((Date.now() - started) / 1000).toFixed(1)} s; jobs created ${stats.created}, completed ${stats.completed}, declined ${stats.declined}, expired ${stats.expired}; equivocation slashes ${stats.slashes}; bounces ${stats.bounces}; claims paid ${stats.claimsPaid}; min solvency margin ${stats.minMargin} (steps with balance < owed: ${stats.strictViolations}); invariant checks ${(stats.checkMs / 1000).toFixed(1)} s; CreateJob exit codes ${JSON.stringify(stats.createExits)}; adversarial steps ${JSON.stringify(stats.adversary)}`);
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
    }, DEEP ? 3_600_000 : 600_000);
});
