#!/usr/bin/env node
// Runs the TypeScript CLI directly (no build step): ts-node transpiles on load.
const path = require('path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
require('../cli/index.ts');
