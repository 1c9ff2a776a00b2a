/**
 * The README's commands stay true: the main command (`npm start`, the live devnet demo) runs one
 * job end to end, serves the OpenAI-compatible gateway it prints, and stops cleanly on Ctrl-C; every
 * blueprint script and `cocoon` command the README names exists. (`npm ci` and `npm test` are what
 * CI runs.)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

describe('README', () => {
    it('has exactly the two commands: install and start, and test', () => {
        expect(readme).toContain('npm ci && npm start');
        expect(readme).toContain('npm test');
        expect(pkg.scripts.start).toContain('demo/main.ts');
        expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).toMatch(/npm ci\s+npm test/);
    });

    it('names only blueprint scripts that exist and export run()', () => {
        const scripts = [...readme.matchAll(/npx blueprint run (\w+)/g)].map((m) => m[1]);
        expect(scripts.length).toBeGreaterThan(0);
        for (const name of scripts) {
            const file = join(root, 'scripts', `${name}.ts`);
            expect(existsSync(file)).toBe(true);
            expect(readFileSync(file, 'utf8')).toMatch(/export async function run\(/);
        }
    });

    it('npm start: runs a job, serves the gateway it prints, and stops on Ctrl-C', async () => {
        const child = spawn(process.execPath, [join(root, 'node_modules', '.bin', 'ts-node'), '--transpile-only', 'demo/main.ts'], {
            cwd: root,
            env: { ...process.env, COCOON_DEMO_DEVNET_PORT: '0', COCOON_DEMO_RUNNER_PORT: '0', COCOON_DEMO_RELAYER_PORT: '0', COCOON_GATEWAY_PORT: '0', LOG_LEVEL: 'silent', COCOON_DEMO_OUT: mkdtempSync(join(tmpdir(), 'cocoon-demo-out-')) },
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        try {
            await new Promise<void>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error(`demo did not start:\n${out}`)), 150_000);
                child.stdout.on('data', () => out.includes('serving until Ctrl-C') && (clearTimeout(timer), resolve()));
                void exited.then(() => reject(new Error(`demo exited early:\n${out}`)));
            });
            expect(out).toMatch(/created\s+job 0/);
            expect(out).toMatch(/settled\s+price/);
            // The gateway served a streamed chat from its session (the voucher, not the chain, billed it).
            expect(out).toMatch(/session\s+#\d+ opened by the gateway; a chat streamed in ([2-9]|\d{2,}) deltas: "please session a through me answer"/);
            // The developer's environment file for the SDK in their own app (README "Quick start: SDK in your app").
            const devEnv = readFileSync(/dev env\s+(\S+devnet\.env)/.exec(out)![1], 'utf8');
            expect(devEnv).toMatch(/^COCOON_REGISTRY=\S+$/m);
            expect(readFileSync(/^COCOON_TRUST_ROOT=(\S+)$/m.exec(devEnv)![1], 'utf8')).toContain('BEGIN CERTIFICATE');
            const url = /gateway\s+(http:\/\/\S+\/v1)/.exec(out)![1];
            const openai = new OpenAI({ baseURL: url, apiKey: 'loopback', maxRetries: 0 });
            const reply = await openai.chat.completions.create({ model: 'cocoon-reference-v1', messages: [{ role: 'user', content: 'one two three' }] });
            expect(reply.choices[0].message.content).toBe('three two one');
            expect(reply.usage?.completion_tokens).toBeGreaterThan(0);
        } finally {
            child.kill('SIGINT');
        }
        expect(await exited).toBe(0);
    }, 200_000);
});
