/**
 * What a session's client checks of every voucher its runner hands it (docs/spec/sdk.md, "Sessions"):
 * the form (protocol/voucherJson.ts), that it names this session, the signature by the session's
 * enclave key, charge = priceOf of the cumulative counts at the session's prices exactly, within the
 * deposit, a sequence number not seen before, counts that never go back, and, when the voucher just
 * before it is known, that it adds exactly this request's usage and chains its transcript
 * (protocol/sessionWire.ts nextTranscript). Usage is never more than the client's own token count of
 * the request and of the text received (the runner bills the smaller of the engine's and its own).
 */
import { priceOf, SessionRef, SignedVoucher, verifyVoucher } from '../protocol/voucher';
import { VoucherFormatError, voucherFromJson } from '../protocol/voucherJson';
import { INITIAL_TRANSCRIPT, nextTranscript, SessionUsage } from '../protocol/sessionWire';

/** Vouchers kept per session (the newest by sequence number); older ones only ever matter less. */
const KEEP = 64;

export class VoucherCheckError extends Error {}

/** What the client knows of the request a voucher is for. */
export interface VoucherContext {
    final: boolean;
    /** The request's billed usage, as the final chunk states it (none for a close). */
    usage?: SessionUsage;
    /** The request message as sealed and the answer text as received, for the transcript. */
    request?: Uint8Array;
    answer?: Uint8Array;
    /** The client's own counts: usage above them is refused. */
    ownInputTokens?: number;
    ownOutputTokens?: number;
}

const ORIGIN: Pick<SignedVoucher, 'seq' | 'inputTokens' | 'outputTokens' | 'charge' | 'transcript'> = { seq: 0n, inputTokens: 0n, outputTokens: 0n, charge: 0n, transcript: INITIAL_TRANSCRIPT };

export class VoucherBook {
    private readonly bySeq = new Map<bigint, SignedVoucher>();
    private newest: SignedVoucher | undefined;

    constructor(
        readonly session: SessionRef,
        private readonly enclaveKey: Uint8Array,
        private readonly prices: { in: bigint; out: bigint },
        public deposit: bigint,
    ) {}

    /** The voucher with the highest sequence number received so far. */
    get latest(): SignedVoucher | undefined {
        return this.newest;
    }

    /** Checks `json` (throws VoucherCheckError) and keeps it. */
    accept(json: unknown, ctx: VoucherContext): SignedVoucher {
        let parsed;
        try {
            parsed = voucherFromJson(json);
        } catch (e) {
            if (e instanceof VoucherFormatError) throw new VoucherCheckError(e.message);
            throw e;
        }
        const { session, voucher: v } = parsed;
        const s = this.session;
        if (session.globalId !== s.globalId || !session.provider.equals(s.provider) || session.sessionId !== s.sessionId) throw new VoucherCheckError('it names another session');
        if (!verifyVoucher(s, v, this.enclaveKey)) throw new VoucherCheckError('its signature is not the session\'s enclave key over it');
        const price = priceOf(v.inputTokens, v.outputTokens, this.prices.in, this.prices.out);
        if (v.charge !== price) throw new VoucherCheckError(`its charge ${v.charge} is not the price of its counts, ${price}`);
        if (v.charge > this.deposit) throw new VoucherCheckError(`its charge ${v.charge} passes the deposit ${this.deposit}`);
        if (v.final !== ctx.final) throw new VoucherCheckError(ctx.final ? 'a close must give a final voucher' : 'a request\'s voucher must not be final');
        if (v.seq < 1n || this.bySeq.has(v.seq) || (this.newest?.final && v.seq > this.newest.seq)) throw new VoucherCheckError(`sequence number ${v.seq} was already used, or comes after the final voucher`);
        const below = this.neighbour(v.seq, -1) ?? (v.seq > 0n ? ORIGIN : undefined);
        const above = this.neighbour(v.seq, 1);
        for (const [a, b] of [[below, v], [v, above]] as const) {
            if (a && b && (a.inputTokens > b.inputTokens || a.outputTokens > b.outputTokens || a.charge > b.charge)) throw new VoucherCheckError(`its counts go back against voucher ${a === v ? b.seq : a.seq}`);
        }
        const usage = ctx.usage;
        if (usage) {
            if (usage.prompt_tokens > (ctx.ownInputTokens ?? Infinity) || usage.completion_tokens > (ctx.ownOutputTokens ?? Infinity)) {
                throw new VoucherCheckError(`usage ${usage.prompt_tokens}/${usage.completion_tokens} passes the client's own count ${ctx.ownInputTokens}/${ctx.ownOutputTokens}`);
            }
            if (usage.total_tokens !== usage.prompt_tokens + usage.completion_tokens) throw new VoucherCheckError('its usage does not add up');
        }
        // The voucher just before is known: this one must add exactly what this request was billed.
        if (below && below.seq === v.seq - 1n) {
            const addIn = usage ? BigInt(usage.prompt_tokens) : 0n;
            const addOut = usage ? BigInt(usage.completion_tokens) : 0n;
            if (v.inputTokens !== below.inputTokens + addIn || v.outputTokens !== below.outputTokens + addOut) throw new VoucherCheckError('its counts are not the previous voucher\'s plus this request\'s usage');
            const transcript = ctx.final ? below.transcript : nextTranscript(below.transcript, ctx.request ?? new Uint8Array(), ctx.answer ?? new Uint8Array());
            if (v.transcript !== transcript) throw new VoucherCheckError('its transcript does not chain this request and answer onto the previous voucher\'s');
        }
        this.bySeq.set(v.seq, v);
        if (!this.newest || v.seq > this.newest.seq) this.newest = v;
        if (this.bySeq.size > KEEP) this.bySeq.delete([...this.bySeq.keys()].reduce((a, b) => (b < a ? b : a)));
        return v;
    }

    private neighbour(seq: bigint, direction: 1 | -1): SignedVoucher | undefined {
        let best: SignedVoucher | undefined;
        for (const [s, v] of this.bySeq) {
            if (direction < 0 ? s < seq && (!best || s > best.seq) : s > seq && (!best || s < best.seq)) best = v;
        }
        return best;
    }
}
