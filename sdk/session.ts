/**
 * Sessions from the client's side (docs/spec/sdk.md, "Sessions"; issue 13): one deposit on chain,
 * then any number of requests sent to the enclave directly, each answer streamed back as the engine
 * produces it and paid for by a voucher the client checks.
 *
 *   openSession    choose a provider offering the model → fetch its runner's attestation bundle →
 *                  verify that enclave key exactly as a job does (on chain on every endpoint, quote,
 *                  image) → OpenSession{modelId, enclaveKey, fresh client key, ttl} with the deposit
 *                  → the session id from SessionOpened → handshake (crypto/sessionHandshake.ts)
 *   chat           seal the request on an idle channel (at most MAX_CHANNELS_PER_SESSION, one request
 *                  each at a time, so requests reach the runner in order), stream the text deltas,
 *                  verify the final chunk's voucher (sessionVouchers.ts)
 *   topUp, status, close (final voucher → CloseWithVoucher, or already ended by the relayer's delivery
 *                  of it; CloseSession when the runner is gone),
 *   finish (after the challenge window), reopen (a new session when the runner restarted)
 *
 * The client key is made here, per session, and never leaves the process: only its holder can use
 * the session's deposit. Earlier vouchers stay settleable by anyone whatever becomes of the runner.
 */
import { Address, beginCell, Builder, Cell, toNano, Transaction } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ClientChannel, ed25519Signer, Ed25519Signer, SessionError, startHandshake } from '../crypto';
import { inputText, parseRequest } from '../enclave/request';
import { countTokens } from '../enclave/tokens';
import { modelIdOf } from '../protocol/defaults';
import { Exit } from '../protocol/errors';
import { bigintFromBytes, bytesFromBigint } from '../protocol/signed';
import { answerOf, CLOSE_PLAINTEXT, MAX_CHANNELS_PER_SESSION, SessionFinal, SessionToolCall, toolCallsOf } from '../protocol/sessionWire';
import { SessionRef, SignedVoucher, voucherMessage } from '../protocol/voucher';
import { loadSessionBinding, loadSessionOpened, storeCloseSession, storeCloseWithVoucher, storeFinishSession, storeOpenSession, storeTopUpSession } from '../wrappers/Provider';
import type { TcbVerdict } from './attestation';
import { fetchBundle } from './attestation';
import { Chain, openProvider } from './chain';
import { refusalOf, waitForTransaction } from './confirm';
import {
    AttestationError, BadVoucherError, CocoonError, InsufficientBalanceError, NoProviderError, RequestTooLargeError, RunnerUnreachableError, SessionGoneError, SessionRejectedError, SessionRequestError, TimeoutError,
} from './errors';
import { sessionRefundIn } from './events';
import { transactionsBetween } from './feed';
import type { OpenAIRequest } from './request';
import { firstVerified, rankProviders, SelectionCriteria } from './selection';
import { RunnerRefusal, SessionRunnerClient } from './sessionRunner';
import { VoucherBook, VoucherCheckError, VoucherContext } from './sessionVouchers';
import { JobSigner, WALLET_FEE_MARGIN } from './signer';
import type { EnclaveInfo, NetworkSnapshot, ProviderInfo } from './types';

/** The shortest session the Provider opens (contracts: MIN_SESSION_TTL). */
export const MIN_SESSION_TTL = 600;
export const DEFAULT_SESSION_TTL = 3600;
/** Value sent with CloseWithVoucher, CloseSession and FinishSession; what gas leaves comes back. */
export const SESSION_MESSAGE_VALUE = toNano('0.05');
/** The runner's body cap (enclave/server.ts DEFAULT_LIMITS): a larger sealed request is refused before it is sent. */
export const MAX_SESSION_REQUEST_BYTES = 256 * 1024;
const OP_SESSION_OPENED = 0x45000006;
/** Resends of a request the runner answered 503 Busy (nothing opened), 25 ms doubling. */
const BUSY_RETRIES = 6;

/** What a session needs from the CocoonClient that opens it (CocoonClient.openSession builds it). */
export interface SessionHost {
    chain: Chain;
    signer: JobSigner;
    pollMs: number;
    snapshot(): Promise<NetworkSnapshot>;
    /** The runner URL of a provider: the attestation policy's override, else the one it publishes on chain. */
    runnerUrl(provider: ProviderInfo): string | undefined;
    verifyEnclave(provider: ProviderInfo, enclaveKey: bigint, globalId: number): Promise<{ enclave: EnclaveInfo; tcb: TcbVerdict }>;
    fetchTimeoutMs?: number;
}

