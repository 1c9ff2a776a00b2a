#!/usr/bin/env node
// Two ways to run, chosen by what exists beside this file, never by timestamps:
// - in this repository the TypeScript sources are here, and they run through ts-node, so the CLI and
//   its tests (node bin/cocoon.js) always see the code as it is now, never a stale dist/;
// - the installed package ships no sources, only dist/ (compiled by `npm pack`'s prepack), which
//   plain node loads in a fraction of the time.
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
if (fs.existsSync(path.join(root, 'cli', 'index.ts'))) {
    require('ts-node').register({ transpileOnly: true, project: path.join(root, 'tsconfig.json') });
    require('../cli/index.ts');
} else {
    require('../dist/cli/index.js');
}
