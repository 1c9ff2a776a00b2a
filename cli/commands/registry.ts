/**
 * `cocoon registry show|params|propose|allow-image|allow-model|allow-verifier`: read the Registry,
 * and the owner's governance messages. Every governance command checks, before sending, that the
 * wallet is the Registry's owner, that the value is well-formed and in bounds, and that the entry is
 * not already listed; additions take effect after the governance delay.
 */
import { Address } from '@ton/core';
import { Command } from 'commander';
import { modelIdOf } from '../../protocol/defaults';
import { ProviderDirectory } from '../../sdk';
import { chainTime, openRegistry } from '../../sdk/chain';
import { Params, storeAllowImage, storeAllowModel, storeAllowVerifier, storeProposeParams } from '../../wrappers/Registry';
import {
    action, body, client, InputError, NetFlags, netOptions, output, parseAddress, parseHex32, parseInt_, parseTon, PreconditionError,
    progressFor, registryOf, requireDeployed, sendAndConfirm, ton, wallet,
} from './common';

export const GOVERNANCE_VALUE = 50_000_000n; // 0.05 TON: the Registry's handler gas and the excess back

const hex = (n: bigint) => n.toString(16).padStart(64, '0');

async function governance(flags: NetFlags) {
    const chain = client(flags);
    const address = registryOf(flags);
    await requireDeployed(chain, address, 'Registry');
    const registry = openRegistry(chain, address);
    const signer = await wallet(chain);
    const owner = await registry.getOwner();
    if (!owner.equals(signer.address)) throw new PreconditionError(`the wallet ${signer.address.toString()} is not the Registry's owner (${owner.toString()})`);
    return { chain, address, registry, signer };
}

function paramsText(p: Params): string {
    return [
        `min stake             ${ton(p.minStake)} TON`,
        `unbonding period      ${p.unbondingPeriod} s`,
        `job ttl               ${p.minJobTtl}..${p.maxJobTtl} s`,
        `protocol fee          ${p.protocolFeeBps} bps`,
        `expiry slash          ${p.expirySlashBps} bps of the price cap, client share ${p.expiryClientShareBps} bps`,
        `equivocation slash    ${p.equivocationSlashBps} bps of stake, reporter share ${p.reporterShareBps} bps`,
        `attestation max age   ${p.attestationMaxAge} s`,
        `governance delay      ${p.governanceDelay} s`,
        `treasury              ${p.treasury.toString()}`,
    ].join('\n');
}

/** Registry.validateParams, checked here so an out-of-bounds proposal is never sent. */
export function paramsProblems(p: Params): string[] {
    const out: string[] = [];
    const check = (ok: boolean, msg: string) => ok || out.push(msg);
    check(p.minStake >= 1_000_000_000n, 'min stake must be at least 1 TON');
    check(p.unbondingPeriod >= 3600n && p.unbondingPeriod <= 31536000n, 'unbonding period must be within [3600, 31536000] s');
    check(p.minJobTtl >= 10n && p.minJobTtl <= p.maxJobTtl && p.maxJobTtl <= 604800n, 'job ttl bounds must satisfy 10 <= min <= max <= 604800');
    check(p.maxJobTtl < p.unbondingPeriod, 'max job ttl must be shorter than the unbonding period');
    check(p.protocolFeeBps <= 3000n, 'protocol fee at most 3000 bps');
    check(p.expirySlashBps <= 100000n, 'expiry slash at most 100000 bps');
    check(p.expiryClientShareBps <= 10000n, 'expiry client share at most 10000 bps');
    check(p.equivocationSlashBps > 0n && p.equivocationSlashBps <= 10000n, 'equivocation slash within (0, 10000] bps');
    check(p.reporterShareBps <= 10000n, 'reporter share at most 10000 bps');
    check(p.attestationMaxAge >= 600n && p.attestationMaxAge <= 31536000n, 'attestation max age within [600, 31536000] s');
    check(p.governanceDelay >= 3600n && p.governanceDelay <= 2592000n, 'governance delay within [3600, 2592000] s');
    return out;
}

