/**
 * What the network command groups (registry, provider, job, gateway) share: connection flags, the
 * wallet from the environment, value parsing that fails before anything is sent, sending one
 * message and confirming its transaction on the target, and output (human text by default,
 * one JSON object with --json, progress on stderr).
 *
 * Exit statuses (docs/spec/cli.md): 0 done; 1 the chain or the enclave said no (a message was sent
 * and refused, a job declined or expired); 2 bad usage or input (bad address, unknown model...);
 * 3 a check before sending failed, nothing was sent (balance, attestation, ownership, timing);
 * 4 the network endpoint could not be reached.
 */
import { Address, beginCell, Builder, Cell, fromNano, toNano } from '@ton/core';
import { Command, Option } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { readFileSync } from 'node:fs';
import { AttestationPolicy, MnemonicSigner, QUOTE_VERIFICATION_REMOVED, WALLET_FEE_MARGIN } from '../../sdk';
import { collateralSourceFrom } from '../../attestation/collateralSource';
import { parseEndpoints, parseRunners, parseTcbPolicy, REMOVED_VERIFY_QUOTE_ENV } from '../../gateway/config';
import { Chain, chainClient } from '../../sdk/chain';
import { confirmMessage, describeRefusal } from '../../sdk/confirm';
import { transactionsBetween } from '../../sdk/feed';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exitCodes';

export const EXIT_REFUSED = 1;
export const EXIT_PRECONDITION = 3;
export const EXIT_NETWORK = 4;

/** A problem with the command's input: exit 2. */
export class InputError extends Error {}
/** A check before sending failed: exit 3, nothing sent. */
export class PreconditionError extends Error {}
/** The chain refused what was sent: exit 1. */
export class RefusedError extends Error {}

export interface NetFlags {
    endpoint?: string;
    apiKey?: string;
    registry?: string;
    json?: boolean;
}

/** Adds --endpoint, --registry and --json (with their environment defaults) to a command. */
export function netOptions(cmd: Command, withRegistry = true): Command {
    loadDotenv({ quiet: true });
    cmd.addOption(new Option('--endpoint <urls>', 'toncenter v2 JSON-RPC endpoint; several, comma-separated, cross-check the reads that decide trust').env('COCOON_ENDPOINT').default('http://127.0.0.1:8081/jsonRPC'));
    if (withRegistry) cmd.addOption(new Option('--registry <address>', 'Registry contract address').env('COCOON_REGISTRY'));
    cmd.option('--json', 'print one JSON object instead of text');
    return cmd;
}

/**
 * `--no-verify-quote` is gone (issue 11 #9). It stays declared, hidden, only so that a script still
 * passing it gets the reason instead of commander's bare "unknown option".
 */
export function removedVerifyQuoteFlag(): Option {
    return new Option('--no-verify-quote').hideHelp();
}

/** Refuses the removed flag and the removed COCOON_VERIFY_QUOTE (a .env shared with the gateway may still set it). */
export function refuseRemovedVerifyQuote(flags: { verifyQuote?: boolean }, env: NodeJS.ProcessEnv = process.env): void {
    if (flags.verifyQuote === false) throw new InputError(`--no-verify-quote: ${QUOTE_VERIFICATION_REMOVED}`);
    if (env[REMOVED_VERIFY_QUOTE_ENV] !== undefined) throw new InputError(`${REMOVED_VERIFY_QUOTE_ENV} is set: ${QUOTE_VERIFICATION_REMOVED}; unset it`);
}

