/**
 * `cocoon job submit|status|expire`: one confidential job from the wallet through the SDK (every
 * check before paying: provider, attestation and quote, balance), its state, and expiring it
 * after its deadline to collect the refund and compensation.
 */
import { Transaction } from '@ton/core';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { DeclineReason } from '../../protocol/signed';
import { modelIdOf } from '../../protocol/defaults';
import { CocoonClient, OpenAIRequest, TcbVerdict } from '../../sdk';
import { chainTime, openProvider } from '../../sdk/chain';
import { jobEndIn } from '../../sdk/events';
import { transactionsBetween } from '../../sdk/feed';
import { storeExpireJob } from '../../wrappers/Provider';
import {
    action, AttestationFlags, attestationOptions, attestationPolicy, body, client, InputError, NetFlags, netOptions, output, parseAddress, parseInt_, parseTon,
    PreconditionError, progressFor, RefusedError, registryOf, requireDeployed, sendAndConfirm, ton, wallet, witnesses,
} from './common';

const EXPIRE_VALUE = 50_000_000n;

interface SubmitFlags extends NetFlags, AttestationFlags {
    model: string;
    prompt?: string;
    messagesFile?: string;
    maxTokens?: string;
    ttl?: string;
    provider?: string;
    maxPriceIn?: string;
    maxPriceOut?: string;
}

function requestOf(flags: SubmitFlags): OpenAIRequest {
    const req: OpenAIRequest = { model: flags.model };
    if (flags.messagesFile) {
        try {
            req.messages = JSON.parse(readFileSync(flags.messagesFile, 'utf8'));
        } catch (e) {
            throw new InputError(`--messages-file: ${(e as Error).message}`);
        }
        if (!Array.isArray(req.messages)) throw new InputError('--messages-file must hold a JSON array of chat messages');
    } else if (flags.prompt !== undefined) {
        req.messages = [{ role: 'user', content: flags.prompt }];
    } else {
        throw new InputError('give --prompt <text> or --messages-file <json>');
    }
    if (flags.maxTokens !== undefined) req.max_tokens = Number(parseInt_(flags.maxTokens, '--max-tokens', 1n, 1_000_000n));
    return req;
}

const iso = (t: number) => new Date(t * 1000).toISOString();

