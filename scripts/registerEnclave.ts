/**
 * Registers an enclave key on the sender's Provider (RegisterEnclave → the Registry checks the
 * certificate). `--certificate` BOC (base64/hex) or `--certificate-file`, `--signature` 64 bytes hex
 * or `--signature-file`, `--verifier-key` 32 bytes hex or `--verifier-key-file`; `--value` 0.1 TON.
 */
import { verifyCell } from '../protocol/signed';
import { Cell, toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { parseArgs, PreconditionError, UsageError } from './lib/args';
import { Registry } from '../wrappers/Registry';
import { openOwnProvider, queryIdFromArgs } from './lib/contracts';
import { sendStep } from './lib/send';

export async function run(provider: NetworkProvider, argv: string[]) {
    const args = parseArgs(argv);
    const certificate: Cell = args.cell('certificate');
    const signature = args.bytes('signature', 64);
    const verifierKey = args.bytes('verifier-key', 32);
    if (!verifyCell(certificate, signature, verifierKey)) {
        throw new UsageError('--signature does not verify over the certificate\'s hash with --verifier-key');
    }
    const value = args.amount('value', toNano('0.1'), { min: toNano('0.03') });
    const queryId = queryIdFromArgs(args);
    const target = await openOwnProvider(provider, args);
    const enclaveKey = certificate.refs[0]?.beginParse().loadUintBig(256);
    await requireListed(provider, target, certificate, verifierKey);

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

/**
 * The Registry refuses a certificate whose image or verifier is not allow-listed and active yet
 * (ERR_IMAGE_NOT_ALLOWED, ERR_VERIFIER_NOT_ALLOWED, one hop after the Provider took the message):
 * checked here so that nothing is sent before governance's delay has passed.
 */
async function requireListed(provider: NetworkProvider, target: { getRegistry(): Promise<import('@ton/core').Address> }, certificate: Cell, verifierKey: Buffer) {
    let imageHash: bigint;
    try {
        const s = certificate.beginParse();
        s.skip(64);
        s.loadAddress();
        s.loadAddress();
        imageHash = s.loadUintBig(256);
    } catch {
        throw new UsageError('--certificate is not an attestation certificate cell');
    }
    const registry = provider.open(Registry.fromAddress(await target.getRegistry()));
    if (!(await registry.getImageActive(imageHash))) {
        throw new PreconditionError(`enclave image ${imageHash.toString(16).padStart(64, '0')} is not allow-listed and active on Registry ${registry.address} (governance allow-image, then the governance delay)`);
    }
    if (!(await registry.getVerifierActive(BigInt('0x' + verifierKey.toString('hex'))))) {
        throw new PreconditionError(`verifier key ${verifierKey.toString('hex')} is not allow-listed and active on Registry ${registry.address} (governance allow-verifier, then the governance delay)`);
    }
}
