/**
 * Settling a session voucher: the checks the Provider makes of a voucher's own fields, made before
 * anything is sent (the relayer's settlement service and `cocoon session settle` share them), and
 * the SettleVoucher / CloseWithVoucher bodies. The chain-state checks (sequence above `lastSeq`,
 * charge within the deposit, before `settleUntil`) are the caller's: they change with time.
 */
import { Address, beginCell, Cell } from '@ton/core';
import { storeCloseWithVoucher, storeSettleVoucher } from '../wrappers/Provider';
import { bytesFromBigint } from './signed';
import { priceOf, SessionRef, SignedVoucher, verifyVoucher, voucherMessage } from './voucher';

/** What a voucher is checked against: the session's terms as recorded when it opened. */
export interface VoucherTerms {
    enclaveKey: bigint;
    pricePerMillionIn: bigint;
    pricePerMillionOut: bigint;
}

export type VoucherProblem = 'foreign' | 'bad_signature' | 'bad_charge';

/**
 * Why the Provider at `provider` on network `globalId` would refuse this voucher whatever its
 * session's state (another network or Provider, a signature not by the session's key, a charge that
 * is not the price of its counts at the session's prices), or null when it would not.
 */
export function voucherProblem(session: SessionRef, v: SignedVoucher, expected: { globalId: number; provider: Address }, terms: VoucherTerms): VoucherProblem | null {
    if (session.globalId !== expected.globalId || !session.provider.equals(expected.provider)) return 'foreign';
    if (!verifyVoucher(session, v, bytesFromBigint(terms.enclaveKey))) return 'bad_signature';
    if (v.charge !== priceOf(v.inputTokens, v.outputTokens, terms.pricePerMillionIn, terms.pricePerMillionOut)) return 'bad_charge';
    return null;
}

export const VOUCHER_PROBLEMS: Record<VoucherProblem, string> = {
    foreign: 'the voucher names another network or Provider',
    bad_signature: "the voucher is not signed by the session's enclave key",
    bad_charge: "the voucher's charge is not the price of its token counts at the session's prices",
};

export function settleVoucherBody(sessionId: bigint, v: SignedVoucher): Cell {
    return beginCell().store(storeSettleVoucher({ $$type: 'SettleVoucher', sessionId, voucher: voucherMessage(v) })).endCell();
}

export function closeWithVoucherBody(sessionId: bigint, v: SignedVoucher): Cell {
    return beginCell().store(storeCloseWithVoucher({ $$type: 'CloseWithVoucher', sessionId, voucher: voucherMessage(v) })).endCell();
}
