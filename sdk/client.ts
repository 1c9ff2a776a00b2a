/**
 * CocoonClient: discover → choose → verify attestation → seal → pay escrow → await the job's end
 * → verify the receipt → decrypt. Every check that can refuse runs before anything is sent.
 * docs/spec/sdk.md walks through it with examples.
 */
import { Address, beginCell, Cell, toNano, Transaction } from '@ton/core';
import { storeCreateJob, storeExpireJob } from '../wrappers/Provider';
import { exitName } from '../protocol/errors';
import { AttestationPolicy, AttestationVerifier, TcbVerdict } from './attestation';
import { Chain, chainTime, openProvider } from './chain';
import { readAttestationTarget } from './crossCheck';
import { ProviderDirectory, snapshotNetwork } from './discovery';
import {
    ChainDisagreementError, CocoonError, InsufficientBalanceError, JobDeclinedError, JobExpiredError, JobRejectedError, NoProviderError, TimeoutError,
} from './errors';
import { creationIn, JobEnd, jobEndIn } from './events';
import { TransactionFeed } from './feed';
import { openJobResult, verifyReceipt } from './receipt';
import { OpenAIRequest, prepareRequest, PreparedRequest, sealJob } from './request';
import { Choice, chooseProvider, firstVerified, rankProviders, SelectionCriteria } from './selection';
import { JobSigner, WALLET_FEE_MARGIN } from './signer';
import { openSession, Session, SessionOptions } from './session';
import type { EnclaveInfo, NetworkSnapshot, ProviderInfo } from './types';

export interface CocoonClientOptions {
    /** toncenter v2 client (`chainClient(url)`), e.g. pointed at the devnet's `/jsonRPC`; every read and send goes here. */
    client: Chain;
    /**
     * Further endpoints, ideally run by others: the reads that decide trust (allow-lists, the enclave
     * record, the verifier, chain time) are made on `client` and every witness and must agree, else
     * ChainDisagreementError. Without witnesses `client` alone decides (docs/spec/sdk.md).
     */
    witnesses?: Chain[];
    registry: Address;
    /** Pays for jobs; needed only by `submit` / `run` / `expire`. */
    signer?: JobSigner;
    /** Provider addresses to consider besides those found in the Registry's history. */
    providers?: Address[];
    attestation?: AttestationPolicy;
    /** How often to poll a Provider's transactions while a job is open (default 1000 ms). */
    pollMs?: number;
    /** How long a discovery snapshot is reused (default 5000 ms). */
    snapshotTtlMs?: number;
    /** When the deadline passes without an answer, send ExpireJob to collect refund and compensation (default true). */
    autoExpire?: boolean;
}

export interface SubmitOptions extends Partial<Omit<SelectionCriteria, 'model' | 'maxInputTokens'>> {
    /** Job lifetime in seconds (default: max(120, minJobTtl), within the Registry's bounds). */
    ttl?: number;
    /** Give up waiting after this many ms (default: ttl + 120 s); the job may still end on chain. */
    timeoutMs?: number;
    /** Called as the job advances, for progress output. */
    onProgress?: (stage: JobStage, detail: Record<string, unknown>) => void;
    /** Last check before paying: receives the escrow about to be sent and may throw to send nothing. */
    beforeSend?: (escrow: bigint) => void;
}

export type JobStage = 'selected' | 'attested' | 'sent' | 'created' | 'expiring' | 'ended';

export interface JobUsage {
    inputTokens: number;
    outputTokens: number;
}

export interface JobResult {
    jobId: bigint;
    provider: Address;
    enclaveKey: bigint;
    /** The OpenAI response, its `usage` replaced by the counts the enclave signed. */
    response: Record<string, unknown>;
    usage: JobUsage;
    /** What the job cost (nanotons, before gas) and what came back; the wallet paid `escrow - refund` in all (price and gas). */
    price: bigint;
    refund: bigint;
    escrow: bigint;
    /**
     * How the price was split: the protocol's fee (at the rate of the Provider's parameter copy when
     * the job was submitted) and the rest, the provider's earnings (less any delivery gas beyond the
     * escrowed allowance, which the contract charges to the provider).
     */
    fee: bigint;
    providerEarned: bigint;
    /** Hash of the settling transaction, hex. */
    txHash: string;
}

