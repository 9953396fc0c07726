#!/usr/bin/env node
// The `berth` command (package.json "bin"; `npx --no-install berth <command>` in a checkout). It runs the
// TypeScript sources as they are: each `.ts` file is compiled to CommonJS by esbuild (a dependency already) when it
// is required, and the result is kept in node_modules/.cache/berth-cli by the hash of the source, so an unchanged
// file is compiled once; everything in node_modules loads as plain JavaScript, untouched, which keeps a command's
// start quick. Then it runs src/cli/main.ts with this process's arguments and streams. The exit code is set, not
// forced, so pending output is flushed before the process ends.
'use strict';

const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const CACHE = path.join(__dirname, '..', 'node_modules', '.cache', 'berth-cli');
const OPTIONS = { loader: 'ts', format: 'cjs', target: 'node20', sourcemap: 'inline' };
/** What else decides the output: a new esbuild or new options compile everything again. */
const SALT = `${require('esbuild/package.json').version} ${JSON.stringify(OPTIONS)}`;

/** The file compiled to CommonJS, from the cache when this exact source was compiled before. */
function compile(filename) {
  const source = readFileSync(filename, 'utf8');
  const key = createHash('sha256').update(`${SALT}\0${filename}\0`).update(source).digest('hex');
  const cached = path.join(CACHE, `${key}.js`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    const { code } = require('esbuild').transformSync(source, { ...OPTIONS, sourcefile: filename });
    try {
      mkdirSync(CACHE, { recursive: true });
      const partial = `${cached}.${process.pid}`;
      writeFileSync(partial, code);
      renameSync(partial, cached);
    } catch {
      // A read-only checkout: compile again next time.
    }
    return code;
  }
}

// Node tries extensions in this object's order when a require names none: `.ts` goes before `.json`, so
// `./prices` is prices.ts, not the prices.json beside it.
const extensions = require.extensions;
const { '.json': json, '.node': native } = extensions;
delete extensions['.json'];
delete extensions['.node'];
extensions['.ts'] = (module, filename) => module._compile(compile(filename), filename);
extensions['.json'] = json;
extensions['.node'] = native;
// Tells the sources that `require` loads TypeScript here (src/cli/launcher.ts, which holds the same key).
globalThis[Symbol.for('berth.cli.require-loads-typescript')] = true;

Promise.resolve()
  .then(() => require(path.join(__dirname, '..', 'src', 'cli', 'main.ts')).main(process.argv.slice(2)))
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