export interface SessionOptions extends Partial<Pick<SelectionCriteria, 'maxPricePerMillionIn' | 'maxPricePerMillionOut' | 'minReputation' | 'minStake' | 'prefer' | 'only'>> {
    /** Model name as allow-listed on the Registry. */
    model: string;
    /** Value sent with OpenSession (nanotons): the deposit, less the opening's costs (~0.01 TON). */
    deposit: bigint;
    /** Lifetime in seconds (default 3600), within [600, the Registry's maxSessionTtl]; never past the enclave's attestation. */
    ttl?: number;
    /** This provider only (address), instead of the cheapest offering the model. */
    provider?: Address;
    /** chat() opens a new session (same options) when the runner no longer serves this one, before any text arrived (default false). */
    autoReopen?: boolean;
    /** Waiting for each transaction on chain (default 120 s). */
    timeoutMs?: number;
    /** Handshakes with the runner (default 10 s). */
    runnerTimeoutMs?: number;
    onProgress?: (stage: SessionStage, detail: Record<string, unknown>) => void;
}

export type SessionStage = 'selected' | 'attested' | 'sent' | 'opened' | 'reopened' | 'closed';

export interface ChatOptions {
    /** Aborts the request: the runner stops the engine and bills what was streamed until then. */
    signal?: AbortSignal;
}

export interface ChatResult {
    sessionId: bigint;
    text: string;
    /** The answer's tool calls (OpenAI's message.tool_calls), whole: they arrive with the final chunk, not as deltas. */
    toolCalls?: SessionToolCall[];
    /** What this request was billed, as the voucher adds it. */
    usage: { inputTokens: number; outputTokens: number };
    finishReason: string | null;
    /** The voucher the runner signed for the session after this request (cumulative). */
    voucher: SignedVoucher;
}

/** Text deltas as the runner streams them (`for await`), and the whole result once the voucher is checked. */
export interface ChatStream extends AsyncIterable<string> {
    readonly result: Promise<ChatResult>;
}

export interface SessionStatus {
    sessionId: bigint;
    provider: Address;
    /** False once the session has ended on chain (closed with a voucher, or finished). */
    open: boolean;
    deposit: bigint;
    paid: bigint;
    lastSeq: bigint;
    expiresAt: number;
    settleUntil: number;
    closing: boolean;
    /** The newest voucher this client holds, and its charge (0 without one). */
    latest?: SignedVoucher;
    charged: bigint;
}

export interface CloseResult {
    sessionId: bigint;
    /** True when the runner gave the final voucher and the session ended at once (CloseWithVoucher). */
    cooperative: boolean;
    voucher?: SignedVoucher;
    txHash: string;
    /** Value of the SessionRefund that reached the client (cooperative close: the unspent deposit plus what the message's gas left). */
    refund?: bigint;
    /**
     * True when someone else (the provider's relayer, which reads the runner's vouchers) delivered
     * this final voucher first: the session ended with it at once, as this close would have, and no
     * close was sent (or the one sent was refused at the cost of its bounce). `txHash` is that
     * transaction; `refund` what it returned (exactly deposit − charge when the relayer paid the delivery).
     */
    endedByOther?: boolean;
    /** Not cooperative: vouchers settle until then; `finish()` returns the rest after it. */
    settleUntil?: number;
}

/** One on-chain session and its channels. */
interface Bound {
    ref: SessionRef;
    provider: Address;
    model: string;
    enclaveKey: Uint8Array;
    client: Ed25519Signer;
    runner: SessionRunnerClient;
    book: VoucherBook;
    expiresAt: number;
    settleUntil: number;
    idle: ClientChannel[];
    channels: number; // made and not discarded
    waiting: Array<() => void>;
    broken?: Error; // a voucher failed its check: nothing more is sent on this session
    closed?: boolean; // close() was called: chat refuses, and never reopens it
    greeted?: boolean; // a handshake succeeded: the runner has seen the session open
}

/**
 * Opens a session and handshakes with its runner; CocoonClient.openSession is the usual way in. A
 * handshake that fails does not fail the opening (the deposit is on chain, and this object is what
 * closes it): the first chat reports it.
 */
