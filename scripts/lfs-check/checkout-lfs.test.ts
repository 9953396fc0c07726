import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKOUT_DIRECTORY, COMMIT_FILE } from '../../src/project/pipeline/scripts';
import { buildGitFixture, REPO_PATH, type GitFixture } from '../../test/project/pipeline/scripts/git-fixture';
import { binFolder, callsText, runStage } from '../../test/project/pipeline/scripts/helpers';
import { startGitHttpServer, type GitHttpServer } from '../../test/support/git-http-server';

/**
 * The Checkout script fetching Git LFS content for real, with the git-lfs found on PATH, from the test git
 * server's LFS endpoint (batch API on the repository's host, downloads on another host name with a signed
 * link). Not part of `npm test`, which must pass without git-lfs: run it with scripts/lfs-check.sh.
 */

const PAT = 'lfs-check-pat-'.padEnd(84, 'x');
const PAT_BASE64 = Buffer.from(`:${PAT}`).toString('base64');

let tmp: string;
let fixture: GitFixture;
let server: GitHttpServer;
/** A server whose LFS store lacks the object. */
let emptyLfs: GitHttpServer;
let recorders: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'berth-lfs-check-'));
  fixture = buildGitFixture(path.join(tmp, 'fixture'));
  recorders = binFolder(tmp, {
    git: 'record-exec.sh',
    'git-lfs': 'record-exec.sh',
    curl: 'record-exec.sh',
    base64: 'record-exec.sh',
  });
  [server, emptyLfs] = await Promise.all([
    startGitHttpServer({
      projectRoot: fixture.projectRoot,
      pat: PAT,
      uploadPack: { allowAnySha1InWant: true },
      lfsObjects: new Map([[fixture.lfsOid, fixture.lfsContent]]),
    }),
    startGitHttpServer({ projectRoot: fixture.projectRoot, pat: PAT, lfsObjects: new Map() }),
  ]);
});

afterAll(async () => {
  await Promise.all([server, emptyLfs].filter(Boolean).map((s) => s.close()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function checkout(on: GitHttpServer) {
  const src = mkdtempSync(path.join(tmp, 'src-'));
  const run = runStage(
    'checkout',
    {
      env: {
        CODEBUILD_SRC_DIR: src,
        COMMIT_ID: fixture.commits.lfs,
        REPOSITORY_URL: `${on.baseUrl}${REPO_PATH}`,
        BRANCH: 'lfs',
        AZURE_DEVOPS_PAT: PAT,
        ALLOW_INSECURE_HTTP: 'true',
      },
      cwd: src,
      bins: [recorders],
    },
    tmp,
  );
  return { run, out: path.join(src, CHECKOUT_DIRECTORY) };
}

describe.concurrent('Checkout with Git LFS (needs git-lfs)', () => {
  it('fetches the LFS content with the PAT header, and sends the PAT to no other host', async () => {
    const { run: running, out } = checkout(server);
    const run = await running;

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('berth: fetched the Git LFS content of 1 file(s)');
    // The content, not the pointer
    expect(readFileSync(path.join(out, 'assets/model.bin')).equals(fixture.lfsContent)).toBe(true);
    expect(readFileSync(path.join(out, COMMIT_FILE), 'utf8')).toBe(`${fixture.commits.lfs}\n`);
    expect(existsSync(path.join(out, '.git'))).toBe(false);
    // git-lfs ran, with no secret on its command line
    expect(run.calls.some((c) => c.tool === 'git-lfs')).toBe(true);
    // The batch API (the repository's host) got the PAT; the download host did not
    const batch = server.requests.filter((r) => r.url.endsWith('/info/lfs/objects/batch'));
    const downloads = server.requests.filter((r) => r.url.startsWith('/_lfs/objects/'));
    expect(batch.length).toBeGreaterThan(0);
    expect(batch.every((r) => r.authorized)).toBe(true);
    expect(downloads.length).toBeGreaterThan(0);
    expect(downloads.every((r) => !r.authorized)).toBe(true);
    // No secret anywhere: output, command lines, files
    const files = readdirSync(out, { recursive: true, encoding: 'utf8' })
      .map((f) => path.join(out, f))
      .filter((f) => lstatSync(f).isFile());
    for (const secret of [PAT, PAT_BASE64]) {
      expect(run.stdout).not.toContain(secret);
      expect(run.stderr).not.toContain(secret);
      expect(callsText(run)).not.toContain(secret);
      for (const f of files) expect(readFileSync(f, 'latin1')).not.toContain(secret);
    }
  });

  it('fails clearly, printing no secret, when the server lacks the LFS object', async () => {
    const { run: running, out } = checkout(emptyLfs);
    const run = await running;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `berth: could not fetch the Git LFS content of commit ${fixture.commits.lfs} from ${emptyLfs.baseUrl}${REPO_PATH}`,
    );
    expect(existsSync(path.join(out, COMMIT_FILE))).toBe(false);
    for (const secret of [PAT, PAT_BASE64]) {
      expect(run.stdout).not.toContain(secret);
      expect(run.stderr).not.toContain(secret);
    }
  });
});
