import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKOUT_DIRECTORY, COMMIT_FILE } from '../../../../src/project/pipeline/scripts';
import { startGitHttpServer, type GitHttpServer } from '../../../support/git-http-server';
import { buildGitFixture, REPO_PATH, type GitFixture } from './git-fixture';
import { binFolder, callsText, pathWithout, runStage, type ScriptRun } from './helpers';

/**
 * The Checkout script run for real (bash, git, curl) against a local git smart-HTTP server that demands the PAT
 * the way Azure DevOps does and, like Azure Repos, serves any commit it has by its SHA
 * (`uploadpack.allowAnySHA1InWant`), including one reachable only from `refs/pull/1/merge`.
 */

const PROJECT = 'cash-collection';

/** An 84-character PAT, like Azure DevOps issues since 2024 (its base64 header is longer than 76 columns). */
function newPat(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(84)].map((b) => alphabet[b % alphabet.length]).join('');
}
const PAT = newPat();
const WRONG_PAT = newPat();
const secretsOf = (pat: string) => [pat, Buffer.from(`:${pat}`).toString('base64')];

let tmp: string;
let fixture: GitFixture;
let azure: GitHttpServer;
/** Like `azure`, for the one test that counts requests (tests run concurrently). */
let refusing: GitHttpServer;
let forbidding: GitHttpServer;
let tls: GitHttpServer;
let caPem: string;
/** git, curl and base64 behind command-line recorders. */
let recorders: string;
/** A PATH on which neither git-lfs nor apt-get is found (whether or not this machine has them). */
let noLfsPath: string;
/** A plain git fetch, by SHA, of the commits that are not on main: the server serves them. */
let servedBySha: Promise<{ code: number | null; stderr: string }>;

interface Checkout {
  readonly run: ScriptRun;
  /** The checkout folder ($CODEBUILD_SRC_DIR/berth-checkout). */
  readonly out: string;
}

/**
 * Runs Checkout against `azure` (or `options.server`) for the tip of main unless overridden; with
 * `recorded`, git, curl and base64 run behind command-line recorders (each recorded call costs a process).
 */
async function checkout(
  overrides: Record<string, string> = {},
  options: { server?: GitHttpServer; mode?: 'file' | 'buildspec'; recorded?: boolean } = {},
): Promise<Checkout> {
  const src = mkdtempSync(path.join(tmp, 'src-'));
  writeFileSync(path.join(src, 'trigger.txt'), 'CodePipeline source placeholder\n');
  const server = options.server ?? azure;
  const env = {
    CODEBUILD_SRC_DIR: src,
    COMMIT_ID: fixture.commits.tip,
    REPOSITORY_URL: `${server.baseUrl}${REPO_PATH}`,
    BRANCH: 'main',
    AZURE_DEVOPS_PAT: PAT,
    ALLOW_INSECURE_HTTP: 'true',
    ...overrides,
  };
  const run = await runStage(
    'checkout',
    {
      env,
      cwd: src,
      mode: options.mode,
      bins: options.recorded ? [recorders] : [],
      path: noLfsPath,
      command: { projectName: PROJECT },
    },
    tmp,
  );
  return { run, out: path.join(src, CHECKOUT_DIRECTORY) };
}

/** Every file under a folder, recursively, for "the PAT was not written anywhere" checks. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => lstatSync(f).isFile());
}

function expectNoSecrets({ run, out }: Checkout): void {
  const argv = callsText(run);
  const written = filesUnder(out).map((f) => readFileSync(f, 'latin1'));
  for (const secret of [PAT, WRONG_PAT].flatMap(secretsOf)) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
    expect(argv).not.toContain(secret);
    for (const content of written) expect(content).not.toContain(secret);
  }
}

/** Fetches fetch commands' refspecs: git must fetch the branch, never a commit by its SHA. */
function fetchedRefs(run: ScriptRun): string[] {
  return run.calls
    .filter((c) => c.tool === 'git' && c.args.includes('fetch'))
    .map((c) => c.args[c.args.length - 1]);
}

