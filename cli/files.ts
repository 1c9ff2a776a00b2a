/** Reading a file a command was pointed at: an unreadable one is the user's input problem (UsageError, exit 2), named. */
import { readFileSync } from 'node:fs';
import { UsageError } from './exitCodes';

export function readText(file: string, what: string): string {
    try {
        return readFileSync(file, 'utf8');
    } catch (e) {
        throw new UsageError(`cannot read ${what} ${file}: ${(e as Error).message}`);
    }
}
