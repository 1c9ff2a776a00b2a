/**
 * The one wallet a mnemonic stands for, everywhere in Cocoon (the SDK's MnemonicSigner, the CLI,
 * the gateway, the relayer's keeper, the demo) and in the blueprint scripts.
 *
 * A V5R1 wallet's address depends on its wallet id, which contains a network id. Blueprint builds
 * it with the network's global id (node_modules/@ton/blueprint/dist/network/send/MnemonicProvider.js:
 * `networkGlobalId: WALLET_NETWORK_ID ?? getW5NetworkGlobalId(network)`, −3 for `--testnet`,
 * −239 otherwise, subwallet 0, workchain 0). Cocoon mirrors that rule, so one mnemonic is one
 * address: a Provider deployed with `npx blueprint run … --testnet --mnemonic` is managed by
 * `COCOON_NETWORK=testnet cocoon provider …` with the same mnemonic.
 *
 * The devnet runs the sandbox's mainnet-like config (its global id is −239) and blueprint names it
 * `custom`, for which it also uses −239: devnet wallets use −239.
 */
import { WalletContractV5R1 } from '@ton/ton';

export const WALLET_VERSION = 'v5r1';

export type WalletNetwork = 'mainnet' | 'testnet' | 'devnet';
export const WALLET_NETWORKS: readonly WalletNetwork[] = ['mainnet', 'testnet', 'devnet'];

/** The V5R1 network id per network, as blueprint's getW5NetworkGlobalId gives it. */
export const WALLET_NETWORK_ID: Record<WalletNetwork, number> = { mainnet: -239, testnet: -3, devnet: -239 };

/** The variable naming the network a wallet is for. Unset: mainnet's id, which is also the devnet's. */
export const NETWORK_ENV = 'COCOON_NETWORK';

export function walletNetworkOf(value: string | undefined, source = NETWORK_ENV): WalletNetwork {
    if (value === undefined || value.trim() === '') return 'mainnet';
    const v = value.trim().toLowerCase();
    if (!(WALLET_NETWORKS as readonly string[]).includes(v)) throw new Error(`${source}: "${value}" is not one of ${WALLET_NETWORKS.join(', ')}`);
    return v as WalletNetwork;
}

/**
 * The network from COCOON_NETWORK. An endpoint whose URL names testnet with COCOON_NETWORK unset is
 * refused: the wallet would silently be the mainnet-id one, a different address than blueprint's.
 */
export function walletNetworkFromEnv(env: NodeJS.ProcessEnv = process.env, endpoint?: string): WalletNetwork {
    const network = walletNetworkOf(env[NETWORK_ENV]);
    if (env[NETWORK_ENV] === undefined && endpoint && /testnet/i.test(endpoint)) {
        throw new Error(`the endpoint ${endpoint.replace(/([?&]api_key=)[^&]*/i, '$1…')} is a testnet one: set ${NETWORK_ENV}=testnet (the wallet's network id is part of its address)`);
    }
    return network;
}

/** The wallet of `publicKey` on `network`: V5R1, workchain 0, subwallet 0, as blueprint builds it. */
export function cocoonWallet(publicKey: Buffer, network: WalletNetwork = 'mainnet'): WalletContractV5R1 {
    return WalletContractV5R1.create({
        publicKey,
        walletId: { networkGlobalId: WALLET_NETWORK_ID[network], context: { workchain: 0, subwalletNumber: 0, walletVersion: 'v5r1' } },
    });
}
