/**
 * Random interleavings of honest and hostile operations on one channel never open anything that was
 * not sealed, in order: the runner opens exactly the client's requests 0, 1, 2, ..., and the client
 * opens exactly the runner's chunks 0, 1, 2, ... of each answer and nothing after a final one.
 * The network is the adversary: it delivers any frame sealed so far (or one from another channel of
 * the same session) under any label, duplicated, reordered, tampered, or forged. Every refusal must be
 * a SessionError, and refusals must not move a channel: at the end, delivering the rest in order works.
 * COCOON_DEEP=1 runs more sequences (npm run test:deep covers tests/property; run this path too).
 */
import fc from 'fast-check';
import { SessionError } from '../../crypto';
import { connect, flip, world } from './helpers';

type Op =
    | { t: 'seal'; size: number }
    | { t: 'deliverNext' }
    | { t: 'deliver'; pick: number; seqShift: number; tamper: number | null }
    | { t: 'forge'; bytes: Uint8Array; seqShift: number }
    | { t: 'chunk'; pick: number; size: number; final: boolean }
    | { t: 'reseal'; pick: number; indexShift: number }
    | { t: 'recvNext'; pick: number }
    | { t: 'recv'; pick: number; seqShift: number; indexShift: number; tamper: number | null }
    | { t: 'end'; pick: number };

const shift = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) });
const tamper = fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() });
const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ t: fc.constant('seal' as const), size: fc.nat({ max: 700 }) }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('deliverNext' as const) }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('deliver' as const), pick: fc.nat(), seqShift: shift, tamper }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('forge' as const), bytes: fc.uint8Array({ minLength: 0, maxLength: 800 }), seqShift: shift }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('chunk' as const), pick: fc.nat(), size: fc.nat({ max: 300 }), final: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('reseal' as const), pick: fc.nat(), indexShift: fc.integer({ min: -3, max: 3 }) }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant('recvNext' as const), pick: fc.nat() }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant('recv' as const), pick: fc.nat(), seqShift: shift, indexShift: shift, tamper }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('end' as const), pick: fc.nat() }) },
);

const seen = { requests: 0, chunks: 0 }; // opened in all sequences, honest and hostile steps alike

interface Frame {
    seq: number;
    index: number;
    sealed: Buffer;
    foreign: boolean;
}

/** Runs `fn`; a SessionError is a refusal (returns undefined), anything else fails the property. */
function attempt<T>(fn: () => T): T | undefined {
    try {
        return fn();
    } catch (e) {
        if (e instanceof SessionError) return undefined;
        throw e;
    }
}

// Buffer.equals, not toEqual: jest compares buffers byte by byte through its generic matcher, ~100x slower.
const same = (a: { data: Buffer; final: boolean }, b: { data: Buffer; final: boolean }) => a.final === b.final && a.data.equals(b.data);

