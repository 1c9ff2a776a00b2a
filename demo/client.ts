/**
 * The client side of one job, through TonClient only: seal the prompt to the enclave's key, open the
 * job with CreateJob (escrow from the `requiredEscrow` getter), find its id in the JobCreated event,
 * then wait for the JobRefund that ends it and read the outcome from the Provider transaction that
 * sent it: the SubmitResult (encrypted result, opened with the client's key) and the JobSettled /
 * JobDeclined / JobExpired event with the amounts.
 */
import { Address, beginCell, Transaction } from '@ton/core';
import type { DeployedProtocol } from './protocol';
import { TonClient } from '@ton/ton';
import { generateX25519KeyPair, openResult, sealRequest, X25519KeyPair } from '../crypto';
import { bytesToTree, treeToBytes } from '../protocol/bytesTree';
import { bytesFromBigint, bigintFromBytes } from '../protocol/signed';
import { REFERENCE_MODEL_NAME } from '../protocol/defaults';
import { eventsOf, OP_JOB_DECLINED, OP_JOB_EXPIRED, OP_JOB_SETTLED } from '../relayer/events';
import { JobTerms, loadJobDeclined, loadJobExpired, loadJobRefund, loadJobSettled, loadSubmitResult, Provider, storeCreateJob } from '../wrappers/Provider';
import { DEMO_GLOBAL_ID, MODEL_ID } from './protocol';
import type { DemoWallet } from './wallet';

export const OP_JOB_REFUND = 0x43000001;
export const WAIT_POLL_MS = 25;
export const HISTORY_WINDOW = 16; // recent wallet transactions searched for our message or refund

export interface JobSpec {
    prompt: string;
    maxInputTokens?: number;
    maxOutputTokens?: number;
    ttl?: number;
}

export interface SubmittedJob {
    jobId: bigint;
    escrow: bigint;
    clientKeys: X25519KeyPair;
    createdAt: number; // ms
    createdLt: bigint;
}

export type JobEnd =
    | { kind: 'settled'; price: bigint; fee: bigint; providerEarned: bigint; refund: bigint; inputTokens: number; outputTokens: number; text: string; response: any }
    | { kind: 'declined'; reason: number; refund: bigint }
    | { kind: 'expired'; refund: bigint; slashed: bigint };

export interface ClientContext {
    client: TonClient;
    provider: Address;
    enclaveEd25519: bigint;
    enclaveX25519: Buffer;
    protocolFeeBps: bigint;
}

/** What a client needs to know of a deployed protocol to send it jobs. */
export function clientContext(client: TonClient, protocol: DeployedProtocol): ClientContext {
    return {
        client,
        provider: protocol.provider.address,
        enclaveEd25519: BigInt('0x' + protocol.attestation.enclaveEd25519),
        enclaveX25519: Buffer.from(protocol.attestation.enclaveX25519, 'hex'),
        protocolFeeBps: protocol.params.protocolFeeBps,
    };
}

async function recent(client: TonClient, address: Address): Promise<Transaction[]> {
    return client.getTransactions(address, { limit: HISTORY_WINDOW, archival: true });
}

// The required escrow for the same provider and limits changes only with its prices: reuse a quote
// for a few seconds instead of a getter per job. A stale quote that is too low is refused by
// CreateJob and the value bounces back; one that is too high is refunded at the job's end.
const ESCROW_QUOTE_TTL_MS = 5_000;
const escrowQuotes = new Map<string, { escrow: bigint; at: number }>();

async function escrowQuote(provider: Address, terms: JobTerms, fetch: () => Promise<bigint>): Promise<bigint> {
    const key = `${provider.toRawString()}:${terms.modelId}:${terms.maxInputTokens}:${terms.maxOutputTokens}`;
    const known = escrowQuotes.get(key);
    if (known && Date.now() - known.at < ESCROW_QUOTE_TTL_MS) return known.escrow;
    const escrow = await fetch();
    escrowQuotes.set(key, { escrow, at: Date.now() });
    return escrow;
}