/** A job that has been created on chain; `result` resolves when it ends. */
export interface PendingJob {
    jobId: bigint;
    provider: Address;
    deadline: number;
    escrow: bigint;
    result: Promise<JobResult>;
}

export const EXPIRE_VALUE = toNano('0.05');
const DEFAULT_TTL = 120;

export class CocoonClient {
    readonly chain: Chain;
    readonly registry: Address;
    private readonly directory: ProviderDirectory;
    private readonly verifier: AttestationVerifier;
    private readonly feeds = new Map<string, TransactionFeed>();
    private cached: { at: number; snapshot: Promise<NetworkSnapshot> } | null = null;
    private readonly allowances = new Map<string, { snapshot: NetworkSnapshot; allowance: bigint }>();

    constructor(private readonly options: CocoonClientOptions) {
        this.chain = options.client;
        this.registry = options.registry;
        this.directory = new ProviderDirectory(options.client, options.registry, options.providers);
        this.verifier = new AttestationVerifier(options.attestation);
    }

    /** The Registry's state and every Provider, read at one chain time (cached for `snapshotTtlMs`). */
    snapshot(fresh = false): Promise<NetworkSnapshot> {
        const ttl = this.options.snapshotTtlMs ?? 5000;
        if (!fresh && this.cached && Date.now() - this.cached.at < ttl) return this.cached.snapshot;
        const snapshot = snapshotNetwork(this.chain, this.directory);
        this.cached = { at: Date.now(), snapshot };
        snapshot.catch(() => (this.cached = null));
        return snapshot;
    }

    /** Allow-listed, active models that at least one available provider offers, with the lowest prices. */
    async models(): Promise<ModelSummary[]> {
        return summarizeModels(await this.snapshot());
    }

    /** The provider first in line for this request (`submit` falls back down the line when its attestation fails). */
    async choose(body: OpenAIRequest, opts: SubmitOptions = {}): Promise<Choice & { prepared: PreparedRequest; snapshot: NetworkSnapshot }> {
        const prepared = prepareRequest(body, opts.maxOutputTokens);
        const snapshot = await this.snapshot();
        const choice = chooseProvider(snapshot, this.criteria(prepared, snapshot, opts), prepared.modelId);
        return { ...choice, prepared, snapshot };
    }

    private criteria(prepared: PreparedRequest, snapshot: NetworkSnapshot, opts: SubmitOptions): SelectionCriteria {
        return { ...opts, model: prepared.model, maxInputTokens: prepared.maxInputTokens, maxOutputTokens: prepared.maxOutputTokens, validFor: opts.validFor ?? this.ttlFor(snapshot, opts) };
    }

    /** The first provider in line whose attestation checks out (selection.ts, firstVerified). */
    private async verifiedChoice(prepared: PreparedRequest, snapshot: NetworkSnapshot, opts: SubmitOptions): Promise<Choice & { tcb?: TcbVerdict }> {
        const { ranked, rejected } = rankProviders(snapshot, this.criteria(prepared, snapshot, opts), prepared.modelId);
        if (!ranked.length) throw new NoProviderError(prepared.model, rejected);
        // The request is sealed to and bound by what was agreed, never by the snapshot's copy.
        return firstVerified<Choice & { tcb?: TcbVerdict }>(ranked, async (c) => ({ ...c, ...(await this.verifyEnclave(c.provider, c.enclave.enclaveKey, snapshot.globalId)) }));
    }

    /**
     * The enclave key's record on `provider`, every part agreed by every endpoint (crossCheck.ts),
     * and its quote verified (AttestationVerifier): what a job is sealed to and a session bound to.
     */
    async verifyEnclave(provider: ProviderInfo, enclaveKey: bigint, globalId: number): Promise<{ enclave: EnclaveInfo; tcb: TcbVerdict }> {
        const agreed = await readAttestationTarget([this.chain, ...(this.options.witnesses ?? [])], this.registry, provider.address, enclaveKey);
        // Where to fetch the quote is a hint, not trust: the attestation decides.
        const t = { ...agreed, runnerUrl: provider.runnerUrl, runnerUrlRefused: provider.runnerUrlRefused };
        if (t.globalId !== globalId) throw new ChainDisagreementError("the Registry's global id", [{ endpoint: 'snapshot', answer: String(globalId) }, { endpoint: 'every endpoint', answer: String(t.globalId) }]);
        const { tcb } = await this.verifier.verify(t);
        return { enclave: t.enclave, tcb };
    }