const PARAM_FLAGS: [keyof Params, string, 'ton' | 'int' | 'address'][] = [
    ['minStake', '--min-stake <ton>', 'ton'],
    ['unbondingPeriod', '--unbonding-period <s>', 'int'],
    ['minJobTtl', '--min-job-ttl <s>', 'int'],
    ['maxJobTtl', '--max-job-ttl <s>', 'int'],
    ['protocolFeeBps', '--protocol-fee-bps <n>', 'int'],
    ['expirySlashBps', '--expiry-slash-bps <n>', 'int'],
    ['expiryClientShareBps', '--expiry-client-share-bps <n>', 'int'],
    ['equivocationSlashBps', '--equivocation-slash-bps <n>', 'int'],
    ['reporterShareBps', '--reporter-share-bps <n>', 'int'],
    ['attestationMaxAge', '--attestation-max-age <s>', 'int'],
    ['governanceDelay', '--governance-delay <s>', 'int'],
    ['treasury', '--treasury <address>', 'address'],
];

export function register(program: Command): void {
    const group = program.command('registry').description('the Registry: parameters, allow-lists, governance');

    netOptions(group.command('show').description('owner, parameters, allow-listed images, models and verifiers, and the Providers it deployed'))
        .action(action(async (flags: NetFlags) => {
            const chain = client(flags);
            const address = registryOf(flags);
            await requireDeployed(chain, address, 'Registry');
            const r = openRegistry(chain, address);
            const [now, owner, globalId, params, images, models, verifiers, providers] = await Promise.all([
                chainTime(chain, address), r.getOwner(), r.getGlobalId(), r.getParams(), r.getImages(), r.getModels(), r.getVerifiers(),
                new ProviderDirectory(chain, address).addresses(),
            ]);
            const listing = (at: bigint) => ({ activatesAt: Number(at), active: now >= Number(at) });
            const json = {
                registry: address, owner, globalId: Number(globalId), now, params,
                images: images.keys().map((h) => ({ imageHash: hex(h), ...listing(BigInt(images.get(h)!)) })),
                models: models.keys().map((id) => ({ modelId: hex(id), name: models.get(id)!.name, ...listing(models.get(id)!.activatesAt) })),
                verifiers: verifiers.keys().map((k) => ({ publicKey: hex(k), ...listing(BigInt(verifiers.get(k)!)) })),
                providers,
            };
            const state = (l: { active: boolean; activatesAt: number }) => (l.active ? 'active' : `from ${new Date(l.activatesAt * 1000).toISOString()}`);
            output(flags, json, () => [
                `registry   ${address.toString()} (global id ${globalId})`,
                `owner      ${owner.toString()}`,
                paramsText(params),
                `images     ${json.images.length ? '' : '(none)'}`, ...json.images.map((i) => `  ${i.imageHash}  ${state(i)}`),
                `models     ${json.models.length ? '' : '(none)'}`, ...json.models.map((m) => `  ${m.name}  ${m.modelId}  ${state(m)}`),
                `verifiers  ${json.verifiers.length ? '' : '(none)'}`, ...json.verifiers.map((v) => `  ${v.publicKey}  ${state(v)}`),
                `providers  ${providers.length ? '' : '(none)'}`, ...providers.map((p) => `  ${p.toString()}`),
            ].join('\n'));
        }));

    netOptions(group.command('params').description('the effective parameters and any pending proposal'))
        .action(action(async (flags: NetFlags) => {
            const chain = client(flags);
            const address = registryOf(flags);
            await requireDeployed(chain, address, 'Registry');
            const r = openRegistry(chain, address);
            const [params, pending, activatesAt] = await Promise.all([r.getParams(), r.getPendingParams(), r.getPendingActivatesAt()]);
            output(flags, { params, pending, pendingActivatesAt: pending ? Number(activatesAt) : null }, () =>
                [paramsText(params), pending ? `pending, from ${new Date(Number(activatesAt) * 1000).toISOString()}:\n${paramsText(pending)}` : 'no pending proposal'].join('\n'));
        }));

    const propose = netOptions(group.command('propose').description('propose new parameters (owner): unspecified ones keep their current value; effective after the governance delay'));
    for (const [, flag] of PARAM_FLAGS) propose.option(flag);
    propose.action(action(async (flags: NetFlags & Record<string, string>) => {
        const { chain, address, registry, signer } = await governance(flags);
        const next: Params = { ...(await registry.getParams()) };
        for (const [key, flag, kind] of PARAM_FLAGS) {
            const name = flag.split(' ')[0];
            const camel = name.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
            const raw = flags[camel];
            if (raw === undefined) continue;
            (next as Record<string, unknown>)[key] = kind === 'ton' ? parseTon(raw, name) : kind === 'address' ? parseAddress(raw, name) : parseInt_(raw, name, 0n, 0xffffffffn);
        }
        const problems = paramsProblems(next);
        if (problems.length) throw new InputError(`the proposal is out of bounds: ${problems.join('; ')}`);
        const sent = await sendAndConfirm(chain, signer, address, GOVERNANCE_VALUE, body(storeProposeParams({ $$type: 'ProposeParams', queryId: BigInt(Date.now()), params: next })), progressFor(flags));
        const at = await registry.getPendingActivatesAt();
        output(flags, { ok: true, ...sent, params: next, activatesAt: Number(at) }, () => `proposed; takes effect at ${new Date(Number(at) * 1000).toISOString()}`);
    }));

    netOptions(group.command('allow-image').description('allow-list an enclave image hash (owner)').argument('<image-hash>', '64 hex digits'))
        .action(action(async (hash: string, flags: NetFlags) => {
            const imageHash = parseHex32(hash, '<image-hash>');
            const { chain, address, registry, signer } = await governance(flags);
            if ((await registry.getImageListing(imageHash)) !== null) throw new PreconditionError(`image ${hex(imageHash)} is already listed`);
            const sent = await sendAndConfirm(chain, signer, address, GOVERNANCE_VALUE, body(storeAllowImage({ $$type: 'AllowImage', queryId: BigInt(Date.now()), imageHash })), progressFor(flags));
            const at = Number(await registry.getImageListing(imageHash));
            output(flags, { ok: true, ...sent, imageHash: hex(imageHash), activatesAt: at }, () => `image ${hex(imageHash)} listed; active from ${new Date(at * 1000).toISOString()}`);
        }));

    netOptions(group.command('allow-model').description('allow-list a model by name (owner); its id is SHA-256 of the name').argument('<name>', 'model name, e.g. cocoon-reference-v1'))
        .action(action(async (name: string, flags: NetFlags) => {
            if (!name.trim() || Buffer.byteLength(name, 'utf8') > 120) throw new InputError('<name>: 1 to 120 bytes of UTF-8');
            const modelId = modelIdOf(name);
            const { chain, address, registry, signer } = await governance(flags);
            if ((await registry.getModel(modelId)) !== null) throw new PreconditionError(`model ${name} is already listed`);
            const sent = await sendAndConfirm(chain, signer, address, GOVERNANCE_VALUE, body(storeAllowModel({ $$type: 'AllowModel', queryId: BigInt(Date.now()), modelId, name })), progressFor(flags));
            const listing = await registry.getModel(modelId);
            output(flags, { ok: true, ...sent, name, modelId: hex(modelId), activatesAt: Number(listing?.activatesAt ?? 0) }, () => `model ${name} (${hex(modelId)}) listed; active from ${new Date(Number(listing?.activatesAt ?? 0) * 1000).toISOString()}`);
        }));

    netOptions(group.command('allow-verifier').description('allow-list an attestation verifier\'s Ed25519 key (owner)').argument('<public-key>', '64 hex digits'))
        .action(action(async (key: string, flags: NetFlags) => {
            const publicKey = parseHex32(key, '<public-key>');
            const { chain, address, registry, signer } = await governance(flags);
            if ((await registry.getVerifiers()).has(publicKey)) throw new PreconditionError(`verifier ${hex(publicKey)} is already listed`);
            const sent = await sendAndConfirm(chain, signer, address, GOVERNANCE_VALUE, body(storeAllowVerifier({ $$type: 'AllowVerifier', queryId: BigInt(Date.now()), publicKey })), progressFor(flags));
            output(flags, { ok: true, ...sent, publicKey: hex(publicKey) }, () => `verifier ${hex(publicKey)} listed`);
        }));
}

export type { Address };
