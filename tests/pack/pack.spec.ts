/**
 * The package a developer installs: `npm pack` builds it (prepack: contracts, then tsc to dist/), a
 * fresh project outside this repository installs the tarball, and plain `node` runs the README's SDK
 * example, copied from the README itself, against a devnet demo started here, with the environment
 * file `npm start` writes for developers (endpoint, Registry, funded wallet, dev root). The installed
 * `cocoon` binary runs from compiled JavaScript.
 *
 * The install resolves dependencies from npm's cache (`--prefer-offline`), which `npm ci` filled.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDemo, DemoHandles } from '../../demo/startDemo';
import { writeDevEnv } from '../../demo/devEnv';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The README's example: the first ```js block under "Quick start: SDK in your app". */
function readmeExample(): string {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.split('## Quick start: SDK in your app')[1]?.split('\n## ')[0];
    const code = section && /```js\n([\s\S]*?)```/.exec(section)?.[1];
    if (!code) throw new Error('README has no ```js example under "Quick start: SDK in your app"');
    return code;
}

/** Only what a fresh shell would have: no COCOON_* or wallet variables leak in from this process. */
const cleanEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, npm_config_cache: process.env.npm_config_cache });

describe('npm pack: the installed package', () => {
    const work = mkdtempSync(join(tmpdir(), 'cocoon-pack-'));
    const app = join(work, 'app');
    let demo: DemoHandles | undefined;

    beforeAll(async () => {
        // prepack is `npm run build` (contracts) + `npm run build:dist`. The contracts are built already
        // (pretest), and rebuilding them here would rewrite build/ under the suites running beside this
        // one, so this runs build:dist alone and packs without scripts.
        await run(npm, ['run', 'build:dist'], { cwd: root, maxBuffer: 64 << 20 });
        const packed = await run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root, maxBuffer: 64 << 20 });
        const tarball = join(work, JSON.parse(packed.stdout)[0].filename);
        mkdirSync(app);
        writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'cocoon-pack-test-app', private: true }));
        await run(npm, ['install', tarball, `@ton/core@${pkg.peerDependencies['@ton/core']}`, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, env: cleanEnv(), maxBuffer: 64 << 20 });
    }, 240_000);

    afterAll(async () => {
        await demo?.stop();
        rmSync(work, { recursive: true, force: true });
    });

    it('ships compiled JavaScript and declarations, no TypeScript sources', () => {
        const installed = join(app, 'node_modules', 'cocoon');
        expect(existsSync(join(installed, 'dist', 'sdk', 'index.js'))).toBe(true);
        expect(existsSync(join(installed, 'dist', 'sdk', 'index.d.ts'))).toBe(true);
        expect(existsSync(join(installed, 'sdk'))).toBe(false);
        expect(existsSync(join(installed, 'cli', 'index.ts'))).toBe(false);
    });

    it('runs the README SDK example with plain node against the devnet', async () => {
        demo = await startDemo({ relayerLogLevel: 'silent', runnerLogLevel: 'silent', pollMs: 10 });
        const envFile = await writeDevEnv(demo, join(work, 'devnet'));
        writeFileSync(join(app, 'app.mjs'), readmeExample());
        const { stdout } = await run(process.execPath, [`--env-file=${envFile}`, 'app.mjs'], { cwd: app, env: cleanEnv(), timeout: 60_000 });
        const [answer, usage] = stdout.trim().split('\n');
        expect(answer).toBe('app my from hello');
        expect(usage).toMatch(/^\d+ \+ \d+ tokens, price \d+ nanotons, refund \d+$/);
    }, 120_000);

    it('installs a compiled `cocoon` binary: --version and --help', async () => {
        const bin = join(app, 'node_modules', '.bin', 'cocoon');
        expect((await run(bin, ['--version'], { cwd: app, env: cleanEnv() })).stdout.trim()).toBe(pkg.version);
        const help = await run(bin, ['--help'], { cwd: app, env: cleanEnv() });
        expect(help.stdout).toMatch(/^Usage: cocoon/);
        expect(help.stderr).toBe('');
    });

    it('`cocoon devnet` without the optional @ton/sandbox says what to install', async () => {
        const bin = join(app, 'node_modules', '.bin', 'cocoon');
        const failed = await run(bin, ['devnet', '--port', '0'], { cwd: app, env: cleanEnv() }).then(() => undefined, (e) => e);
        expect(failed?.code).toBe(2);
        expect(failed?.stderr).toMatch(/needs @ton\/sandbox: install it/);
    });
});
