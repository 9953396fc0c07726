import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSpecCommands,
  CHECKOUT_DIRECTORY,
  checkoutBuildSpec,
  COMMIT_FILE,
  testBuildSpec,
  type BuildSpecObject,
} from '../../../src/project/pipeline/buildspecs';
import { startGitHttpServer, type GitHttpServer } from '../../support/git-http-server';

/**
 * The Checkout stage's commands, run for real in bash against a local git smart-HTTP server that demands the
 * PAT the way Azure DevOps does, then the Test stage's commands on what Checkout produced. The served
 * repository is the example application (examples/app) with one more commit on top, so the branch has moved
 * on past the pinned commit.
 */

const EXAMPLE_APP = path.resolve(__dirname, '../../../examples/app');
const REPO_PATH = '/my-org/Finance/_git/cash-collection';
const PROJECT = 'cash-collection';

/** An 84-character PAT, like Azure DevOps issues since 2024 (its base64 header is longer than 76 columns). */
function newPat(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(84)].map((b) => alphabet[b % alphabet.length]).join('');
}
const PAT = newPat();
const WRONG_PAT = newPat();
const secretsOf = (pat: string) => [pat, Buffer.from(`:${pat}`).toString('base64')];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Command lines of every git, curl and base64 process the run started. */
  readonly argv: string;
}

let tmp: string;
let shimDir: string;
let firstCommit: string;
let secondCommit: string;
let firstReadme: string;
let v2: GitHttpServer;
let v0: GitHttpServer;
let forbidding: GitHttpServer;
let runs = 0;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: tmp,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Berth Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Berth Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  }).trim();

/** Runs a buildspec's commands in bash the way CodeBuild does (in order, stopping at the first failure). */
function runBuildSpec(spec: BuildSpecObject, env: Record<string, string>): Promise<Run> {
  runs += 1;
  const argvLog = path.join(tmp, `argv-${runs}.log`);
  writeFileSync(argvLog, '');
  const home = path.join(tmp, 'home');
  mkdirSync(home, { recursive: true });
  const script = ['set -e', ...buildSpecCommands(spec)].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      cwd: env.CODEBUILD_SRC_DIR,
      env: {
        PATH: `${shimDir}:${process.env.PATH}`,
        HOME: home,
        LANG: 'C.UTF-8',
        GIT_CONFIG_NOSYSTEM: '1',
        npm_config_update_notifier: 'false',
        ARGV_LOG: argvLog,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, argv: readFileSync(argvLog, 'utf8') }));
  });
}

/** A fresh CODEBUILD_SRC_DIR holding what CodePipeline's dummy source would put there. */
function newSourceDir(): string {
  const dir = mkdtempSync(path.join(tmp, 'src-'));
  writeFileSync(path.join(dir, 'trigger.txt'), 'Berth pipeline trigger\n');
  return dir;
}

function checkout(server: GitHttpServer, overrides: Record<string, string> = {}) {
  const src = newSourceDir();
  const env = {
    CODEBUILD_SRC_DIR: src,
    COMMIT_ID: firstCommit,
    REPOSITORY_URL: `${server.baseUrl}${REPO_PATH}`,
    BRANCH: 'main',
    AZURE_DEVOPS_PAT: PAT,
    ...overrides,
  };
  return {
    out: path.join(src, CHECKOUT_DIRECTORY),
    run: runBuildSpec(checkoutBuildSpec({ projectName: PROJECT }), env),
  };
}

