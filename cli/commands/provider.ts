/**
 * `cocoon provider stake|register|prices|runner-url|status|sync|unbond|withdraw`: a Provider owner's
 * operations (sync: anyone's).
 * The Provider is `--provider`, or the wallet's own (the Registry computes its address). Each
 * command checks before sending what the contract would refuse: ownership, balance, an expired or
 * mis-targeted attestation certificate, an unknown model, open jobs, an unfinished unbonding.
 */
import { verifyCell } from '../../protocol/signed';
import { Address, Cell, toNano } from '@ton/core';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { modelIdOf } from '../../protocol/defaults';
import { SYNC_MARGIN_SECONDS, SYNC_VALUE_TON } from '../../protocol/paramsFreshness';
import { checkRunnerUrl } from '../../protocol/runnerUrl';
import { fetchBundle, readProvider, readRegistry, MnemonicSigner } from '../../sdk';
import { Chain, chainTime, openProvider, openRegistry } from '../../sdk/chain';
import { storeDeployProvider } from '../../wrappers/Registry';
import {
    storeAddStake, storeRegisterEnclave, storeRequestSync, storeRequestUnbond, storeSetModelOffer, storeSetRunnerUrl, storeWithdrawEarnings, storeWithdrawStake,
} from '../../wrappers/Provider';
import {
    action, body, client, InputError, NetFlags, netOptions, output, parseAddress, parseHex32, parseInt_, parseTon, PreconditionError,
    progressFor, RefusedError, registryOf, requireDeployed, sendAndConfirm, ton, wallet,
} from './common';

const QUERY_VALUE = toNano('0.1'); // a question to the Registry: its handler, the reply and the excess back
const OWNER_VALUE = toNano('0.05');
const DEPLOY_VALUE = toNano('0.2'); // PROVIDER_DEPLOY_VALUE (0.1) and the Provider's first reserve; the rest comes back

interface ProviderFlags extends NetFlags {
    provider?: string;
}

function withProvider(cmd: Command): Command {
    return netOptions(cmd).option('--provider <address>', 'Provider address (default: the wallet\'s own, via --registry)');
}

async function providerAddress(chain: Chain, flags: ProviderFlags, owner?: Address): Promise<Address> {
    if (flags.provider) return parseAddress(flags.provider, '--provider');
    if (!owner) throw new InputError('missing --provider (or --registry with a wallet to derive it)');
    return openRegistry(chain, registryOf(flags)).getProviderAddress(owner);
}

type Owned = Awaited<ReturnType<typeof ownProvider>>;

async function ownProvider(flags: ProviderFlags) {
    const chain = client(flags);
    const signer = await wallet(chain);
    const address = await providerAddress(chain, flags, signer.address);
    await requireDeployed(chain, address, 'Provider');
    const provider = openProvider(chain, address);
    const owner = await provider.getOwner();
    if (!owner.equals(signer.address)) throw new PreconditionError(`the wallet ${signer.address.toString()} is not the owner of Provider ${address.toString()} (owner ${owner.toString()})`);
    return { chain, signer, address, provider };
}

function readCell(value: string | undefined, flag: string): Cell {
    if (!value) throw new InputError(`missing ${flag}: a BOC (base64, hex or a file)`);
    let raw: Buffer;
    try {
        raw = readFileSync(value);
        const text = raw.toString('utf8').trim();
        if (/^[0-9a-zA-Z+/=\s]+$/.test(text)) raw = /^[0-9a-fA-F]+$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    } catch {
        raw = /^(0x)?[0-9a-fA-F]+$/.test(value) ? Buffer.from(value.replace(/^0x/, ''), 'hex') : Buffer.from(value, 'base64');
    }
    try {
        return Cell.fromBoc(raw)[0];
    } catch {
        throw new InputError(`${flag}: not a valid BOC`);
    }
}

function hexBytes(value: string | undefined, flag: string, length: number): Buffer {
    const hex = (value ?? '').trim().replace(/^0x/i, '');
    if (!new RegExp(`^[0-9a-fA-F]{${2 * length}}$`).test(hex)) throw new InputError(`${flag}: expected ${length} bytes as ${2 * length} hex digits`);
    return Buffer.from(hex, 'hex');
}

const iso = (t: number) => new Date(t * 1000).toISOString();

