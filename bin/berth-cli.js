#!/usr/bin/env node
// The `berth` command (package.json "bin"; `npx --no-install berth <command>` in a checkout). It registers tsx's
// CommonJS hook and its ESM loader, so the TypeScript sources run as they are, whether a module is required or
// imported lazily with import() (as `berth plan` loads the CDK), then runs src/cli/main.ts with this process's
// arguments and streams. The exit code is set, not forced, so pending output is flushed before the process ends.
'use strict';

require('tsx/cjs');
const path = require('node:path');

import('tsx/esm')
  .then(() => {
    const { main } = require(path.join(__dirname, '..', 'src', 'cli', 'main.ts'));
    return main(process.argv.slice(2));
  })
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(
        `Error: unexpected failure (${err && err.message ? err.message : String(err)}): please report it with the command you ran.\n`,
      );
      process.exitCode = 1;
    },
  );
