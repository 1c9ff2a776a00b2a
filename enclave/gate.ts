/**
 * Bounded concurrency: at most `concurrency` jobs run, at most `queue` wait; beyond that the
 * caller is refused at once (HTTP 503) so the relayer can retry elsewhere instead of piling up.
 */
export class Gate {
    private running = 0;
    private readonly waiting: Array<() => void> = [];

    constructor(
        private readonly concurrency: number,
        private readonly queue: number,
    ) {}

    /** A release function, or undefined when both the slots and the queue are full. */
    tryEnter(): Promise<() => void> | undefined {
        if (this.running < this.concurrency) {
            this.running++;
            return Promise.resolve(() => this.release());
        }
        if (this.waiting.length >= this.queue) return undefined;
        return new Promise((resolve) => this.waiting.push(() => resolve(() => this.release())));
    }

    private release(): void {
        const next = this.waiting.shift();
        if (next) next();
        else this.running--;
    }

    get load(): { running: number; waiting: number } {
        return { running: this.running, waiting: this.waiting.length };
    }
}
