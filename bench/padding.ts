/**
 * `npm run bench:padding`: what padding envelopes to size buckets costs a job, for the scheme the
 * envelope uses (crypto/padding.ts) and the candidates it was chosen against, side by side in one
 * run. Each job is a real one in the sandbox (bench/gasOperations.ts jobLifecycleMeter: client
 * wallet → CreateJob → external SubmitResult → settlement → refund), priced at the envelope sizes a
 * scheme produces; every fee is counted. Writes bench/results/padding.json.
 *
 * - worst case: a prompt and an answer each one byte past a bucket edge (the most padding a scheme
 *   adds), at every edge from 1 KB to the largest envelope;
 * - typical: named jobs of realistic sizes, and the mean over prompt = answer sizes spread evenly on
 *   a log scale from 64 bytes to 160 KB (equal sizes make data the largest share of the cost, so
 *   this mean is on the pessimistic side);
 * - leak: how many envelope sizes a scheme can produce (log2 of it bounds the bits of length an
 *   observer learns per envelope; unpadded, every byte count is its own size).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { toNano } from '@ton/core';
import { join } from 'node:path';
import { BucketScheme, bucketBytes, CELL_BYTES, ENVELOPE_OVERHEAD, MAX_ENVELOPE_BYTES } from '../crypto';
import { BUCKET_SCHEME, PAD_LENGTH_BYTES } from '../crypto/padding';
import { jobLifecycleMeter } from './gasOperations';
import { tonString } from './measure';

interface Scheme {
    name: string;
    /** Envelope bytes on chain for a plaintext of `n` bytes. */
    envelope: (n: number) => number;
}

const bucketed = (scheme: BucketScheme) => (n: number) => {
    const size = bucketBytes(n + PAD_LENGTH_BYTES + ENVELOPE_OVERHEAD, scheme);
    if (size === undefined) throw new Error(`${n} bytes fit no envelope`);
    return size;
};

/** Padmé (Nikitin et al., "Reducing metadata leakage from encrypted files and communication with PURBs", PETS 2019): at most +12 % bytes. */
function padme(length: number): number {
    const e = Math.floor(Math.log2(length));
    const s = Math.floor(Math.log2(e)) + 1;
    const mask = 2 ** (e - s) - 1;
    return Math.min(Math.ceil((length + mask) / (mask + 1)) * (mask + 1), MAX_ENVELOPE_BYTES);
}

const SCHEMES: Scheme[] = [
    { name: 'none (v1: exact length)', envelope: (n) => n + ENVELOPE_OVERHEAD },
    { name: 'powers of two, min 4 cells', envelope: bucketed({ mantissaBits: 0, minCells: 4 }) },
    { name: `two per doubling, min ${BUCKET_SCHEME.minCells} cells (chosen)`, envelope: bucketed(BUCKET_SCHEME) },
    { name: 'four per doubling, min 4 cells', envelope: bucketed({ mantissaBits: 2, minCells: 4 }) },
    { name: 'two per doubling, min 8 cells', envelope: bucketed({ mantissaBits: 1, minCells: 8 }) },
    { name: 'Padmé (bytes)', envelope: (n) => padme(n + PAD_LENGTH_BYTES + ENVELOPE_OVERHEAD) },
];
const CHOSEN = 2;

/** Plaintext sizes (request JSON, response JSON) of jobs as users send them. */
const NAMED_JOBS: Array<{ name: string; prompt: number; answer: number }> = [
    { name: 'one-line question, short answer', prompt: 200, answer: 500 },
    { name: 'chat turn with history', prompt: 3_000, answer: 1_500 },
    { name: 'summarise a 30 KB document', prompt: 30_000, answer: 2_500 },
    { name: 'long document (120 KB), long answer', prompt: 120_000, answer: 8_000 },
];
const MAX_MESSAGE = MAX_ENVELOPE_BYTES - PAD_LENGTH_BYTES - ENVELOPE_OVERHEAD;
const SWEEP_POINTS = 40;
const SWEEP_MIN = 64;
const SWEEP_MAX = 160_000;

function sweepSizes(): number[] {
    return Array.from({ length: SWEEP_POINTS }, (_, i) => Math.round(SWEEP_MIN * (SWEEP_MAX / SWEEP_MIN) ** (i / (SWEEP_POINTS - 1))));
}

/**
 * Plaintext sizes one byte past an edge of `scheme`, from 1 KB on: where it pads the most. Per
 * doubling of size only the edge with the largest byte overhead is kept (Padmé has ~200 edges;
 * within a doubling the job's fixed costs weigh about the same, so that edge is the costliest).
 */