export async function openSession(host: SessionHost, opts: SessionOptions): Promise<Session> {
    const session = new Session(host, opts, await bind(host, opts));
    await session.connect();
    return session;
}

export class Session {
    /** Sessions this object used before a reopen: their vouchers settle, and `finish(id)` returns their rest. */
    readonly retired: { sessionId: bigint; provider: Address; latest?: SignedVoucher }[] = [];
    private reopening?: Promise<unknown>;

    constructor(private readonly host: SessionHost, private readonly options: SessionOptions, private current: Bound) {}

    get id(): bigint {
        return this.current.ref.sessionId;
    }

    /** What the session's vouchers are signed over: network, Provider, session id. */
    get ref(): SessionRef {
        return this.current.ref;
    }

    get provider(): Address {
        return this.current.provider;
    }

    get enclaveKey(): Uint8Array {
        return this.current.enclaveKey;
    }

    get runnerUrl(): string {
        return this.current.runner.url;
    }

    /** The newest voucher held for the current session. */
    get latestVoucher(): SignedVoucher | undefined {
        return this.current.book.latest;
    }

    /** The deposit as last read on chain. */
    get deposit(): bigint {
        return this.current.book.deposit;
    }

    /** Makes one channel ahead of the first chat (a failed handshake is left for the chat to report). */
    async connect(): Promise<void> {
        const b = this.current;
        try {
            this.release(b, await this.acquire(b));
        } catch {
            // reported by the next chat, which handshakes again
        }
    }

    /**
     * Sends one OpenAI chat or completions request (its `model` must be the session's; `stream` is
     * ignored: the answer always streams) and returns its text deltas as they arrive plus the checked result.
     */
    chat(body: OpenAIRequest, opts: ChatOptions = {}): ChatStream {
        return deltaStream((push) => this.run(body, opts, push));
    }

    /** Adds `amount` (nanotons, less the top-up's gas) to the deposit; resolves to the new deposit. */
    async topUp(amount: bigint): Promise<bigint> {
        const b = this.current;
        await this.send(b, amount, storeTopUpSession({ $$type: 'TopUpSession', queryId: queryId(), sessionId: b.ref.sessionId }), 'TopUpSession');
        return (await this.status()).deposit;
    }

    async status(): Promise<SessionStatus> {
        const b = this.current;
        const record = await openProvider(this.host.chain, b.provider).getSession(b.ref.sessionId);
        if (record && record.deposit > b.book.deposit) b.book.deposit = record.deposit;
        const latest = b.book.latest;
        return {
            sessionId: b.ref.sessionId, provider: b.provider, open: record !== null,
            deposit: record?.deposit ?? b.book.deposit, paid: record?.paid ?? latest?.charge ?? 0n, lastSeq: record?.lastSeq ?? latest?.seq ?? 0n,
            expiresAt: Number(record?.expiresAt ?? b.expiresAt), settleUntil: Number(record?.settleUntil ?? b.settleUntil), closing: record?.closing ?? true,
            latest, charged: latest?.charge ?? 0n,
        };
    }

