/**
 * The devnet's clock as seen from here: wall time plus the offset the devnet reports after each
 * time advance (POST /devnet/advance, the only devnet admin route the demo uses).
 */
export class DevnetClock {
    private offset = 0;

    constructor(private readonly baseUrl: string) {}

    now = (): number => Math.floor(Date.now() / 1000) + this.offset;

    async advance(seconds: number): Promise<number> {
        const res = await fetch(`${this.baseUrl}/devnet/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) });
        if (!res.ok) throw new Error(`devnet advance failed: HTTP ${res.status}`);
        const { result } = (await res.json()) as { result: { now: number } };
        const now = result.now;
        this.offset = now - Math.floor(Date.now() / 1000);
        return now;
    }
}