export async function submitJob(ctx: ClientContext, wallet: DemoWallet, spec: JobSpec): Promise<SubmittedJob> {
    const clientKeys = generateX25519KeyPair();
    const maxInputTokens = spec.maxInputTokens ?? 256;
    const maxOutputTokens = spec.maxOutputTokens ?? 256;
    const plaintext = Buffer.from(JSON.stringify({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: spec.prompt }] }), 'utf8');
    const envelope = sealRequest(
        { globalId: DEMO_GLOBAL_ID, provider: ctx.provider, clientResultKey: clientKeys.publicKey, modelId: bytesFromBigint(MODEL_ID), maxInputTokens, maxOutputTokens, enclaveX25519: ctx.enclaveX25519 },
        plaintext,
    );
    const terms: JobTerms = {
        $$type: 'JobTerms', modelId: MODEL_ID, maxInputTokens: BigInt(maxInputTokens), maxOutputTokens: BigInt(maxOutputTokens),
        ttl: BigInt(spec.ttl ?? 600), enclaveKey: ctx.enclaveEd25519, resultKey: bigintFromBytes(clientKeys.publicKey),
    };
    const provider = ctx.client.open(Provider.fromAddress(ctx.provider));
    const escrow = await escrowQuote(ctx.provider, terms, () => provider.getRequiredEscrow(MODEL_ID, terms.maxInputTokens, terms.maxOutputTokens));
    const body = beginCell().store(storeCreateJob({ $$type: 'CreateJob', terms, payload: bytesToTree(envelope) })).endCell();
    const createdAt = Date.now();
    await wallet.send({ to: ctx.provider, value: escrow, bounce: true, body });

    // Our message in the wallet's history, then the Provider transaction it produced.
    const sent = (await recent(ctx.client, wallet.address))
        .flatMap((tx) => [...tx.outMessages.values()])
        .find((m) => m.info.type === 'internal' && m.info.dest.equals(ctx.provider) && m.body.hash().equals(body.hash()));
    if (!sent || sent.info.type !== 'internal') throw new Error('CreateJob not found in the wallet history');
    const tx = await ctx.client.tryLocateResultTx(wallet.address, ctx.provider, sent.info.createdLt.toString());
    const created = eventsOf(tx).find((e) => e.kind === 'created');
    if (!created) throw new Error(`CreateJob was refused by the Provider (no JobCreated in transaction ${tx.lt})`);
    return { jobId: created.jobId, escrow, clientKeys, createdAt, createdLt: tx.lt };
}

/** Waits for the job's JobRefund at the wallet and decodes how the job ended. */
export async function awaitEnd(ctx: ClientContext, wallet: DemoWallet, job: SubmittedJob, signal?: AbortSignal): Promise<JobEnd> {
    for (;;) {
        signal?.throwIfAborted();
        for (const tx of await recent(ctx.client, wallet.address)) {
            const m = tx.inMessage;
            if (!m || m.info.type !== 'internal' || !m.info.src.equals(ctx.provider)) continue;
            const s = m.body.beginParse();
            if (s.remainingBits < 32 || s.preloadUint(32) !== OP_JOB_REFUND || loadJobRefund(s).jobId !== job.jobId) continue;
            const source = await ctx.client.tryLocateSourceTx(ctx.provider, wallet.address, m.info.createdLt.toString());
            return endOf(ctx, job, source);
        }
        await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
}

function endOf(ctx: ClientContext, job: SubmittedJob, tx: Transaction): JobEnd {
    for (const m of tx.outMessages.values()) {
        if (m.info.type !== 'external-out') continue;
        const s = m.body.beginParse();
        const op = s.remainingBits >= 32 ? s.preloadUint(32) : -1;
        if (op === OP_JOB_SETTLED) {
            const e = loadJobSettled(s);
            const submit = loadSubmitResult(tx.inMessage!.body.beginParse());
            const plaintext = openResult(job.clientKeys.secretKey, { globalId: DEMO_GLOBAL_ID, provider: ctx.provider, jobId: job.jobId }, treeToBytes(submit.result));
            const response = JSON.parse(plaintext.toString('utf8'));
            const fee = (e.price * ctx.protocolFeeBps) / 10_000n;
            return {
                kind: 'settled', price: e.price, fee, providerEarned: e.price - fee, refund: e.refund,
                inputTokens: Number(e.inputTokens), outputTokens: Number(e.outputTokens), text: String(response?.choices?.[0]?.message?.content ?? ''), response,
            };
        }
        if (op === OP_JOB_DECLINED) {
            const e = loadJobDeclined(s);
            return { kind: 'declined', reason: Number(e.reason), refund: e.refund };
        }
        if (op === OP_JOB_EXPIRED) {
            const e = loadJobExpired(s);
            return { kind: 'expired', refund: e.refund, slashed: e.slashed };
        }
    }
    throw new Error(`transaction ${tx.lt} refunded job ${job.jobId} without an ending event`);
}

export async function runJob(ctx: ClientContext, wallet: DemoWallet, spec: JobSpec, signal?: AbortSignal): Promise<{ job: SubmittedJob; end: JobEnd }> {
    const job = await submitJob(ctx, wallet, spec);
    return { job, end: await awaitEnd(ctx, wallet, job, signal) };
}