    /**
     * Ends the session. Cooperative: the runner signs the final voucher (it then serves the session no
     * more) and CloseWithVoucher settles it and refunds the rest at once. The provider's relayer may
     * deliver that voucher first (it reads the runner's vouchers): a final voucher ends the session
     * however it arrives, so that is success too (`endedByOther`), never an error. When the runner is
     * gone or refuses: CloseSession starts the challenge window, and `finish()` after it returns the rest.
     */
    async close(): Promise<CloseResult> {
        const b = this.current;
        b.closed = true;
        const id = b.ref.sessionId;
        // Whatever ends the session with the final voucher comes after this: the voucher does not exist yet.
        const beforeLt = await this.providerLt(b);
        let voucher: SignedVoucher | undefined;
        try {
            voucher = await this.finalVoucher(b);
        } catch (e) {
            // Gone, refusing, unreachable, or handing out bad vouchers: the window closes it without the runner.
            if (!(e instanceof CocoonError)) throw e;
        }
        if (voucher) {
            const closed = (txHash: string, refund: bigint | undefined, endedByOther: boolean): CloseResult => {
                this.options.onProgress?.('closed', { sessionId: id, cooperative: true, charge: voucher.charge, endedByOther });
                return { sessionId: id, cooperative: true, voucher, txHash, refund, ...(endedByOther ? { endedByOther } : {}) };
            };
            // Already delivered by someone else: sending it too would only bounce.
            let ended = await this.endedElsewhere(b, beforeLt);
            if (ended) return closed(ended.txHash, ended.refund, true);
            let tx: Transaction;
            try {
                tx = await this.send(b, SESSION_MESSAGE_VALUE, storeCloseWithVoucher({ $$type: 'CloseWithVoucher', sessionId: id, voucher: voucherMessage(voucher) }), 'CloseWithVoucher');
            } catch (e) {
                // Refused because the record is gone: delivered by someone else between the check and the send.
                ended = e instanceof SessionRejectedError && e.exitCode === Exit.ERR_SESSION_UNKNOWN ? await this.endedElsewhere(b, beforeLt) : null;
                if (!ended) throw e;
                return closed(ended.txHash, ended.refund, true);
            }
            return closed(tx.hash().toString('hex'), sessionRefundIn(tx, id)?.amount, false);
        }
        const tx = await this.send(b, SESSION_MESSAGE_VALUE, storeCloseSession({ $$type: 'CloseSession', queryId: queryId(), sessionId: id }), 'CloseSession');
        const settleUntil = (await this.status()).settleUntil;
        this.options.onProgress?.('closed', { sessionId: id, cooperative: false, settleUntil });
        return { sessionId: id, cooperative: false, txHash: tx.hash().toString('hex'), settleUntil };
    }

    /** FinishSession after the challenge window (the current session, or a retired one): the rest of the deposit returns to the client. */
    async finish(sessionId = this.id): Promise<{ txHash: string; refund?: bigint }> {
        const b = this.current;
        const provider = this.retired.find((r) => r.sessionId === sessionId)?.provider ?? b.provider;
        const tx = await this.send({ ...b, provider }, SESSION_MESSAGE_VALUE, storeFinishSession({ $$type: 'FinishSession', queryId: queryId(), sessionId }), 'FinishSession');
        return { txHash: tx.hash().toString('hex'), refund: sessionRefundIn(tx, sessionId)?.amount };
    }

    private async providerLt(b: Bound): Promise<bigint> {
        return BigInt((await this.host.chain.getContractState(b.provider)).lastTransaction?.lt ?? '0');
    }

    /**
     * When the session's record is gone although this client has not ended it: the transaction after
     * `afterLt` that ended it (only the final voucher can, before the window is over) and the refund
     * it sent. Null while the record is there.
     */
    private async endedElsewhere(b: Bound, afterLt: bigint): Promise<{ txHash: string; refund: bigint } | null> {
        const id = b.ref.sessionId;
        if (await openProvider(this.host.chain, b.provider).getSession(id)) return null;
        const source = { after: (address: Address, lt: bigint) => transactionsBetween(this.host.chain, address, lt) };
        // The endpoint may show the state before it lists the transaction: waited for a little. None at
        // all: the session ended before this close began (finished after its window), not with its voucher.
        const tx = await waitForTransaction(source, b.provider, afterLt, (t) => sessionRefundIn(t, id) !== null, { pollMs: this.host.pollMs, timeoutMs: Math.min(this.options.timeoutMs ?? 120_000, 15_000) });
        if (!tx) throw new SessionGoneError(id, 'SessionClosed', 'the session ended on chain before it was closed');
        return { txHash: tx.hash().toString('hex'), refund: sessionRefundIn(tx, id)!.amount };
    }

    /**
     * Opens a new session with the same options (after a runner restart: its new key cannot serve this
     * one) and starts the old one's challenge window (CloseSession), so its rest returns after it.
     */
    async reopen(): Promise<this> {
        const old = this.current;
        this.current = await bind(this.host, this.options);
        await this.connect();
        this.retired.push({ sessionId: old.ref.sessionId, provider: old.provider, latest: old.book.latest });
        this.options.onProgress?.('reopened', { from: old.ref.sessionId, sessionId: this.current.ref.sessionId });
        try {
            await this.send(old, SESSION_MESSAGE_VALUE, storeCloseSession({ $$type: 'CloseSession', queryId: queryId(), sessionId: old.ref.sessionId }), 'CloseSession');
        } catch {
            // Already closing or ended: its deposit is on its way back regardless.
        }
        return this;
    }

