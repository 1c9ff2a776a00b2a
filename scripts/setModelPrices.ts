/**
 * Sets the sender's Provider's prices for an allow-listed model (SetModelOffer → the Registry approves).
 * `--model-id` or `--model-name`, `--price-in` / `--price-out` in TON per million tokens,
 * `--max-context` tokens, `--value` 0.1 TON.
 */
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { parseArgs } from './lib/args';
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

    await sendStep(provider, 'set model prices', target.address, value, (via) =>
        target.send(via, { value }, { $$type: 'SetModelOffer', queryId, modelId, offer }),
    );
    const now = await target.getOffer(modelId);
    provider.ui().write(now ? `offer in place: ${now.pricePerMillionIn} / ${now.pricePerMillionOut} nanoton per million tokens in / out` : 'offer not set: the Registry refused the model');
}
