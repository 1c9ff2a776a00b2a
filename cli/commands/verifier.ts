/**
 * `cocoon verifier keygen|serve`: the attestation service as a command. A verifier turns a runner's
 * quote into a certificate the Registry accepts (attestation/issuer.ts) once governance allow-lists
 * its public key. The secret key is read from a file or the environment, never from a flag (flags
 * show in `ps`).
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { ed25519 } from '@noble/curves/ed25519.js';
import { loadCollateral } from '../../attestation/collateralLoad';
import { startAttestationServer } from '../../attestation/server';
import { UsageError } from '../exitCodes';
import { readText } from '../files';

interface ServeFlags {
    keyFile?: string;
    host: string;
    port: string;
    trustRoot?: string;
    collateral?: string;
    acceptTcb?: string;
    requireCollateral?: boolean;
    lifetime?: string;
}

export function register(program: Command): void {
    const group = program.command('verifier').description('the attestation verifier: certifies runner quotes for the Registry');
    group
        .command('keygen')
        .description('make a verifier key: writes the secret (hex) to a new file (mode 600) and prints the public key governance allow-lists')
        .requiredOption('--out <file>', 'where to write the secret key; refuses to overwrite')
        .action((flags: { out: string }) => {
            const secret = ed25519.utils.randomSecretKey();
            try {
                writeFileSync(flags.out, `${Buffer.from(secret).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
            } catch (e) {
                throw new UsageError(`cannot write ${flags.out}: ${(e as Error).message}`);
            }
            process.stdout.write(`${Buffer.from(ed25519.getPublicKey(secret)).toString('hex')}\n`);
        });
    group
        .command('serve')
        .description('serve POST /v1/certify until interrupted (docs/spec/attestation.md §6)')
        .option('--key-file <file>', 'file holding the secret key (hex); default: COCOON_VERIFIER_SECRET_KEY')
        .option('--host <host>', 'bind address', '127.0.0.1')
        .option('--port <n>', 'port', '8710')
        .option('--trust-root <pem>', 'PEM file of a development trust root (dev networks only); default: the pinned Intel SGX Root CA')
        .option('--collateral <dir-or-json>', 'Intel collateral (dcap-qvl JSON or a directory of PCS files): TCB status is evaluated')
        .option('--accept-tcb <statuses>', 'comma-separated acceptable TCB statuses (default: UpToDate)')
        .option('--require-collateral', 'refuse every quote when no collateral is given')
        .option('--lifetime <seconds>', 'certificate lifetime (default 7 days)')
        .action(async (flags: ServeFlags) => {
            const secretKey = readSecret(flags.keyFile);
            const port = Number(flags.port);
            if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
            const lifetimeSeconds = flags.lifetime === undefined ? undefined : Number(flags.lifetime);
            if (lifetimeSeconds !== undefined && (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 60)) throw new UsageError('--lifetime must be an integer ≥ 60 seconds');
            const server = await startAttestationServer({
                host: flags.host,
                port,
                secretKey,
                lifetimeSeconds,
                verify: {
                    trustAnchorPem: flags.trustRoot ? readText(flags.trustRoot, 'trust root') : undefined,
                    collateral: flags.collateral ? loadCollateral(flags.collateral) : undefined,
                    requireCollateral: flags.requireCollateral,
                    acceptedTcbStatuses: flags.acceptTcb?.split(',').map((s) => s.trim()),
                },
            });
            process.stdout.write(`${JSON.stringify({ url: server.url, verifierPublicKey: Buffer.from(ed25519.getPublicKey(secretKey)).toString('hex') })}\n`);
            await new Promise<void>((resolve) => {
                const stop = () => server.close().then(resolve, resolve);
                process.once('SIGINT', stop);
                process.once('SIGTERM', stop);
            });
        });
}

function readSecret(file: string | undefined): Uint8Array {
    const text = file ? readText(file, 'key file') : process.env.COCOON_VERIFIER_SECRET_KEY;
    if (!text) throw new UsageError('no verifier key: pass --key-file (cocoon verifier keygen makes one) or set COCOON_VERIFIER_SECRET_KEY');
    const hex = text.trim().replace(/^0x/i, '');
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new UsageError('the verifier key must be 32 bytes as 64 hex digits');
    return new Uint8Array(Buffer.from(hex, 'hex'));
}
