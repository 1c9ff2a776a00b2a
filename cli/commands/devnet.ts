/** `cocoon devnet`: a local TON network (devnet/, toncenter v2 API) until Ctrl-C; `cocoon devnet faucet`: fund an address on it. */
import { Command } from 'commander';
import type { startDevnet as StartDevnet } from '../../devnet';
import { action, InputError, NetFlags, netOptions, output, parseAddress, parseInt_, parseTon, PreconditionError, toJson, ton } from './common';

/**
 * The devnet runs on @ton/sandbox, which the installed package lists as an optional peer dependency
 * (it pulls in the FunC compiler): only `cocoon devnet` needs it, so it is loaded here, on use.
 */
function loadDevnet(): { startDevnet: typeof StartDevnet; MAX_RATE_LIMIT: number } {
    try {
        require.resolve('@ton/sandbox');
    } catch {
        throw new InputError('cocoon devnet needs @ton/sandbox: install it next to cocoon (npm install @ton/sandbox @ton-community/func-js)');
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { ...require('../../devnet'), ...require('../../devnet/flags') };
}

export function register(program: Command): void {
    const devnet = program
        .command('devnet')
        .description('run a local devnet (toncenter v2 API, faucet, instant or batched blocks) until Ctrl-C')
        .option('--port <n>', 'TCP port (0 picks a free one)', '8081')
        .option('--host <host>', 'interface; keep it on loopback, there is no authentication', '127.0.0.1')
        .option('--block-ms <n>', 'block interval in ms; 0 = every message is its own block', '0')
        .option('--state <file>', 'keep the chain in this JSON file across restarts')
        .option('--rate-limit <rps>', 'requests per second on the toncenter API per client IP without an API key (and per key unless --key-rate-limit), 429 beyond')
        .option('--key-rate-limit <rps>', "requests per second per API key; toncenter's tiers are --rate-limit 1 --key-rate-limit 10")
        .option('--json', 'print one JSON object with the URLs once listening')
        .action(action(async (flags: { port: string; host: string; blockMs: string; state?: string; rateLimit?: string; keyRateLimit?: string; json?: boolean }) => {
            const { startDevnet, MAX_RATE_LIMIT } = loadDevnet();
            const port = Number(parseInt_(flags.port, '--port', 0n, 65535n));
            const blockMs = Number(parseInt_(flags.blockMs, '--block-ms', 0n, 3_600_000n));
            const rate = (value: string | undefined, flag: string) => (value === undefined ? undefined : Number(parseInt_(value, flag, 1n, BigInt(MAX_RATE_LIMIT))));
            const rateLimit = rate(flags.rateLimit, '--rate-limit');
            const keyRateLimit = rate(flags.keyRateLimit, '--key-rate-limit');
            if (!flags.host) throw new InputError('--host is empty');
            const devnet = await startDevnet({ port, host: flags.host, blockMs, statePath: flags.state, rateLimit, keyRateLimit });
            process.stdout.write(flags.json
                ? `${toJson({ url: devnet.url, endpoint: devnet.endpoint, blockMs, rateLimit: rateLimit ?? null, keyRateLimit: keyRateLimit ?? rateLimit ?? null, statePath: flags.state ?? null })}\n`
                : `devnet listening on ${devnet.url}\n  TonClient endpoint: ${devnet.endpoint}\n  faucet: POST ${devnet.url}/faucet {"address": "..."}\n`);
            await new Promise<void>((resolve) => {
                const stop = () => void devnet.close().then(resolve, resolve);
                process.once('SIGINT', stop);
                process.once('SIGTERM', stop);
            });
        }));
    netOptions(devnet.command('faucet').description('credit an address from the devnet\'s faucet (devnets only: POST <devnet>/faucet)'), false)
        .argument('<address>', 'the address to fund (a wallet address need not be deployed)')
        .option('--amount <ton>', 'TON to credit (default: the faucet\'s)')
        .action(action(async (to: string, flags: NetFlags & { amount?: string }, cmd: Command) => {
            // `cocoon devnet` itself takes --json too, and commander gives it to the parent wherever it is written.
            flags.json = Boolean(cmd.optsWithGlobals().json);
            const address = parseAddress(to, '<address>');
            const amount = flags.amount === undefined ? undefined : parseTon(flags.amount, '--amount');
            const base = (flags.endpoint ?? '').split(',')[0].trim().replace(/\/(jsonRPC|api\/v2\/?)$/, '');
            let res: Response;
            try {
                res = await fetch(`${base}/faucet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ address: address.toString(), ...(amount === undefined ? {} : { amount: amount.toString() }) }), signal: AbortSignal.timeout(30_000) });
            } catch (e) {
                throw new PreconditionError(`cannot reach the devnet at ${base}: ${(e as Error).message}`);
            }
            const answer = (await res.json().catch(() => ({}))) as { ok?: boolean; result?: { amount: string }; error?: string };
            if (!res.ok || !answer.ok) throw new PreconditionError(`the faucet at ${base} refused: ${answer.error ?? `HTTP ${res.status}`} (a faucet exists on devnets only)`);
            output(flags, { ok: true, address, amount: answer.result?.amount }, () => `${ton(BigInt(answer.result?.amount ?? 0))} TON credited to ${address.toString()}`);
        }));
}
