#!/usr/bin/env node
// The `berth` command: registers tsx's CommonJS hook so the TypeScript sources run as they are, then runs
// src/cli/main.ts with this process's arguments and streams. The exit code is set, not forced, so pending
// output is flushed before the process ends.
'use strict';

require('tsx/cjs');
const path = require('node:path');
const { main } = require(path.join(__dirname, '..', 'src', 'cli', 'main.ts'));

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`Error: unexpected failure (${err && err.message ? err.message : String(err)}).\n`);
    process.exitCode = 1;
  },
);
