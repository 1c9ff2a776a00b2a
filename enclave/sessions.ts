/**
 * Session mode inside the enclave (docs/spec/enclave.md, "Sessions"): the sessions this runner
 * serves, their channels, and the one voucher counter of each.
 *
 * - A handshake is accepted only for a session open on chain at this runner's own Provider, bound to
 *   this enclave key, not closing, not expired, for a model served here, and only from the holder
 *   of the client key the session records (crypto/sessionHandshake.ts acceptHello).
 * - A request is served only if the session's cumulative charge plus the request's worst case (own
 *   input count, output clamped) stays within the deposit read on chain, counting the worst case of
 *   every request still running; the deposit is read again before refusing (top-ups).
 * - Billing is per-job mode's (billing.ts): min(engine usage, own count of what was streamed).
 * - One voucher counter per session, shared by its channels. A voucher is signed and recorded in
 *   one synchronous step (`record`): JavaScript runs it without interleaving, so it is the session's
 *   queue, and the enclave never signs two vouchers for one (session, seq) — that would be slashable
 *   equivocation. After the final voucher nothing more is signed; a repeated close gets the same one.
 *
 * Nothing here logs or returns plaintext: requests and answers leave only as sealed chunks, and
 * refusals carry codes and messages that never quote them.
 */
import { Address } from '@ton/core';
import { acceptHello, parseHello, RunnerChannel, SessionError } from '../crypto';
import { bigintFromBytes, bytesFromBigint } from '../protocol/signed';
import { priceOf, SessionRef, SignedVoucher, VoucherBody, voucherCell } from '../protocol/voucher';
import { voucherToJson, VoucherJson } from '../protocol/voucherJson';
import { answerOf, CLOSE_PLAINTEXT, INITIAL_TRANSCRIPT, MAX_CHANNELS_PER_SESSION, nextTranscript, SessionFinal, SessionToolCall, toolCallsOf } from '../protocol/sessionWire';
import type { InferenceBackend, InferenceResult } from './backends/backend';
import { bill } from './billing';
import type { OnChainSession, SessionSource } from './chainSessions';
import { Lookup, LookupLimits, LookupThrottled, SessionLookups } from './sessionLookups';
import { clampOutput, RunnerContext } from './handleJob';
import type { ModelEntry } from './models';
import { InferenceRequest, inputText, parseRequest, RequestFormatError } from './request';
import { countTokens } from './tokens';

/** Why a handshake or a request was refused before anything was opened (an HTTP error, enclave/sessionServer.ts). */
export type SessionRefusalCode = 'SessionUnknown' | 'SessionClosing' | 'SessionExpired' | 'SessionClosed' | 'ModelNotServed' | 'WrongEnclave' | 'ChainUnavailable' | 'UnknownChannel' | 'TooManyLookups';

export class SessionRefusal extends Error {
    /** `retryAfterMs`: when asking again may be answered otherwise (the HTTP answer's Retry-After). */
    constructor(readonly code: SessionRefusalCode, message: string, readonly retryAfterMs?: number) {
        super(message);
    }
}

/** Why an opened request got no answer, or not all of it (the `error` of its sealed final chunk). */
export type AnswerErrorCode =
    | 'BadRequest' | 'WrongModel' | 'SessionClosed' | 'SessionClosing' | 'SessionExpired' | 'OverDeposit' | 'NoRoom' | 'ChainUnavailable'
    | 'EngineFailed' | 'EngineTimeout' | 'ClientGone' | 'InternalError';

class AnswerRefusal extends Error {
    constructor(readonly code: AnswerErrorCode, message: string) {
        super(message);
    }
}

/** Sessions kept this long after their last settlement time: their vouchers can no longer settle. */
export const KEEP_AFTER_SETTLE_S = 3600;
const PRUNE_EVERY_S = 60;

interface SessionState {
    readonly ref: SessionRef;
    readonly model: ModelEntry;
    readonly backend: InferenceBackend;
    onChain: OnChainSession; // as last read; prices are fixed at opening
    readonly channels: Map<string, RunnerChannel>; // by channel id (hex), oldest first
    // What the latest voucher states (all zero before the first one).
    seq: bigint;
    inputTokens: bigint;
    outputTokens: bigint;
    transcript: bigint;
    latest?: SignedVoucher;
    final?: SignedVoucher;
    closing: boolean; // a close was asked off chain: no request starts any more
    // Worst cases of the requests running now: the deposit must cover them all.
    reservedIn: bigint;
    reservedOut: bigint;
    readonly running: Set<Promise<void>>;
}

