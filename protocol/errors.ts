/**
 * Exit codes of the Cocoon contracts, read from their single source, contracts/common/errors.tact,
 * so the TypeScript names can never drift from the contract constants.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE = join(__dirname, '..', 'contracts', 'common', 'errors.tact');

export interface ExitCodeInfo {
    name: string;
    code: number;
    meaning: string;
}

export function loadExitCodes(): ExitCodeInfo[] {
    const rows: ExitCodeInfo[] = [];
    const pattern = /^const (ERR_[A-Z0-9_]+): Int = (\d+);\s*\/\/\s*(.*)$/;
    for (const line of readFileSync(SOURCE, 'utf8').split('\n')) {
        const m = pattern.exec(line.trim());
        if (m) rows.push({ name: m[1], code: Number(m[2]), meaning: m[3].trim() });
    }
    return rows;
}

/** `Exit.ERR_WRONG_SENDER === 1002`, and so on for every code. */
export const Exit: Record<string, number> = Object.fromEntries(loadExitCodes().map((e) => [e.name, e.code]));

export function exitName(code: number): string {
    return loadExitCodes().find((e) => e.code === code)?.name ?? `exit ${code}`;
}
