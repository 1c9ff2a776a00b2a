/**
 * The version `cocoon --version` prints: the `version` of the cocoon package.json above this file.
 * It is looked up rather than imported because this file runs from cli/ (ts-node in the repository)
 * and from dist/cli/ (the installed package), which sit at different depths below package.json.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function packageVersion(from: string = __dirname): string {
    for (let dir = from; ; dir = dirname(dir)) {
        try {
            const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
            if (pkg.name === 'cocoon' && typeof pkg.version === 'string') return pkg.version;
        } catch {
            // no package.json here (or not ours): keep climbing
        }
        if (dirname(dir) === dir) throw new Error(`no cocoon package.json above ${from}`);
    }
}