/** Runs git without blocking the event loop (the test server lives in this process). */
function gitAsync(cwd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('git', args, {
      cwd,
      env: { PATH: process.env.PATH, HOME: tmp, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'berth-checkout-sh-'));
  fixture = buildGitFixture(path.join(tmp, 'fixture'));
  recorders = binFolder(tmp, { git: 'record-exec.sh', curl: 'record-exec.sh', base64: 'record-exec.sh' });
  noLfsPath = pathWithout(tmp, ['git-lfs', 'apt-get']);

  // A private certificate authority and a certificate for 127.0.0.1 it signed (an Azure DevOps Server's).
  const pki = path.join(tmp, 'pki');
  mkdirSync(pki);
  execFileSync(
    'bash',
    [
      '-c',
      `set -euo pipefail
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "\${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj '/CN=Berth Test CA' 2>/dev/null
openssl req "\${ec[@]}" -keyout server.key -out server.csr -subj '/CN=127.0.0.1' 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\\n' >san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem 2>/dev/null`,
    ],
    { cwd: pki },
  );
  caPem = readFileSync(path.join(pki, 'ca.pem'), 'utf8');

  const uploadPack = { allowAnySha1InWant: true };
  [azure, refusing, forbidding, tls] = await Promise.all([
    startGitHttpServer({ projectRoot: fixture.projectRoot, pat: PAT, uploadPack }),
    startGitHttpServer({ projectRoot: fixture.projectRoot, pat: PAT, uploadPack }),
    startGitHttpServer({ projectRoot: fixture.projectRoot, pat: PAT, uploadPack, refuseWith: 403 }),
    startGitHttpServer({
      projectRoot: fixture.projectRoot,
      pat: PAT,
      uploadPack,
      tls: {
        key: readFileSync(path.join(pki, 'server.key'), 'utf8'),
        cert: readFileSync(path.join(pki, 'server.pem'), 'utf8'),
      },
    }),
  ]);

  // Given the server really serves those commits to anyone who asks for them by SHA (as Azure Repos does)
  const probe = mkdtempSync(path.join(tmp, 'probe-'));
  servedBySha = gitAsync(probe, ['init', '--quiet']).then(() =>
    gitAsync(probe, [
      '-c',
      `http.extraHeader=Authorization: Basic ${secretsOf(PAT)[1]}`,
      'fetch',
      '--quiet',
      '--depth',
      '1',
      `${azure.baseUrl}${REPO_PATH}`,
      fixture.commits.prMerge,
      fixture.commits.prFeature,
      fixture.commits.other,
    ]),
  );
});

