// Command-line flags of `npm run devnet`, validated up front so a typo fails loudly at start.
import { DEFAULT_HOST, DEFAULT_PORT, DevnetOptions } from './index';

// toncenter's tiers are 1 rps (no key) and 10 rps (free key); more than this is no emulation of anything.
export const MAX_RATE_LIMIT = 1000;

export const USAGE = `usage: npm run devnet -- [--port 8081] [--host 127.0.0.1] [--block-ms 0] [--state devnet-state.json] [--rate-limit 1] [--key-rate-limit 10]
  --port      TCP port (default ${DEFAULT_PORT})
  --host      interface to listen on (default ${DEFAULT_HOST}, loopback only)
  --block-ms  block interval in ms; 0 applies every message at once (default 0)
  --state     JSON file that keeps the chain across restarts (default: none, in-memory)
  --rate-limit  requests per second on the toncenter API per client IP without an API key, and per
              API key unless --key-rate-limit is given; 429 beyond, like toncenter (default: off)
  --key-rate-limit  requests per second per API key (X-API-Key or api_key); toncenter's tiers are
              --rate-limit 1 --key-rate-limit 10`;

export function parseFlags(argv: string[]): DevnetOptions {
    const options: DevnetOptions = { port: DEFAULT_PORT, host: DEFAULT_HOST, blockMs: 0 };
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split('=', 2);
        const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
        switch (flag) {
            case '--port':
                options.port = integer(flag, value(), 0, 65535);
                break;
            case '--host':
                options.host = value();
                break;
            case '--block-ms':
                options.blockMs = integer(flag, value(), 0, 3_600_000);
                break;
            case '--state':
                options.statePath = value();
                break;
            case '--rate-limit':
                options.rateLimit = integer(flag, value(), 1, MAX_RATE_LIMIT);
                break;
            case '--key-rate-limit':
                options.keyRateLimit = integer(flag, value(), 1, MAX_RATE_LIMIT);
                break;
            default:
                fail(`unknown flag ${argv[i]}`);
        }
    }
    return options;
}

function integer(flag: string, text: string, min: number, max: number): number {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) fail(`${flag} must be an integer in [${min}, ${max}], got ${text}`);
    return n;
}

function fail(message: string): never {
    throw new Error(`${message}\n${USAGE}`);
}