export interface AttestationFlags {
    runner?: string[];
    trustRoot?: string;
    collateral?: string;
    acceptTcb?: string;
    verifyQuote?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The flags of a command that checks an enclave's attestation and quote before paying it (job submit, session open). */
export function attestationOptions(cmd: Command): Command {
    return cmd
        .option('--runner <provider=url>', 'enclave runner URL of a Provider, overriding the one it publishes on chain (repeatable)', collect)
        .option('--trust-root <pem-file>', 'trust anchor for quotes (e.g. a development root); default the Intel SGX Root CA')
        .option('--collateral <dir|file|url>', 'Intel collateral for TCB evaluation: directory, dcap-qvl JSON file, or Intel PCS v4 / PCCS base URL (default Intel PCS)')
        .option('--accept-tcb <statuses>', 'comma-separated TCB statuses accepted (default UpToDate)')
        .addOption(removedVerifyQuoteFlag());
}

/** The SDK's attestation policy from those flags; every problem is exit 2. */
export function attestationPolicy(flags: AttestationFlags): AttestationPolicy {
    refuseRemovedVerifyQuote(flags);
    const problems: string[] = [];
    const runners = parseRunners(flags.runner ?? [], problems);
    const tcb = parseTcbPolicy(flags.collateral, flags.acceptTcb, problems);
    if (problems.length) throw new InputError(problems.join('; '));
    let trustAnchorPem: string | undefined;
    if (flags.trustRoot) {
        try {
            trustAnchorPem = readFileSync(flags.trustRoot, 'utf8');
        } catch (e) {
            throw new InputError(`--trust-root: ${(e as Error).message}`);
        }
    }
    return {
        trustAnchorPem, runnerUrl: (p: Address) => runners.get(p.toRawString()),
        collateralSource: collateralSourceFrom(tcb.collateral), acceptedTcbStatuses: tcb.acceptTcb,
    };
}

export function parseAddress(value: string | undefined, flag: string): Address {
    if (!value) throw new InputError(`missing ${flag}: a TON address`);
    try {
        return Address.parse(value);
    } catch {
        throw new InputError(`${flag}: "${value}" is not a TON address`);
    }
}

export function parseTon(value: string | undefined, flag: string, opts: { allowZero?: boolean } = {}): bigint {
    if (value === undefined) throw new InputError(`missing ${flag}: an amount in TON`);
    if (!/^\d+(\.\d{1,9})?$/.test(value)) throw new InputError(`${flag}: "${value}" is not an amount in TON (up to 9 decimals)`);
    const n = toNano(value);
    if (n === 0n && !opts.allowZero) throw new InputError(`${flag}: must be more than 0 TON`);
    return n;
}

export function parseInt_(value: string | undefined, flag: string, min: bigint, max: bigint): bigint {
    if (value === undefined || !/^\d+$/.test(value)) throw new InputError(`${flag}: "${value ?? ''}" is not a non-negative integer`);
    const n = BigInt(value);
    if (n < min || n > max) throw new InputError(`${flag}: ${value} is outside [${min}, ${max}]`);
    return n;
}

export function parseHex32(value: string | undefined, flag: string): bigint {
    const hex = (value ?? '').trim().replace(/^0x/i, '');
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InputError(`${flag}: expected 32 bytes as 64 hex digits`);
    return BigInt('0x' + hex);
}

/** The first --endpoint: every read and send (COCOON_ENDPOINT_API_KEY is sent to it only). */
export function client(flags: NetFlags): Chain {
    return chainClient(endpoints(flags)[0], { apiKey: process.env.COCOON_ENDPOINT_API_KEY || undefined, rps: endpointRps() });
}

/** COCOON_ENDPOINT_RPS paces requests (e.g. 1 against a devnet started with --rate-limit 1); toncenter.com is paced to its tier by default. */
function endpointRps(): number | undefined {
    const raw = process.env.COCOON_ENDPOINT_RPS;
    if (raw === undefined || raw.trim() === '') return undefined;
    const rps = Number(raw);
    if (!(rps > 0 && rps <= 1000)) throw new InputError(`COCOON_ENDPOINT_RPS: "${raw}" is not a rate between 0 and 1000 requests per second`);
    return rps;
}

/** The other --endpoint URLs, on which the reads that decide trust are cross-checked (an API key goes in the URL). */
export function witnesses(flags: NetFlags): Chain[] {
    return endpoints(flags).slice(1).map((url) => chainClient(url));
}

function endpoints(flags: NetFlags): string[] {
    const problems: string[] = [];
    const urls = parseEndpoints(flags.endpoint, problems);
    if (!urls.length) problems.push('--endpoint: no URL given');
    if (problems.length) throw new InputError(`--endpoint: ${problems.join('; ')}`);
    return urls;
}

export function registryOf(flags: NetFlags): Address {
    return parseAddress(flags.registry, '--registry (or COCOON_REGISTRY)');
}

/** The wallet from COCOON_WALLET_MNEMONIC / WALLET_MNEMONIC. */
export async function wallet(chain: Chain): Promise<MnemonicSigner> {
    try {
        return await MnemonicSigner.fromEnv(chain);
    } catch (e) {
        throw new InputError((e as Error).message);
    }
}

export async function requireDeployed(chain: Chain, address: Address, what: string): Promise<void> {
    if (!(await chain.isContractDeployed(address))) throw new PreconditionError(`no ${what} deployed at ${address.toString()}`);
}

export async function requireBalance(signer: MnemonicSigner, value: bigint): Promise<void> {
    const available = await signer.balance();
    if (available < value + WALLET_FEE_MARGIN) {
        throw new PreconditionError(`wallet ${signer.address.toString()} has ${ton(available)} TON; this needs ${ton(value + WALLET_FEE_MARGIN)} TON (value plus fees)`);
    }
}

export function body(store: (b: Builder) => void): Cell {
    return beginCell().store(store).endCell();
}

export interface Sent {
    txHash: string;
    exitCode: number;
}

/**
 * Sends one message from the wallet, finds its transaction on `to` (matched by body hash) and
 * follows the messages it sent (sdk/confirm.ts, shared with the blueprint scripts): a refusal on
 * the target or one hop later (the Registry refusing what a Provider forwarded) is a RefusedError
 * naming the contract's exit code.
 */
export async function sendAndConfirm(chain: Chain, signer: MnemonicSigner, to: Address, value: bigint, msg: Cell, progress: Progress): Promise<Sent> {
    await requireBalance(signer, value);
    const fromLt = BigInt((await chain.getContractState(to)).lastTransaction?.lt ?? '0');
    progress(`sending ${ton(value)} TON to ${to.toString()}`);
    await signer.send({ to, value, body: msg, bounce: true });
    const source = { after: (address: Address, lt: bigint) => transactionsBetween(chain, address, lt) };
    const outcome = await confirmMessage(source, to, fromLt, msg.hash(), signer.address, CONFIRM);
    if (!outcome) throw new RefusedError(`sent, but the transaction did not appear on the target within ${CONFIRM.timeoutMs / 1000} s`);
    if (outcome.refusal) throw new RefusedError(describeRefusal(outcome.refusal));
    progress('confirmed on chain');
    return { txHash: outcome.txHash, exitCode: outcome.exitCode };
}

/** Polling of each transaction of the tree (the devnet answers at once; a public network takes blocks). */
const CONFIRM = { pollMs: 200, timeoutMs: 120_000 };

export type Progress = (line: string) => void;

export function progressFor(flags: NetFlags): Progress {
    return flags.json ? () => {} : (line) => process.stderr.write(`… ${line}\n`);
}

export function ton(n: bigint): string {
    return fromNano(n);
}

/** JSON with bigints as decimal strings and addresses in friendly form. */
export function toJson(v: unknown): string {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Address ? x.toString() : x));
}