    private async run(body: OpenAIRequest, opts: ChatOptions, push: (text: string) => void): Promise<ChatResult> {
        const b = this.current;
        let streamed = false;
        try {
            return await this.request(b, body, opts, (t) => {
                streamed = true;
                push(t);
            });
        } catch (e) {
            if (!(e instanceof SessionGoneError) || !this.options.autoReopen || streamed || b.closed) throw e;
            // Chats that fail together reopen once: the first starts it, the others wait for it.
            if (this.current === b) await (this.reopening ??= this.reopen().finally(() => (this.reopening = undefined)));
            else await this.reopening;
            return this.request(this.current, body, opts, push);
        }
    }

    private async request(b: Bound, body: OpenAIRequest, opts: ChatOptions, push: (text: string) => void): Promise<ChatResult> {
        if (b.broken) throw b.broken;
        if (b.closed) throw new SessionGoneError(b.ref.sessionId, 'SessionClosed', 'this session was closed (close())');
        const { stream: _stream, stream_options: _options, ...rest } = body as Record<string, unknown>;
        if (rest.model !== b.model) throw new SessionRequestError(b.ref.sessionId, 'WrongModel', `this session is for model ${b.model}, the request names ${String(rest.model)}`);
        const plaintext = Buffer.from(JSON.stringify(rest), 'utf8');
        const ownInputTokens = countTokens(inputText(parseRequest(plaintext))); // the enclave's parser, strict: a malformed body is refused here
        const { parts, final } = await this.exchange(b, 'request', plaintext, opts.signal, (data) => push(data.toString('utf8')));
        const text = Buffer.concat(parts).toString('utf8');
        let toolCalls: SessionToolCall[] | undefined;
        try {
            toolCalls = toolCallsOf(final.tool_calls);
        } catch (e) {
            throw this.broke(b, `the final chunk's tool calls are malformed (${(e as Error).message})`);
        }
        // The voucher's transcript and usage cover the tool calls too (protocol/sessionWire.ts answerOf).
        const answer = answerOf(text, toolCalls);
        const voucher = final.voucher === undefined ? undefined : await this.check(b, final.voucher, { final: false, usage: final.usage, request: plaintext, answer: Buffer.from(answer, 'utf8'), ownInputTokens, ownOutputTokens: countTokens(answer) });
        if (final.error) {
            const { code, message } = final.error;
            if (['SessionClosed', 'SessionClosing', 'SessionExpired'].includes(code)) throw new SessionGoneError(b.ref.sessionId, code, message);
            throw new SessionRequestError(b.ref.sessionId, code, message, text, voucher);
        }
        if (!voucher || !final.usage) throw this.broke(b, 'the answer ended without usage and voucher');
        return { sessionId: b.ref.sessionId, text, ...(toolCalls ? { toolCalls } : {}), usage: { inputTokens: final.usage.prompt_tokens, outputTokens: final.usage.completion_tokens }, finishReason: final.finish_reason ?? null, voucher };
    }

    /** Asks the runner for the final voucher (a sealed close) and checks it. */
    private async finalVoucher(b: Bound): Promise<SignedVoucher> {
        if (b.broken) throw b.broken;
        const { final } = await this.exchange(b, 'close', CLOSE_PLAINTEXT);
        if (final.error) throw new SessionRequestError(b.ref.sessionId, final.error.code, final.error.message);
        if (final.voucher === undefined) throw this.broke(b, 'the close was answered without a voucher');
        return this.check(b, final.voucher, { final: true });
    }