function pastEdges(scheme: Scheme): number[] {
    const best = new Map<number, { n: number; ratio: number }>();
    let last = scheme.envelope(0);
    for (let n = 1; n <= MAX_MESSAGE; n++) {
        const size = scheme.envelope(n);
        if (size !== last && n >= 1024) {
            const octave = Math.floor(Math.log2(n));
            const ratio = size / (n + ENVELOPE_OVERHEAD);
            if (!best.has(octave) || ratio > best.get(octave)!.ratio) best.set(octave, { n, ratio });
        }
        last = size;
    }
    return [...best.values()].map((e) => e.n);
}

function distinctSizes(scheme: Scheme): number {
    const sizes = new Set<number>();
    for (let n = 0; n <= MAX_MESSAGE; n++) sizes.add(scheme.envelope(n));
    return sizes.size;
}

async function main() {
    const meter = await jobLifecycleMeter({ extraStake: toNano('10000') });
    const memo = new Map<string, bigint>();
    const cost = async (payload: number, result: number): Promise<bigint> => {
        const key = `${payload}/${result}`;
        if (!memo.has(key)) {
            const { create, settle } = await meter(payload, result);
            memo.set(key, create.feesNano + settle.feesNano);
        }
        return memo.get(key)!;
    };
    const none = SCHEMES[0];
    /** Cost of a job under `s` over the same job unpadded, minus one. */
    const overhead = async (s: Scheme, prompt: number, answer: number) => {
        const base = await cost(none.envelope(prompt), none.envelope(answer));
        const padded = await cost(s.envelope(prompt), s.envelope(answer));
        return { base, padded, ratio: Number(padded) / Number(base) - 1 };
    };

    const rows = [];
    for (const s of SCHEMES) {
        const edges = pastEdges(s);
        let worst = { ratio: -Infinity, size: 0, base: 0n, padded: 0n };
        for (const n of edges) {
            const o = await overhead(s, n, n);
            if (o.ratio > worst.ratio) worst = { ...o, size: n };
        }
        let worstBytes = 0;
        for (const n of edges) worstBytes = Math.max(worstBytes, s.envelope(n) / none.envelope(n) - 1);
        const sweep = [];
        for (const n of sweepSizes()) sweep.push((await overhead(s, n, n)).ratio);
        const named = [];
        for (const j of NAMED_JOBS) {
            const o = await overhead(s, j.prompt, j.answer);
            named.push({ job: j.name, promptBytes: j.prompt, answerBytes: j.answer, envelopes: [s.envelope(j.prompt), s.envelope(j.answer)], costTon: Number(o.padded) / 1e9, overhead: o.ratio });
        }
        const sizes = distinctSizes(s);
        rows.push({
            scheme: s.name,
            distinctSizes: sizes,
            leakBits: Math.log2(sizes),
            worstByteOverhead: worstBytes,
            worstJob: { promptAndAnswerBytes: worst.size, costTon: Number(worst.padded) / 1e9, unpaddedTon: Number(worst.base) / 1e9, overhead: worst.ratio },
            meanSweepOverhead: sweep.reduce((a, b) => a + b, 0) / sweep.length,
            named,
        });
        console.error(`measured ${s.name} (${memo.size} jobs priced so far)`);
    }

    const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`;
    console.log(`one job = CreateJob from a V5R1 wallet + external SubmitResult + settlement + refund, all fees; envelope = plaintext + ${ENVELOPE_OVERHEAD} B (+ ${PAD_LENGTH_BYTES} B length when padded); cells of ${CELL_BYTES} B\n`);
    console.log('scheme | sizes (bits) | worst bytes | worst job (prompt = answer = n) | mean over sweep | ' + NAMED_JOBS.map((j) => j.name).join(' | '));
    for (const r of rows) {
        const w = r.worstJob;
        console.log(`${r.scheme} | ${r.distinctSizes} (${r.leakBits.toFixed(1)}) | ${pct(r.worstByteOverhead)} | ${pct(w.overhead)} at n = ${w.promptAndAnswerBytes} (${w.costTon.toFixed(4)} vs ${w.unpaddedTon.toFixed(4)} TON) | ${pct(r.meanSweepOverhead)} | ` + r.named.map((j) => `${pct(j.overhead)} (${j.costTon.toFixed(4)})`).join(' | '));
    }
    const c = rows[CHOSEN];
    console.log(`\nchosen: worst ${pct(c.worstJob.overhead)}, mean ${pct(c.meanSweepOverhead)}, one-line question ${tonString(BigInt(Math.round(c.named[0].costTon * 1e9)))} TON (${pct(c.named[0].overhead)})`);
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'padding.json'), JSON.stringify({ chosen: c.scheme, schemes: rows, jobsPriced: memo.size }, null, 2) + '\n');
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
