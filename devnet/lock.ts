// A FIFO mutex. The sandbox Blockchain is not safe under interleaved async calls (a get-method
// could observe a half-applied message cascade), so every touch of chain state goes through one lock.
export class Lock {
    private tail: Promise<unknown> = Promise.resolve();

    run<T>(job: () => Promise<T>): Promise<T> {
        const result = this.tail.then(job);
        // The next job waits for this one whether it succeeds or fails.
        this.tail = result.catch(() => undefined);
        return result;
    }
}
