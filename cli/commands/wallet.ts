/**
 * `cocoon wallet new|address|balance`: the one wallet a mnemonic stands for (protocol/wallet.ts:
 * V5R1, the network id of COCOON_NETWORK), as every other command and the blueprint scripts use it.
 * A new mnemonic goes to a file, never to the terminal or a flag.
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { cocoonWallet, walletNetworkFromEnv, WALLET_NETWORK_ID, WALLET_VERSION } from '../../protocol/wallet';
import { action, client, InputError, NetFlags, netOptions, output, ton, wallet } from './common';

export function register(program: Command): void {
    const group = program.command('wallet').description('the wallet of COCOON_WALLET_MNEMONIC: a new one, its address, its balance');
    netOptions(group.command('new').description('make a 24-word mnemonic, write it to a new file (mode 600), print the address; put it in .env as COCOON_WALLET_MNEMONIC'), false)
        .requiredOption('--out <file>', 'where to write the mnemonic; refuses to overwrite')
        .action(action(async (flags: NetFlags & { out: string }) => {
            const network = networkOf(flags);
            const words = await mnemonicNew();
            try {
                writeFileSync(flags.out, `${words.join(' ')}\n`, { mode: 0o600, flag: 'wx' });
            } catch (e) {
                throw new InputError(`cannot write ${flags.out}: ${(e as Error).message}`);
            }
            const address = cocoonWallet((await mnemonicToPrivateKey(words)).publicKey, network).address;
            output(flags, { address, network, networkId: WALLET_NETWORK_ID[network], version: WALLET_VERSION, file: flags.out }, () =>
                `${address.toString()}  (${WALLET_VERSION}, network id ${WALLET_NETWORK_ID[network]}); mnemonic written to ${flags.out}: fund the address before sending`);
        }));
    netOptions(group.command('address').description('the address of COCOON_WALLET_MNEMONIC on COCOON_NETWORK'), false).action(action(async (flags: NetFlags) => {
        const signer = await wallet(client(flags));
        output(flags, { address: signer.address, network: signer.network, networkId: WALLET_NETWORK_ID[signer.network], version: WALLET_VERSION }, () => signer.address.toString());
    }));
    netOptions(group.command('balance').description('the balance of COCOON_WALLET_MNEMONIC, by the chain'), false).action(action(async (flags: NetFlags) => {
        const chain = client(flags);
        const signer = await wallet(chain);
        const [balance, deployed] = await Promise.all([chain.getBalance(signer.address), chain.isContractDeployed(signer.address)]);
        output(flags, { address: signer.address, balance, deployed }, () => `${ton(balance)} TON at ${signer.address.toString()}${deployed ? '' : ' (not deployed yet: its first send deploys it)'}`);
    }));
}

function networkOf(flags: NetFlags) {
    try {
        return walletNetworkFromEnv(process.env, flags.endpoint);
    } catch (e) {
        throw new InputError((e as Error).message);
    }
}