/** A request opened on a channel: its answer must end with a final chunk (`answer` or `close`). */
export interface OpenedRequest {
    readonly sessionId: bigint;
    readonly seq: number;
    readonly plaintext: Buffer;
    readonly state: SessionState;
    readonly channel: RunnerChannel;
}

/** What a request came to, for logs and metrics (counts and codes only). */
export interface AnswerSummary {
    sessionId: bigint;
    outcome: 'served' | 'cut' | 'closed' | AnswerErrorCode;
    voucherSeq?: bigint;
    inputTokens?: number;
    outputTokens?: number;
}

interface Reserved {
    req: InferenceRequest;
    ownInput: number;
    maxTokens: number;
    release: () => void;
}

export interface SessionBookDeps {
    ctx: Pick<RunnerContext, 'keys' | 'models' | 'backends' | 'jobTimeoutMs'>;
    globalId: number;
    provider: Address;
    source: SessionSource;
    /** Bounds on the chain reads Hellos cause (sessionLookups.ts); the defaults without. */
    lookups?: Partial<LookupLimits>;
    /** Milliseconds for those bounds (tests move it by hand); Date.now without. */
    nowMs?: () => number;
    /** This VM's clock, unix seconds; compared with the session's expiry (a host moving it hurts only its provider). */
    nowSeconds?: () => number;
    onInternalError?: (e: unknown) => void;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

export class SessionBook {
    private readonly sessions = new Map<bigint, SessionState>();
    private readonly channels = new Map<string, { state: SessionState; channel: RunnerChannel }>();
    private readonly enclaveKey: bigint;
    private readonly now: () => number;
    private readonly lookups: SessionLookups;
    private prunedAt = 0;

    constructor(private readonly deps: SessionBookDeps) {
        this.enclaveKey = bigintFromBytes(deps.ctx.keys.ed25519Public);
        this.now = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
        this.lookups = new SessionLookups(deps.source, deps.lookups, deps.nowMs);
    }

    /** Sessions held (with a channel or a voucher). */
    get size(): number {
        return this.sessions.size;
    }

