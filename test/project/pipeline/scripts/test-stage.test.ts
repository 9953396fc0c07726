import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMIT_FILE } from '../../../../src/project/pipeline/scripts';
import { binFolder, runStage } from './helpers';

/** The Test script run for real in bash, in a tree shaped like the Checkout stage's output. */

const SHA = '3f2c9e1b7a6d5c4b3a291807f6e5d4c3b2a19081';

let tmp: string;
/** `npm` is the fake (records, answers from fixtures). */
let fakeNpm: string;
/** `npm` is the real one behind a recorder. */
let recordedNpm: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'berth-test-sh-'));
  fakeNpm = binFolder(tmp, { npm: 'npm.sh' });
  recordedNpm = binFolder(tmp, { npm: 'record-exec.sh' });
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A checked-out tree with .berth/commit and the given files. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmp, 'tree-'));
  mkdirSync(path.join(dir, '.berth'));
  writeFileSync(path.join(dir, COMMIT_FILE), `${SHA}\n`);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

const PACKAGE_JSON = JSON.stringify({ name: 'app', version: '1.0.0', private: true });
const PACKAGE_LOCK = JSON.stringify({
  name: 'app',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: { '': { name: 'app', version: '1.0.0' } },
});

function testStage(
  dir: string,
  env: Record<string, string>,
  options: { bins?: string[]; mode?: 'file' | 'buildspec'; fixtures?: Record<string, string> } = {},
) {
  return runStage(
    'test',
    {
      env: { CODEBUILD_SRC_DIR: dir, ...env },
      cwd: dir,
      bins: options.bins ?? [fakeNpm],
      mode: options.mode,
      fixtures: options.fixtures,
    },
    tmp,
  );
}

const npmCalls = (run: { calls: readonly { tool: string; args: readonly string[] }[] }) =>
  run.calls.filter((c) => c.tool === 'npm').map((c) => c.args);

describe.concurrent('Test stage', () => {
  it('runs npm ci (the real npm) when package.json has a package-lock.json, then TEST_COMMAND', async () => {
    const dir = tree({ 'package.json': PACKAGE_JSON, 'package-lock.json': PACKAGE_LOCK });
    const run = await testStage(
      dir,
      { TEST_COMMAND: 'echo tests ran' },
      {
        bins: [recordedNpm],
        mode: 'buildspec',
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(npmCalls(run)).toEqual([['ci', '--include=dev', '--no-audit', '--no-fund']]);
    expect(run.stdout).toContain(`berth: testing commit ${SHA}\n`);
    expect(run.stdout).toContain('berth: package.json with a lockfile: installing dependencies (npm ci)');
    expect(run.stdout).toMatch(/up to date|added 0 packages/); // the real npm ci ran
    expect(run.stdout).toContain('tests ran\n');
    expect(run.stdout).toMatch(/berth: the tests passed\n$/);
  });

  it('runs npm ci with an npm-shrinkwrap.json', async () => {
    const dir = tree({ 'package.json': PACKAGE_JSON, 'npm-shrinkwrap.json': PACKAGE_LOCK });
    const run = await testStage(dir, { TEST_COMMAND: 'true' });
    expect(run.code).toBe(0);
    expect(npmCalls(run)).toEqual([['ci', '--include=dev', '--no-audit', '--no-fund']]);
  });

  it.each([
    ['package.json without a lockfile', { 'package.json': PACKAGE_JSON }],
    ['a lockfile without package.json', { 'package-lock.json': PACKAGE_LOCK }],
    ['no package.json at all', { Makefile: 'test:\n\ttrue\n' }],
  ])('does not run npm ci for %s', async (_label, files) => {
    const dir = tree(files);
    const run = await testStage(dir, { TEST_COMMAND: 'echo tested' });
    expect(run.code).toBe(0);
    expect(npmCalls(run)).toEqual([]);
    expect(run.stdout).toContain('tested\n');
    expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);
  });

  it("fails with TEST_COMMAND's exit status when the tests fail (buildspec)", async () => {
    const run = await testStage(tree({}), { TEST_COMMAND: 'echo failing; exit 3' }, { mode: 'buildspec' });
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('failing\n');
    expect(run.stderr).toBe('berth: the tests failed: TEST_COMMAND exited with status 3\n');
    expect(run.stdout).not.toContain('the tests passed');
  });

  it('fails before the tests when npm ci fails', async () => {
    const dir = tree({ 'package.json': PACKAGE_JSON, 'package-lock.json': PACKAGE_LOCK });
    const run = await testStage(
      dir,
      { TEST_COMMAND: 'touch tests-ran' },
      { fixtures: { 'npm/ci.exit': '1' } },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'berth: npm ci failed (exit status 1): check that the lockfile matches package.json',
    );
    expect(existsSync(path.join(dir, 'tests-ran'))).toBe(false);
  });

  it('runs a TEST_COMMAND with quotes, variables and pipes in a fresh bash (no set -e, no stage variables)', async () => {
    const dir = tree({});
    const command = `printf '%s\\n' "it's \\"quoted\\"" '$HOME is not expanded here' > out.txt && echo "x$berth_tmp" | grep -q '^x$' && case $- in *e*) exit 9 ;; esac`;
    const run = await testStage(dir, { TEST_COMMAND: command }, { mode: 'buildspec' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe(
      `it's "quoted"\n$HOME is not expanded here\n`,
    );
    expect(run.stdout).toContain(`berth: running TEST_COMMAND: ${command}\n`);
  });

  it('fails clearly when TEST_COMMAND is not set', async () => {
    const run = await testStage(tree({}), {});
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "berth: TEST_COMMAND is not set: the stage's CodeBuild project must provide it\n",
    );
  });

  it('warns when the tree has no .berth/commit', async () => {
    const dir = mkdtempSync(path.join(tmp, 'bare-'));
    const run = await testStage(dir, { TEST_COMMAND: 'true', COMMIT_ID: SHA });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`berth: warning: no ${COMMIT_FILE} in the tree`);
    expect(run.stdout).toContain(`testing commit ${SHA}`);
  });
});