function expectNoSecrets(run: Run, pats: string[] = [PAT, WRONG_PAT]): void {
  for (const secret of pats.flatMap(secretsOf)) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
    expect(run.argv).not.toContain(secret);
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'berth-checkout-'));

  // Command-line recorders in front of the real tools: a secret passed as an argument would show up here.
  shimDir = path.join(tmp, 'shims');
  mkdirSync(shimDir);
  for (const tool of ['git', 'curl', 'base64']) {
    const real = execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    writeFileSync(
      path.join(shimDir, tool),
      `#!/bin/bash\nprintf '%s\\n' "${tool} $*" >>"$ARGV_LOG"\nexec ${real} "$@"\n`,
      { mode: 0o755 },
    );
  }

  // Given the example application committed, then one more commit on main.
  const work = path.join(tmp, 'work');
  cpSync(EXAMPLE_APP, work, {
    recursive: true,
    filter: (src) => !/(^|\/)(node_modules|junit[^/]*\.xml)$/.test(src),
  });
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'add', '--all');
  git(work, '-c', 'commit.gpgsign=false', 'commit', '--quiet', '--message', 'Example application');
  firstCommit = git(work, 'rev-parse', 'HEAD');
  firstReadme = readFileSync(path.join(work, 'README.md'), 'utf8');
  writeFileSync(path.join(work, 'README.md'), `${firstReadme}\nThis line came after the pinned commit.\n`);
  writeFileSync(path.join(work, 'CHANGELOG.md'), '# Changes after the pinned commit\n');
  git(work, 'add', '--all');
  git(work, '-c', 'commit.gpgsign=false', 'commit', '--quiet', '--message', 'Move main on');
  secondCommit = git(work, 'rev-parse', 'HEAD');

  const served = path.join(tmp, 'served');
  mkdirSync(path.dirname(path.join(served, REPO_PATH)), { recursive: true });
  git(tmp, 'clone', '--quiet', '--bare', work, path.join(served, REPO_PATH));

  v2 = await startGitHttpServer({ projectRoot: served, pat: PAT });
  v0 = await startGitHttpServer({ projectRoot: served, pat: PAT, protocolV2: false });
  forbidding = await startGitHttpServer({ projectRoot: served, pat: PAT, refuseWith: 403 });
});

afterAll(async () => {
  await Promise.all([v2, v0, forbidding].filter(Boolean).map((s) => s.close()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Checkout stage', () => {
  it('checks out the pinned commit, not the branch tip, without .git and with .berth/commit', async () => {
    // Given main has moved on past the pinned commit
    expect(secondCommit).not.toBe(firstCommit);

    // When Checkout runs for the older commit
    const { out, run } = checkout(v2);
    const result = await run;

    // Then the output holds exactly that commit's tree, and the commit id
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(out, 'README.md'), 'utf8')).toBe(firstReadme);
    expect(existsSync(path.join(out, 'CHANGELOG.md'))).toBe(false);
    expect(existsSync(path.join(out, 'server.js'))).toBe(true);
    expect(existsSync(path.join(out, '.git'))).toBe(false);
    expect(readFileSync(path.join(out, COMMIT_FILE), 'utf8')).toBe(`${firstCommit}\n`);
    expect(result.stdout).toContain(`berth: checked out ${firstCommit.slice(0, 7)}`);
    // And it fetched with the PAT (every request authorized) through git's header, not a prompt
    expect(result.argv).toMatch(
      /^git --config-env=http\.extraHeader=GIT_AUTH_HEADER .*fetch .*--depth 1 origin /m,
    );
    expectNoSecrets(result);
  });

  it('falls back to the branch when the server does not serve a commit by its SHA', async () => {
    // Given a server that only serves advertised refs (git protocol v0 without allowReachableSHA1InWant)
    // When Checkout runs for a commit that is no longer the branch tip
    const { out, run } = checkout(v0);
    const result = await run;

    // Then it finds the commit on the branch and checks it out
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('the server did not serve commit');
    expect(readFileSync(path.join(out, 'README.md'), 'utf8')).toBe(firstReadme);
    expect(readFileSync(path.join(out, COMMIT_FILE), 'utf8')).toBe(`${firstCommit}\n`);
    expectNoSecrets(result);
  });

  it('accepts the commit id in upper case and records it in lower case', async () => {
    const { out, run } = checkout(v2, { COMMIT_ID: firstCommit.toUpperCase() });
    const result = await run;
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(out, COMMIT_FILE), 'utf8')).toBe(`${firstCommit}\n`);
  });

  it('fails clearly when the commit is not on the branch', async () => {
    const missing = 'f'.repeat(40);
    const { run } = checkout(v2, { COMMIT_ID: missing });
    const result = await run;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `berth: commit ${missing} is not on branch main of ${v2.baseUrl}${REPO_PATH}`,
    );
    expectNoSecrets(result);
  });

  it('fails with the PAT hint when Azure DevOps refuses the PAT (401), and prints no secret', async () => {
    // Given a PAT the server does not accept
    const before = v2.requests.length;
    // When Checkout runs
    const { out, run } = checkout(v2, { AZURE_DEVOPS_PAT: WRONG_PAT });
    const result = await run;

    // Then it stops with one clear line and nothing was fetched
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toBe(
      `berth: Azure DevOps refused the PAT for ${v2.baseUrl}${REPO_PATH} (401): check it has Code (read) scope and is not expired; set it with \`npx berth set-pat ${PROJECT}\``,
    );
    expect(v2.requests.slice(before).every((r) => !r.authorized)).toBe(true);
    expect(existsSync(path.join(out, 'README.md'))).toBe(false);
    expectNoSecrets(result);
  });

  it('fails with the PAT hint when the server answers 403', async () => {
    const { run } = checkout(forbidding, { AZURE_DEVOPS_PAT: WRONG_PAT });
    const result = await run;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `Azure DevOps refused the PAT for ${forbidding.baseUrl}${REPO_PATH} (403)`,
    );
    expectNoSecrets(result);
  });

  it.each([
    ['empty', ''],
    ['the pipeline default "none"', 'none'],
  ])('fails before any request when COMMIT_ID is %s', async (_label, commit) => {
    const before = v2.requests.length;
    const { run } = checkout(v2, { COMMIT_ID: commit });
    const result = await run;
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toBe(
      'berth: this execution has no commit: pushes start it through the webhook; to run it by hand, start it with the COMMIT_ID variable set',
    );
    expect(v2.requests.length).toBe(before);
  });

  it('fails when COMMIT_ID is not a full SHA', async () => {
    const { run } = checkout(v2, { COMMIT_ID: firstCommit.slice(0, 12) });
    const result = await run;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('berth: COMMIT_ID is not a 40-character hexadecimal commit SHA');
  });

  it('fails before any request when the PAT is not set', async () => {
    const before = v2.requests.length;
    const { run } = checkout(v2, { AZURE_DEVOPS_PAT: '' });
    const result = await run;
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toBe(
      `berth: the project's PAT is not set: run \`npx berth set-pat ${PROJECT}\``,
    );
    expect(v2.requests.length).toBe(before);
  });

  it('refuses a repository URL that carries credentials, without printing it', async () => {
    const url = `http://user:${PAT}@127.0.0.1:1${REPO_PATH}`;
    const { run } = checkout(v2, { REPOSITORY_URL: url });
    const result = await run;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('REPOSITORY_URL must be an http(s) clone URL without credentials');
    expectNoSecrets(result);
  });
});

