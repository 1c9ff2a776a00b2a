// The devnet ledger: a sandbox Blockchain plus our transaction index, a block counter and the
// clock. Everything that reads or changes chain state runs through `exclusive` so HTTP requests
// arriving together see a consistent state.
import { Blockchain, SendMessageResult, snapshotFromSerializable, snapshotToSerializable } from '@ton/sandbox';
import { Clock, ClockState, WallClock } from './clock';
import { Lock } from './lock';
import { IndexedTx, SavedTx, TxIndex } from './txIndex';

// One unit of work inside a block, e.g. "apply this external message" or "pay from the faucet".
export type BlockJob = {
    run: (blockchain: Blockchain) => Promise<SendMessageResult>;
    done: (txs: IndexedTx[]) => void;
    fail: (error: unknown) => void;
};

type SerializableSnapshot = ReturnType<typeof snapshotToSerializable>;

export type ChainState = {
    sandbox: SerializableSnapshot;
    transactions: SavedTx[];
    clock: ClockState;
    seqno: number;
    blockTime: number;
};

export class Chain {
    private readonly lock = new Lock();
    private dirty = false;

    private constructor(
        readonly blockchain: Blockchain,
        readonly index: TxIndex,
        readonly clock: Clock,
        private seqno: number,
        private blockTime: number,
    ) {}

    static async create(saved?: ChainState, wallMs?: WallClock): Promise<Chain> {
        const blockchain = await Blockchain.create();
        if (!saved) {
            const clock = new Clock(undefined, wallMs);
            const chain = new Chain(blockchain, new TxIndex(), clock, 0, clock.now());
            chain.markDirty(); // a fresh chain has not been written anywhere yet
            return chain;
        }
        // We do not persist the sandbox's own transaction list (our index holds the same data).
        await blockchain.loadFrom(snapshotFromSerializable(saved.sandbox));
        return new Chain(blockchain, TxIndex.load(saved.transactions), new Clock(saved.clock, wallMs), saved.seqno, saved.blockTime);
    }

    get lastBlock(): { seqno: number; utime: number } {
        return { seqno: this.seqno, utime: this.blockTime };
    }

    // Runs `job` alone against the chain, with the sandbox clock set to the devnet's now.
    exclusive<T>(job: (blockchain: Blockchain, now: number) => Promise<T>): Promise<T> {
        return this.lock.run(async () => {
            const now = this.clock.now();
            this.blockchain.now = now;
            return job(this.blockchain, now);
        });
    }

    // Applies the jobs in order as one block. A failing job is reported to its submitter and
    // leaves no trace: the sandbox only commits a message's cascade when its first transaction
    // succeeds.
    produceBlock(jobs: BlockJob[]): Promise<number> {
        return this.exclusive((blockchain, now) => this.applyBlock(jobs, blockchain, now));
    }

    // Time travel. It makes an (empty) block at the new time in the same step, so sync_utime and
    // every pre-check that reads it see the jump at once, not only after some other transaction.
    advance(seconds: number): Promise<number> {
        return this.lock.run(async () => {
            const now = this.clock.advance(seconds);
            this.blockchain.now = now;
            await this.applyBlock([], this.blockchain, now);
            this.dirty = true;
            return now;
        });
    }

    // Inside the lock only.
    private async applyBlock(jobs: BlockJob[], blockchain: Blockchain, now: number): Promise<number> {
        const block = this.seqno + 1;
        for (const job of jobs) {
            try {
                const result = await job.run(blockchain);
                job.done(result.transactions.map((tx) => this.index.add(tx, block)));
            } catch (error) {
                job.fail(error);
            }
        }
        this.seqno = block;
        this.blockTime = now;
        this.dirty ||= jobs.length > 0;
        return block;
    }

    // A consistent copy of the whole state, or undefined when nothing changed since the last call.
    async takeStateIfDirty(): Promise<ChainState | undefined> {
        return this.lock.run(async () => {
            if (!this.dirty) return undefined;
            this.dirty = false;
            const snapshot = this.blockchain.snapshot();
            return {
                sandbox: snapshotToSerializable({ ...snapshot, transactions: [] }),
                transactions: this.index.save(),
                clock: this.clock.state(),
                seqno: this.seqno,
                blockTime: this.blockTime,
            };
        });
    }

    markDirty(): void {
        this.dirty = true;
    }
}
