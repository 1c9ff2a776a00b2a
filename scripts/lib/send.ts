/**
 * Sending one step of a script and confirming it on chain, without blueprint's waits: under
 * `--mnemonic` blueprint 0.46's sender keeps no result, so `waitForLastTransaction` throws
 * "Not implemented" after the message went out, and a user who sees a failure sends again.
 *
 * A step: check the wallet can pay (one line if not, nothing sent), send through the wallet,
 * watch its seqno to know the message left it (if it never does, nothing was sent and running
 * again is safe), then find the transaction on the target and follow the messages it sent
 * (sdk/confirm.ts, shared with the CLI): a refusal anywhere in the tree is reported with the
 * contract's exit code name (contracts/common/errors.tact).
 */
import { Address, Sender, SenderArguments, toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { confirmMessage, describeRefusal, providerTxSource, WaitOptions } from '../../sdk/confirm';
import { PreconditionError, RefusedError, ton, UsageError } from './args';

/** What a wallet's own transaction costs (V5R1, measured ≈ 0.003 TON), kept back when checking its balance. */
export const WALLET_FEE_MARGIN = toNano('0.01');
/** Blueprint signs V5R1 transfers valid for 60 s; past 90 s an unused seqno means the message expired. */
export const SEQNO_WAIT_MS = 90_000;
/** Each transaction of the tree: a hop takes a block or two (~5 s each) on a public network. */
export const CONFIRM: WaitOptions = { pollMs: 2000, timeoutMs: 90_000 };

interface TxLike {
    totalFees: { coins: bigint };
}

export interface StepResult {
    /** Fees of every transaction in the tree (sandbox), or null when unknown. */
    fees: bigint | null;
    txHash: string;
}

function sandboxFees(result: unknown): bigint | null {
    const txs = (result as { transactions?: TxLike[] } | undefined)?.transactions;
    if (!Array.isArray(txs)) return null;
    return txs.reduce((sum, tx) => sum + tx.totalFees.coins, 0n);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The wallet's seqno, or null when the sender is not a seqno wallet (the sandbox's treasury). */
async function readSeqno(provider: NetworkProvider, wallet: Address): Promise<number | null> {
    const state = await provider.getContractState(wallet);
    if (state.state.type !== 'active') return 0; // the first transfer deploys it
    try {
        return (await provider.provider(wallet).get('seqno', [])).stack.readNumber();
    } catch {
        return null;
    }
}

/** The endpoint's reason, from an axios error (toncenter answers JSON), instead of the whole request dump. */
function endpointReason(e: unknown): string {
    const data = (e as { response?: { data?: unknown } })?.response?.data;
    if (data !== undefined) {
        const error = (data as { error?: unknown })?.error;
        return typeof error === 'string' ? error : JSON.stringify(data).slice(0, 300);
    }
    // The first line: an emulator's or client's message can carry pages of VM log after it.
    return ((e as Error)?.message ?? String(e)).split('\n')[0];
}

/** Refuses before sending when the wallet cannot pay `value` plus fees (an unfunded or undeployed wallet). */
export async function requireFunds(provider: NetworkProvider, wallet: Address, value: bigint, label: string): Promise<void> {
    const state = await provider.getContractState(wallet);
    const need = value + WALLET_FEE_MARGIN;
    if (state.balance < need) {
        const what = state.state.type === 'active' ? 'has' : `is not deployed yet and has`;
        throw new PreconditionError(`wallet ${wallet.toString()} ${what} ${ton(state.balance)} TON; ${label} needs ${ton(need)} TON (value plus fees): fund it first`);
    }
}

export async function sendStep(
    provider: NetworkProvider,
    label: string,
    to: Address,
    value: bigint,
    send: (via: Sender) => Promise<unknown>,
): Promise<StepResult> {
    const ui = provider.ui();
    const sender = provider.sender();
    const wallet = sender.address;
    if (!wallet) throw new UsageError('the sender has no address: use --mnemonic (WALLET_MNEMONIC, WALLET_VERSION)');
    await requireFunds(provider, wallet, value, label);
    const seqno = await readSeqno(provider, wallet);
    const before = (await provider.getContractState(wallet)).balance;
    const targetLt = (await provider.getContractState(to)).last?.lt ?? 0n;

    let sent: SenderArguments | undefined;
    const recording: Sender = {
        address: wallet,
        send: async (args) => {
            sent = args;
            await sender.send(args);
        },
    };
    ui.write(`${label}: sending ${ton(value)} TON to ${to.toString()}`);
    try {
        await send(recording);
    } catch (e) {
        throw new RefusedError(`${label}: the endpoint did not take the wallet's message (${endpointReason(e)}); check the wallet's balance and state`);
    }
    if (!sent?.body) throw new Error(`${label}: the step sent no message body`);

    if (seqno !== null) await waitForSeqno(provider, wallet, seqno, label);
    const outcome = await confirmMessage(providerTxSource((a) => provider.provider(a)), to, targetLt, sent.body.hash(), wallet, CONFIRM);
    if (!outcome) {
        throw new RefusedError(`${label}: the wallet sent the message, but no transaction on ${to.toString()} within ${CONFIRM.timeoutMs / 1000} s; look at ${to.toString()} in an explorer before running again`);
    }
    if (outcome.refusal) throw new RefusedError(`${label}: ${describeRefusal(outcome.refusal)}`);

    const fees = sandboxFees(sender.lastSendResult);
    if (fees !== null) {
        ui.write(`${label}: confirmed on chain, fees ${ton(fees)} TON`);
    } else {
        const after = (await provider.getContractState(wallet)).balance;
        ui.write(`${label}: confirmed on chain (transaction ${outcome.txHash}), wallet balance change ${ton(after - before)} TON (value and fees; excess may still arrive)`);
    }
    if (outcome.incomplete) ui.write(`${label}: a later message of the step did not appear in time; check the result below`);
    return { fees, txHash: outcome.txHash };
}

/** Waits until the wallet used `seqno`: then the message left it. Otherwise it expired unsent. */
async function waitForSeqno(provider: NetworkProvider, wallet: Address, seqno: number, label: string): Promise<void> {
    const deadline = Date.now() + SEQNO_WAIT_MS;
    for (;;) {
        const now = await readSeqno(provider, wallet);
        if (now !== null && now > seqno) return;
        if (Date.now() >= deadline) {
            throw new RefusedError(`${label}: the wallet did not take the message (seqno still ${seqno} after ${SEQNO_WAIT_MS / 1000} s): it expired unsent; running the script again is safe`);
        }
        await sleep(CONFIRM.pollMs);
    }
}

/** Errors a script raises before sending when the chain says the step would fail. */
export function requireThat(condition: boolean, message: string): asserts condition {
    if (!condition) throw new PreconditionError(message);
}
