/**
 * What a set of sandbox transactions cost, end to end: the compute gas of the contracts under test,
 * and every fee paid: each transaction's total fees plus the part of each internal message's
 * forward fee that is collected on delivery (the sender's action fees hold only the first part).
 */
import { Address } from '@ton/core';
import { BlockchainTransaction } from '@ton/sandbox';

export interface Cost {
    gasUsed: number;
    feesNano: bigint;
    transactions: number;
}

export function costOf(transactions: BlockchainTransaction[], contracts: Address[]): Cost {
    let gasUsed = 0;
    let feesNano = 0n;
    for (const tx of transactions) {
        feesNano += tx.totalFees.coins;
        for (const out of tx.outMessages.values()) {
            if (out.info.type === 'internal') feesNano += out.info.forwardFee;
        }
        const d = tx.description;
        const address = tx.inMessage?.info.dest;
        const ours = address instanceof Address && contracts.some((c) => c.equals(address));
        if (ours && d.type === 'generic' && d.computePhase.type === 'vm') gasUsed += Number(d.computePhase.gasUsed);
    }
    return { gasUsed, feesNano, transactions: transactions.length };
}

export function tonString(nano: bigint, digits = 6): string {
    const sign = nano < 0n ? '-' : '';
    const abs = nano < 0n ? -nano : nano;
    const whole = abs / 1_000_000_000n;
    const frac = (abs % 1_000_000_000n).toString().padStart(9, '0').slice(0, digits);
    return `${sign}${whole}.${frac}`;
}
