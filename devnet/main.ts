// `npm run devnet`: starts the devnet, prints the endpoint, shuts down cleanly on SIGINT/SIGTERM.
import { parseFlags } from './flags';
import { startDevnet } from './index';

async function main(): Promise<void> {
    const options = parseFlags(process.argv.slice(2));
    const devnet = await startDevnet(options);
    console.log(`Cocoon devnet listening on ${devnet.url}`);
    console.log(`  TonClient endpoint: ${devnet.endpoint}`);
    console.log(`  faucet:             POST ${devnet.url}/faucet {"address": "...", "amount": "<nanotons>"}`);
    console.log(`  blocks:             ${options.blockMs ? `every ${options.blockMs} ms` : 'instant'}`);
    if (options.rateLimit) console.log(`  rate limit:         ${options.rateLimit} requests/s per client IP without an API key (429 beyond)`);
    const keyRate = options.keyRateLimit ?? options.rateLimit;
    if (keyRate) console.log(`  key rate limit:     ${keyRate} requests/s per API key (429 beyond)`);
    if (options.statePath) console.log(`  state file:         ${options.statePath}`);

    let stopping = false;
    const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`devnet: ${signal}, saving and shutting down`);
        devnet.close().then(
            () => process.exit(0),
            (error) => {
                console.error('devnet: shutdown failed', error);
                process.exit(1);
            },
        );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
});