    /**
     * Opens a session (sdk/session.ts): a deposit on chain bound to an attested enclave and a fresh
     * client key, and a channel to the enclave's runner. Needs a signer.
     */
    openSession(opts: SessionOptions): Promise<Session> {
        const signer = this.requireSigner();
        return openSession({
            chain: this.chain,
            signer,
            pollMs: this.options.pollMs ?? 1000,
            snapshot: () => this.snapshot(),
            runnerUrl: (p) => this.options.attestation?.runnerUrl?.(p.address) ?? p.runnerUrl,
            verifyEnclave: (p, key, globalId) => this.verifyEnclave(p, key, globalId),
            fetchTimeoutMs: this.options.attestation?.fetchTimeoutMs,
        }, opts);
    }

    /** Runs one request end to end and returns the verified, decrypted response. */
    async run(body: OpenAIRequest, opts: SubmitOptions = {}): Promise<JobResult> {
        return (await this.submit(body, opts)).result;
    }

    /**
     * Verifies and pays for a job, resolving once the Provider created it. Throws before sending
     * anything when no provider fits, the attestation does not check out or the wallet is short.
     */
    async submit(body: OpenAIRequest, opts: SubmitOptions = {}): Promise<PendingJob> {
        const signer = this.requireSigner();
        const progress = opts.onProgress ?? (() => {});
        const prepared = prepareRequest(body, opts.maxOutputTokens);
        const snapshot = await this.snapshot();
        const choice = await this.verifiedChoice(prepared, snapshot, opts);
        const { provider, enclave } = choice;
        progress('selected', { provider: provider.address.toString(), priceCap: choice.priceCap });
        progress('attested', { enclaveKey: enclave.enclaveKey.toString(16), tcb: choice.tcb });

        const ttl = this.ttlFor(snapshot, opts);
        const [escrow, available, providerState] = await Promise.all([
            this.requiredEscrow(choice, prepared, snapshot),
            signer.balance(),
            this.chain.getContractState(provider.address),
        ]);
        if (available < escrow + WALLET_FEE_MARGIN) throw new InsufficientBalanceError(escrow + WALLET_FEE_MARGIN, available);
        opts.beforeSend?.(escrow);

        const sealed = sealJob(prepared, { globalId: snapshot.globalId, provider: provider.address, encryptionKey: enclave.encryptionKey });
        const body_ = beginCell()
            .store(storeCreateJob({
                $$type: 'CreateJob',
                terms: {
                    $$type: 'JobTerms',
                    modelId: prepared.modelId,
                    maxInputTokens: BigInt(prepared.maxInputTokens),
                    maxOutputTokens: BigInt(prepared.maxOutputTokens),
                    ttl: BigInt(ttl),
                    enclaveKey: enclave.enclaveKey,
                    resultKey: BigInt('0x' + Buffer.from(sealed.resultKeys.publicKey).toString('hex')),
                },
                payload: sealed.payload,
            }))
            .endCell();

        const feed = this.feedFor(provider.address);
        const fromLt = providerState.lastTransaction?.lt;
        const created = this.waitFor(feed, BigInt(fromLt ?? '0'), (tx) => creationIn(tx, body_.hash()), opts.timeoutMs ?? (ttl + 120) * 1000, 'the Provider to create the job');
        try {
            await signer.send({ to: provider.address, value: escrow, body: body_, bounce: true });
        } catch (e) {
            created.cancel();
            throw e;
        }
        progress('sent', { escrow });
        feed.kick();
        const outcome = await created.promise;
        if ('refused' in outcome) throw new JobRejectedError(outcome.refused, exitName(outcome.refused));
        const { jobId, deadline } = outcome.created;
        progress('created', { jobId, deadline: Number(deadline) });

        const result = this.awaitEnd({
            jobId, deadline: Number(deadline), provider: provider.address, globalId: snapshot.globalId, enclaveKey: enclave.enclaveKey,
            payloadHash: BigInt('0x' + sealed.payload.hash().toString('hex')),
            resultSecret: sealed.resultKeys.secretKey, escrow, expiryShareBps: snapshot.params.expiryClientShareBps,
            feeBps: (provider.params ?? snapshot.params).protocolFeeBps,
            timeoutMs: opts.timeoutMs ?? (ttl + 120) * 1000, progress, fromLt: BigInt(fromLt ?? '0'),
        });
        result.catch(() => {}); // the caller owns the promise; avoid an unhandled rejection before it attaches
        return { jobId, provider: provider.address, deadline: Number(deadline), escrow, result };
    }

