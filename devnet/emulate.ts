// Dry-runs an external message against the current state of its target without committing it:
// the basis of estimateFee, and of the acceptance check that lets sendBoc reject a bad message
// up front even when it will only be applied in a later block.
import { Message } from '@ton/core';
import { SmartContractTransaction } from '@ton/sandbox';
import { Chain } from './chain';

export function dryRunExternal(chain: Chain, message: Message, ignoreChksig: boolean): Promise<SmartContractTransaction> {
    if (message.info.type !== 'external-in') throw new TypeError('only external-in messages can be dry-run');
    const target = message.info.dest;
    return chain.exclusive(async (blockchain, now) => {
        const contract = await blockchain.getContract(target);
        const before = contract.snapshot();
        try {
            return await contract.receiveMessage(message, { now, ignoreChksig });
        } finally {
            contract.loadFrom(before);
        }
    });
}
