/**
 * Sending one step of a script: print what goes where with which value, send it, then print what
 * it cost. Under the sandbox provider the sender reports the transactions of the whole message tree
 * and the fee is their `totalFees`; on a live network the fee shown is the wallet's balance change
 * minus the value sent (the excess of a message tree may still be on its way back).
 */
import { Address } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { ton } from './args';

interface TxLike {
    totalFees: { coins: bigint };
}

export interface StepResult {
    /** Fees of every transaction in the tree (sandbox), or null when unknown. */
    fees: bigint | null;
}

function sandboxFees(result: unknown): bigint | null {
    const txs = (result as { transactions?: TxLike[] } | undefined)?.transactions;
    if (!Array.isArray(txs)) return null;
    return txs.reduce((sum, tx) => sum + tx.totalFees.coins, 0n);
}

export async function sendStep(
    provider: NetworkProvider,
    label: string,
    to: Address,
    value: bigint,
    send: () => Promise<unknown>,
): Promise<StepResult> {
    const ui = provider.ui();
    const sender = provider.sender();
    ui.write(`${label}: sending ${ton(value)} TON to ${to.toString()}`);
    const before = sender.address ? (await provider.getContractState(sender.address)).balance : null;
    await send();
    const fees = sandboxFees(sender.lastSendResult);
    if (fees !== null) {
        ui.write(`${label}: done, fees ${ton(fees)} TON`);
        return { fees };
    }
    await provider.waitForLastTransaction();
    if (before !== null && sender.address) {
        const after = (await provider.getContractState(sender.address)).balance;
        ui.write(`${label}: done, wallet balance change ${ton(after - before)} TON (value and fees; excess may still arrive)`);
    } else {
        ui.write(`${label}: sent`);
    }
    return { fees: null };
}

/** Errors a script raises before sending when the chain says the step would fail. */
export function requireThat(condition: boolean, message: string): asserts condition {
    if (!condition) throw new Error(message);
}
