/**
 * What a developer needs to point their own app at the running demo devnet, written as one dotenv
 * file: the endpoint, the Registry, a funded client wallet, and the development root that signs the
 * runner's dev quotes. The root is taken from the process that generated it (the demo), not from
 * the runner's attestation bundle, which the SDK ignores on purpose (an untrusted runner serves it).
 * The wallet is a throw-away devnet wallet, so its mnemonic may sit in a file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toNano } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { MnemonicSigner } from '../sdk';
import type { DemoHandles } from './startDemo';

export const DEV_ENV_FILE = 'devnet.env';
export const DEV_ROOT_FILE = 'dev-root.pem';

/** Writes `<dir>/devnet.env` and `<dir>/dev-root.pem`; returns the env file's absolute path. */
export async function writeDevEnv(demo: DemoHandles, dir: string, funds = toNano('100')): Promise<string> {
    const devRootPem = demo.protocol.attestation.devRootPem;
    if (!devRootPem) throw new Error('the demo runner does not use dev quotes: there is no development root to write');
    const mnemonic = await mnemonicNew();
    const signer = await MnemonicSigner.fromMnemonic(demo.client, mnemonic);
    await demo.devnet.faucet(signer.address, funds);
    const out = resolve(dir);
    mkdirSync(out, { recursive: true });
    const rootPath = join(out, DEV_ROOT_FILE);
    writeFileSync(rootPath, devRootPem);
    const envPath = join(out, DEV_ENV_FILE);
    writeFileSync(envPath, [
        '# Written by the Cocoon devnet demo (npm start); valid while it runs.',
        `COCOON_ENDPOINT=${demo.devnet.endpoint}`,
        `COCOON_REGISTRY=${demo.protocol.registry.address.toString()}`,
        `COCOON_TRUST_ROOT=${rootPath}`,
        `COCOON_WALLET_MNEMONIC="${mnemonic.join(' ')}"`,
        '',
    ].join('\n'), { mode: 0o600 });
    return envPath;
}