/** POSTs `payload` as JSON and parses the answer; a refusal with a JSON body is returned for the caller to explain. */
async function postJson(url: string, who: string, payload: unknown): Promise<Record<string, any>> {
    let res: Response;
    try {
        res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(30_000) });
    } catch (e) {
        throw new PreconditionError(`cannot reach ${who} at ${url}: ${(e as Error).message}`);
    }
    try {
        return (await res.json()) as Record<string, any>;
    } catch {
        throw new PreconditionError(`${who} answered HTTP ${res.status} without JSON`);
    }
}

/** Checks a certificate against the chain (what the Registry would refuse), sends RegisterEnclave and confirms the key is recorded. */
async function registerCertificate(flags: ProviderFlags, certificate: Cell, signature: Buffer, verifierKey: Buffer, owned?: Owned) {
    if (!verifyCell(certificate, signature, verifierKey)) throw new InputError('the signature does not verify over the certificate with the verifier key');
    const { chain, signer, address } = owned ?? (await ownProvider(flags));
    let cert: { globalId: number; registry: Address; provider: Address; imageHash: bigint; enclaveKey: bigint; issuedAt: number; expiresAt: number };
    try {
        const s = certificate.beginParse();
        s.loadUint(32);
        const globalId = s.loadInt(32);
        const registry = s.loadAddress();
        const provider = s.loadAddress();
        const imageHash = s.loadUintBig(256);
        const keys = s.loadRef().beginParse();
        const enclaveKey = keys.loadUintBig(256);
        keys.loadUintBig(256);
        keys.loadUintBig(256);
        cert = { globalId, registry, provider, imageHash, enclaveKey, issuedAt: keys.loadUint(32), expiresAt: keys.loadUint(32) };
    } catch {
        throw new InputError('--certificate is not an attestation certificate cell');
    }
    const registryAddress = await openProvider(chain, address).getRegistry();
    const view = await readRegistry(chain, registryAddress);
    const now = await chainTime(chain, address);
    if (cert.globalId !== view.globalId || !cert.registry.equals(registryAddress) || !cert.provider.equals(address)) {
        throw new PreconditionError('the certificate names another network, Registry or Provider');
    }
    if (now >= cert.expiresAt || now >= cert.issuedAt + Number(view.params.attestationMaxAge)) {
        throw new PreconditionError(`the attestation certificate has expired (expires ${iso(Math.min(cert.expiresAt, cert.issuedAt + Number(view.params.attestationMaxAge)))}, chain time ${iso(now)}); attest again`);
    }
    if (cert.issuedAt > now) throw new PreconditionError(`the certificate is issued in the future (${iso(cert.issuedAt)})`);
    if (!view.imageActive(cert.imageHash)) {
        throw new PreconditionError(`enclave measurement ${cert.imageHash.toString(16).padStart(64, '0')} is not allow-listed (and active) on the Registry: governance lists it with registry allow-image (cocoon attestation measure prints it)`);
    }
    if (!(await openRegistry(chain, registryAddress).getVerifierActive(BigInt('0x' + verifierKey.toString('hex'))))) throw new PreconditionError('the verifier key is not an active verifier on the Registry');
    const sent = await sendAndConfirm(chain, signer, address, QUERY_VALUE, body(storeRegisterEnclave({
        $$type: 'RegisterEnclave', queryId: BigInt(Date.now()), verifierKey: BigInt('0x' + verifierKey.toString('hex')), signature, certificate,
    })), progressFor(flags));
    const enclave = await openProvider(chain, address).getEnclave(cert.enclaveKey);
    if (!enclave) throw new PreconditionError('the Registry refused the certificate (the Provider did not record the key)');
    return { ok: true, ...sent, enclaveKey: cert.enclaveKey.toString(16).padStart(64, '0'), validUntil: Number(enclave.validUntil) };
}

/** How long the parameter copy stays fresh, with the warning the keeper's margin implies. */
function freshness(staleAt: number, now: number): string {
    if (staleAt === 0) return 'never synced';
    if (now >= staleAt) return `STALE since ${iso(staleAt)}: the Provider takes no jobs until a sync (cocoon provider sync)`;
    const left = staleAt - now;
    const warning = left <= SYNC_MARGIN_SECONDS ? ` — WARNING: goes stale in ${Math.ceil(left / 60)} min; run a relayer with --keeper or cocoon provider sync` : '';
    return `fresh until ${iso(staleAt)}${warning}`;
}