    /**
     * Accepts a Hello: reads the session on chain, checks it, and answers the Welcome. Throws
     * SessionError (a Hello that is malformed, for another network, Provider or enclave, or not
     * signed by the session's client key) or SessionRefusal (the session's state); no state is kept then.
     */
    async hello(bytes: Uint8Array): Promise<{ welcome: Buffer; channelId: string; sessionId: bigint }> {
        const hello = parseHello(bytes);
        // Cheap refusals first: a Hello for another network, Provider or key costs no chain read.
        const { globalId, provider, ctx } = this.deps;
        if (hello.globalId !== globalId) throw new SessionError('WrongNetwork', `the Hello is for network ${hello.globalId}; this runner serves ${globalId}`);
        if (!hello.provider.equals(provider)) throw new SessionError('WrongProvider', 'the Hello names another Provider than this runner\'s');
        if (!sameBytes(hello.enclaveKey, ctx.keys.ed25519Public)) {
            throw new SessionError('WrongEnclave', 'the Hello expects another enclave key than this runner\'s (a restarted runner has new keys: open a new session)');
        }
        this.prune();
        const held = this.sessions.get(hello.sessionId);
        if (held?.final) throw finalSigned(hello.sessionId);
        let lookup: Lookup;
        try {
            lookup = await this.lookups.forHello(hello.sessionId, held !== undefined);
        } catch (e) {
            if (e instanceof LookupThrottled) throw new SessionRefusal('TooManyLookups', e.message, e.retryAfterMs);
            throw new SessionRefusal('ChainUnavailable', 'the session could not be read on chain; retry later');
        }
        const onChain = lookup.session;
        // A session opened a moment ago may not be visible yet (this read, or the endpoint, lags): the client asks again then.
        if (!onChain) throw new SessionRefusal('SessionUnknown', `no open session ${hello.sessionId} on this runner's Provider (as read on chain; a session just opened may take a moment to show)`, lookup.retryAfterMs);
        if (onChain.enclaveKey !== this.enclaveKey) throw new SessionRefusal('WrongEnclave', `session ${hello.sessionId} is bound to another enclave key`);
        if (onChain.closing) throw new SessionRefusal('SessionClosing', `session ${hello.sessionId} is closing on chain`);
        if (this.now() >= onChain.expiresAt) throw new SessionRefusal('SessionExpired', `session ${hello.sessionId} expired at ${onChain.expiresAt}`);
        const model = ctx.models.get(bytesFromBigint(onChain.modelId).toString('hex'));
        const backend = model && ctx.backends[model.backend];
        if (!model || !backend) throw new SessionRefusal('ModelNotServed', `session ${hello.sessionId} is for a model this runner does not serve`);
        const accepted = acceptHello(bytes, { globalId, provider, sessionId: hello.sessionId, clientKey: bytesFromBigint(onChain.clientKey), enclaveKey: bytesFromBigint(onChain.enclaveKey) }, ctx.keys.session);

        let state = this.sessions.get(hello.sessionId); // looked up after the read: a concurrent Hello may have made it
        if (state?.final) throw finalSigned(hello.sessionId);
        if (state) absorb(state, onChain);
        else {
            state = {
                ref: { globalId, provider, sessionId: hello.sessionId }, model, backend, onChain: { ...onChain }, channels: new Map(),
                seq: 0n, inputTokens: 0n, outputTokens: 0n, transcript: INITIAL_TRANSCRIPT, closing: false, reservedIn: 0n, reservedOut: 0n, running: new Set(),
            };
            this.sessions.set(hello.sessionId, state);
        }
        const channelId = accepted.channel.channelId.toString('hex');
        state.channels.set(channelId, accepted.channel);
        this.channels.set(channelId, { state, channel: accepted.channel });
        // Replayed Hellos each make a channel nobody can use: keep the newest few. An answer being
        // streamed on a dropped channel still ends; only new requests on it are refused.
        while (state.channels.size > MAX_CHANNELS_PER_SESSION) {
            const oldest = state.channels.keys().next().value as string;
            state.channels.delete(oldest);
            this.channels.delete(oldest);
        }
        return { welcome: accepted.welcome, channelId, sessionId: hello.sessionId };
    }

    /**
     * Opens the request sealed at `seq` on a channel, strictly in order (RunnerChannel.openRequest):
     * SessionRefusal for an unknown channel, SessionError for a replayed, reordered, foreign or
     * tampered request. Once opened, the request's answer must be given (`answer` or `close`).
     */
    open(channelId: string, seq: number, sealed: Uint8Array): OpenedRequest {
        const found = this.channels.get(channelId);
        if (!found) throw new SessionRefusal('UnknownChannel', 'no channel with this id here (never made, dropped for newer ones, or the runner restarted): handshake again');
        const plaintext = found.channel.openRequest(seq, sealed);
        return { sessionId: found.state.ref.sessionId, seq, plaintext, state: found.state, channel: found.channel };
    }

    /**
     * Serves an opened chat request: `emit` receives each sealed chunk as the engine produces text,
     * then the final chunk (usage and voucher, or an error). `gone` aborts the engine when the client
     * disconnects; what was streamed until then is billed all the same (the voucher is kept for the
     * voucher feed). Never throws: every way out ends the answer with a final chunk.
     */
    async answer(o: OpenedRequest, emit: (sealed: Buffer) => void, gone: AbortSignal): Promise<AnswerSummary> {
        const out = chunks(o, emit);
        const s = o.state;
        let reserved: Reserved;
        try {
            reserved = await this.reserve(s, o.plaintext);
        } catch (e) {
            return out.refuse(s.ref.sessionId, this.refusalOf(e));
        }
        try {
            return await this.serve(o, reserved, out, gone);
        } catch (e) {
            // A bug: the answer still ends (unless its final chunk went already), and what was signed stays signed.
            return out.refuseIfOpen(s.ref.sessionId, this.refusalOf(e));
        } finally {
            reserved.release();
        }
    }

