/**
 * `npm run relayer [-- --keeper]`: the relayer as a process. Configuration comes from the
 * environment, after loading `.env` (or the file named by COCOON_RELAYER_ENV_FILE); see
 * relayer/.env.example. SIGINT/SIGTERM take the one shutdown path and exit 0.
 */
import { config as loadEnv } from 'dotenv';
import { ConfigError, parseConfig } from './config';
import { startRelayer } from './relayer';

async function main() {
    loadEnv({ path: process.env.COCOON_RELAYER_ENV_FILE ?? '.env', quiet: true });
    const config = parseConfig(process.env, process.argv.slice(2));
    const relayer = await startRelayer(config);
    const stop = (signal: string) => {
        relayer.log.info({ signal }, 'signal received');
        relayer.stop().then(
            () => process.exit(0),
            () => process.exit(1),
        );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
}

main().catch((e) => {
    process.stderr.write(e instanceof ConfigError ? `${e.message}\n` : `relayer failed to start: ${(e as Error).message}\n`);
    process.exit(e instanceof ConfigError ? 2 : 1);
});
