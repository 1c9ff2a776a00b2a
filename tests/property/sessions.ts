/**
 * Session actors of the money property tests: the operations (fast-check records), the enclave that
 * serves a session and signs its cumulative vouchers, the vouchers an attacker can make of them, and
 * the oracle that says, from the model alone, whether the Provider must accept a voucher.
 *
 * The enclave is honest: it signs one voucher per sequence number, cumulative, at the session's
 * prices, never past the deposit it has read on chain, and nothing after a final voucher. Every other
 * voucher here is made by someone else (another key, another network, Provider or session) or is a
 * one-off the session's key signed in an explicitly hostile step (mispriced, past the deposit, two for
 * one sequence), never added to the enclave's history.
 */
import fc from 'fast-check';
import { Address, toNano } from '@ton/core';
import { priceOf, signVoucher, SignedVoucher, VoucherBody } from '../../protocol/voucher';
import { loadSessionBinding, SessionRecord } from '../../wrappers/Provider';
import { SessionModel } from './invariants';

const pIdx = fc.integer({ min: 0, max: 1 });
const pick = fc.nat({ max: 1_000_000 });
const pad = fc.oneof({ weight: 6, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: fc.constantFrom('bits' as const, 'refs' as const, 'init' as const) });

/** Forgeries and misuses of a voucher; 'latest' and 'older' are the enclave's own, still unsettled. */
export type VoucherVariant = 'latest' | 'older' | 'stale' | 'otherKey' | 'otherNetwork' | 'otherProvider' | 'otherSession' | 'mispriced' | 'aboveDeposit' | 'edge';

/** Session operations, mixed with the job operations (money.spec.ts). Their weights sum to 19. */
export const sessionOps = [
    {
        weight: 4,
        arbitrary: fc.record({
            k: fc.constant('openSession' as const),
            p: pIdx,
            client: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constantFrom(3, 4) }), // 3 = the ghost, 4 = masterchain
            // 'min' is exactly the smallest deposit, 'short' one nanoton less.
            deposit: fc.oneof({ weight: 10, arbitrary: fc.bigInt({ min: toNano('0.05'), max: toNano('3') }) }, { weight: 1, arbitrary: fc.constantFrom('min' as const, 'short' as const, 'tiny' as const) }),
            // Mostly hours to days (a key's attestation caps it at 3 days), so sessions live across many steps.
            ttl: fc.oneof(
                { weight: 3, arbitrary: fc.integer({ min: 600, max: 7200 }) },
                { weight: 4, arbitrary: fc.integer({ min: 7200, max: 3 * 86400 }) },
                { weight: 1, arbitrary: fc.integer({ min: 3 * 86400, max: 30 * 86400 }) },
                { weight: 1, arbitrary: fc.constantFrom(599, 30 * 86400 + 1, 0) },
            ),
            enclave: fc.oneof({ weight: 14, arbitrary: fc.constant('own' as const) }, { weight: 1, arbitrary: fc.constant('other-provider' as const) }, { weight: 1, arbitrary: fc.constant('unregistered' as const) }),
            e: pick,
        }),
    },
    {
        weight: 6,
        arbitrary: fc.record({
            k: fc.constant('settle' as const),
            p: pIdx,
            sess: pick,
            /** Requests the enclave answers (one voucher each) before the settlement, of up to ~0.1 TON each. */
            serve: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constant(0) }),
            // Unbiased: most requests add more than an external delivery costs ('edge' tries the bound itself).
            inTok: fc.noBias(fc.integer({ min: 0, max: 30_000 })),
            outTok: fc.noBias(fc.integer({ min: 0, max: 10_000 })),
            via: fc.constantFrom('internal' as const, 'external' as const),
            // The enclave's latest voucher 14 times in 25, 'edge' 3 times, each of the eight others once.
            variant: fc.oneof(
                { weight: 14, arbitrary: fc.constant('latest' as const) },
                { weight: 3, arbitrary: fc.constant('edge' as const) },
                { weight: 8, arbitrary: fc.constantFrom<VoucherVariant>('older', 'stale', 'otherKey', 'otherNetwork', 'otherProvider', 'otherSession', 'mispriced', 'aboveDeposit') },
            ),
            /** Where in [bound − 3000, bound + 3000] nanotons what an 'edge' voucher adds after the fee falls (a token is ~1000). */
            edge: fc.noBias(fc.integer({ min: -3000, max: 3000 })),
            pad,
            by: fc.oneof({ weight: 4, arbitrary: fc.constant('relayer' as const) }, { weight: 1, arbitrary: fc.constantFrom('reporter' as const, 'masterchain' as const) }),
        }),
    },
    {
        weight: 2,
        arbitrary: fc.record({
            k: fc.constant('topUp' as const),
            p: pIdx,
            sess: pick,
            by: fc.constantFrom('client' as const, 'client' as const, 'reporter' as const, 'masterchain' as const),
            // 'fee' is exactly the top-up's compute charge: it credits nothing and must be refused.
            amount: fc.oneof({ weight: 8, arbitrary: fc.bigInt({ min: toNano('0.01'), max: toNano('2') }) }, { weight: 1, arbitrary: fc.constant('fee' as const) }),
        }),
    },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('closeSession' as const), p: pIdx, sess: pick, byClient: fc.integer({ min: 0, max: 3 }).map((x) => x !== 0) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('finishSession' as const), p: pIdx, sess: pick, by: fc.constantFrom('client' as const, 'reporter' as const, 'reporter' as const, 'masterchain' as const) }) },
    {
        weight: 1,
        arbitrary: fc.record({
            k: fc.constant('closeWithVoucher' as const), p: pIdx, sess: pick,
            final: fc.integer({ min: 0, max: 5 }).map((x) => x !== 0),
            inTok: fc.noBias(fc.integer({ min: 0, max: 30_000 })), outTok: fc.noBias(fc.integer({ min: 0, max: 10_000 })),
            byClient: fc.boolean(),
        }),
    },
    // One in nine is real: the session's key signs two vouchers for one sequence (a cheating enclave,
    // slashed: rarely, since it halves the stake the job steps need too).
    {
        weight: 1,
        arbitrary: fc.record({
            k: fc.constant('sessionEvidence' as const), p: pIdx, sess: pick,
            how: fc.oneof({ weight: 1, arbitrary: fc.constant('real' as const) }, { weight: 8, arbitrary: fc.constantFrom('identical' as const, 'otherKey' as const, 'future' as const, 'seqs' as const, 'otherProvider' as const) }),
            by: fc.constantFrom('reporter' as const, 'masterchain' as const),
        }),
    },
    // Time jumps to the nearest edge of an open session's life, its expiry or the end of its window, when it is at most 2 hours away.
    { weight: 1, arbitrary: fc.record({ k: fc.constant('sessionTime' as const), at: fc.constantFrom('expiry-1' as const, 'expiry' as const, 'expiry+1' as const, 'until' as const, 'until+1' as const) }) },
];

