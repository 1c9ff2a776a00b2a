/**
 * `startDemo(options)`: a whole Cocoon network in one process — devnet (instant blocks), protocol
 * deployed through TonClient, an enclave runner (dev quotes, reference engine) and a relayer that
 * also settles the runner's session vouchers (their feed token made here) — and
 * handles to drive it. The demo CLI, the relayer tests, the pipeline benchmark and the gateway use it.
 * Jobs go through the SDK a user calls (`newUser`: a funded wallet and a CocoonClient), never a copy.
 */
import { Address, toNano } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { TonClient } from '@ton/ton';
import { cocoonWallet } from '../protocol/wallet';
import { chainClient } from '../sdk/chain';
import { CocoonClient, CocoonClientOptions, JobResult, MnemonicSigner } from '../sdk';
import { REFERENCE_MODEL_NAME } from '../protocol/defaults';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { Devnet, startDevnet } from '../devnet';
import { parseConfig, RelayerConfig } from '../relayer/config';
import { RelayerHandle, startRelayer } from '../relayer/relayer';
import { DevnetClock } from './clock';
import { deployProtocol, DeployedProtocol, ProtocolOptions } from './protocol';
import { DemoWallet } from './wallet';

export interface DemoOptions extends ProtocolOptions {
    devnetPort?: number; // 0 (default) picks a free port
    relayer?: boolean; // start the relayer in this process (default true)
    keeper?: boolean; // relayer in keeper mode, with a funded operator wallet (default true)
    relayerPort?: number;
    pollMs?: number;
    graceSeconds?: number;
    dbPath?: string;
    relayerLogDestination?: DestinationStream;
    relayerLogLevel?: string;
    /** How often a user's CocoonClient (`newUser`) polls the Provider while a job is open (default: `pollMs`, else 100 ms). */
    clientPollMs?: number;
    relayerConcurrency?: number;
    /** More of the in-process relayer's environment (e.g. COCOON_RELAYER_SESSION_THRESHOLD_TON), over the demo's. */
    relayerOverrides?: Record<string, string>;
    statePath?: string; // devnet state file
    /** The devnet's rate limits (devnet/index.ts): per client IP without an API key, per API key. The demo's own services use a key of theirs that is never limited. */
    rateLimit?: number;
    keyRateLimit?: number;
}

export interface DemoHandles {
    devnet: Devnet;
    /** The demo's services' client (its own API key, never rate-limited). */
    client: TonClient;
    /** That API key: a process started for the demo's own network services (a relayer) may use it. */
    apiKey: string;
    clock: DevnetClock;
    protocol: DeployedProtocol;
    relayer?: RelayerHandle;
    /** The runner's voucher feed token, which the relayer's environment names for the demo's Provider (COCOON_RELAYER_SESSION_FEEDS). */
    voucherToken: string;
    /** The relayer's environment (COCOON_RELAYER_*), to run more relayers, e.g. as child processes. */
    relayerEnv: (overrides?: Record<string, string>) => Record<string, string>;
    keeperMnemonic: string[];
    /** A funded wallet as a contract `Sender`, for messages the SDK does not send (sessions by hand, admin). */
    newClient: (amount?: bigint) => Promise<DemoWallet>;
    /** A user: a fresh mnemonic wallet funded from the faucet and a CocoonClient paying from it (`options` override the demo's). */
    newUser: (options?: UserOptions) => Promise<DemoUser>;
    stop: () => Promise<void>;
}

export interface UserOptions extends Partial<Omit<CocoonClientOptions, 'signer'>> {
    funds?: bigint; // default 50 TON
}

export interface DemoUser {
    address: Address;
    signer: MnemonicSigner;
    sdk: CocoonClient;
}

/** An OpenAI chat request for the reference model with one user message. */
export const chat = (prompt: string) => ({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: prompt }] });

/** The assistant's text in a chat (or text) completion. */
export function replyText(r: Pick<JobResult, 'response'>): string {
    const first = (r.response.choices as { message?: { content?: unknown }; text?: unknown }[] | undefined)?.[0];
    return String(first?.message?.content ?? first?.text ?? '');
}

/**
 * A CocoonClient for the network `protocol` deployed, paying from a new wallet funded with `funds`.
 * The dev root is trusted here, explicitly, and nowhere by default; the runner is found at the URL the
 * Provider publishes on chain.
 */
