/** `cocoon gateway`: the OpenAI-compatible gateway paying jobs from the wallet in the environment. */
import { chainClient } from '../../sdk/chain';
import { collateralSourceFrom, INTEL_PCS_URL } from '../../attestation/collateralSource';
import { Command } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { GatewayConfigProblems, parseGatewayConfig, GatewayFlags } from '../../gateway/config';
import { startGateway } from '../../gateway/server';
import { CocoonClient, MnemonicSigner } from '../../sdk';
import { action, InputError, refuseRemovedVerifyQuote, removedVerifyQuoteFlag, toJson } from './common';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
    program
        .command('gateway')
        .description('serve the OpenAI API (default http://127.0.0.1:8080/v1); completions are served from sessions (or jobs with --mode job) paid from the wallet (COCOON_WALLET_MNEMONIC)')
        .option('--endpoint <urls>', 'toncenter v2 JSON-RPC endpoint (COCOON_ENDPOINT); several, comma-separated, cross-check the reads that decide trust')
        .option('--registry <address>', 'Registry address (COCOON_REGISTRY)')
        .option('--host <host>', 'bind address (COCOON_GATEWAY_HOST, default 127.0.0.1)')
        .option('--port <n>', 'port (COCOON_GATEWAY_PORT, default 8080)')
        .option('--api-keys-file <file>', 'file of bearer tokens, one per line (or comma-separated), each optionally "key:limitTON"; or COCOON_GATEWAY_API_KEYS. Required beyond loopback. Never on the command line: flags show in `ps`')
        .option('--runner <provider=url>', 'enclave runner URL of a Provider, to re-verify its quote (repeatable; COCOON_RUNNERS)', collect)
        .option('--trust-root <pem-file>', 'quote trust anchor (COCOON_TRUST_ROOT); default the Intel SGX Root CA')
        .option('--collateral <dir|file|url>', `Intel collateral for TCB evaluation: a directory or dcap-qvl JSON file, or an Intel PCS v4 / PCCS base URL (COCOON_COLLATERAL, default ${INTEL_PCS_URL})`)
        .option('--accept-tcb <statuses>', 'comma-separated TCB statuses accepted (COCOON_ACCEPT_TCB, default UpToDate)')
        .addOption(removedVerifyQuoteFlag())
        .option('--mode <session|job>', 'session (default): one session per model, streamed straight from the enclave, paid by vouchers; job: one on-chain job per request (COCOON_GATEWAY_MODE)')
        .option('--session-deposit <TON>', 'deposit of each session and of each top-up (COCOON_SESSION_DEPOSIT, default 1)')
        .option('--ttl <s>', 'job lifetime (COCOON_JOB_TTL)')
        .option('--poll-ms <n>', 'Provider transaction poll interval (COCOON_POLL_MS, default 500)')
        .option('--spending-db <file>', 'SQLite file keeping API keys\' spending across restarts (COCOON_GATEWAY_SPENDING_DB, default gateway-spending.sqlite)')
        .option('--allowed-hosts <names>', 'comma-separated Host names accepted beyond loopback names when no API keys are set (COCOON_GATEWAY_ALLOWED_HOSTS)')
        .option('--cors-origins <origins>', 'comma-separated browser origins allowed to call, e.g. https://app.example (COCOON_GATEWAY_CORS_ORIGINS); pages elsewhere are refused')
        .option('--json', 'print one JSON line with the URL once listening')
        .action(action(async (flags: GatewayFlags & { json?: boolean; verifyQuote?: boolean }) => {
            loadDotenv({ quiet: true });
            refuseRemovedVerifyQuote(flags);
            let config;
            try {
                config = parseGatewayConfig(flags);
            } catch (e) {
                if (e instanceof GatewayConfigProblems) throw new InputError(e.message);
                throw e;
            }
            const chain = chainClient(config.endpoint, { apiKey: config.apiKey });
            let signer: MnemonicSigner;
            try {
                signer = await MnemonicSigner.fromEnv(chain);
            } catch (e) {
                throw new InputError((e as Error).message);
            }
            const sdk = new CocoonClient({
                client: chain, witnesses: config.witnesses.map((url) => chainClient(url)), registry: config.registry, signer, pollMs: config.pollMs,
                attestation: {
                    trustAnchorPem: config.trustAnchorPem, runnerUrl: (p) => config.runners.get(p.toRawString()),
                    collateralSource: collateralSourceFrom(config.collateral), acceptedTcbStatuses: config.acceptTcb,
                },
            });
            const gateway = await startGateway({
                sdk, host: config.host, port: config.port, apiKeys: config.apiKeys, jobOptions: { ttl: config.ttl },
                mode: config.mode, sessions: { deposit: config.sessionDeposit, topUpAmount: config.sessionDeposit, topUpBelow: config.sessionDeposit / 5n },
                browser: { allowedHosts: config.allowedHosts, corsOrigins: config.corsOrigins }, spendingDb: config.spendingDb,
                log: (entry) => process.stderr.write(`${toJson({ time: new Date().toISOString(), ...entry })}\n`),
            });
            process.stdout.write(flags.json ? `${toJson({ url: gateway.url, wallet: signer.address })}\n` : `gateway listening on ${gateway.url} (wallet ${signer.address.toString()})\n`);
            await new Promise<void>((resolve) => {
                const stop = () => void gateway.close().then(resolve, resolve);
                process.once('SIGINT', stop);
                process.once('SIGTERM', stop);
            });
        }));
}
