/**
 * One mnemonic, one wallet: blueprint's `--mnemonic` sender (its own MnemonicProvider, as
 * `npx blueprint run --testnet --mnemonic` builds it) and Cocoon's MnemonicSigner (the CLI, the
 * gateway) give the same address on the same network.
 */
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { MnemonicProvider } from '@ton/blueprint/dist/network/send/MnemonicProvider';
import { MnemonicSigner } from '../../sdk/signer';
import { chainClient } from '../../sdk/chain';
import { OperatorWallet } from '../../relayer/wallet';
import { parseConfig } from '../../relayer/config';
import { cocoonWallet, WALLET_NETWORK_ID, walletNetworkFromEnv } from '../../protocol/wallet';

async function blueprintAddress(mnemonic: string[], network: 'mainnet' | 'testnet' | 'custom') {
    const keys = await mnemonicToPrivateKey(mnemonic);
    const noClient = { provider: () => ({}) }; // building the wallet opens it; nothing is read here
    const ui = { write: () => {} };
    return new MnemonicProvider({ version: 'v5r1', client: noClient as never, secretKey: keys.secretKey, ui: ui as never, network }).address();
}

describe('one wallet per mnemonic (protocol/wallet.ts)', () => {
    let mnemonic: string[];
    const chain = chainClient('http://127.0.0.1:1/jsonRPC');
    beforeAll(async () => {
        mnemonic = await mnemonicNew();
    });

    it('blueprint --testnet and COCOON_NETWORK=testnet give the same address; network id -3', async () => {
        const signer = await MnemonicSigner.fromEnv(chain, { COCOON_WALLET_MNEMONIC: mnemonic.join(' '), COCOON_NETWORK: 'testnet' });
        expect(signer.address.equals(await blueprintAddress(mnemonic, 'testnet'))).toBe(true);
        expect(cocoonWallet((await mnemonicToPrivateKey(mnemonic)).publicKey, 'testnet').walletId.networkGlobalId).toBe(-3);
    });

    it('mainnet and the devnet (blueprint: custom) use network id -239, a different address than testnet', async () => {
        const main = await MnemonicSigner.fromMnemonic(chain, mnemonic);
        const dev = await MnemonicSigner.fromMnemonic(chain, mnemonic, { network: 'devnet' });
        expect(main.address.equals(await blueprintAddress(mnemonic, 'mainnet'))).toBe(true);
        expect(dev.address.equals(await blueprintAddress(mnemonic, 'custom'))).toBe(true);
        expect(main.address.equals(await blueprintAddress(mnemonic, 'testnet'))).toBe(false);
        expect(WALLET_NETWORK_ID).toEqual({ mainnet: -239, testnet: -3, devnet: -239 });
    });

    it('the relayer keeper\'s wallet follows COCOON_NETWORK too', async () => {
        const config = parseConfig({
            COCOON_RELAYER_ENDPOINT: 'https://testnet.toncenter.com/api/v2/jsonRPC',
            COCOON_RELAYER_PROVIDERS: 'EQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAM9c=http://127.0.0.1:9',
            COCOON_RELAYER_KEEPER_MNEMONIC: mnemonic.join(' '),
            COCOON_NETWORK: 'testnet',
        }, ['--keeper']);
        expect(config.keeperNetwork).toBe('testnet');
        const operator = new OperatorWallet(mnemonic, undefined as never, config.keeperNetwork);
        expect((await operator.address()).equals(await blueprintAddress(mnemonic, 'testnet'))).toBe(true);
    });

    it('a testnet endpoint without COCOON_NETWORK, or an unknown network, is refused with the fix named', () => {
        expect(() => walletNetworkFromEnv({}, 'https://testnet.toncenter.com/api/v2/jsonRPC')).toThrow(/set COCOON_NETWORK=testnet/);
        expect(() => walletNetworkFromEnv({ COCOON_NETWORK: 'tetra' })).toThrow(/not one of mainnet, testnet, devnet/);
        expect(walletNetworkFromEnv({}, 'http://127.0.0.1:8081/jsonRPC')).toBe('mainnet');
    });
});
