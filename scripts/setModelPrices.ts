/**
 * Sets the sender's Provider's prices for an allow-listed model (SetModelOffer → the Registry approves).
 * `--model-id` or `--model-name`, `--price-in` / `--price-out` in TON per million tokens,
 * `--max-context` tokens, `--value` 0.1 TON.
 */
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { parseArgs, PreconditionError } from './lib/args';
import { Registry } from '../wrappers/Registry';
import { modelIdFromArgs, openOwnProvider, queryIdFromArgs } from './lib/contracts';
import { sendStep } from './lib/send';

export async function run(provider: NetworkProvider, argv: string[]) {
    const args = parseArgs(argv);
    const modelId = modelIdFromArgs(args);
    const offer = {
        $$type: 'ModelOffer' as const,
        pricePerMillionIn: args.amount('price-in', undefined, { allowZero: true }),
        pricePerMillionOut: args.amount('price-out', undefined, { allowZero: true }),
        maxContext: args.int('max-context', undefined, { min: 1n, max: 0xffffffffn }),
    };
    const value = args.amount('value', toNano('0.1'), { min: toNano('0.03') });
    const queryId = queryIdFromArgs(args);
    const target = await openOwnProvider(provider, args);
    // The Registry refuses an offer for a model not allow-listed and active (ERR_MODEL_NOT_ALLOWED, one hop after the Provider).
    const registry = provider.open(Registry.fromAddress(await target.getRegistry()));
    if (!(await registry.getModelActive(modelId))) {
        throw new PreconditionError(`model ${modelId.toString(16).padStart(64, '0')} is not allow-listed and active on Registry ${registry.address} (governance allow-model, then the governance delay)`);
    }

    await sendStep(provider, 'set model prices', target.address, value, (via) =>
        target.send(via, { value }, { $$type: 'SetModelOffer', queryId, modelId, offer }),
    );
    const now = await target.getOffer(modelId);
    provider.ui().write(now ? `offer in place: ${now.pricePerMillionIn} / ${now.pricePerMillionOut} nanoton per million tokens in / out` : 'offer not set: the Registry refused the model');
}
