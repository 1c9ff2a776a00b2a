/**
 * What became of a message a wallet sent, read from the chain: the transaction it caused on its
 * target, then the transactions of the internal messages that one sent, hop by hop. A Provider
 * forwards RegisterEnclave and SetModelOffer to the Registry, so the target's own transaction
 * succeeds even when the Registry refuses one hop later: only following the tree tells the two apart.
 *
 * Shared by the CLI (cli/commands/common.ts sendAndConfirm) and the blueprint scripts
 * (scripts/lib/send.ts); each supplies how it reads transactions (a TxSource).
 */
import { Address, ContractProvider, Transaction } from '@ton/core';
import { exitName } from '../protocol/errors';

export interface TxSource {
    /** Transactions of `address` with lt above `afterLt`, oldest first. */
    after(address: Address, afterLt: bigint): Promise<Transaction[]>;
}

export interface WaitOptions {
    pollMs: number;
    /** How long to wait for each transaction of the tree. */
    timeoutMs: number;
}

/** A transaction of the tree that failed: the compute phase threw, or the action phase could not send. */
export interface Refusal {
    at: Address;
    exitCode: number;
    /** ERR_… of contracts/common/errors.tact, or "exit N" for a TVM code. */
    name: string;
    phase: 'compute' | 'action';
}

export interface Outcome {
    /** Hash of the target's transaction, hex. */
    txHash: string;
    /** Exit code of the target's compute phase. */
    exitCode: number;
    /** The first failure in the tree, or null when every transaction went through. */
    refusal: Refusal | null;
    /** Transactions followed (the target's included). */
    followed: number;
    /** True when a hop did not appear in time: the outcome past it is unknown. */
    incomplete: boolean;
}

/** Hops followed after the target: Provider → Registry → Provider covers every owner operation. */
export const MAX_HOPS = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `src` until a transaction of `address` after `afterLt` matches, or the timeout passes (null). */
export async function waitForTransaction(
    src: TxSource,
    address: Address,
    afterLt: bigint,
    match: (tx: Transaction) => boolean,
    opts: WaitOptions,
): Promise<Transaction | null> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
        const tx = (await src.after(address, afterLt)).find(match);
        if (tx) return tx;
        if (Date.now() >= deadline) return null;
        await sleep(opts.pollMs);
    }
}

export function refusalOf(tx: Transaction, at: Address): Refusal | null {
    const d = tx.description;
    if (d.type !== 'generic') return null;
    // A bounced message coming back is the refusal's echo, already reported where it happened.
    if (tx.inMessage?.info.type === 'internal' && tx.inMessage.info.bounced) return null;
    if (d.computePhase.type === 'vm' && !d.computePhase.success) {
        const code = d.computePhase.exitCode;
        return { at, exitCode: code, name: exitName(code), phase: 'compute' };
    }
    if (d.actionPhase && !d.actionPhase.success) {
        return { at, exitCode: d.actionPhase.resultCode, name: `action phase result ${d.actionPhase.resultCode}`, phase: 'action' };
    }
    return null;
}

/**
 * Finds the transaction that `bodyHash` caused on `to` (after `afterLt`) and follows its internal
 * messages up to MAX_HOPS, skipping those to `skip` (the sender's wallet: excesses and payouts).
 * Null when the target's transaction did not appear within the timeout.
 */
export async function confirmMessage(
    src: TxSource,
    to: Address,
    afterLt: bigint,
    bodyHash: Buffer,
    skip: Address | null,
    opts: WaitOptions,
): Promise<Outcome | null> {
    const first = await waitForTransaction(src, to, afterLt, (tx) => tx.inMessage?.body.hash().equals(bodyHash) ?? false, opts);
    if (!first) return null;
    const d = first.description;
    const exitCode = d.type === 'generic' && d.computePhase.type === 'vm' ? d.computePhase.exitCode : 0;
    const outcome: Outcome = { txHash: first.hash().toString('hex'), exitCode, refusal: refusalOf(first, to), followed: 1, incomplete: false };
    let level: { tx: Transaction; at: Address }[] = [{ tx: first, at: to }];
    for (let hop = 0; hop < MAX_HOPS && !outcome.refusal && level.length; hop++) {
        const next: { tx: Transaction; at: Address }[] = [];
        for (const { tx } of level) {
            for (const m of tx.outMessages.values()) {
                if (m.info.type !== 'internal' || (skip && m.info.dest.equals(skip))) continue;
                const { src: from, createdLt } = m.info;
                const dest = m.info.dest;
                const child = await waitForTransaction(src, dest, createdLt, (t) => t.inMessage?.info.type === 'internal' && t.inMessage.info.src.equals(from) && t.inMessage.info.createdLt === createdLt, opts);
                if (!child) {
                    outcome.incomplete = true;
                    continue;
                }
                outcome.followed++;
                outcome.refusal = refusalOf(child, dest);
                if (outcome.refusal) return outcome;
                next.push({ tx: child, at: dest });
            }
        }
        level = next;
    }
    return outcome;
}

/** One line for a refusal: where, the code's name and number, and that the value came back. */
export function describeRefusal(r: Refusal): string {
    return r.phase === 'compute'
        ? `refused by ${r.at.toString()}: ${r.name} (exit code ${r.exitCode}); the value bounced back less fees`
        : `failed at ${r.at.toString()}: ${r.name} (the contract could not send its messages)`;
}

/**
 * A TxSource over a ContractProvider factory (blueprint's NetworkProvider.provider, the sandbox's
 * Blockchain.provider): pages back from the account's last transaction to `afterLt`.
 */
export function providerTxSource(open: (address: Address) => ContractProvider, pageSize = 20): TxSource {
    return {
        async after(address, afterLt) {
            const p = open(address);
            const state = await p.getState();
            const out: Transaction[] = [];
            let cursor = state.last;
            while (cursor && cursor.lt > afterLt) {
                const page = await p.getTransactions(address, cursor.lt, cursor.hash, pageSize);
                if (page.length === 0) break;
                for (const tx of page) if (tx.lt > afterLt) out.push(tx);
                const oldest = page[page.length - 1];
                cursor = oldest.prevTransactionLt > afterLt && oldest.prevTransactionLt !== 0n ? { lt: oldest.prevTransactionLt, hash: Buffer.from(oldest.prevTransactionHash.toString(16).padStart(64, '0'), 'hex') } : null;
                if (page.length < pageSize) break;
            }
            return out.sort((a, b) => (a.lt < b.lt ? -1 : a.lt > b.lt ? 1 : 0));
        },
    };
}