export async function demoUser(devnet: Pick<Devnet, 'faucet'>, client: TonClient, clock: DevnetClock, protocol: DeployedProtocol, options: UserOptions = {}): Promise<DemoUser> {
    const { funds, ...overrides } = options;
    const signer = await MnemonicSigner.fromMnemonic(client, await mnemonicNew(), { now: clock.now });
    await devnet.faucet(signer.address, funds ?? toNano('50'));
    const sdk = new CocoonClient({
        client, registry: protocol.registry.address, signer, pollMs: 100,
        attestation: { trustAnchorPem: protocol.attestation.devRootPem },
        ...overrides,
    });
    return { address: signer.address, signer, sdk };
}

export async function startDemo(options: DemoOptions = {}): Promise<DemoHandles> {
    // The network's own services (setup, runner, relayer, gateway) are not its users: under a rate
    // limit they do not spend a user's share (a key of their own, never limited).
    const apiKey = `cocoon-demo-${randomBytes(12).toString('hex')}`;
    const devnet = await startDevnet({
        port: options.devnetPort ?? 0, blockMs: 0, statePath: options.statePath,
        rateLimit: options.rateLimit, keyRateLimit: options.keyRateLimit, unlimitedKeys: [apiKey],
    });
    const client = chainClient(devnet.endpoint, { apiKey });
    const clock = new DevnetClock(devnet.url);
    let runnerClose: (() => Promise<void>) | undefined;
    let relayer: RelayerHandle | undefined;
    // The runner serves its voucher feed only to the bearer of this token; the demo's relayer reads it
    // and settles the vouchers of the sessions the runner serves (relayer/sessions.ts).
    const voucherToken = randomBytes(24).toString('hex');
    try {
        const protocol = await deployProtocol(devnet, client, clock, { ...options, runnerVoucherToken: voucherToken });
        runnerClose = () => protocol.runner.close();
        const keeperMnemonic = await mnemonicNew();
        const keeperWallet = cocoonWallet((await mnemonicToPrivateKey(keeperMnemonic)).publicKey, 'devnet');
        await devnet.faucet(keeperWallet.address, toNano('100'));

        const dbPath = options.dbPath ?? join(mkdtempSync(join(tmpdir(), 'cocoon-relayer-')), 'relayer.sqlite');
        const relayerEnv = (overrides: Record<string, string> = {}): Record<string, string> => ({
            COCOON_RELAYER_ENDPOINT: devnet.endpoint,
            COCOON_RELAYER_API_KEY: apiKey,
            // The address alone: the relayer calls the runner at the URL the Provider publishes.
            COCOON_RELAYER_PROVIDERS: protocol.provider.address.toString(),
            COCOON_RELAYER_DB: dbPath,
            COCOON_RELAYER_PORT: String(options.relayerPort ?? 0),
            COCOON_RELAYER_POLL_MS: String(options.pollMs ?? 100),
            COCOON_RELAYER_GRACE_SECONDS: String(options.graceSeconds ?? 300),
            COCOON_RELAYER_CONCURRENCY: String(options.relayerConcurrency ?? 16),
            COCOON_RELAYER_KEEPER_INTERVAL_MS: '500',
            COCOON_RELAYER_KEEPER_MNEMONIC: keeperMnemonic.join(' '),
            COCOON_RELAYER_SESSION_FEEDS: `${protocol.provider.address.toString()}=${voucherToken}`,
            ...(options.keeper === false ? {} : { COCOON_RELAYER_KEEPER: '1' }),
            LOG_LEVEL: options.relayerLogLevel ?? 'info',
            ...overrides,
        });
        if (options.relayer !== false) {
            const config: RelayerConfig = parseConfig(relayerEnv(options.relayerOverrides));
            relayer = await startRelayer(config, { logDestination: options.relayerLogDestination });
            await relayer.caughtUp();
        }

        const newClient = async (amount = toNano('50')) => {
            const w = DemoWallet.random(client, clock.now);
            await devnet.faucet(w.address, amount);
            return w;
        };
        let stopping: Promise<void> | undefined;
        const stop = () =>
            (stopping ??= (async () => {
                await relayer?.stop();
                await runnerClose?.();
                await devnet.close();
            })());
        return {
            devnet, client, apiKey, clock, protocol, relayer, voucherToken, relayerEnv, keeperMnemonic, newClient, stop,
            newUser: (o) => demoUser(devnet, client, clock, protocol, { pollMs: options.clientPollMs ?? options.pollMs ?? 100, ...o }),
        };
    } catch (e) {
        await relayer?.stop().catch(() => undefined);
        await runnerClose?.().catch(() => undefined);
        await devnet.close();
        throw e;
    }
}
