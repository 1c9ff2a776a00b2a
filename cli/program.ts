/**
 * The `cocoon` command tree. Each command group lives in its own file under cli/commands/ and exports
 * `register(program)`; add a group by writing that file and listing it in COMMAND_GROUPS.
 */
import { Command } from 'commander';
import { packageVersion } from './version';
import * as attestation from './commands/attestation';
import * as devnet from './commands/devnet';
import * as gateway from './commands/gateway';
import * as job from './commands/job';
import * as provider from './commands/provider';
import * as registry from './commands/registry';
import * as session from './commands/session';
import * as verifier from './commands/verifier';
import * as walletCommands from './commands/wallet';

export interface CommandGroup {
    register(program: Command): void;
}

export const COMMAND_GROUPS: CommandGroup[] = [attestation, devnet, registry, provider, job, session, gateway, verifier, walletCommands];

export function buildProgram(): Command {
    const program = new Command('cocoon')
        .description('Cocoon: confidential AI inference on TON')
        .version(packageVersion(), '-V, --version')
        .showHelpAfterError()
        .exitOverride(); // errors surface as exceptions so cli/index.ts picks the exit status
    for (const group of COMMAND_GROUPS) group.register(program);
    return program;
}
