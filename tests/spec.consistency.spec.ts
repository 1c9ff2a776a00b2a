/** docs/SPEC.md stays true to the contracts: every opcode and every exit code appears in it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExitCodes } from '../protocol/errors';

const root = join(__dirname, '..');
const spec = readFileSync(join(root, 'docs', 'SPEC.md'), 'utf8');
const messages = readFileSync(join(root, 'contracts', 'common', 'messages.tact'), 'utf8');

describe('docs/SPEC.md', () => {
    const opcodes = [...messages.matchAll(/^message\((0x[0-9a-f]+)\) (\w+)/gm)].map((m) => ({ opcode: m[1], name: m[2] }));

    it('finds the messages to check', () => {
        expect(opcodes.length).toBeGreaterThan(40);
    });

    it.each(opcodes)('documents $name with opcode $opcode', ({ opcode, name }) => {
        expect(spec).toContain(`\`${opcode}\``);
        expect(spec).toContain(name);
    });

    it.each(loadExitCodes())('documents exit code $code ($name)', ({ code, name }) => {
        expect(spec).toMatch(new RegExp(`\\| ${code} \\| \`${name}\` \\|`));
    });
});