    /**
     * Closes the session off chain (`plaintext` must be CLOSE_PLAINTEXT): no request starts any more,
     * the running ones finish and their vouchers are signed, then the final voucher (next seq, the
     * same counts, charge and transcript, final) is signed once and answered to every close.
     */
    async close(o: OpenedRequest, emit: (sealed: Buffer) => void): Promise<AnswerSummary> {
        const out = chunks(o, emit);
        const s = o.state;
        if (!o.plaintext.equals(CLOSE_PLAINTEXT)) return out.refuse(s.ref.sessionId, new AnswerRefusal('BadRequest', `a close is exactly ${CLOSE_PLAINTEXT.toString()}`));
        s.closing = true;
        while (!s.final && s.running.size) await Promise.all([...s.running]);
        let final: SignedVoucher;
        try {
            final = s.final ?? this.record(s, { seq: s.seq + 1n, inputTokens: s.inputTokens, outputTokens: s.outputTokens, charge: this.chargeOf(s, s.inputTokens, s.outputTokens), transcript: s.transcript, final: true });
        } catch (e) {
            return out.refuse(s.ref.sessionId, this.refusalOf(e));
        }
        out.finish({ voucher: this.json(s, final) });
        return { sessionId: s.ref.sessionId, outcome: 'closed', voucherSeq: final.seq };
    }

    /** The latest voucher signed for each session held: what the provider's settlement service collects. */
    vouchers(): VoucherJson[] {
        return [...this.sessions.values()].flatMap((s) => (s.latest ? [this.json(s, s.latest)] : []));
    }

    private async serve(o: OpenedRequest, r: Reserved, out: ReturnType<typeof chunks>, gone: AbortSignal): Promise<AnswerSummary> {
        const s = o.state;
        const timeout = AbortSignal.timeout(this.deps.ctx.jobTimeoutMs);
        let streamed = '';
        let result: InferenceResult | undefined;
        let failure: AnswerRefusal | undefined;
        try {
            result = await s.backend.run(r.req, AbortSignal.any([gone, timeout]), (text) => {
                if (!text) return;
                streamed += text;
                out.more(Buffer.from(text, 'utf8'));
            });
        } catch {
            failure =
                gone.aborted ? new AnswerRefusal('ClientGone', 'the client went away before the answer ended')
                : timeout.aborted ? new AnswerRefusal('EngineTimeout', 'the engine did not finish within the runner\'s timeout')
                : new AnswerRefusal('EngineFailed', 'the engine failed');
        }
        const choice = (result?.response.choices as Array<{ finish_reason?: string | null; message?: { tool_calls?: unknown } }> | undefined)?.[0];
        // Tool calls are not text: they reach the client whole, in the final chunk (a partial call is of no use to it).
        let toolCalls: SessionToolCall[] | undefined;
        try {
            toolCalls = toolCallsOf(choice?.message?.tool_calls);
        } catch {
            result = undefined;
            failure = new AnswerRefusal('EngineFailed', 'the engine answered malformed tool calls');
        }
        const answer = answerOf(streamed, toolCalls);
        // What the client was sent is billed: the engine's usage when it finished, else the own count
        // of the streamed text; nothing when nothing was produced.
        const billed = result
            ? bill({ maxOutputTokens: r.maxTokens }, r.ownInput, result, answer)
            : streamed ? { inputTokens: r.ownInput, outputTokens: Math.min(countTokens(streamed), r.maxTokens) } : null;
        if (!billed) return out.refuse(s.ref.sessionId, failure!);
        const voucher = this.record(s, this.next(s, billed, o.plaintext, Buffer.from(answer, 'utf8')));
        const usage = { prompt_tokens: billed.inputTokens, completion_tokens: billed.outputTokens, total_tokens: billed.inputTokens + billed.outputTokens };
        out.finish({
            usage, finish_reason: failure ? null : choice?.finish_reason ?? null, ...(toolCalls ? { tool_calls: toolCalls } : {}), voucher: this.json(s, voucher),
            ...(failure ? { error: { code: failure.code, message: failure.message } } : {}),
        });
        const outcome = failure ? 'cut' : 'served';
        return { sessionId: s.ref.sessionId, outcome, voucherSeq: voucher.seq, inputTokens: billed.inputTokens, outputTokens: billed.outputTokens };
    }

