/** Runs the CLI as users run it: `node bin/cocoon.js ...` in a child process with only PATH, HOME and `env`. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(__dirname, '..', '..', 'bin', 'cocoon.js');

export function cocoon(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile('node', [BIN, ...args], { timeout: timeoutMs, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env } }, (err, stdout, stderr) => {
            resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
        });
    });
}
