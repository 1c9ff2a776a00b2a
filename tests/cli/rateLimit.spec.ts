// Issue 12: "under toncenter's rate limits (1 request/s without a key) every CLI command fails":
// `registry show` fired 9 reads at once. Against a devnet limited to 1 request/s (429 beyond, as
// toncenter answers), a read-only command paced under that rate succeeds.
import { Dictionary, toNano } from '@ton/core';
import { startDevnet, Devnet } from '../../devnet';
import { defaultParams } from '../../protocol/defaults';
import { DEV_GLOBAL_ID } from '../../protocol/networks';
import { Registry } from '../../wrappers/Registry';
import { cocoon } from './cocoonBin';

jest.setTimeout(120_000);

describe('cocoon CLI under a rate-limited endpoint', () => {
    let devnet: Devnet;
    beforeAll(async () => {
        devnet = await startDevnet({ port: 0, blockMs: 0, rateLimit: 1 });
    });
    afterAll(() => devnet.close());

    it('registry show succeeds at 1 request/s when paced under it (COCOON_ENDPOINT_RPS=0.8); unpaced it fails saying why', async () => {
        // Set up on the chain itself (not through the limited API): a Registry with the default parameters.
        const owner = await devnet.blockchain.treasury('owner');
        const registry = devnet.blockchain.openContract(
            await Registry.fromInit(owner.address, BigInt(DEV_GLOBAL_ID), defaultParams(owner.address), null, null, Dictionary.empty(), Dictionary.empty(), Dictionary.empty()),
        );
        await registry.send(owner.getSender(), { value: toNano('1') }, { $$type: 'TopUp', queryId: 0n });
        const env = { COCOON_ENDPOINT: devnet.endpoint, COCOON_REGISTRY: registry.address.toString() };
        const r = await cocoon(['registry', 'show', '--json'], { ...env, COCOON_ENDPOINT_RPS: '0.8' }, 90_000); // under the limit: a request that arrives just early is refused
        expect([r.code, r.stderr]).toEqual([0, '']);
        expect(JSON.parse(r.stdout)).toMatchObject({ globalId: DEV_GLOBAL_ID, params: expect.objectContaining({ minStake: toNano('10').toString() }) });
        // Unpaced, the burst of reads outruns the 429 retries: exit 4, and the message says what to set.
        const burst = await cocoon(['registry', 'show'], env, 90_000);
        expect(burst.code).toBe(4);
        expect(burst.stderr).toMatch(/HTTP 429.*COCOON_ENDPOINT_RPS/);
    });
});
