/**
 * Canary: a unique prompt (and the result, which the reference engine derives from it) must never
 * appear in the relayer's logs or SQLite files, nor in the devnet's stored state or any message on
 * chain. Only the client (and the runner, inside the enclave) see plaintext.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chat, replyText, startDemo } from '../../demo/startDemo';
import { history, memoryLog } from './helpers';

jest.setTimeout(60_000);

describe('relayer: confidentiality canary', () => {
    it('keeps the prompt and the result out of the relayer logs, its database, the chain and the devnet state', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'cocoon-canary-'));
        const dbPath = join(dir, 'relayer.sqlite');
        const statePath = join(dir, 'devnet-state.json');
        const logs = memoryLog();
        const prompt = `canaryprompt${randomBytes(8).toString('hex')} canaryword${randomBytes(8).toString('hex')}`;
        const demo = await startDemo({ pollMs: 50, dbPath, statePath, relayerLogDestination: logs.stream, relayerLogLevel: 'trace' });
        let onChain: Buffer[] = [];
        let text = '';
        try {
            const user = await demo.newUser();
            text = replyText(await user.sdk.run(chat(prompt)));
            for (const address of [demo.protocol.provider.address, user.address]) {
                onChain = onChain.concat((await history(demo.client, address)).map((tx) => tx.raw.toBoc()));
            }
        } finally {
            await demo.stop();
        }
        const secrets = prompt.split(' ');
        expect(text).toBe([...secrets].reverse().join(' ')); // the client did read it
        const places: [string, Buffer][] = [
            ['relayer log', Buffer.from(logs.text())],
            ['sqlite', readFileSync(dbPath)],
            ...(existsSync(`${dbPath}-wal`) ? [['sqlite wal', readFileSync(`${dbPath}-wal`)] as [string, Buffer]] : []),
            ['devnet state', readFileSync(statePath)],
            ...onChain.map((b, i) => [`transaction ${i}`, b] as [string, Buffer]),
        ];
        expect(logs.text()).toContain('"msg":"dispatched"'); // the log was captured
        for (const [where, bytes] of places) {
            for (const s of secrets) expect([where, bytes.includes(s) || bytes.includes(Buffer.from(s).toString('base64').slice(0, 16))]).toEqual([where, false]);
        }
    });
});