    /**
     * Seals `plaintext` on an idle channel, sends it and reads the answer: `onText` gets each
     * non-final chunk's data as it is opened; resolves to every such part and the final chunk's JSON.
     */
    private async exchange(b: Bound, route: 'request' | 'close', plaintext: Buffer, signal?: AbortSignal, onText?: (data: Buffer) => void): Promise<{ parts: Buffer[]; final: SessionFinal }> {
        for (let attempt = 0; ; attempt++) {
            const channel = await this.acquire(b);
            const { seq, sealed, answer } = channel.sealRequest(plaintext);
            if (sealed.length > MAX_SESSION_REQUEST_BYTES) {
                this.discard(b);
                throw new RequestTooLargeError(plaintext.length, MAX_SESSION_REQUEST_BYTES);
            }
            let frames: AsyncGenerator<Buffer>;
            try {
                frames = await this.post(b, route, channel, seq, sealed, signal);
            } catch (e) {
                this.discard(b);
                // A channel the runner no longer has (dropped for newer ones, or a restart): one new handshake tells which.
                if (e instanceof RunnerRefusal && e.code === 'UnknownChannel' && attempt === 0) continue;
                throw this.refused(b, e);
            }
            const parts: Buffer[] = [];
            let final: Buffer | undefined;
            let index = 0;
            try {
                for await (const frame of frames) {
                    const chunk = answer.open(index++, frame);
                    if (chunk.final) final = Buffer.from(chunk.data);
                    else {
                        parts.push(Buffer.from(chunk.data));
                        onText?.(chunk.data);
                    }
                }
                answer.end(); // Truncated unless the final chunk came
            } catch (e) {
                this.discard(b);
                const text = Buffer.concat(parts).toString('utf8');
                if (e instanceof SessionError || e instanceof RunnerUnreachableError) {
                    throw new RunnerUnreachableError(b.runner.url, `the answer broke off: ${e.message}`, text);
                }
                throw e;
            }
            this.release(b, channel);
            try {
                return { parts, final: JSON.parse(final!.toString('utf8')) as SessionFinal };
            } catch {
                throw this.broke(b, 'the final chunk is not JSON');
            }
        }
    }

    /** POSTs a sealed request; a 503 Busy (nothing opened) is resent as the same bytes. */
    private async post(b: Bound, route: 'request' | 'close', channel: ClientChannel, seq: number, sealed: Buffer, signal?: AbortSignal): Promise<AsyncGenerator<Buffer>> {
        const channelId = channel.channelId.toString('hex');
        for (let attempt = 0; ; attempt++) {
            try {
                return await b.runner.exchange(route, channelId, seq, sealed, signal);
            } catch (e) {
                if (!(e instanceof RunnerRefusal && e.code === 'Busy' && attempt < BUSY_RETRIES)) throw e;
                await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
            }
        }
    }

    private async check(b: Bound, json: unknown, ctx: VoucherContext): Promise<SignedVoucher> {
        for (let reread = false; ; reread = true) {
            try {
                return b.book.accept(json, ctx);
            } catch (e) {
                if (!(e instanceof VoucherCheckError)) throw e;
                // Someone may have topped the session up: the deposit is read again before refusing.
                if (reread || !/passes the deposit/.test(e.message)) throw this.broke(b, e.message);
                const record = await openProvider(this.host.chain, b.provider).getSession(b.ref.sessionId);
                if (record && record.deposit > b.book.deposit) b.book.deposit = record.deposit;
            }
        }
    }

    private broke(b: Bound, detail: string): BadVoucherError {
        b.broken = new BadVoucherError(b.ref.sessionId, detail);
        return b.broken as BadVoucherError;
    }

    /** What an HTTP refusal means to the caller: the session gone at the runner, or this request refused. */
    private refused(b: Bound, e: unknown): unknown {
        if (!(e instanceof RunnerRefusal)) return e;
        const gone = ['WrongEnclave', 'SessionUnknown', 'SessionClosed', 'SessionClosing', 'SessionExpired', 'ModelNotServed'];
        if (gone.includes(e.code)) return new SessionGoneError(b.ref.sessionId, e.code, `${e.message} (runner ${b.runner.url})`);
        return new SessionRequestError(b.ref.sessionId, e.code, e.message);
    }

    /** An idle channel, or a new handshake while fewer than MAX_CHANNELS_PER_SESSION exist, or the next one released. */
    private async acquire(b: Bound): Promise<ClientChannel> {
        for (;;) {
            const idle = b.idle.pop();
            if (idle) return idle;
            if (b.channels < MAX_CHANNELS_PER_SESSION) {
                b.channels++;
                try {
                    return await this.handshake(b);
                } catch (e) {
                    this.discard(b);
                    throw e;
                }
            }
            await new Promise<void>((resolve) => b.waiting.push(resolve));
        }
    }

    private release(b: Bound, channel: ClientChannel): void {
        b.idle.push(channel);
        b.waiting.shift()?.();
    }

    /** A channel whose position may no longer match the runner's (a failed or broken exchange) is not used again. */
    private discard(b: Bound): void {
        b.channels--;
        b.waiting.shift()?.();
    }