/** The model of a session as its ledger record stands (the enclave has signed nothing yet). */
export function sessionModel(id: bigint, r: SessionRecord): SessionModel {
    return {
        id, client: r.client, enclaveKey: r.enclaveKey, pricePerMillionIn: r.pricePerMillionIn, pricePerMillionOut: r.pricePerMillionOut, feeBps: r.protocolFeeBps,
        window: loadSessionBinding(r.binding.beginParse()).challengeWindow, deposit: r.deposit, paid: r.paid, lastSeq: r.lastSeq, expiresAt: r.expiresAt,
        settleUntil: r.settleUntil, closing: r.closing, signed: [], finalSigned: false, refunds: 0, recovered: 0n,
    };
}

export interface SessionRef {
    globalId: number;
    provider: Address;
    sessionId: bigint;
}

/** A transcript hash that differs per session, sequence and variant (the contract only stores it). */
export const transcriptOf = (id: bigint, seq: bigint, salt = 0n) => (id * 0x9e3779b97f4a7c15n + seq * 0x85ebca6bn + salt) & ((1n << 256n) - 1n);

/**
 * The honest enclave answers one request: the next voucher, cumulative, at the session's prices.
 * It refuses (null) past the deposit it has read, after a final voucher, or once the session expired.
 */
export function serve(m: SessionModel, ref: SessionRef, secret: Uint8Array, now: number, addIn: bigint, addOut: bigint, final = false): SignedVoucher | null {
    if (m.refunds > 0 || m.finalSigned || BigInt(now) >= m.expiresAt) return null;
    const last = m.signed[m.signed.length - 1];
    const inputTokens = (last?.inputTokens ?? 0n) + addIn;
    const outputTokens = (last?.outputTokens ?? 0n) + addOut;
    const charge = priceOf(inputTokens, outputTokens, m.pricePerMillionIn, m.pricePerMillionOut);
    if (charge > m.deposit) return null;
    const seq = BigInt(m.signed.length + 1);
    const v = signVoucher(ref, { seq, inputTokens, outputTokens, charge, transcript: transcriptOf(ref.sessionId, seq), final }, secret);
    m.signed.push(v);
    if (final) m.finalSigned = true;
    return v;
}

/** Input tokens to add to the enclave's last voucher so that the charge moves from `from` to about `to`. */
export function tokensFor(m: SessionModel, from: bigint, to: bigint): bigint {
    return to <= from ? 0n : ((to - from) * 1_000_000n + m.pricePerMillionIn - 1n) / m.pricePerMillionIn;
}

/** The body after the enclave's last voucher, `addIn` more input tokens, at the session's prices. */
export function nextBody(m: SessionModel, addIn: bigint, overrides: Partial<VoucherBody> = {}): VoucherBody {
    const last = m.signed[m.signed.length - 1];
    const inputTokens = (last?.inputTokens ?? 0n) + addIn;
    const outputTokens = last?.outputTokens ?? 0n;
    const seq = BigInt(m.signed.length + 1);
    return { seq, inputTokens, outputTokens, charge: priceOf(inputTokens, outputTokens, m.pricePerMillionIn, m.pricePerMillionOut), transcript: transcriptOf(m.id, seq, 1n), final: false, ...overrides };
}

/** A voucher delivered for a session, and whether the session's key signed exactly it for this Provider and session. */
export interface Delivered {
    v: SignedVoucher;
    authentic: boolean;
}

/**
 * Whether the Provider must accept `d` for session `m` now: open, inside its window, a rising
 * sequence, signed by the session's key for it, priced exactly, not below what was paid nor above the
 * deposit. By external message it must also add enough after the fee to pay for its delivery. (A
 * slashed key: refused by internal message; by external, consumed without pay: see money.spec.ts.)
 */
export function voucherValid(m: SessionModel | undefined, d: Delivered, now: number): boolean {
    if (!m || m.refunds > 0) return false;
    const { v } = d;
    return BigInt(now) <= m.settleUntil
        && v.seq > m.lastSeq
        && d.authentic
        && v.charge === priceOf(v.inputTokens, v.outputTokens, m.pricePerMillionIn, m.pricePerMillionOut)
        && v.charge >= m.paid
        && v.charge <= m.deposit;
}

/** What a voucher adds, and the protocol's share of it, as creditSession computes them. */
export function split(m: SessionModel, v: SignedVoucher) {
    const delta = v.charge - m.paid;
    const fee = (delta * m.feeBps) / 10_000n;
    return { delta, fee };
}