export function register(program: Command): void {
    const group = program.command('job').description('confidential jobs: submit, status, expire');

    attestationOptions(netOptions(group.command('submit').description('seal a chat request to an attested enclave, pay the escrow from the wallet, wait for the verified result'))
        .requiredOption('--model <name>', 'model name as allow-listed, e.g. cocoon-reference-v1')
        .option('--prompt <text>', 'one user message')
        .option('--messages-file <json>', 'a JSON array of chat messages instead of --prompt')
        .option('--max-tokens <n>', 'output tokens to escrow for (default 256)')
        .option('--ttl <seconds>', 'job lifetime (default max(120, the Registry minimum))')
        .option('--provider <address>', 'use only this Provider'))
        .option('--max-price-in <ton>', 'refuse offers above this many TON per million input tokens')
        .option('--max-price-out <ton>', 'refuse offers above this many TON per million output tokens')
        .action(action(async (flags: SubmitFlags) => {
            const attestation = attestationPolicy(flags);
            const request = requestOf(flags);
            const registry = registryOf(flags);
            const only = flags.provider ? [parseAddress(flags.provider, '--provider').toString()] : undefined;
            const chain = client(flags);
            await requireDeployed(chain, registry, 'Registry');
            const signer = await wallet(chain);
            const sdk = new CocoonClient({
                client: chain, witnesses: witnesses(flags), registry, signer, pollMs: 200, attestation,
            });
            const snapshot = await sdk.snapshot();
            const listing = snapshot.models.find((m) => m.modelId === modelIdOf(flags.model));
            if (!listing) throw new InputError(`unknown model "${flags.model}": the Registry lists ${snapshot.models.map((m) => m.name).join(', ') || 'no models'}`);
            const say = progressFor(flags);
            const result = await sdk.run(request, {
                ttl: flags.ttl === undefined ? undefined : Number(parseInt_(flags.ttl, '--ttl', 1n, 604800n)),
                only,
                maxPricePerMillionIn: flags.maxPriceIn ? parseTon(flags.maxPriceIn, '--max-price-in', { allowZero: true }) : undefined,
                maxPricePerMillionOut: flags.maxPriceOut ? parseTon(flags.maxPriceOut, '--max-price-out', { allowZero: true }) : undefined,
                onProgress: (stage, d) => {
                    const lines: Record<string, () => string> = {
                        selected: () => `provider ${d.provider}, worst-case price ${ton(d.priceCap as bigint)} TON`,
                        attested: () => {
                            const t = d.tcb as TcbVerdict | undefined;
                            return `enclave attestation checked (on chain and quote; TCB ${t?.evaluated ? t.status : `not evaluated: ${t?.reason ?? 'unknown'}`})`;
                        },
                        sent: () => `escrow ${ton(d.escrow as bigint)} TON sent`,
                        created: () => `job ${d.jobId} created, deadline ${iso(d.deadline as number)}; waiting for the enclave`,
                        expiring: () => 'deadline passed: sending ExpireJob',
                        ended: () => `job ${d.jobId} ${d.kind}`,
                    };
                    say(lines[stage]?.() ?? stage);
                },
            });
            const choices = result.response.choices as { message?: { content?: string } }[] | undefined;
            output(flags, { ok: true, jobId: result.jobId, provider: result.provider, usage: result.usage, price: result.price, escrow: result.escrow, refund: result.refund, txHash: result.txHash, response: result.response }, () =>
                `${choices?.[0]?.message?.content ?? ''}\n— job ${result.jobId}: ${result.usage.inputTokens} in + ${result.usage.outputTokens} out tokens, price ${ton(result.price)} TON, refund ${ton(result.refund)} TON (receipt verified)`);
        }));

    netOptions(group.command('status').description('state of a job: open (with its terms) or how it ended').argument('<provider>', 'Provider address').argument('<job-id>', 'job id'), false)
        .action(action(async (providerRaw: string, jobIdRaw: string, flags: NetFlags) => {
            const provider = parseAddress(providerRaw, '<provider>');
            const jobId = parseInt_(jobIdRaw, '<job-id>', 0n, (1n << 64n) - 1n);
            const chain = client(flags);
            await requireDeployed(chain, provider, 'Provider');
            const open = await openProvider(chain, provider).getJob(jobId);
            if (open) {
                const now = await chainTime(chain, provider);
                const state = now > Number(open.deadline) ? 'overdue' : 'open';
                return output(flags, { state, jobId, client: open.client, escrow: open.escrow, deadline: Number(open.deadline), maxInputTokens: open.maxInputTokens, maxOutputTokens: open.maxOutputTokens }, () =>
                    `job ${jobId}: ${state} (deadline ${iso(Number(open.deadline))}${state === 'overdue' ? ', anyone may expire it' : ''}), escrow ${ton(open.escrow)} TON, client ${open.client.toString()}`);
            }
            const end = (await transactionsBetween(chain, provider, 0n)).map((tx: Transaction) => jobEndIn(tx, jobId)).find((e) => e !== null);
            if (!end) {
                process.exitCode = 1;
                return output(flags, { state: 'unknown', jobId }, () => `job ${jobId}: not found on ${provider.toString()}`);
            }
            const e = end.event as { refund: bigint; price?: bigint; reason?: bigint; slashed?: bigint };
            const json = { state: end.kind, jobId, refund: e.refund, price: e.price, reason: e.reason === undefined ? undefined : DeclineReason[Number(e.reason)], slashed: e.slashed, txHash: end.tx.hash().toString('hex') };
            output(flags, json, () => `job ${jobId}: ${end.kind}${json.reason ? ` (${json.reason})` : ''}, refund ${ton(e.refund)} TON${e.price !== undefined ? `, price ${ton(e.price)} TON` : ''}`);
        }));

    netOptions(group.command('expire').description('end a job past its deadline: refund plus compensation to its client').argument('<provider>', 'Provider address').argument('<job-id>', 'job id'), false)
        .action(action(async (providerRaw: string, jobIdRaw: string, flags: NetFlags) => {
            const provider = parseAddress(providerRaw, '<provider>');
            const jobId = parseInt_(jobIdRaw, '<job-id>', 0n, (1n << 64n) - 1n);
            const chain = client(flags);
            await requireDeployed(chain, provider, 'Provider');
            const job = await openProvider(chain, provider).getJob(jobId);
            if (!job) throw new PreconditionError(`job ${jobId} is not open on ${provider.toString()} (never created, or already ended)`);
            const now = await chainTime(chain, provider);
            if (now <= Number(job.deadline)) throw new PreconditionError(`job ${jobId} has not expired: deadline ${iso(Number(job.deadline))}, chain time ${iso(now)}`);
            const signer = await wallet(chain);
            const sent = await sendAndConfirm(chain, signer, provider, EXPIRE_VALUE, body(storeExpireJob({ $$type: 'ExpireJob', queryId: BigInt(Date.now()), jobId })), progressFor(flags));
            const tx = (await chain.getTransactions(provider, { limit: 20 })).find((t) => t.hash().toString('hex') === sent.txHash);
            const end = tx ? jobEndIn(tx, jobId) : null;
            if (!end || end.kind !== 'expired') throw new RefusedError('ExpireJob was processed but no JobExpired event was found');
            output(flags, { ok: true, ...sent, jobId, refund: end.event.refund, slashed: end.event.slashed, client: job.client }, () =>
                `job ${jobId} expired: ${ton(end.event.refund)} TON refunded to ${job.client.toString()}, ${ton(end.event.slashed)} TON slashed`);
        }));
}