    private async handshake(b: Bound): Promise<ClientChannel> {
        const hs = startHandshake({ ...b.ref, enclaveKey: b.enclaveKey, client: b.client });
        let answer: { welcome: Buffer; channelId: string | null };
        try {
            // Before the first handshake the runner's chain read may lag the opening this client saw.
            answer = await b.runner.hello(hs.hello, { sessionMayLag: !b.greeted });
        } catch (e) {
            throw this.refused(b, e);
        }
        try {
            const channel = hs.finish(answer.welcome);
            if (answer.channelId !== null && answer.channelId !== channel.channelId.toString('hex')) throw new SessionError('Malformed', 'the runner names another channel id than the handshake derives');
            b.greeted = true;
            return channel;
        } catch (e) {
            if (!(e instanceof SessionError)) throw e;
            // Whoever answers at the URL does not hold the session's enclave key.
            throw new SessionGoneError(b.ref.sessionId, 'BadWelcome', `the Welcome from ${b.runner.url} does not come from the session's enclave (${e.message})`);
        }
    }

    /** Sends a message to the Provider from the signer and waits for its transaction; a refusal there is a SessionRejectedError. */
    private send(b: Pick<Bound, 'provider'>, value: bigint, store: (builder: Builder) => void, what: string): Promise<Transaction> {
        return sendToProvider(this.host, b.provider, value, beginCell().store(store).endCell(), what, this.options.timeoutMs);
    }
}

/** Chooses, verifies, opens on chain and handshakes: one bound session. */
async function bind(host: SessionHost, opts: SessionOptions): Promise<Bound> {
    const progress = opts.onProgress ?? (() => {});
    const snapshot = await host.snapshot();
    const ttl = opts.ttl ?? DEFAULT_SESSION_TTL;
    const maxTtl = Number(snapshot.params.maxSessionTtl);
    if (!Number.isInteger(ttl) || ttl < MIN_SESSION_TTL || ttl > maxTtl) throw new RangeError(`session ttl ${ttl} s is outside [${MIN_SESSION_TTL}, ${maxTtl}]`);
    const modelId = modelIdOf(opts.model);
    const only = opts.provider ? [opts.provider.toString()] : opts.only;
    const criteria: SelectionCriteria = { ...opts, only, model: opts.model, maxInputTokens: 1, maxOutputTokens: 1, validFor: MIN_SESSION_TTL };
    const { ranked, rejected } = rankProviders(snapshot, criteria, modelId);
    if (!ranked.length) throw new NoProviderError(opts.model, rejected);

    // The key comes from the runner's bundle (a provider may run several enclaves); it is then
    // verified exactly as a job's key is, and the session is bound to it on chain.
    const chosen = await firstVerified(ranked, async (c) => {
        const url = host.runnerUrl(c.provider);
        if (!url) throw new AttestationError('no_bundle', `no runner URL for provider ${c.provider.address.toString()}: ${c.provider.runnerUrlRefused ?? 'none published on chain (SetRunnerUrl)'}`);
        const bundle = await fetchBundle(url, host.fetchTimeoutMs);
        if (typeof bundle?.enclaveEd25519 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(bundle.enclaveEd25519)) throw new AttestationError('bad_quote', 'the attestation bundle has no Ed25519 key');
        const verified = await host.verifyEnclave(c.provider, BigInt('0x' + bundle.enclaveEd25519), snapshot.globalId);
        return { ...c, enclave: verified.enclave, url, tcb: verified.tcb };
    }) as ReturnType<typeof rankProviders>['ranked'][number] & { url: string; tcb: TcbVerdict };
    const provider = chosen.provider.address;
    progress('selected', { provider: provider.toString(), pricePerMillionIn: chosen.offer.pricePerMillionIn, pricePerMillionOut: chosen.offer.pricePerMillionOut });
    progress('attested', { enclaveKey: chosen.enclave.enclaveKey.toString(16), tcb: chosen.tcb });

    const available = await host.signer.balance();
    if (available < opts.deposit + WALLET_FEE_MARGIN) throw new InsufficientBalanceError(opts.deposit + WALLET_FEE_MARGIN, available);
    const client = ed25519Signer(ed25519.utils.randomSecretKey());
    const body = beginCell()
        .store(storeOpenSession({ $$type: 'OpenSession', queryId: queryId(), modelId, enclaveKey: chosen.enclave.enclaveKey, clientKey: bigintFromBytes(client.publicKey), ttl: BigInt(ttl) }))
        .endCell();
    const tx = await sendToProvider(host, provider, opts.deposit, body, 'OpenSession', opts.timeoutMs, () => progress('sent', { deposit: opts.deposit }));
    const sessionId = openedIn(tx);
    if (sessionId === null) throw new SessionRejectedError('OpenSession', -1, 'no SessionOpened event');

    // The record, as the runner will read it: bound to this key, this client key and this model.
    const record = await openProvider(host.chain, provider).getSession(sessionId);
    if (!record) throw new SessionGoneError(sessionId, 'SessionUnknown', 'the session opened but is no longer open on chain');
    const binding = loadSessionBinding(record.binding.beginParse());
    if (record.enclaveKey !== chosen.enclave.enclaveKey || binding.clientKey !== bigintFromBytes(client.publicKey) || binding.modelId !== modelId) {
        throw new SessionRejectedError('OpenSession', -1, 'the recorded session is not the one sent');
    }
    const ref: SessionRef = { globalId: snapshot.globalId, provider, sessionId };
    const enclaveKey = bytesFromBigint(chosen.enclave.enclaveKey);
    const b: Bound = {
        ref, provider, model: opts.model, enclaveKey, client, runner: new SessionRunnerClient(chosen.url, opts.runnerTimeoutMs),
        book: new VoucherBook(ref, enclaveKey, { in: record.pricePerMillionIn, out: record.pricePerMillionOut }, record.deposit),
        expiresAt: Number(record.expiresAt), settleUntil: Number(record.settleUntil), idle: [], channels: 0, waiting: [],
    };
    progress('opened', { sessionId, deposit: record.deposit, expiresAt: b.expiresAt });
    return b;
}