afterAll(async () => {
  await Promise.all([azure, refusing, forbidding, tls].filter(Boolean).map((s) => s.close()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.concurrent('Checkout: only commits of the configured branch', () => {
  it('releases the tip of the branch, as the buildspec runs it: the tree without .git, plus .berth/commit', async () => {
    const result = await checkout({}, { mode: 'buildspec', recorded: true });
    const { run, out } = result;

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readFileSync(path.join(out, 'README.md'), 'utf8')).toBe(fixture.readme.tip);
    expect(existsSync(path.join(out, 'Dockerfile'))).toBe(true);
    expect(existsSync(path.join(out, '.git'))).toBe(false);
    expect(readFileSync(path.join(out, COMMIT_FILE), 'utf8')).toBe(`${fixture.commits.tip}\n`);
    expect(run.stdout).toContain(
      `berth: checked out ${fixture.commits.tip.slice(0, 7)} "Move main on" (Berth Test, `,
    );
    // Symlinks that stay inside the tree are kept as symlinks, chains included
    expect(readlinkSync(path.join(out, 'docs/deep/readme'))).toBe('../../README.md');
    expect(readlinkSync(path.join(out, 'current'))).toBe('docs');
    expect(readlinkSync(path.join(out, 'chained'))).toBe('current/deep/readme');
    expect(readFileSync(path.join(out, 'chained'), 'utf8')).toBe(fixture.readme.tip);
    // The http:// test server needs ALLOW_INSECURE_HTTP, which warns
    expect(run.stdout).toContain('berth: warning: ALLOW_INSECURE_HTTP is true: the PAT travels in clear');
    // Git got the PAT through the header variable, and fetched the branch, not the SHA
    const gitFetches = run.calls.filter((c) => c.tool === 'git' && c.args.includes('fetch'));
    expect(gitFetches.length).toBeGreaterThan(0);
    for (const fetch of gitFetches) {
      expect(fetch.args.slice(0, 4)).toEqual([
        `--config-env=http.${azure.baseUrl}/.extraHeader=BERTH_AUTH_HEADER`,
        '-c',
        'credential.helper=',
        '-c',
      ]);
    }
    expect(fetchedRefs(run)).toEqual(['+refs/heads/main:refs/remotes/origin/main']);
    // curl read the header from stdin
    expect(run.calls.filter((c) => c.tool === 'curl').map((c) => c.args)).toEqual([
      expect.arrayContaining([
        '--header',
        '@-',
        `${azure.baseUrl}${REPO_PATH}/info/refs?service=git-upload-pack`,
      ]),
    ]);
    expectNoSecrets(result);
  });

  it('releases an older commit of the branch (a rollback target), deepening the shallow fetch to reach it', async () => {
    // Given a commit more than 50 commits below the tip, in upper case
    const result = await checkout({ COMMIT_ID: fixture.commits.initial.toUpperCase() }, { recorded: true });
    const { run, out } = result;

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('fetching the last 500 commits of main');
    expect(readFileSync(path.join(out, 'README.md'), 'utf8')).toBe(fixture.readme.initial);
    expect(readFileSync(path.join(out, COMMIT_FILE), 'utf8')).toBe(`${fixture.commits.initial}\n`);
    expect(fetchedRefs(run).every((r) => r === '+refs/heads/main:refs/remotes/origin/main')).toBe(true);
    expectNoSecrets(result);
  });

  it.each([
    ['the merge commit of pull request 1 (refs/pull/1/merge)', 'prMerge'],
    ['a commit of the pull request reachable only from refs/pull/1/merge', 'prFeature'],
    ['a commit only on another branch', 'other'],
  ] as const)('refuses %s, although the server serves it by its SHA', async (_label, which) => {
    const commit = fixture.commits[which];
    // Given the server really serves that commit to anyone who asks for it by SHA
    expect(await servedBySha).toEqual({ code: 0, stderr: '' });

    // When Checkout runs for it
    const result = await checkout({ COMMIT_ID: commit }, { recorded: true });
    const { run, out } = result;

    // Then it fails with the reason, never having asked for the SHA, and outputs nothing
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `berth: commit ${commit} is not on branch main of ${azure.baseUrl}${REPO_PATH}: it is reachable only from another ref, such as a pull request or another branch, or it does not exist; Berth releases only commits of the configured branch\n`,
    );
    const fetches = run.calls.filter((c) => c.tool === 'git' && c.args.includes('fetch'));
    expect(fetches.length).toBeGreaterThan(1);
    expect(fetches.flatMap((c) => c.args).join(' ')).not.toContain(commit);
    expect(existsSync(path.join(out, 'README.md'))).toBe(false);
    expect(existsSync(path.join(out, COMMIT_FILE))).toBe(false);
    expectNoSecrets(result);
  });

  it('fails for a commit that does not exist', async () => {
    const missing = '0123456789abcdef0123456789abcdef01234567';
    const { run } = await checkout({ COMMIT_ID: missing });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `berth: commit ${missing} is not on branch main of ${azure.baseUrl}${REPO_PATH}`,
    );
  });

  it('fails clearly when the branch does not exist', async () => {
    const result = await checkout({ BRANCH: 'release/nope' }, { recorded: true });
    expect(result.run.code).toBe(1);
    expect(result.run.stderr).toContain(
      `berth: could not fetch branch release/nope from ${azure.baseUrl}${REPO_PATH}: check that the branch exists`,
    );
    expectNoSecrets(result);
  });
});

describe.concurrent('Checkout: the PAT', () => {
  it('fails with the PAT hint when Azure DevOps refuses the PAT (401), printing and passing no secret', async () => {
    const result = await checkout({ AZURE_DEVOPS_PAT: WRONG_PAT }, { server: refusing, recorded: true });
    expect(result.run.code).toBe(1);
    expect(result.run.stderr).toBe(
      `berth: Azure DevOps refused the PAT for ${refusing.baseUrl}${REPO_PATH} (401): check it has Code (Read) scope and is not expired; set it with \`npx --no-install berth set-pat <project>\`\n`,
    );
    expect(refusing.requests.length).toBeGreaterThan(0);
    expect(refusing.requests.every((r) => !r.authorized)).toBe(true);
    expect(result.run.calls.filter((c) => c.tool === 'git' && c.args.includes('fetch'))).toEqual([]);
    expect(existsSync(path.join(result.out, 'README.md'))).toBe(false);
    expectNoSecrets(result);
  });

  it('fails with the PAT hint when the server answers 403', async () => {
    const result = await checkout(
      { AZURE_DEVOPS_PAT: ` ${WRONG_PAT}\n` },
      { server: forbidding, recorded: true },
    );
    expect(result.run.code).toBe(1);
    expect(result.run.stderr).toContain(
      `berth: Azure DevOps refused the PAT for ${forbidding.baseUrl}${REPO_PATH} (403): check it has Code (Read) scope and is not expired`,
    );
    expectNoSecrets(result);
  });

  it('fails before any request when the PAT is not set, naming the project (buildspec)', async () => {
    const { run } = await checkout({ AZURE_DEVOPS_PAT: ' \n' }, { mode: 'buildspec', recorded: true });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `berth: the project's PAT is not set: run \`npx --no-install berth set-pat ${PROJECT}\`\n`,
    );
    expect(
      run.calls.filter((c) => c.tool === 'curl' || (c.tool === 'git' && c.args.includes('fetch'))),
    ).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['the pipeline default "none"', 'none'],
  ])('fails before any request when COMMIT_ID is %s', async (_label, commit) => {
    const { run } = await checkout({ COMMIT_ID: commit }, { recorded: true });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'berth: this execution has no commit: pushes start it through the webhook; to run it by hand, start it with the COMMIT_ID variable set\n',
    );
    expect(run.calls.filter((c) => c.tool === 'curl')).toEqual([]);
  });

  it('refuses an http:// URL unless ALLOW_INSECURE_HTTP is true, before any request', async () => {
    const { run } = await checkout({ ALLOW_INSECURE_HTTP: '' }, { recorded: true });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `berth: REPOSITORY_URL is an http:// URL (${azure.baseUrl}${REPO_PATH}): the PAT would travel in clear; use https://, or, for an Azure DevOps Server without TLS, set azureDevOps.allowInsecureHttp: true in berth.yaml\n`,
    );
    expect(run.calls.filter((c) => c.tool === 'curl' || c.tool === 'base64')).toEqual([]);
  });

  it('refuses a repository URL that carries credentials, without printing it', async () => {
    const result = await checkout(
      { REPOSITORY_URL: `https://user:${PAT}@127.0.0.1:1${REPO_PATH}` },
      { recorded: true },
    );
    expect(result.run.code).toBe(1);
    expect(result.run.stderr).toContain('REPOSITORY_URL must be an http(s) clone URL without credentials');
    expectNoSecrets(result);
  });

  it('trusts AZURE_DEVOPS_CA_PEM for an https server with a private certificate authority', async () => {
    const url = `${tls.baseUrl}${REPO_PATH}`;
    expect(url.startsWith('https://')).toBe(true);
    // Without the CA, the certificate is not trusted
    const untrusted = await checkout({ ALLOW_INSECURE_HTTP: 'false' }, { server: tls });
    expect(untrusted.run.code).toBe(1);
    expect(untrusted.run.stderr).toContain(`berth: could not reach ${url}: check the URL, its certificate`);
    // With it, checkout succeeds over https
    const trusted = await checkout(
      { ALLOW_INSECURE_HTTP: 'false', AZURE_DEVOPS_CA_PEM: caPem },
      { server: tls },
    );
    expect(trusted.run.stderr).toBe('');
    expect(trusted.run.code).toBe(0);
    expect(trusted.run.stdout).not.toContain('warning');
    expect(readFileSync(path.join(trusted.out, COMMIT_FILE), 'utf8')).toBe(`${fixture.commits.tip}\n`);
    expectNoSecrets(trusted);
  });
});

describe.concurrent('Checkout: what the tree may hold', () => {
  it('refuses symlinks that point outside the checkout: to /etc/passwd, and escaping with ../..', async () => {
    const { run, out } = await checkout({ BRANCH: 'links-out', COMMIT_ID: fixture.commits.linksOut });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^berth: the repository has symlinks that point outside the checkout, which Berth refuses/,
    );
    expect(run.stderr).toContain('passwd -> /etc/passwd; ');
    expect(run.stderr).toContain('docs/deep/escape -> ../../../outside; ');
    expect(existsSync(path.join(out, COMMIT_FILE))).toBe(false);
  });

  it('fails clearly when the tree uses Git LFS and git-lfs cannot be had (never builds pointer files)', async () => {
    const { run, out } = await checkout({ BRANCH: 'lfs', COMMIT_ID: fixture.commits.lfs });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'berth: the repository stores files with Git LFS (assets/model.bin) and git-lfs is not available on the build host: LFS content cannot be fetched, and Berth does not build LFS pointer files; use a CodeBuild image with git-lfs\n',
    );
    expect(existsSync(path.join(out, COMMIT_FILE))).toBe(false);
  });
});