describe('Test stage on the checked-out example', () => {
  let artifact: string;

  beforeAll(async () => {
    // Given the Checkout output, unpacked as the Test stage's source (CodeBuild's CODEBUILD_SRC_DIR)
    const { out, run } = checkout(v2);
    expect((await run).code).toBe(0);
    artifact = path.join(tmp, 'test-stage-src');
    cpSync(out, artifact, { recursive: true });
  });

  it('installs with npm ci and passes `npm test`, which needs no network', async () => {
    const result = await runBuildSpec(testBuildSpec(), {
      CODEBUILD_SRC_DIR: artifact,
      COMMIT_ID: firstCommit,
      TEST_COMMAND: 'npm test',
    });
    expect(result.stderr).not.toContain('berth: ');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`berth: testing commit ${firstCommit}`);
    expect(result.stdout).toContain('installing dependencies (npm ci)');
    expect(result.stdout).toMatch(/# fail 0/);
    expect(result.stdout).toContain('berth: the tests passed');
  });

  it('fails with the exit status when the tests fail', async () => {
    const result = await runBuildSpec(testBuildSpec(), {
      CODEBUILD_SRC_DIR: artifact,
      TEST_COMMAND: 'node -e "process.exit(3)"',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('berth: the tests failed: TEST_COMMAND exited with status 3');
  });

  it('fails clearly when TEST_COMMAND is not set', async () => {
    const result = await runBuildSpec(testBuildSpec(), { CODEBUILD_SRC_DIR: artifact });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "berth: TEST_COMMAND is not set: the stage's CodeBuild project must provide it",
    );
  });
});
