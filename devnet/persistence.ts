// The --state file: the sandbox snapshot, our transaction index, the clock and the block counter
// as one JSON document. Written every few seconds when something changed and once on shutdown,
// via a temporary file and rename so a crash mid-write never leaves a torn file.
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { Chain, ChainState } from './chain';

const FORMAT = 'cocoon-devnet-state';
const VERSION = 1;
export const DEFAULT_SAVE_INTERVAL_MS = 2000;

type StateFile = { format: typeof FORMAT; version: typeof VERSION; savedAt: string; state: ChainState };

export async function readState(path: string): Promise<ChainState | undefined> {
    if (!existsSync(path)) return undefined;
    const file = JSON.parse(await readFile(path, 'utf8')) as Partial<StateFile>;
    if (file.format !== FORMAT || file.version !== VERSION || !file.state) {
        throw new Error(`${path} is not a devnet state file (version ${VERSION})`);
    }
    return file.state;
}

export class StateSaver {
    private timer?: NodeJS.Timeout;
    private saving: Promise<void> = Promise.resolve();

    constructor(private readonly chain: Chain, private readonly path: string, private readonly intervalMs = DEFAULT_SAVE_INTERVAL_MS) {}

    start(): void {
        this.timer = setInterval(() => void this.save().catch((e) => console.error(`devnet: saving state failed: ${e}`)), this.intervalMs);
        this.timer.unref();
    }

    // Saves run one after another so an old snapshot never overwrites a newer one.
    save(): Promise<void> {
        this.saving = this.saving.then(() => this.write(), () => this.write());
        return this.saving;
    }

    // The final save is unconditional: empty blocks do not mark the chain dirty, but the block
    // counter they advanced must not go back after a restart.
    async stop(): Promise<void> {
        clearInterval(this.timer);
        this.chain.markDirty();
        await this.save();
    }

    private async write(): Promise<void> {
        const state = await this.chain.takeStateIfDirty();
        if (!state) return;
        const file: StateFile = { format: FORMAT, version: VERSION, savedAt: new Date().toISOString(), state };
        const tmp = `${this.path}.tmp`;
        try {
            await writeFile(tmp, JSON.stringify(file));
            await rename(tmp, this.path);
        } catch (error) {
            this.chain.markDirty(); // retry on the next tick
            throw error;
        }
    }
}