    /** Sends ExpireJob for a job past its deadline (from anyone; the refund goes to the job's client). */
    async expire(provider: Address, jobId: bigint): Promise<void> {
        const body = beginCell().store(storeExpireJob({ $$type: 'ExpireJob', queryId: BigInt(Date.now()), jobId })).endCell();
        await this.requireSigner().send({ to: provider, value: EXPIRE_VALUE, body, bounce: true });
        this.feeds.get(provider.toRawString())?.kick();
    }

    /** Stops every poller (pending results then time out). */
    close(): void {
        this.feeds.clear();
    }

    private async awaitEnd(j: {
        jobId: bigint; deadline: number; provider: Address; globalId: number; enclaveKey: bigint; payloadHash: bigint; resultSecret: Uint8Array;
        escrow: bigint; expiryShareBps: bigint; feeBps: bigint; timeoutMs: number; progress: NonNullable<SubmitOptions['onProgress']>; fromLt: bigint;
    }): Promise<JobResult> {
        const feed = this.feedFor(j.provider);
        const waiting = this.waitFor(feed, j.fromLt, (tx) => jobEndIn(tx, j.jobId), j.timeoutMs, 'the job to end', j.jobId);
        const expiring = this.options.autoExpire === false ? null : this.expireAfterDeadline(j, waiting.promise);
        let end: JobEnd;
        try {
            end = await waiting.promise;
        } finally {
            expiring?.stop();
        }
        j.progress('ended', { jobId: j.jobId, kind: end.kind });
        if (end.kind === 'declined') throw new JobDeclinedError(j.jobId, Number(end.event.reason), end.event.refund, j.escrow);
        if (end.kind === 'expired') {
            const compensation = (end.event.slashed * j.expiryShareBps) / 10_000n;
            throw new JobExpiredError(j.jobId, end.event.refund, compensation, end.event.slashed, j.escrow);
        }
        const settled = {
            globalId: j.globalId, provider: j.provider, jobId: j.jobId, enclaveKey: j.enclaveKey, payloadHash: j.payloadHash,
            result: end.result, signature: end.signature, inputTokens: end.inputTokens, outputTokens: end.outputTokens,
            eventResultHash: end.event.resultHash, eventInputTokens: Number(end.event.inputTokens), eventOutputTokens: Number(end.event.outputTokens),
        };
        verifyReceipt(settled);
        const response = openJobResult(settled, j.resultSecret);
        const usage = { inputTokens: end.inputTokens, outputTokens: end.outputTokens };
        response.usage = { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
        const price = end.event.price;
        const fee = (price * j.feeBps) / 10_000n;
        return {
            jobId: j.jobId, provider: j.provider, enclaveKey: j.enclaveKey, response, usage,
            price, refund: end.event.refund, escrow: j.escrow, fee, providerEarned: price - fee, txHash: end.tx.hash().toString('hex'),
        };
    }

    /** Once chain time passes the deadline, sends ExpireJob (once) so the refund and compensation arrive. */
    private expireAfterDeadline(j: { jobId: bigint; deadline: number; provider: Address; progress: NonNullable<SubmitOptions['onProgress']> }, done: Promise<unknown>) {
        let stopped = false;
        let timer: NodeJS.Timeout | null = null;
        const interval = Math.max(this.options.pollMs ?? 1000, 1000);
        const tick = async () => {
            if (stopped) return;
            try {
                if ((await chainTime(this.chain, j.provider)) > j.deadline) {
                    j.progress('expiring', { jobId: j.jobId });
                    await this.expire(j.provider, j.jobId);
                    return; // sent once; the feed reports JobExpired (or the answer that beat it)
                }
            } catch {
                // a failed poll or send is retried at the next tick
            }
            if (!stopped) timer = setTimeout(tick, interval);
        };
        timer = setTimeout(tick, interval);
        done.catch(() => {}).finally(() => (stopped = true));
        return { stop: () => { stopped = true; if (timer) clearTimeout(timer); } };
    }

    private waitFor<T>(feed: TransactionFeed, fromLt: bigint, match: (tx: Transaction) => T | null, timeoutMs: number, what: string, jobId?: bigint) {
        let unsubscribe: (() => void) | null = null;
        let over = false; // matched, timed out or cancelled: the listener must go, even if subscribe() has not returned yet
        let timer: NodeJS.Timeout | null = null;
        const end = () => {
            over = true;
            if (timer) clearTimeout(timer);
            unsubscribe?.();
        };
        const promise = new Promise<T>((resolve, reject) => {
            timer = setTimeout(() => {
                end();
                reject(new TimeoutError(what, jobId));
            }, timeoutMs);
            feed.subscribe(fromLt, (tx) => {
                if (over) return;
                const found = match(tx);
                if (found !== null) {
                    end();
                    resolve(found);
                }
            }).then((u) => {
                unsubscribe = u;
                if (over) u(); // the match came during the backfill, before subscribe() returned
            }, (e) => {
                end();
                reject(e);
            });
        });
        return { promise, cancel: end };
    }

    private feedFor(address: Address): TransactionFeed {
        const key = address.toRawString();
        let feed = this.feeds.get(key);
        if (!feed) {
            feed = new TransactionFeed(this.chain, address, this.options.pollMs ?? 1000);
            this.feeds.set(key, feed);
        }
        return feed;
    }

    /**
     * Escrow CreateJob accepts: the price cap at the offer in the snapshot plus the settlement
     * allowance, which depends only on maxOutputTokens and the network's gas prices. The allowance
     * is read once per (Provider, maxOutputTokens) and snapshot from the `requiredEscrow` getter
     * (escrow minus the price cap); an offer changed since the snapshot makes CreateJob bounce
     * (JobRejectedError, ERR_ESCROW_TOO_LOW), never overpay silently.
     */
    private async requiredEscrow(choice: Choice, p: PreparedRequest, snapshot: NetworkSnapshot): Promise<bigint> {
        const key = `${choice.provider.address.toRawString()}/${p.maxOutputTokens}`;
        let cached = this.allowances.get(key);
        if (!cached || cached.snapshot !== snapshot) {
            const full = await openProvider(this.chain, choice.provider.address).getRequiredEscrow(p.modelId, BigInt(p.maxInputTokens), BigInt(p.maxOutputTokens));
            cached = { snapshot, allowance: full - choice.priceCap };
            this.allowances.set(key, cached);
        }
        return choice.priceCap + cached.allowance;
    }

    private ttlFor(snapshot: NetworkSnapshot, opts: SubmitOptions): number {
        const min = Number(snapshot.params.minJobTtl);
        const max = Number(snapshot.params.maxJobTtl);
        const ttl = opts.ttl ?? Math.max(DEFAULT_TTL, min);
        if (ttl < min || ttl > max) throw new RangeError(`ttl ${ttl} s is outside the Registry's bounds [${min}, ${max}]`);
        return ttl;
    }

    private requireSigner(): JobSigner {
        if (!this.options.signer) throw new Error('this CocoonClient has no signer: pass `signer` to pay for jobs');
        return this.options.signer;
    }
}

export interface ModelSummary {
    modelId: bigint;
    name: string;
    activatesAt: number;
    providers: number;
    /** Lowest prices among available providers (nanotons per million tokens). */
    pricePerMillionIn: bigint;
    pricePerMillionOut: bigint;
    maxContext: number;
}

export function summarizeModels(s: NetworkSnapshot): ModelSummary[] {
    const out: ModelSummary[] = [];
    for (const m of s.models.filter((x) => x.active)) {
        const offers = s.providers.filter((p) => !p.unavailable && p.globalId === s.globalId).flatMap((p) => p.offers.filter((o) => o.modelId === m.modelId));
        if (!offers.length) continue;
        const min = (f: (o: (typeof offers)[number]) => bigint) => offers.map(f).reduce((a, b) => (b < a ? b : a));
        out.push({
            modelId: m.modelId, name: m.name, activatesAt: m.activatesAt, providers: offers.length,
            pricePerMillionIn: min((o) => o.pricePerMillionIn), pricePerMillionOut: min((o) => o.pricePerMillionOut),
            maxContext: Math.max(...offers.map((o) => o.maxContext)),
        });
    }
    return out;
}

export { CocoonError, NoProviderError };
