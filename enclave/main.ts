/**
 * Starts the enclave runner: `ts-node enclave/main.ts --provider <addr> [--quote dev|tdx]
 * [--backend reference|openai --upstream URL --model NAME] [--port 8700]`. One shutdown path:
 * SIGINT/SIGTERM stop accepting, let running jobs finish, exit; keys die with the process.
 */
import { CommanderError } from 'commander';
import { parseConfig } from './config';
import { createLogger } from './log';
import { createRunner } from './runner';
import { createEnclaveServer } from './server';
import { chainClient } from '../sdk/chain';
import { chainJobSource } from './chainJobs';
import { chainSessionSource } from './chainSessions';

async function main() {
    const logger = createLogger();
    const config = parseConfig(process.argv.slice(2));
    const runner = await createRunner(config);
    const chain = chainClient(config.chainEndpoint, { apiKey: config.chainApiKey });
    const server = createEnclaveServer({ ...runner, logger, limits: config.limits, jobs: chainJobSource(chain, config.provider), sessions: chainSessionSource(chain, config.provider), voucherToken: config.voucherToken });
    const url = await server.listen(config.port, config.host);
    logger.info({ url, quote: config.quote, backend: config.backend, provider: runner.attestation.provider, enclaveEd25519: runner.attestation.enclaveEd25519, voucherFeed: Boolean(config.voucherToken) }, 'enclave runner listening');
    const stop = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        server.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
}

main().catch((e) => {
    // --help and --version are not failures: commander has printed them and asks for exit 0.
    if (e instanceof CommanderError && e.exitCode === 0) process.exit(0);
    if (e instanceof CommanderError) process.exit(2); // usage error, already printed by commander
    process.stderr.write(`enclave runner failed to start: ${(e as Error).message}\n`);
    process.exit(1);
});
