import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildBuildSpec,
  CHECKOUT_DIRECTORY,
  checkoutBuildSpec,
  COMMIT_FILE,
  SCRIPT_STAGES,
  scriptPath,
  SCRIPTS_DIRECTORY,
  shQuote,
  stageCommand,
  stageScript,
  TEST_REPORT_FILES,
  TEST_REPORT_GROUP,
  testBuildSpec,
  type BuildSpecObject,
} from '../../../../src/project/pipeline/scripts';
import { FAKES } from './helpers';

/** The scripts as files and the buildspecs as data: what CodeBuild receives. */

const shellFiles = [
  ...readdirSync(SCRIPTS_DIRECTORY).map((f) => path.join(SCRIPTS_DIRECTORY, f)),
  ...readdirSync(FAKES).map((f) => path.join(FAKES, f)),
].filter((f) => f.endsWith('.sh'));

const bashN = (args: string[]) => spawnSync('bash', ['-n', ...args], { encoding: 'utf8' });

describe('the stage scripts', () => {
  it('are the expected files', () => {
    expect(readdirSync(SCRIPTS_DIRECTORY).sort()).toEqual(['build.sh', 'checkout.sh', 'lib.sh', 'test.sh']);
  });

  it.each(shellFiles.map((f) => [path.relative(path.resolve(__dirname, '../../../..'), f), f]))(
    '%s parses (bash -n), is executable and starts with the bash shebang and strict mode',
    (_name, file) => {
      const result = bashN([file]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(statSync(file).mode & 0o111).toBe(0o111);
      const lines = readFileSync(file, 'utf8').split('\n');
      expect(lines[0]).toBe('#!/usr/bin/env bash');
      expect(lines.filter((l) => l === 'set -euo pipefail')).toHaveLength(1);
      expect(lines.some((l) => /^\s*set\s+-[a-z]*x/.test(l))).toBe(false);
    },
  );

  it('lib.sh names the checkout folder and commit file as the TypeScript side does', () => {
    const lib = readFileSync(scriptPath('lib'), 'utf8');
    expect(lib).toContain(`\nBERTH_CHECKOUT_DIRECTORY=${CHECKOUT_DIRECTORY}\n`);
    expect(lib).toContain(`\nBERTH_COMMIT_FILE=${COMMIT_FILE}\n`);
  });

  it.each(SCRIPT_STAGES)('%s.sh sources lib.sh once, with the shellcheck directive', (stage) => {
    const text = readFileSync(scriptPath(stage), 'utf8');
    expect(text).toContain('\n# shellcheck source=lib.sh\nsource "$(dirname "${BASH_SOURCE[0]}")/lib.sh"\n');
    expect(text.match(/^\s*(source|\.)\s/gm)).toHaveLength(1);
  });
});

describe('the inlined scripts', () => {
  it.each(SCRIPT_STAGES)(
    '%s: lib.sh is inlined in place of the source line, and the result parses',
    (stage) => {
      const script = stageScript(stage);
      expect(script.match(/^\s*(source|\.)\s/m)).toBeNull();
      expect(script).toContain('\nberth_fail() {\n');
      expect(script.match(/^#!/gm)).toEqual(['#!']);
      // The stage's own code follows lib.sh's
      const lib = script.indexOf('berth_require_commit() {');
      const own = script.indexOf('# --- end of lib.sh ---');
      expect(lib).toBeGreaterThan(0);
      expect(own).toBeGreaterThan(lib);
      const result = bashN(['-c', script]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );

  it('quotes the script so that bash -c receives it byte for byte', () => {
    const script = stageScript('checkout');
    const echoed = spawnSync('bash', ['-c', `printf '%s' ${shQuote(script)}`], { encoding: 'utf8' });
    expect(echoed.stdout).toBe(script);
  });
});

describe('the buildspecs', () => {
  const specs: Record<string, BuildSpecObject> = {
    checkout: checkoutBuildSpec(),
    test: testBuildSpec(),
    build: buildBuildSpec(),
  };

  it.each(SCRIPT_STAGES)('%s: one bash -c command in the build phase, with no source line', (stage) => {
    const spec = specs[stage];
    expect(spec.version).toBe('0.2');
    expect(spec.env).toEqual({ shell: 'bash' });
    expect(Object.keys(spec.phases)).toEqual(['build']);
    const commands = spec.phases.build?.commands ?? [];
    expect(commands).toEqual([`bash -c ${shQuote(stageScript(stage))} berth-${stage}`]);
    expect(commands[0]).not.toMatch(/^\s*(source|\.)\s/m);
    // Every script line is in the one command, so nothing refers to a file CodeBuild does not have
    expect(commands[0]).not.toContain('lib.sh"');
  });

  it('Checkout outputs the checkout folder, symlinks preserved, without .git', () => {
    expect(specs.checkout.artifacts).toEqual({
      files: ['**/*'],
      'base-directory': 'berth-checkout',
      'exclude-paths': ['.git/**/*', '**/.git/**/*'],
      'enable-symlinks': 'yes',
    });
    expect(specs.checkout.reports).toBeUndefined();
  });

  it('Test reports JUnit XML files as the tests report group', () => {
    expect(TEST_REPORT_GROUP).toBe('tests');
    expect(specs.test.reports).toEqual({
      tests: { files: ['**/junit*.xml', '**/TEST-*.xml'], 'file-format': 'JUNITXML', 'discard-paths': 'no' },
    });
    expect([...TEST_REPORT_FILES]).toEqual(['**/junit*.xml', '**/TEST-*.xml']);
    expect(specs.test.artifacts).toBeUndefined();
  });

  it('Build has neither artifacts nor reports', () => {
    expect(specs.build.artifacts).toBeUndefined();
    expect(specs.build.reports).toBeUndefined();
  });

  it('Checkout may name the project for the set-pat hints, and refuses anything else', () => {
    expect(checkoutBuildSpec({ projectName: 'cash-collection' }).phases.build?.commands[0]).toMatch(
      /^BERTH_PROJECT=cash-collection bash -c '/,
    );
    expect(() => stageCommand('checkout', { projectName: 'x; rm -rf /' })).toThrow(/projectName/);
  });

  it('keeps set -e and exit as in the file however the runner wraps the command (here in an if)', () => {
    // Given a Test stage whose cd fails (only set -e stops it), run the way a command runner might: inside an
    // `if`, where a subshell's set -e would be ignored
    const command = specs.test.phases.build?.commands[0] ?? '';
    const runner = `if ${command}; then echo "status 0"; else echo "status $?"; fi; echo "runner still here"`;
    const result = spawnSync('bash', ['-c', runner], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        CODEBUILD_SRC_DIR: path.join(SCRIPTS_DIRECTORY, 'no-such-folder'),
        TEST_COMMAND: 'echo the tests ran',
      },
    });
    // Then the script stopped at the failed cd, and the runner's own shell went on
    expect(result.stdout).toBe('status 1\nrunner still here\n');
    expect(result.stderr).toContain('no-such-folder');
  });

  it('serializes to JSON (what BuildSpec.fromObject renders) and back unchanged', () => {
    for (const spec of Object.values(specs)) expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });
});
