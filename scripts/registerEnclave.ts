/**
 * Registers an enclave key on the sender's Provider (RegisterEnclave → the Registry checks the
 * certificate). `--certificate` BOC (base64/hex) or `--certificate-file`, `--signature` 64 bytes hex
 * or `--signature-file`, `--verifier-key` 32 bytes hex or `--verifier-key-file`; `--value` 0.1 TON.
 */
import { Cell, toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { ed25519 } from '@noble/curves/ed25519.js';
import { parseArgs, UsageError } from './lib/args';
import { openOwnProvider, queryIdFromArgs } from './lib/contracts';
import { sendStep } from './lib/send';

export async function run(provider: NetworkProvider, argv: string[]) {
    const args = parseArgs(argv);
    const certificate: Cell = args.cell('certificate');
    const signature = args.bytes('signature', 64);
    const verifierKey = args.bytes('verifier-key', 32);
    if (!ed25519.verify(signature, certificate.hash(), verifierKey)) {
        throw new UsageError('--signature does not verify over the certificate\'s hash with --verifier-key');
    }
    const value = args.amount('value', toNano('0.1'), { min: toNano('0.03') });
    const queryId = queryIdFromArgs(args);
    const target = await openOwnProvider(provider, args);
    const enclaveKey = certificate.refs[0]?.beginParse().loadUintBig(256);

    await sendStep(provider, 'register enclave', target.address, value, (via) =>
        target.send(via, { value }, {
            $$type: 'RegisterEnclave',
            queryId,
            verifierKey: BigInt('0x' + verifierKey.toString('hex')),
            signature,
            certificate,
        }),
    );
    const enclave = enclaveKey === undefined ? null : await target.getEnclave(enclaveKey);
    provider.ui().write(enclave ? `enclave registered, valid until ${new Date(Number(enclave.validUntil) * 1000).toISOString()}` : 'enclave not registered: the Registry refused the certificate');
}