    /**
     * Parses and checks the request, clamps its output and reserves its worst case against the
     * deposit; the last check and the reservation are one synchronous step, so a close or another
     * request cannot slip between them. A request without an output limit gets what the deposit still pays for.
     */
    private async reserve(s: SessionState, plaintext: Buffer): Promise<Reserved> {
        if (s.closing || s.final) throw closed();
        let req: InferenceRequest;
        try {
            req = parseRequest(plaintext);
        } catch (e) {
            if (e instanceof RequestFormatError) throw new AnswerRefusal('BadRequest', e.message);
            throw e;
        }
        if (req.body.model !== s.model.name) throw new AnswerRefusal('WrongModel', `this session is for model ${s.model.name}`);
        // The channel always streams; the engine is asked in its own way (backends/).
        const { stream: _stream, stream_options: _options, ...body } = req.body;
        req = { ...req, body } as InferenceRequest;
        const ownInput = countTokens(inputText(req));
        const room = s.model.maxContext - ownInput;
        if (room < 1) throw new AnswerRefusal('NoRoom', 'the input leaves no room for output in the model\'s context');
        const asked = outputLimit(req);
        for (let reread = false; ; reread = true) {
            if (s.closing || s.final) throw closed();
            if (this.now() >= s.onChain.expiresAt) throw new AnswerRefusal('SessionExpired', `the session expired at ${s.onChain.expiresAt}`);
            const affordable = this.affordable(s, ownInput);
            const maxTokens = Math.min(asked ?? affordable, room);
            if (maxTokens >= 1 && maxTokens <= affordable) return this.hold(s, clampOutput(req, s.model, ownInput, maxTokens)!.req, ownInput, maxTokens);
            if (reread) {
                const worst = priceOf(s.inputTokens + s.reservedIn + BigInt(ownInput), s.outputTokens + s.reservedOut + BigInt(Math.max(1, maxTokens)), s.onChain.pricePerMillionIn, s.onChain.pricePerMillionOut);
                throw new AnswerRefusal('OverDeposit', `the worst case of this request brings the session's charge to ${worst} nanotons, above its deposit of ${s.onChain.deposit}${s.running.size ? ' with the requests still running' : ''}: top the session up`);
            }
            await this.refresh(s); // a top-up may have come
        }
    }

    private hold(s: SessionState, req: InferenceRequest, ownInput: number, maxTokens: number): Reserved {
        s.reservedIn += BigInt(ownInput);
        s.reservedOut += BigInt(maxTokens);
        let done!: () => void;
        const running = new Promise<void>((resolve) => (done = resolve));
        s.running.add(running);
        return {
            req, ownInput, maxTokens,
            release: () => {
                s.reservedIn -= BigInt(ownInput);
                s.reservedOut -= BigInt(maxTokens);
                s.running.delete(running);
                done();
            },
        };
    }

    /**
     * Output tokens the deposit still pays for after everything charged and reserved plus `input`
     * (-1 when not even the input fits): priceOf(a, b) = ceil((a·in + b·out) / 10^6) ≤ deposit
     * exactly when a·in + b·out ≤ deposit · 10^6.
     */
    private affordable(s: SessionState, input: number): number {
        const { deposit, pricePerMillionIn: pin, pricePerMillionOut: pout } = s.onChain;
        const budget = deposit * 1_000_000n - (s.inputTokens + s.reservedIn + BigInt(input)) * pin - (s.outputTokens + s.reservedOut) * pout;
        if (budget < 0n) return -1;
        const most = pout === 0n ? BigInt(Number.MAX_SAFE_INTEGER) : budget / pout;
        return most > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(most);
    }

    /** Reads the session again (its deposit may have grown); the prices and binding never change. */
    private async refresh(s: SessionState): Promise<void> {
        const fresh = await this.read(s.ref.sessionId, (why) => new AnswerRefusal('ChainUnavailable', why));
        if (!fresh) throw new AnswerRefusal('SessionClosed', 'the session is no longer open on chain');
        if (fresh.closing) throw new AnswerRefusal('SessionClosing', 'the session is closing on chain');
        absorb(s, fresh);
    }

    private async read(sessionId: bigint, unavailable: (why: string) => Error): Promise<OnChainSession | null> {
        try {
            return await this.lookups.read(sessionId);
        } catch {
            throw unavailable('the session could not be read on chain; retry later');
        }
    }

    private next(s: SessionState, billed: { inputTokens: number; outputTokens: number }, request: Uint8Array, answer: Uint8Array): VoucherBody {
        const inputTokens = s.inputTokens + BigInt(billed.inputTokens);
        const outputTokens = s.outputTokens + BigInt(billed.outputTokens);
        return { seq: s.seq + 1n, inputTokens, outputTokens, charge: this.chargeOf(s, inputTokens, outputTokens), transcript: nextTranscript(s.transcript, request, answer), final: false };
    }

