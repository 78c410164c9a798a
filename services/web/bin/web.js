#!/usr/bin/env node
'use strict';
// npm links this file when `npm ci` runs, before anything is built: it loads the compiled CLI from dist/,
// or says how to build it (a bin that pointed into dist/ would not be linked at all on a fresh clone).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('web: not built yet; run `npm run build` in the repository root first\n');
  process.exit(1);
}
require(main);
