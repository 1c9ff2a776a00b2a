/**
 * `cocoon session open|status|topup|close|settle`: a client's payment channel with a Provider
 * (docs/SPEC.md "Sessions"). `open` checks the Provider, the model's offer and the enclave key (on
 * chain and its quote, as `job submit` does) before the deposit leaves, and binds the session to the
 * client's session key, kept in a file (made there when missing). `close` is the one command to get
 * the rest back: it starts the challenge window, and run again after the window it finishes the
 * session and refunds; on a session already closing it sends nothing and says so. `settle` takes a
 * voucher the runner handed out (protocol/voucherJson.ts) and settles it, wallet-free by default.
 */
import { Address, beginCell, Cell, external, storeMessage, toNano } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { existsSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { modelIdOf } from '../../protocol/defaults';
import { closeWithVoucherBody, settleVoucherBody, voucherProblem, VOUCHER_PROBLEMS } from '../../protocol/settlement';
import { bigintFromBytes } from '../../protocol/signed';
import { SessionVoucher, voucherFromJson } from '../../protocol/voucherJson';
import { exitName } from '../../protocol/errors';
import { AttestationVerifier, readAttestationTarget, readProvider, readRegistry } from '../../sdk';
import { Chain, chainTime, openProvider, refusalExitCode } from '../../sdk/chain';
import { sessionOpenedIn, sessionRefundIn } from '../../sdk/events';
import { transactionsBetween } from '../../sdk/feed';
import { SessionRecord, storeCloseSession, storeFinishSession, storeOpenSession, storeTopUpSession } from '../../wrappers/Provider';
import { readText } from '../files';
import {
    action, AttestationFlags, attestationOptions, attestationPolicy, body, client, InputError, NetFlags, netOptions, output, parseAddress, parseHex32,
    parseInt_, parseTon, PreconditionError, progressFor, RefusedError, registryOf, requireBalance, requireDeployed, sendAndConfirm, ton, wallet, witnesses,
} from './common';

const MIN_SESSION_TTL = 600n; // contracts/common/fees.tact
const MIN_SESSION_DEPOSIT = toNano('0.01'); // after the opening costs
const DEFAULT_TTL = 86400n;
const MESSAGE_VALUE = toNano('0.05'); // CloseSession, FinishSession, CloseWithVoucher, an internal SettleVoucher: the excess comes back
const CONFIRM = { pollMs: 200, timeoutMs: 60_000 };
const UINT64 = (1n << 64n) - 1n;

const iso = (t: number | bigint) => new Date(Number(t) * 1000).toISOString();
const hex32 = (v: bigint) => v.toString(16).padStart(64, '0');

interface OpenFlags extends NetFlags, AttestationFlags {
    provider: string;
    model: string;
    deposit: string;
    ttl?: string;
    keyFile: string;
    enclave?: string;
}

/** The client's session key: read from `file` when it exists, else a new one (written there just before it is used). */
function sessionKey(file: string): { publicKey: Uint8Array; save?: () => void } {
    if (existsSync(file)) {
        const hex = readText(file, 'session key file').trim();
        if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InputError(`--key-file ${file}: expected an Ed25519 secret key as 64 hex digits`);
        return { publicKey: ed25519.getPublicKey(Buffer.from(hex, 'hex')) };
    }
    const secret = ed25519.utils.randomSecretKey();
    return {
        publicKey: ed25519.getPublicKey(secret),
        save: () => {
            try {
                writeFileSync(file, `${Buffer.from(secret).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
            } catch (e) {
                throw new InputError(`cannot write the session key to ${file}: ${(e as Error).message}`);
            }
        },
    };
}

function sessionId(raw: string): bigint {
    return parseInt_(raw, '<session-id>', 0n, UINT64);
}

/** Where a session stands at chain time `now`, and what returns to its client when it ends. */
function describe(id: bigint, r: SessionRecord, now: number) {
    const settleUntil = Number(r.settleUntil);
    const state = now > settleUntil ? 'finishable' : r.closing ? 'closing' : now >= Number(r.expiresAt) ? 'expired' : 'open';
    return {
        state, sessionId: id, client: r.client, enclaveKey: hex32(r.enclaveKey), deposit: r.deposit, paid: r.paid, lastSeq: r.lastSeq,
        expiresAt: Number(r.expiresAt), settleUntil, closing: r.closing, pricePerMillionIn: r.pricePerMillionIn, pricePerMillionOut: r.pricePerMillionOut,
        refundable: r.deposit - r.paid, chainTime: now,
    };
}

const STATE_TEXT: Record<string, (d: ReturnType<typeof describe>) => string> = {
    open: (d) => `open until ${iso(d.expiresAt)}`,
    expired: (d) => `expired at ${iso(d.expiresAt)}; vouchers settle until ${iso(d.settleUntil)}, then close refunds`,
    closing: (d) => `closing: vouchers settle until ${iso(d.settleUntil)}, then close refunds`,
    finishable: (d) => `window over since ${iso(d.settleUntil)}: close refunds now`,
};

function statusText(d: ReturnType<typeof describe>): string {
    return [
        `session ${d.sessionId}: ${STATE_TEXT[d.state](d)}`,
        `deposit    ${ton(d.deposit)} TON, paid ${ton(d.paid)} TON (voucher ${d.lastSeq}), refundable ${ton(d.refundable)} TON`,
        `client     ${d.client.toString()}`,
        `enclave    ${d.enclaveKey}`,
    ].join('\n');
}

async function readSession(chain: Chain, provider: Address, id: bigint): Promise<SessionRecord> {
    await requireDeployed(chain, provider, 'Provider');
    const record = await openProvider(chain, provider).getSession(id);
    if (!record) throw new PreconditionError(`session ${id} is not open on ${provider.toString()} (never opened, or already ended)`);
    return record;
}

/** Polls the session's record until its `lastSeq` reaches `seq` (a settlement applied), or the timeout (null). */
async function untilSettled(chain: Chain, provider: Address, id: bigint, seq: bigint): Promise<SessionRecord | null> {
    const deadline = Date.now() + CONFIRM.timeoutMs;
    for (;;) {
        const r = await openProvider(chain, provider).getSession(id);
        if (r && r.lastSeq >= seq) return r;
        if (!r || Date.now() > deadline) return null;
        await new Promise((resolve) => setTimeout(resolve, CONFIRM.pollMs));
    }
}

function readVoucher(file: string): SessionVoucher {
    const text = readText(file, 'voucher file');
    try {
        return voucherFromJson(JSON.parse(text));
    } catch (e) {
        throw new InputError(`--voucher ${file}: ${(e as Error).message}`);
    }
}

/** The voucher's own fields against the session's terms (what the contract would refuse whatever the time). */
async function checkVoucher(chain: Chain, sv: SessionVoucher, record: SessionRecord): Promise<void> {
    const globalId = Number(await openProvider(chain, sv.session.provider).getGlobalId());
    const problem = voucherProblem(sv.session, sv.voucher, { globalId, provider: sv.session.provider }, {
        enclaveKey: record.enclaveKey, pricePerMillionIn: record.pricePerMillionIn, pricePerMillionOut: record.pricePerMillionOut,
    });
    if (problem) throw new PreconditionError(`${VOUCHER_PROBLEMS[problem]}: nothing sent`);
    if (sv.voucher.charge > record.deposit) throw new PreconditionError(`the voucher charges ${ton(sv.voucher.charge)} TON, above the deposit of ${ton(record.deposit)} TON: it settles once a top-up covers it`);
}

export function register(program: Command): void {
    const group = program.command('session').description('payment channels with a Provider: open, status, topup, close, settle');

    attestationOptions(netOptions(group.command('open').description('open a session: the deposit from the wallet, bound to an attested enclave key and the client session key'))
        .requiredOption('--provider <address>', 'Provider address')
        .requiredOption('--model <name>', 'model name as allow-listed, e.g. cocoon-reference-v1')
        .requiredOption('--deposit <ton>', 'TON sent; the session\'s deposit is this less the opening costs (~0.01 TON)')
        .option('--ttl <seconds>', `session lifetime, ${MIN_SESSION_TTL} s up to the Registry's maximum (default ${DEFAULT_TTL})`)
        .option('--key-file <file>', 'the client session key (Ed25519 secret, hex): read when the file exists, else made and written there (mode 600)', 'cocoon-session.key')
        .option('--enclave <key>', 'bind to this enclave key (64 hex digits); default the Provider\'s usable key attested longest'))
        .action(action(async (flags: OpenFlags) => {
            const attestation = attestationPolicy(flags);
            const provider = parseAddress(flags.provider, '--provider');
            const registry = registryOf(flags);
            const deposit = parseTon(flags.deposit, '--deposit');
            if (deposit <= MIN_SESSION_DEPOSIT) throw new InputError(`--deposit: must be more than ${ton(MIN_SESSION_DEPOSIT)} TON plus the opening costs`);
            const ttl = flags.ttl === undefined ? DEFAULT_TTL : parseInt_(flags.ttl, '--ttl', MIN_SESSION_TTL, 0xffffffffn);
            const wanted = flags.enclave === undefined ? undefined : parseHex32(flags.enclave, '--enclave');
            const key = sessionKey(flags.keyFile);
            const modelId = modelIdOf(flags.model);
            const chain = client(flags);
            await requireDeployed(chain, registry, 'Registry');
            await requireDeployed(chain, provider, 'Provider');
            const view = await readRegistry(chain, registry);
            if (!view.models.some((m) => m.modelId === modelId)) throw new InputError(`unknown model "${flags.model}": the Registry lists ${view.models.map((m) => m.name).join(', ') || 'no models'}`);
            const info = await readProvider(chain, provider, view);
            if (info.unavailable) throw new PreconditionError(`Provider ${provider.toString()} opens no session now: ${info.unavailable}`);
            const offer = info.offers.find((o) => o.modelId === modelId);
            if (!offer) throw new PreconditionError(`Provider ${provider.toString()} does not offer ${flags.model}`);
            const maxTtl = info.params!.maxSessionTtl;
            if (ttl > maxTtl) throw new InputError(`--ttl: ${ttl} is above the Registry's maximum session lifetime, ${maxTtl} s`);
            const usable = info.enclaves.filter((e) => e.unusable === null && (wanted === undefined || e.enclaveKey === wanted)).sort((a, b) => b.validUntil - a.validUntil);
            if (!usable.length) throw new PreconditionError(wanted === undefined ? `Provider ${provider.toString()} has no usable enclave key` : `enclave key ${hex32(wanted)} is not a usable key of Provider ${provider.toString()}`);
            const enclave = usable[0];
            const say = progressFor(flags);
            const target = await readAttestationTarget([chain, ...witnesses(flags)], registry, provider, enclave.enclaveKey);
            const { tcb } = await new AttestationVerifier(attestation).verify({ ...target, runnerUrl: info.runnerUrl, runnerUrlRefused: info.runnerUrlRefused });
            say(`enclave ${hex32(enclave.enclaveKey)} attestation checked (on chain and quote; TCB ${tcb.evaluated ? tcb.status : `not evaluated: ${tcb.reason}`})`);
            const signer = await wallet(chain);
            await requireBalance(signer, deposit);
            key.save?.();
            const sent = await sendAndConfirm(chain, signer, provider, deposit, body(storeOpenSession({
                $$type: 'OpenSession', queryId: BigInt(Date.now()), modelId, enclaveKey: enclave.enclaveKey, clientKey: bigintFromBytes(key.publicKey), ttl,
            })), say);
            const tx = (await chain.getTransactions(provider, { limit: 20 })).find((t) => t.hash().toString('hex') === sent.txHash);
            const opened = tx ? sessionOpenedIn(tx) : null;
            if (!opened) throw new RefusedError('OpenSession was processed but no SessionOpened event was found');
            const record = await readSession(chain, provider, opened.sessionId);
            const d = describe(opened.sessionId, record, await chainTime(chain, provider));
            output(flags, { ok: true, ...sent, provider, ...d, model: flags.model, clientKey: Buffer.from(key.publicKey).toString('hex'), keyFile: flags.keyFile, keyCreated: Boolean(key.save), runnerUrl: info.runnerUrl ?? null }, () =>
                `session ${opened.sessionId} opened on ${provider.toString()}: deposit ${ton(record.deposit)} TON, until ${iso(record.expiresAt)}; client key ${flags.keyFile}${key.save ? ' (new)' : ''}`);
        }));

    netOptions(group.command('status').description('a session: deposit, paid, last voucher, expiry, window, what is refundable').argument('<provider>', 'Provider address').argument('<session-id>', 'session id'), false)
        .action(action(async (providerRaw: string, idRaw: string, flags: NetFlags) => {
            const provider = parseAddress(providerRaw, '<provider>');
            const id = sessionId(idRaw);
            const chain = client(flags);
            await requireDeployed(chain, provider, 'Provider');
            const p = openProvider(chain, provider);
            const record = await p.getSession(id);
            if (record) {
                const d = describe(id, record, await chainTime(chain, provider));
                return output(flags, d, () => statusText(d));
            }
            if (id >= (await p.getLedger()).nextSessionId) {
                process.exitCode = 1;
                return output(flags, { state: 'unknown', sessionId: id }, () => `session ${id}: never opened on ${provider.toString()}`);
            }
            // The SessionRefund message: the rest of the deposit, plus the excess of the client's own closing message when it ended the session itself.
            const end = (await transactionsBetween(chain, provider, 0n)).map((tx) => ({ tx, refund: sessionRefundIn(tx, id) })).find((e) => e.refund !== null);
            output(flags, { state: 'ended', sessionId: id, refundMessage: end?.refund?.amount ?? null, client: end?.refund?.to ?? null, txHash: end?.tx.hash().toString('hex') ?? null }, () =>
                `session ${id}: ended${end?.refund ? `; its refund message carried ${ton(end.refund.amount)} TON to ${end.refund.to.toString()}` : ''}`);
        }));

    netOptions(group.command('topup').description('add to a session\'s deposit (anyone; it only ever returns to the client)').argument('<provider>', 'Provider address').argument('<session-id>', 'session id'), false)
        .requiredOption('--amount <ton>', 'TON sent; the deposit grows by this less the top-up\'s gas')
        .action(action(async (providerRaw: string, idRaw: string, flags: NetFlags & { amount: string }) => {
            const provider = parseAddress(providerRaw, '<provider>');
            const id = sessionId(idRaw);
            const amount = parseTon(flags.amount, '--amount');
            const chain = client(flags);
            const before = await readSession(chain, provider, id);
            const now = await chainTime(chain, provider);
            if (before.closing || now >= Number(before.expiresAt)) throw new PreconditionError(`session ${id} is ${before.closing ? 'closing' : `expired (${iso(before.expiresAt)})`}: it takes no top-up`);
            const sent = await sendAndConfirm(chain, await wallet(chain), provider, amount, body(storeTopUpSession({ $$type: 'TopUpSession', queryId: BigInt(Date.now()), sessionId: id })), progressFor(flags));
            const after = await readSession(chain, provider, id);
            output(flags, { ok: true, ...sent, sessionId: id, deposit: after.deposit, added: after.deposit - before.deposit, refundable: after.deposit - after.paid }, () =>
                `session ${id}: deposit ${ton(after.deposit)} TON (+${ton(after.deposit - before.deposit)})`);
        }));

    netOptions(group.command('close')
        .description('close a session: starts the challenge window (the client), or, after the window, refunds the rest (anyone); --voucher closes at once with the enclave\'s final voucher')
        .argument('<provider>', 'Provider address').argument('<session-id>', 'session id'), false)
        .option('--voucher <file>', 'a final voucher (JSON, as the runner hands it out): settle it and refund the rest at once')
        .action(action(async (providerRaw: string, idRaw: string, flags: NetFlags & { voucher?: string }) => {
            const provider = parseAddress(providerRaw, '<provider>');
            const id = sessionId(idRaw);
            const final = flags.voucher === undefined ? undefined : readVoucher(flags.voucher);
            if (final && (!final.session.provider.equals(provider) || final.session.sessionId !== id)) throw new InputError(`--voucher: the voucher is for session ${final.session.sessionId} of ${final.session.provider.toString()}`);
            if (final && !final.voucher.final) throw new InputError('--voucher: not a final voucher (the enclave marks the one it signs when the client asks to close)');
            const chain = client(flags);
            await requireDeployed(chain, provider, 'Provider');
            const record = await openProvider(chain, provider).getSession(id);
            if (!record) {
                if (id >= (await openProvider(chain, provider).getLedger()).nextSessionId) throw new PreconditionError(`session ${id} was never opened on ${provider.toString()}`);
                return output(flags, { ok: true, sent: false, state: 'ended', sessionId: id }, () => `session ${id} has already ended: nothing sent`);
            }
            const now = await chainTime(chain, provider);
            const say = progressFor(flags);
            let kind: 'close' | 'finish' | 'close-with-voucher';
            let msg: Cell;
            if (now > Number(record.settleUntil)) {
                [kind, msg] = ['finish', body(storeFinishSession({ $$type: 'FinishSession', queryId: BigInt(Date.now()), sessionId: id }))];
            } else if (final) {
                await checkVoucher(chain, final, record);
                if (final.voucher.seq <= record.lastSeq) throw new PreconditionError(`the final voucher (sequence ${final.voucher.seq}) is not above the last settled one (${record.lastSeq})`);
                [kind, msg] = ['close-with-voucher', closeWithVoucherBody(id, final.voucher)];
            } else if (record.closing) {
                const d = describe(id, record, now);
                return output(flags, { ok: true, sent: false, ...d }, () => `session ${id} is already closing: nothing sent; vouchers settle until ${iso(d.settleUntil)}, then run close again to refund ${ton(d.refundable)} TON`);
            } else {
                [kind, msg] = ['close', body(storeCloseSession({ $$type: 'CloseSession', queryId: BigInt(Date.now()), sessionId: id }))];
            }
            const signer = await wallet(chain);
            if (kind === 'close' && !signer.address.equals(record.client)) throw new PreconditionError(`only the session's client ${record.client.toString()} may close it (the wallet is ${signer.address.toString()}); anyone may finish it after ${iso(record.settleUntil)}`);
            const sent = await sendAndConfirm(chain, signer, provider, MESSAGE_VALUE, msg, say);
            if (kind === 'close') {
                const d = describe(id, await readSession(chain, provider, id), await chainTime(chain, provider));
                return output(flags, { ok: true, sent: true, action: kind, ...sent, ...d }, () => `session ${id} closing: vouchers settle until ${iso(d.settleUntil)}, then run close again to refund ${ton(d.refundable)} TON`);
            }
            const tx = (await chain.getTransactions(provider, { limit: 20 })).find((t) => t.hash().toString('hex') === sent.txHash);
            const message = tx ? sessionRefundIn(tx, id) : null;
            if (!message) throw new RefusedError(`${kind === 'finish' ? 'FinishSession' : 'CloseWithVoucher'} was processed but no refund to the client was found`);
            // What the contract returns (deposit − paid); the message also carries the excess of the client's own closing message.
            const refund = record.deposit - (final ? final.voucher.charge : record.paid);
            output(flags, { ok: true, sent: true, action: kind, ...sent, state: 'ended', sessionId: id, refund, client: message.to, refundMessage: message.amount }, () =>
                `session ${id} ended: ${ton(refund)} TON refunded to ${message.to.toString()}`);
        }));

    netOptions(group.command('settle').description('settle a voucher the runner signed: pays the provider what it adds (anyone; wallet-free by default)'), false)
        .requiredOption('--voucher <file>', 'the voucher (JSON, as the runner hands it out)')
        .option('--wallet', 'send from the wallet (it pays the gas) instead of as an external message (the provider pays the delivery from what the voucher adds)')
        .action(action(async (flags: NetFlags & { voucher: string; wallet?: boolean }) => {
            const sv = readVoucher(flags.voucher);
            const { provider, sessionId: id } = sv.session;
            const chain = client(flags);
            const record = await readSession(chain, provider, id);
            await checkVoucher(chain, sv, record);
            const base = { sessionId: id, provider, seq: sv.voucher.seq };
            if (sv.voucher.seq <= record.lastSeq) {
                return output(flags, { ok: true, sent: false, ...base, lastSeq: record.lastSeq, paid: record.paid }, () =>
                    `session ${id}: already settled up to voucher ${record.lastSeq} (this one is ${sv.voucher.seq}): nothing sent`);
            }
            const now = await chainTime(chain, provider);
            if (now > Number(record.settleUntil)) throw new PreconditionError(`session ${id}'s window closed at ${iso(record.settleUntil)}: the voucher no longer settles`);
            const say = progressFor(flags);
            const msg = settleVoucherBody(id, sv.voucher);
            let txHash: string | null = null;
            if (flags.wallet) {
                txHash = (await sendAndConfirm(chain, await wallet(chain), provider, MESSAGE_VALUE, msg, say)).txHash;
            } else {
                say(`sending SettleVoucher to ${provider.toString()} as an external message`);
                try {
                    await chain.sendFile(externalBoc(provider, msg));
                } catch (e) {
                    const code = refusalExitCode(e);
                    if (code === null) throw e;
                    const hint = exitName(code) === 'ERR_NOTHING_TO_PAY' ? ': the voucher adds too little to pay its external delivery; --wallet sends it with the wallet paying the gas' : '';
                    throw new RefusedError(`the Provider refused the external SettleVoucher: ${exitName(code)} (exit code ${code})${hint}; nothing was charged`);
                }
            }
            const after = await untilSettled(chain, provider, id, sv.voucher.seq);
            if (!after) throw new RefusedError(`the settlement did not appear on chain within ${CONFIRM.timeoutMs / 1000} s`);
            say('confirmed on chain');
            output(flags, { ok: true, sent: true, via: flags.wallet ? 'wallet' : 'external', ...base, txHash, lastSeq: after.lastSeq, paid: after.paid, added: after.paid - record.paid }, () =>
                `session ${id}: voucher ${sv.voucher.seq} settled, ${ton(after.paid - record.paid)} TON more to the provider (paid ${ton(after.paid)} of ${ton(after.deposit)} TON)`);
        }));
}

function externalBoc(to: Address, msg: Cell): Buffer {
    return beginCell().store(storeMessage(external({ to, body: msg }))).endCell().toBoc();
}