    private chargeOf(s: SessionState, inputTokens: bigint, outputTokens: bigint): bigint {
        return priceOf(inputTokens, outputTokens, s.onChain.pricePerMillionIn, s.onChain.pricePerMillionOut);
    }

    /**
     * Signs `body` and makes it the session's latest voucher, in one synchronous step with no await:
     * the only place a voucher is signed, so one (session, seq) never gets two.
     */
    private record(s: SessionState, body: VoucherBody): SignedVoucher {
        if (s.final) throw new Error('a voucher after the final one');
        if (body.seq !== s.seq + 1n) throw new Error('a voucher out of sequence');
        if (body.charge > s.onChain.deposit) throw new Error('a voucher above the deposit');
        const voucher: SignedVoucher = { ...body, signature: this.deps.ctx.keys.sign(voucherCell(s.ref, body)) };
        s.seq = body.seq;
        s.inputTokens = body.inputTokens;
        s.outputTokens = body.outputTokens;
        s.transcript = body.transcript;
        s.latest = voucher;
        if (body.final) {
            s.final = voucher;
            s.closing = true;
        }
        return voucher;
    }

    private json(s: SessionState, v: SignedVoucher): VoucherJson {
        return voucherToJson({ session: s.ref, voucher: v });
    }

    private refusalOf(e: unknown): AnswerRefusal {
        if (e instanceof AnswerRefusal) return e;
        this.deps.onInternalError?.(e);
        return new AnswerRefusal('InternalError', 'internal error');
    }

    /** Forgets sessions whose vouchers can no longer settle, with their channels. */
    private prune(): void {
        const now = this.now();
        if (now - this.prunedAt < PRUNE_EVERY_S) return;
        this.prunedAt = now;
        for (const [id, s] of this.sessions) {
            if (s.onChain.settleUntil + KEEP_AFTER_SETTLE_S >= now || s.running.size) continue;
            for (const channelId of s.channels.keys()) this.channels.delete(channelId);
            this.sessions.delete(id);
        }
    }
}

/**
 * Takes a fresh read of the session's state. Its prices and binding never change; its deposit only
 * grows on chain, so a lagging read never lowers the one vouchers were reserved against.
 */
function absorb(s: SessionState, fresh: OnChainSession): void {
    const deposit = fresh.deposit > s.onChain.deposit ? fresh.deposit : s.onChain.deposit;
    s.onChain = { ...s.onChain, deposit, paid: fresh.paid, lastSeq: fresh.lastSeq, expiresAt: fresh.expiresAt, settleUntil: fresh.settleUntil, closing: fresh.closing };
}

const closed = () => new AnswerRefusal('SessionClosed', 'the session is closed: it serves no more requests');
const finalSigned = (id: bigint) => new SessionRefusal('SessionClosed', `session ${id} is closed: its final voucher is signed`);

/** The smaller of max_tokens and max_completion_tokens, or undefined when the request sets neither. */
function outputLimit(req: InferenceRequest): number | undefined {
    const limits = [req.body.max_tokens, req.body.max_completion_tokens as number | undefined].filter((n): n is number => n !== undefined);
    return limits.length ? Math.min(...limits) : undefined;
}

/** The sealed chunks of one answer, in order: text as it comes, then exactly one final chunk. */
function chunks(o: OpenedRequest, emit: (sealed: Buffer) => void) {
    let index = 0;
    let ended = false;
    const seal = (data: Uint8Array, final: boolean) => {
        const sealed = o.channel.sealChunk(o.seq, index, data, final);
        index++;
        ended ||= final;
        emit(sealed);
    };
    const finish = (f: SessionFinal) => seal(Buffer.from(JSON.stringify(f), 'utf8'), true);
    const refuse = (sessionId: bigint, e: AnswerRefusal): AnswerSummary => {
        finish({ error: { code: e.code, message: e.message } });
        return { sessionId, outcome: e.code };
    };
    return {
        more: (data: Uint8Array) => seal(data, false),
        finish,
        refuse,
        refuseIfOpen: (sessionId: bigint, e: AnswerRefusal): AnswerSummary => (ended ? { sessionId, outcome: e.code } : refuse(sessionId, e)),
    };
}
