/**
 * Entry point of the `cocoon` CLI (bin/cocoon.js). Exit statuses: 0 success, 1 a negative answer
 * (set by the command itself), 2 usage or input errors (see exitCodes.ts).
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program';
import { EXIT_OK, EXIT_USAGE, UsageError } from './exitCodes';
import { QuoteParseError } from '../attestation/errors';

export async function main(argv: string[]): Promise<number> {
    const program = buildProgram();
    try {
        await program.parseAsync(argv);
        return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
    } catch (e) {
        if (e instanceof CommanderError) {
            // Help and version are "errors" to commander but successful runs to the user.
            return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
        }
        if (e instanceof UsageError || e instanceof QuoteParseError) {
            process.stderr.write(`cocoon: ${e.message}\n`);
            return EXIT_USAGE;
        }
        process.stderr.write(`cocoon: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
        return EXIT_USAGE;
    }
}

// Run when started directly or through bin/cocoon.js; stay inert when imported (tests, other tools).
if (require.main === module || /[\\/]bin[\\/]cocoon\.js$/.test(require.main?.filename ?? '')) {
    main(process.argv).then((code) => {
        process.exitCode = code;
    });
}