/** Reads until the value differs from `before` (or gives up after ~30 s and returns the last value). */
async function waitForChange(read: () => Promise<number>, before: number): Promise<number> {
    let value = await read();
    for (let i = 0; i < 60 && value === before; i++) {
        await new Promise((r) => setTimeout(r, 500));
        value = await read();
    }
    return value;
}

export function register(program: Command): void {
    const group = program.command('provider').description('a Provider: stake, enclave registration, prices, status, unbonding');

    netOptions(group.command('deploy').description('deploy the wallet\'s own Provider through the Registry; sends nothing when it is already deployed and synced'))
        .action(action(async (flags: ProviderFlags) => {
            const chain = client(flags);
            const signer = await wallet(chain);
            const registry = registryOf(flags);
            await requireDeployed(chain, registry, 'Registry');
            const address = await openRegistry(chain, registry).getProviderAddress(signer.address);
            // Deployed and synced once: a second DeployProvider would only re-sync, at 0.2 TON.
            if ((await chain.isContractDeployed(address)) && (await openProvider(chain, address).getParamsStaleAt()) > 0n) {
                return output(flags, { ok: true, sent: false, provider: address }, () => `Provider ${address.toString()} is already deployed: nothing sent`);
            }
            const sent = await sendAndConfirm(chain, signer, registry, DEPLOY_VALUE, body(storeDeployProvider({ $$type: 'DeployProvider', queryId: BigInt(Date.now()) })), progressFor(flags));
            output(flags, { ok: true, sent: true, ...sent, provider: address }, () => `Provider ${address.toString()} deployed (owner ${signer.address.toString()})`);
        }));

    withProvider(group.command('stake').description('add stake to a Provider (anyone may)').requiredOption('--amount <ton>', 'stake to add, in TON'))
        .action(action(async (flags: ProviderFlags & { amount: string }) => {
            const amount = parseTon(flags.amount, '--amount');
            const chain = client(flags);
            const signer = await wallet(chain);
            const address = await providerAddress(chain, flags, signer.address);
            await requireDeployed(chain, address, 'Provider');
            const sent = await sendAndConfirm(chain, signer, address, amount, body(storeAddStake({ $$type: 'AddStake', queryId: BigInt(Date.now()) })), progressFor(flags));
            const stake = (await openProvider(chain, address).getLedger()).stake;
            output(flags, { ok: true, ...sent, provider: address, stake }, () => `stake now ${ton(stake)} TON`);
        }));

    withProvider(group.command('register').description('register an attested enclave key with a certificate signed by an allow-listed verifier (owner)'))
        .requiredOption('--certificate <boc-or-file>', 'attestation certificate cell (BOC as base64/hex, or a file)')
        .requiredOption('--signature <hex>', 'verifier\'s Ed25519 signature over the certificate hash (64 bytes hex)')
        .requiredOption('--verifier-key <hex>', 'verifier\'s Ed25519 public key (32 bytes hex)')
        .action(action(async (flags: ProviderFlags & { certificate: string; signature: string; verifierKey: string }) => {
            const certificate = readCell(flags.certificate, '--certificate');
            const signature = hexBytes(flags.signature, '--signature', 64);
            const verifierKey = hexBytes(flags.verifierKey, '--verifier-key', 32);
            const registered = await registerCertificate(flags, certificate, signature, verifierKey);
            output(flags, registered, () => `enclave registered, valid until ${iso(registered.validUntil)}`);
        }));

    withProvider(group.command('attest').description('attest a running enclave runner: fetch its quote, have a verifier certify it, register the key (owner); sends nothing if the key is already registered'))
        .requiredOption('--runner-url <url>', 'base URL of the runner (serves GET /v1/attestation)')
        .requiredOption('--verifier <url>', 'base URL of an attestation verifier (cocoon verifier serve)')
        .action(action(async (flags: ProviderFlags & { runnerUrl: string; verifier: string }) => {
            const progress = progressFor(flags);
            const owned = await ownProvider(flags);
            const { chain, address, provider } = owned;
            // The same GET the SDK makes (redirects refused); its failure is this command's precondition.
            const doc = await fetchBundle(flags.runnerUrl, 30_000).catch((e: Error) => Promise.reject(new PreconditionError(e.message)));
            if (typeof doc.enclaveEd25519 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(doc.enclaveEd25519)) throw new PreconditionError('the runner\'s attestation document has no enclave key');
            const enclaveKey = BigInt(`0x${doc.enclaveEd25519}`);
            const existing = await provider.getEnclave(enclaveKey);
            if (existing && !existing.revoked && Number(existing.validUntil) > (await chainTime(chain, address))) {
                return output(flags, { ok: true, sent: false, enclaveKey: doc.enclaveEd25519, validUntil: Number(existing.validUntil) }, () => `enclave ${doc.enclaveEd25519.slice(0, 16)}… is already registered, valid until ${iso(Number(existing.validUntil))}: nothing sent`);
            }
            if (!Address.parse(String(doc.provider)).equals(address)) throw new PreconditionError(`the runner attests for Provider ${doc.provider}, not ${address.toString()} (start it with --provider ${address.toString()})`);
            progress?.('runner attestation fetched; asking the verifier');
            const registry = await provider.getRegistry();
            const certified = await postJson(`${flags.verifier.replace(/\/+$/, '')}/v1/certify`, 'the verifier', {
                quote: doc.quote, globalId: doc.globalId, registry: registry.toString(), provider: address.toString(),
                enclaveEd25519: doc.enclaveEd25519, enclaveX25519: doc.enclaveX25519, runtime: doc.runtime,
            });
            if (typeof certified.certificate !== 'string') {
                const why = ((certified.verdict as { errors?: { check: string; message: string }[] } | undefined)?.errors ?? []).map((e) => `${e.check}: ${e.message}`).join('; ');
                throw new PreconditionError(`the verifier refused the quote (${String(certified.error ?? 'no certificate')}${why ? `: ${why}` : ''})`);
            }
            const registered = await registerCertificate(
                flags, Cell.fromBoc(Buffer.from(certified.certificate, 'base64'))[0], hexBytes(String(certified.signature), 'the verifier\'s signature', 64), hexBytes(String(certified.verifierPublicKey), 'the verifier\'s key', 32), owned,
            );
            output(flags, { ...registered, sent: true }, () => `enclave ${doc.enclaveEd25519.slice(0, 16)}… attested and registered, valid until ${iso(registered.validUntil)}`);
        }));

    withProvider(group.command('prices').description('set the price of an allow-listed model (owner)'))
        .requiredOption('--model <name>', 'model name as allow-listed')
        .requiredOption('--in <ton>', 'TON per million input tokens')
        .requiredOption('--out <ton>', 'TON per million output tokens')
        .option('--max-context <tokens>', 'maximum input + output tokens', '8192')
        .action(action(async (flags: ProviderFlags & { model: string; in: string; out: string; maxContext: string }) => {
            const pricePerMillionIn = parseTon(flags.in, '--in', { allowZero: true });
            const pricePerMillionOut = parseTon(flags.out, '--out', { allowZero: true });
            const maxContext = parseInt_(flags.maxContext, '--max-context', 1n, (1n << 24n) - 1n);
            if (pricePerMillionIn >= 1n << 48n || pricePerMillionOut >= 1n << 48n) throw new InputError('a price above 2^48 nanotons per million tokens does not fit');
            const { chain, signer, address, provider } = await ownProvider(flags);
            const view = await readRegistry(chain, await provider.getRegistry());
            const modelId = modelIdOf(flags.model);
            const listing = view.models.find((m) => m.modelId === modelId);
            if (!listing) throw new InputError(`unknown model "${flags.model}": the Registry lists ${view.models.map((m) => m.name).join(', ') || 'no models'}`);
            if (!listing.active) throw new PreconditionError(`model ${flags.model} is listed but active only from ${iso(listing.activatesAt)}`);
            const sent = await sendAndConfirm(chain, signer, address, QUERY_VALUE, body(storeSetModelOffer({
                $$type: 'SetModelOffer', queryId: BigInt(Date.now()), modelId, offer: { $$type: 'ModelOffer', pricePerMillionIn, pricePerMillionOut, maxContext },
            })), progressFor(flags));
            output(flags, { ok: true, ...sent, model: flags.model, pricePerMillionIn, pricePerMillionOut, maxContext }, () => `${flags.model}: ${ton(pricePerMillionIn)} TON / M input, ${ton(pricePerMillionOut)} TON / M output, context ${maxContext}`);
        }));

    withProvider(group.command('runner-url').description('publish the public URL of the enclave runner, where clients and relayers find it ("" clears it; owner)'))
        .argument('<url>', 'the runner\'s base URL (http or https, no credentials, query or fragment; at most 127 bytes)')
        .action(action(async (raw: string, flags: ProviderFlags) => {
            // Published in the form clients will call, so that re-running with the same URL sends nothing.
            const checked = raw === '' ? null : checkRunnerUrl(raw);
            if (checked instanceof Error) throw new InputError(checked.message);
            const { chain, signer, address, provider } = await ownProvider(flags);
            const current = await provider.getRunnerUrl();
            if (current === checked) {
                return output(flags, { ok: true, sent: false, provider: address, runnerUrl: current }, () => `runner URL already ${current ?? 'unset'}: nothing sent`);
            }
            if ((await provider.getParams()) === null) throw new PreconditionError('the Registry has not deployed (synced) this Provider yet');
            const sent = await sendAndConfirm(chain, signer, address, OWNER_VALUE, body(storeSetRunnerUrl({ $$type: 'SetRunnerUrl', queryId: BigInt(Date.now()), url: checked ?? '' })), progressFor(flags));
            const after = await provider.getRunnerUrl();
            if (after !== checked) throw new RefusedError(`the transaction was confirmed but the Provider publishes ${JSON.stringify(after)}`);
            output(flags, { ok: true, sent: true, ...sent, provider: address, runnerUrl: after }, () => (after ? `runner URL now ${after}` : 'runner URL cleared'));
        }));

    withProvider(group.command('status').description('stake, counters, enclaves and offers of a Provider').option('--owner <address>', 'derive the Provider of this owner (with --registry)'))
        .action(action(async (flags: ProviderFlags & { owner?: string }) => {
            const chain = client(flags);
            let owner: Address | undefined = flags.owner ? parseAddress(flags.owner, '--owner') : undefined;
            if (!flags.provider && !owner) owner = (await wallet(chain)).address;
            const address = await providerAddress(chain, flags, owner);
            await requireDeployed(chain, address, 'Provider');
            const view = await readRegistry(chain, await openProvider(chain, address).getRegistry());
            const [info, ledger] = await Promise.all([readProvider(chain, address, view), openProvider(chain, address).getLedger()]);
            const names = new Map(view.models.map((m) => [m.modelId, m.name]));
            output(flags, { ...info, ledger, offers: info.offers.map((o) => ({ ...o, name: names.get(o.modelId) ?? null })) }, () => [
                `provider   ${address.toString()}  owner ${info.owner.toString()}`,
                `status     ${info.unavailable ?? 'taking jobs'}`,
                `parameters ${freshness(info.paramsStaleAt, view.now)}`,
                `runner     ${info.runnerUrl ?? (info.runnerUrlRefused ? `published URL refused: ${info.runnerUrlRefused}` : 'no URL published (cocoon provider runner-url)')}`,
                `stake      ${ton(ledger.stake)} TON (unbonding ${ton(ledger.unbonding)} TON${ledger.unbonding > 0n ? `, withdrawable from ${iso(Number(ledger.unbondAt))}` : ''})`,
                `earnings   ${ton(ledger.earnings)} TON   escrowed ${ton(ledger.escrowed)} TON in ${ledger.openJobs} open jobs`,
                `history    ${ledger.completed} completed, ${ledger.declined} declined, ${ledger.expired} expired, ${ton(ledger.totalSlashed)} TON slashed (score ${info.reputation.score.toFixed(3)})`,
                'enclaves', ...info.enclaves.map((e) => `  ${e.enclaveKey.toString(16).padStart(64, '0').slice(0, 16)}…  ${e.unusable ?? 'usable'}, valid until ${iso(e.validUntil)}`),
                'offers', ...info.offers.map((o) => `  ${names.get(o.modelId) ?? o.modelId.toString(16)}: ${ton(o.pricePerMillionIn)} / ${ton(o.pricePerMillionOut)} TON per M in/out, context ${o.maxContext}`),
            ].join('\n'));
        }));

    withProvider(group.command('sync').description('refresh the Provider\'s copy of the Registry parameters (anyone; the relayer\'s keeper does it on its own)').option('--force', 'send even when the copy is fresh'))
        .action(action(async (flags: ProviderFlags & { force?: boolean }) => {
            const chain = client(flags);
            const signer = await wallet(chain);
            const address = await providerAddress(chain, flags, signer.address);
            await requireDeployed(chain, address, 'Provider');
            const provider = openProvider(chain, address);
            const [staleAt, now] = [Number(await provider.getParamsStaleAt()), await chainTime(chain, address)];
            if (staleAt - now > SYNC_MARGIN_SECONDS && !flags.force) {
                return output(flags, { ok: true, sent: false, paramsStaleAt: staleAt }, () => `parameters ${freshness(staleAt, now)}: nothing sent (--force to send anyway)`);
            }
            const sent = await sendAndConfirm(chain, signer, address, toNano(SYNC_VALUE_TON), body(storeRequestSync({ $$type: 'RequestSync', queryId: BigInt(Date.now()) })), progressFor(flags));
            // Confirmation follows the Registry's ParamsSync back, so the first read usually shows the new
            // horizon; the wait covers a confirmation that gave up on a hop (`incomplete`).
            const after = await waitForChange(() => provider.getParamsStaleAt().then(Number), staleAt);
            output(flags, { ok: true, sent: true, ...sent, paramsStaleAt: after }, () => `parameters ${freshness(after, now)}`);
        }));

    withProvider(group.command('unbond').description('move stake to unbonding (owner); withdrawable after the unbonding period').requiredOption('--amount <ton>', 'stake to unbond, in TON'))
        .action(action(async (flags: ProviderFlags & { amount: string }) => {
            const amount = parseTon(flags.amount, '--amount');
            const { chain, signer, address, provider } = await ownProvider(flags);
            const ledger = await provider.getLedger();
            if (ledger.openJobs > 0n) throw new PreconditionError(`${ledger.openJobs} jobs are open; unbonding is refused until they end`);
            if (amount > ledger.stake) throw new PreconditionError(`--amount ${ton(amount)} TON is above the stake of ${ton(ledger.stake)} TON`);
            const minStake = (await provider.getParams())?.minStake ?? 0n;
            if (ledger.stake - amount < minStake) progressFor(flags)(`WARNING: the stake left, ${ton(ledger.stake - amount)} TON, is below the minimum of ${ton(minStake)} TON: the Provider takes no new jobs (ERR_STAKE_TOO_LOW)`);
            const sent = await sendAndConfirm(chain, signer, address, OWNER_VALUE, body(storeRequestUnbond({ $$type: 'RequestUnbond', queryId: BigInt(Date.now()), amount })), progressFor(flags));
            const after = await provider.getLedger();
            output(flags, { ok: true, ...sent, unbonding: after.unbonding, unbondAt: Number(after.unbondAt) }, () => `${ton(after.unbonding)} TON unbonding, withdrawable from ${iso(Number(after.unbondAt))}`);
        }));

    withProvider(group.command('withdraw').description('withdraw unbonded stake, or with --earnings the accrued earnings (owner)').option('--earnings', 'withdraw earnings instead of stake'))
        .action(action(async (flags: ProviderFlags & { earnings?: boolean }) => {
            const { chain, signer, address, provider } = await ownProvider(flags);
            const ledger = await provider.getLedger();
            const now = await chainTime(chain, address);
            let amount: bigint;
            let msg: Cell;
            if (flags.earnings) {
                if (ledger.earnings === 0n) throw new PreconditionError('no earnings to withdraw');
                if (ledger.earnings <= OWNER_VALUE) progressFor(flags)(`WARNING: the earnings, ${ton(ledger.earnings)} TON, are no more than the ${ton(OWNER_VALUE)} TON attached; the fees may exceed what is withdrawn`);
                amount = ledger.earnings;
                msg = body(storeWithdrawEarnings({ $$type: 'WithdrawEarnings', queryId: BigInt(Date.now()) }));
            } else {
                if (ledger.unbonding === 0n) throw new PreconditionError('nothing is unbonding (run `cocoon provider unbond` first)');
                if (now < Number(ledger.unbondAt)) throw new PreconditionError(`the unbonding period ends at ${iso(Number(ledger.unbondAt))} (chain time ${iso(now)})`);
                amount = ledger.unbonding;
                msg = body(storeWithdrawStake({ $$type: 'WithdrawStake', queryId: BigInt(Date.now()) }));
            }
            const sent = await sendAndConfirm(chain, signer, address, OWNER_VALUE, msg, progressFor(flags));
            output(flags, { ok: true, ...sent, amount, to: signer.address }, () => `${ton(amount)} TON sent to ${signer.address.toString()}`);
        }));
}

export type { MnemonicSigner };
