// The block clock. With blockMs = 0 every submitted job is its own block, applied before the
// submitter hears back. With blockMs > 0 jobs queue up and are applied together every interval,
// like a real chain where a sent message shows up only after the next block.
import { BlockJob, Chain } from './chain';
import { IndexedTx } from './txIndex';

export type Job = BlockJob['run'];

export class BlockProducer {
    private queue: BlockJob[] = [];
    private timer?: NodeJS.Timeout;
    private ticking?: Promise<unknown>;

    constructor(private readonly chain: Chain, readonly blockMs: number) {}

    start(): void {
        if (this.blockMs > 0 && !this.timer) {
            this.timer = setInterval(() => this.tick(), this.blockMs);
        }
    }

    // The masterchain block clients sync to (sync_utime). toncenter's masterchain makes a block
    // every few seconds whether or not anything happens; in instant mode we make blocks only for
    // messages, so between them the masterchain's time is now: sync_utime follows real time and a
    // client's "is this deadline past?" pre-check agrees with the contract. Batched mode makes
    // empty blocks every interval, so its last block is already current.
    syncBlock(): { seqno: number; utime: number } {
        const last = this.chain.lastBlock;
        return this.blockMs === 0 ? { seqno: last.seqno, utime: this.chain.clock.now() } : last;
    }

    // Resolves with the job's transactions once its block is applied; rejects if the job failed.
    submit(run: Job): Promise<IndexedTx[]> {
        return new Promise((done, fail) => {
            const job = { run, done, fail };
            if (this.blockMs === 0) {
                void this.chain.produceBlock([job]);
            } else {
                this.queue.push(job);
            }
        });
    }

    // Stops the timer and applies whatever is still queued, so accepted messages are not lost
    // on shutdown.
    async stop(): Promise<void> {
        clearInterval(this.timer);
        this.timer = undefined;
        await this.ticking;
        if (this.queue.length > 0) await this.produce();
    }

    private tick(): void {
        // A slow block (big cascade) must not overlap the next one.
        if (this.ticking) return;
        this.ticking = this.produce().finally(() => (this.ticking = undefined));
    }

    private produce(): Promise<number> {
        const jobs = this.queue;
        this.queue = [];
        return this.chain.produceBlock(jobs);
    }
}