export function output(flags: NetFlags, json: unknown, text: () => string): void {
    process.stdout.write(flags.json ? `${toJson(json)}\n` : `${text()}\n`);
}

function isRateLimited(e: unknown): boolean {
    return (e as { response?: { status?: number } })?.response?.status === 429;
}

function isNetworkError(e: unknown): boolean {
    const code = (e as { code?: string })?.code;
    return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || (e as { cause?: { code?: string } })?.cause?.code === 'ECONNREFUSED';
}

/** Wraps an action: maps errors to exit statuses and prints one clear line (or JSON with --json). */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
    return async (...args: A) => {
        const cmd = args[args.length - 1] as Command;
        const json = Boolean(cmd?.opts?.().json);
        try {
            await fn(...args);
            if (process.exitCode === undefined) process.exitCode = EXIT_OK;
        } catch (e) {
            const code = exitFor(e);
            if (process.env.COCOON_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
            const message = isNetworkError(e)
                ? `cannot reach the endpoint: ${(e as Error).message}`
                : isRateLimited(e)
                  ? 'the endpoint refused requests beyond its rate (HTTP 429) after retries: set COCOON_ENDPOINT_API_KEY (toncenter: 10 requests/s) or COCOON_ENDPOINT_RPS to pace requests'
                  : (e as Error).message;
            if (json) process.stdout.write(`${toJson({ ok: false, error: message, code: (e as { code?: unknown }).code ?? null, exitCode: code })}\n`);
            process.stderr.write(`cocoon: ${message}\n`);
            process.exitCode = code;
        }
    };
}

export function exitFor(e: unknown): number {
    if (e instanceof InputError) return EXIT_USAGE;
    if (e instanceof PreconditionError) return EXIT_PRECONDITION;
    if (e instanceof RefusedError) return EXIT_INVALID;
    if (isNetworkError(e)) return EXIT_NETWORK;
    const code = (e as { code?: string })?.code;
    if (code === 'job_declined' || code === 'job_expired' || code === 'job_rejected' || code === 'bad_receipt_signature' || code === 'bad_result' || code === 'timeout') return EXIT_INVALID;
    if (code === 'insufficient_balance' || code === 'attestation_failed' || code === 'no_provider') return EXIT_PRECONDITION;
    if ((e as { response?: unknown })?.response) return EXIT_NETWORK; // an HTTP error from the endpoint
    return EXIT_USAGE;
}