function run(ops: Op[]): void {
    const w = world();
    const { client, runner } = connect(w);
    const foreign = connect(w); // another channel of the same session: its frames must never open here
    const requestFrames: Frame[] = [];
    const chunkFrames: Frame[] = [];
    for (let i = 0; i < 2; i++) {
        const r = foreign.client.sealRequest(Buffer.from(`foreign ${i}`));
        foreign.runner.openRequest(r.seq, r.sealed);
        requestFrames.push({ seq: r.seq, index: 0, sealed: r.sealed, foreign: true });
        for (let j = 0; j < 2; j++) chunkFrames.push({ seq: r.seq, index: j, sealed: foreign.runner.sealChunk(r.seq, j, Buffer.from(`f${j}`), j === 1), foreign: true });
    }

    const sent: Buffer[] = []; // request plaintexts, by sequence number
    let opened = 0; // requests the runner opened
    const answers = new Map<number, { data: Buffer; final: boolean }[]>(); // what the runner sealed, per request
    const received = new Map<number, { count: number; final: boolean; ended: boolean }>(); // what the client opened

    const pickOf = <T>(list: T[], pick: number): T | undefined => (list.length ? list[pick % list.length] : undefined);
    const runnerOpen = () => [...answers.entries()].filter(([, chunks]) => !chunks.at(-1)?.final).map(([seq]) => seq);

    // The honest network's next step: the genuine next request, or the next chunk of a live answer.
    const nextRequest = () => requestFrames.find((f) => !f.foreign && f.seq === opened);
    const nextChunk = (pick: number) => {
        const live = [...received.entries()].filter(([seq, s]) => !s.final && !s.ended && (answers.get(seq)?.length ?? 0) > s.count);
        const [seq, state] = live.length ? live[pick % live.length] : [];
        return seq === undefined ? undefined : chunkFrames.find((f) => !f.foreign && f.seq === seq && f.index === state!.count);
    };

    for (const o of ops) {
        switch (o.t) {
            case 'seal': {
                const plaintext = Buffer.alloc(o.size, sent.length & 0xff);
                const r = client.sealRequest(plaintext);
                expect(r.seq).toBe(sent.length);
                sent.push(plaintext);
                received.set(r.seq, { count: 0, final: false, ended: false });
                requestFrames.push({ seq: r.seq, index: 0, sealed: r.sealed, foreign: false });
                break;
            }
            case 'deliverNext':
            case 'deliver':
            case 'forge': {
                const frame =
                    o.t === 'deliverNext' ? nextRequest() : o.t === 'deliver' ? pickOf(requestFrames, o.pick) : { seq: opened, index: 0, sealed: Buffer.from(o.bytes), foreign: true };
                if (!frame) break;
                const seqShift = o.t === 'deliverNext' ? 0 : o.seqShift;
                const cut = o.t === 'deliver' ? o.tamper : null;
                const seq = frame.seq + seqShift;
                const bytes = cut !== null ? flip(frame.sealed, cut % frame.sealed.length) : frame.sealed;
                const out = attempt(() => runner.openRequest(seq, bytes));
                if (o.t === 'deliverNext') expect(out).toBeDefined(); // the honest path always works
                if (out === undefined) break;
                // Opened: it must be the genuine next request, untouched.
                expect(o.t !== 'forge' && cut === null && seqShift === 0 && !frame.foreign).toBe(true);
                expect(seq).toBe(opened);
                expect(out.equals(sent[opened])).toBe(true);
                opened++;
                seen.requests++;
                answers.set(seq, []);
                break;
            }
            case 'chunk': {
                const seq = pickOf(runnerOpen(), o.pick);
                if (seq === undefined) break;
                const chunks = answers.get(seq)!;
                const data = Buffer.alloc(o.size, chunks.length & 0xff);
                const sealed = runner.sealChunk(seq, chunks.length, data, o.final);
                chunkFrames.push({ seq, index: chunks.length, sealed, foreign: false });
                chunks.push({ data, final: o.final });
                break;
            }
            case 'reseal': {
                // The runner asked to seal a position other than the next, or for a closed answer: always refused.
                const seq = pickOf([...answers.keys()], o.pick);
                if (seq === undefined) break;
                const chunks = answers.get(seq)!;
                const open = !chunks.at(-1)?.final;
                const index = chunks.length + (open && o.indexShift === 0 ? -1 : o.indexShift);
                if (index < 0) break;
                expect(attempt(() => runner.sealChunk(seq, index, Buffer.from('again'), false))).toBeUndefined();
                break;
            }
            case 'recvNext':
            case 'recv': {
                const frame = o.t === 'recvNext' ? nextChunk(o.pick) : pickOf(chunkFrames, o.pick);
                if (!frame) break;
                const [seqShift, indexShift, cut] = o.t === 'recv' ? [o.seqShift, o.indexShift, o.tamper] : [0, 0, null];
                const seq = frame.seq + seqShift;
                const index = frame.index + indexShift;
                const bytes = cut !== null ? flip(frame.sealed, cut % frame.sealed.length) : frame.sealed;
                const out = attempt(() => client.openChunk(seq, index, bytes));
                if (o.t === 'recvNext') expect(out).toBeDefined();
                if (out === undefined) break;
                // Opened: the genuine next chunk of a live answer, untouched, as the runner sealed it.
                expect(cut === null && seqShift === 0 && indexShift === 0 && !frame.foreign).toBe(true);
                const state = received.get(seq)!;
                expect(state.final || state.ended).toBe(false);
                expect(index).toBe(state.count);
                expect(same(out, answers.get(seq)![index])).toBe(true);
                state.count++;
                seen.chunks++;
                state.final = out.final;
                break;
            }
            case 'end': {
                const seq = o.pick % Math.max(1, sent.length);
                const state = received.get(seq);
                if (!state) break;
                const accepted = attempt(() => {
                    client.endAnswer(seq);
                    return true;
                });
                // Truncated exactly when the final chunk had not been opened (the first time it is ended).
                expect(accepted === true).toBe(state.final || state.ended);
                state.ended = true;
                break;
            }
        }
    }

    // Refusals moved nothing: the rest of the requests, and each live answer's rest, open in order.
    for (let seq = opened; seq < sent.length; seq++) {
        expect(runner.openRequest(seq, requestFrames.find((f) => !f.foreign && f.seq === seq)!.sealed).equals(sent[seq])).toBe(true);
    }
    for (const [seq, chunks] of answers) {
        const state = received.get(seq)!;
        if (state.final || state.ended) continue;
        for (let i = state.count; i < chunks.length; i++) {
            const frame = chunkFrames.find((f) => !f.foreign && f.seq === seq && f.index === i)!;
            expect(same(client.openChunk(seq, i, frame.sealed), chunks[i])).toBe(true);
        }
    }
}

describe('channel under an adversarial network (property)', () => {
    it('opens exactly what was sealed, in order, and nothing else', () => {
        const numRuns = process.env.COCOON_DEEP ? 2000 : 150;
        fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 120, size: 'max' }), run), { numRuns });
        // Not vacuous: the honest path opened requests and chunks in most sequences (~5 and ~3 per sequence).
        expect(seen.requests).toBeGreaterThan(numRuns);
        expect(seen.chunks).toBeGreaterThan(numRuns);
    });
});