/** Sends `body` with `value` from the host's signer to `to` and waits for the transaction it causes there. */
async function sendToProvider(host: SessionHost, to: Address, value: bigint, body: Cell, what: string, timeoutMs = 120_000, sent?: () => void): Promise<Transaction> {
    const fromLt = BigInt((await host.chain.getContractState(to)).lastTransaction?.lt ?? '0');
    await host.signer.send({ to, value, body, bounce: true });
    sent?.();
    const source = { after: (address: Address, lt: bigint) => transactionsBetween(host.chain, address, lt) };
    const tx = await waitForTransaction(source, to, fromLt, (t) => t.inMessage?.body.hash().equals(body.hash()) ?? false, { pollMs: host.pollMs, timeoutMs });
    if (!tx) throw new TimeoutError(`the Provider to process ${what}`);
    const refusal = refusalOf(tx, to);
    if (refusal) throw new SessionRejectedError(what, refusal.exitCode, refusal.name);
    return tx;
}

function openedIn(tx: Transaction): bigint | null {
    for (const m of tx.outMessages.values()) {
        if (m.info.type !== 'external-out') continue;
        const s = m.body.beginParse();
        if (s.remainingBits >= 32 && s.preloadUint(32) === OP_SESSION_OPENED) return loadSessionOpened(s).sessionId;
    }
    return null;
}

const queryId = () => BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000));

/** Runs `produce` at once; its pushes are yielded in order to one consumer, then `result` settles. */
function deltaStream(produce: (push: (text: string) => void) => Promise<ChatResult>): ChatStream {
    const queue: string[] = [];
    let wake: (() => void) | null = null;
    let over = false;
    let failed = false;
    let failure: unknown;
    const notify = () => {
        wake?.();
        wake = null;
    };
    const result = produce((text) => {
        queue.push(text);
        notify();
    }).then(
        (r) => {
            over = true;
            notify();
            return r;
        },
        (e) => {
            over = failed = true;
            failure = e;
            notify();
            throw e;
        },
    );
    result.catch(() => {}); // the caller may only iterate; it still sees the failure there
    return {
        result,
        async *[Symbol.asyncIterator]() {
            for (;;) {
                if (queue.length) {
                    yield queue.shift()!;
                    continue;
                }
                if (over) {
                    if (failed) throw failure;
                    return;
                }
                await new Promise<void>((resolve) => (wake = resolve));
            }
        },
    };
}
