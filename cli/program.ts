/**
 * The `cocoon` command tree. Each command group lives in its own file under cli/commands/ and exports
 * `register(program)`; add a group by writing that file and listing it in COMMAND_GROUPS.
 */
import { Command } from 'commander';
import * as attestation from './commands/attestation';

export interface CommandGroup {
    register(program: Command): void;
}

export const COMMAND_GROUPS: CommandGroup[] = [attestation];

export function buildProgram(): Command {
    const program = new Command('cocoon')
        .description('Cocoon: confidential AI inference on TON')
        .showHelpAfterError()
        .exitOverride(); // errors surface as exceptions so cli/index.ts picks the exit status
    for (const group of COMMAND_GROUPS) group.register(program);
    return program;
}
