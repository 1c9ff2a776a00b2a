/**
 * Owner-only governance of the Registry: `governance <subcommand> --registry <addr> [flags]`.
 * Additions and parameter changes take effect after the governance delay; removals act at once.
 */
import { Address, toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import type { Registry } from '../wrappers/Registry';
import { Args, parseArgs, UsageError } from './lib/args';
import { paramsFromArgs } from './lib/params';
import { modelIdFromArgs, openRegistry, queryIdFromArgs, senderAddress } from './lib/contracts';
import { sendStep } from './lib/send';

type Message = Parameters<Registry['send']>[3];
type Build = (args: Args, registry: { getParams(): Promise<Awaited<ReturnType<Registry['getParams']>>> }, queryId: bigint) => Promise<Message>;

const SUBCOMMANDS: Record<string, Build> = {
    'propose-params': async (args, registry, queryId) => {
        const current = await registry.getParams();
        return { $$type: 'ProposeParams', queryId, params: paramsFromArgs(args, current) };
    },
    'cancel-params': async (_args, _r, queryId) => ({ $$type: 'CancelParams', queryId }),
    'allow-image': async (args, _r, queryId) => ({ $$type: 'AllowImage', queryId, imageHash: args.uint256('image-hash') }),
    'remove-image': async (args, _r, queryId) => ({ $$type: 'RemoveImage', queryId, imageHash: args.uint256('image-hash') }),
    'allow-model': async (args, _r, queryId) => {
        const name = args.string('model-name');
        if (Buffer.byteLength(name, 'utf8') > 64) throw new UsageError('--model-name: at most 64 bytes');
        return { $$type: 'AllowModel', queryId, modelId: modelIdFromArgs(args), name };
    },
    'remove-model': async (args, _r, queryId) => ({ $$type: 'RemoveModel', queryId, modelId: modelIdFromArgs(args) }),
    'allow-verifier': async (args, _r, queryId) => ({ $$type: 'AllowVerifier', queryId, publicKey: args.uint256('verifier-key') }),
    'remove-verifier': async (args, _r, queryId) => ({ $$type: 'RemoveVerifier', queryId, publicKey: args.uint256('verifier-key') }),
    'propose-owner': async (args, _r, queryId) => ({ $$type: 'ProposeOwner', queryId, newOwner: args.address('new-owner') }),
    'accept-owner': async (_args, _r, queryId) => ({ $$type: 'AcceptOwner', queryId }),
};
export const GOVERNANCE_SUBCOMMANDS = Object.keys(SUBCOMMANDS);

export async function run(provider: NetworkProvider, argv: string[]) {
    const args = parseArgs(argv);
    const sub = args.positionals[0];
    const build = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!build) throw new UsageError(`governance needs a subcommand: ${GOVERNANCE_SUBCOMMANDS.join(', ')}`);
    const registry = await openRegistry(provider, args);
    const value = args.amount('value', toNano('0.05'), { min: toNano('0.01') });
    const message = await build(args, registry, queryIdFromArgs(args));
    await requireAllowedSender(sub, registry, senderAddress(provider));
    const done = await alreadyDone(message, registry);
    if (done) {
        provider.ui().write(`governance ${sub}: ${done}; nothing sent`);
        return;
    }

    await sendStep(provider, `governance ${sub}`, registry.address, value, (via) => registry.send(via, { value }, message));
    if (sub.startsWith('allow-') || sub === 'propose-params') {
        provider.ui().write(`takes effect after the governance delay of ${(await registry.getParams()).governanceDelay} s`);
    }
}

/** The Registry would refuse a message from anyone but its owner (or, to accept, the proposed owner). */
async function requireAllowedSender(sub: string, registry: { getOwner(): Promise<Address>; getPendingOwner(): Promise<Address | null> }, sender: Address) {
    if (sub === 'accept-owner') {
        const pending = await registry.getPendingOwner();
        if (!pending || !pending.equals(sender)) throw new UsageError(`the sender ${sender} is not the proposed owner`);
        return;
    }
    const owner = await registry.getOwner();
    if (!owner.equals(sender)) throw new UsageError(`the sender ${sender} is not the Registry's owner (${owner})`);
}

type Listings = Pick<Registry, 'getImages' | 'getModels' | 'getVerifiers'>;

/**
 * What a repeat would change nothing but cost a refused message (ERR_ALREADY_LISTED / ERR_NOT_LISTED):
 * the reason to send nothing, or undefined when the message is needed.
 */
async function alreadyDone(message: Message, registry: { [K in keyof Listings]: () => ReturnType<Listings[K]> }): Promise<string | undefined> {
    if (typeof message !== 'object' || message === null || !('$$type' in message)) return undefined;
    const listed = async (map: Promise<{ has(key: bigint): boolean }>, key: bigint) => (await map).has(key);
    switch (message.$$type) {
        case 'AllowImage':
            return (await listed(registry.getImages(), message.imageHash)) ? 'the image is already listed' : undefined;
        case 'RemoveImage':
            return (await listed(registry.getImages(), message.imageHash)) ? undefined : 'the image is not listed';
        case 'AllowModel':
            return (await listed(registry.getModels(), message.modelId)) ? 'the model is already listed' : undefined;
        case 'RemoveModel':
            return (await listed(registry.getModels(), message.modelId)) ? undefined : 'the model is not listed';
        case 'AllowVerifier':
            return (await listed(registry.getVerifiers(), message.publicKey)) ? 'the verifier is already listed' : undefined;
        case 'RemoveVerifier':
            return (await listed(registry.getVerifiers(), message.publicKey)) ? undefined : 'the verifier is not listed';
        default:
            return undefined;
    }
}
