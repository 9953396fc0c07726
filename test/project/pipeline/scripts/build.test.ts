import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candidateTag, releasePlatformTag } from '../../../../src/contracts';
import { COMMIT_FILE } from '../../../../src/project/pipeline/scripts';
import { binFolder, FAKES, runStage, type Call, type ScriptRun } from './helpers';

/**
 * The Build script run for real in bash, with the fake `aws` and `docker` of test/support/fakes/ recording
 * every call and answering from AWS-shaped fixtures.
 */

const SHA = '3f2c9e1b7a6d5c4b3a291807f6e5d4c3b2a19081';
const LAST = '9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3';
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const REPO_NAME = 'berth/cash-collection';
const URI = `${REGISTRY}/${REPO_NAME}`;
const PASSWORD = 'ecr-password-from-get-login-password';
/** Build argument values no shell may interpret and no log may show. */
const SECRET_LOOKING = `it's "x" $(touch pwned) \`id\` $HOME; *`;
const MULTILINE = 'line one\nline two\n';

let tmp: string;
let fakes: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'berth-build-sh-'));
  fakes = binFolder(tmp, { aws: 'aws.sh', docker: 'docker.sh' });
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A checked-out tree holding a Dockerfile at `dockerfile` and the `context` folder. */
function tree(dockerfile = 'Dockerfile', context = '.'): string {
  const dir = mkdtempSync(path.join(tmp, 'tree-'));
  mkdirSync(path.join(dir, '.berth'));
  writeFileSync(path.join(dir, COMMIT_FILE), `${SHA}\n`);
  mkdirSync(path.join(dir, path.dirname(dockerfile)), { recursive: true });
  writeFileSync(path.join(dir, dockerfile), 'FROM scratch\n');
  mkdirSync(path.join(dir, context), { recursive: true });
  return dir;
}

/** A describe-images answer for a tag that exists (the fixture of test/support/fakes/fixtures/). */
const found = (tag: string) => ({
  [`aws/ecr-describe-images/${tag}.json`]: readFileSync(
    path.join(FAKES, 'fixtures/describe-images.json'),
    'utf8',
  ).replace('"TAG"', JSON.stringify(tag)),
});

function build(
  env: Record<string, string>,
  options: { dir?: string; fixtures?: Record<string, string>; mode?: 'file' | 'buildspec' } = {},
): Promise<ScriptRun> {
  const dir = options.dir ?? tree();
  return runStage(
    'build',
    {
      env: {
        CODEBUILD_SRC_DIR: dir,
        COMMIT_ID: SHA,
        IMAGE_REPO_URI: URI,
        IMAGE_REPO_NAME: REPO_NAME,
        IMAGE_ARCHITECTURE: 'arm64',
        DOCKERFILE: 'Dockerfile',
        BUILD_CONTEXT: '.',
        BUILD_ARGS: '{}',
        LAST_RELEASE: 'none',
        ...env,
      },
      cwd: dir,
      bins: [fakes],
      mode: options.mode,
      fixtures: { 'aws/ecr-get-login-password.txt': `${PASSWORD}\n`, ...options.fixtures },
    },
    tmp,
  );
}

const toolCalls = (run: ScriptRun, tool: string): Call[] => run.calls.filter((c) => c.tool === tool);
const buildxBuild = (run: ScriptRun) =>
  toolCalls(run, 'docker').filter((c) => c.args[0] === 'buildx' && c.args[1] === 'build');
const describeImages = (tag: string) => [
  'ecr',
  'describe-images',
  '--repository-name',
  REPO_NAME,
  '--image-ids',
  `imageTag=${tag}`,
  '--output',
  'json',
];

describe.concurrent('Build stage', () => {
  it('builds one architecture with buildx and pushes only its candidate tag (buildspec)', async () => {
    // Given a Dockerfile and context in folders of their own, build arguments, and a last release
    const dir = tree('docker/app.Dockerfile', 'app');
    const run = await build(
      {
        DOCKERFILE: 'docker/app.Dockerfile',
        BUILD_CONTEXT: 'app',
        BUILD_ARGS: JSON.stringify({ NODE_ENV: 'production', ODD: SECRET_LOOKING, NOTES: MULTILINE }),
        LAST_RELEASE: LAST.toUpperCase(),
      },
      { dir, mode: 'buildspec' },
    );

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Both tags looked up, then ECR login with the password on stdin (the two sides of a pipe, in either
    // order), then one buildx build with --push
    const sequence = run.calls.map((c) => [c.tool, ...c.args.slice(0, 2)].join(' '));
    expect(sequence.slice(0, 2)).toEqual(['aws ecr describe-images', 'aws ecr describe-images']);
    expect(sequence.slice(2, 4).sort()).toEqual(['aws ecr get-login-password', 'docker login --username']);
    expect(sequence.slice(4)).toEqual(['docker buildx version', 'docker buildx build']);
    expect(toolCalls(run, 'aws')[0].args).toEqual(describeImages(releasePlatformTag(SHA, 'arm64')));
    expect(toolCalls(run, 'aws')[1].args).toEqual(describeImages(candidateTag(SHA, 'arm64')));
    expect(toolCalls(run, 'docker')[0].args).toEqual([
      'login',
      '--username',
      'AWS',
      '--password-stdin',
      REGISTRY,
    ]);
    expect(toolCalls(run, 'aws')[2].args).toEqual(['ecr', 'get-login-password']);
    expect(readFileSync(path.join(run.state, 'docker-login.stdin'), 'utf8')).toBe(`${PASSWORD}\n`);
    expect(buildxBuild(run)[0].args).toEqual([
      'buildx',
      'build',
      '--platform',
      'linux/arm64',
      '--provenance=false',
      '--sbom=false',
      '--progress=plain',
      '--file',
      'docker/app.Dockerfile',
      '--label',
      `org.opencontainers.image.revision=${SHA}`,
      '--build-arg',
      'BUILDKIT_INLINE_CACHE=1',
      '--build-arg',
      'NODE_ENV=production',
      '--build-arg',
      `ODD=${SECRET_LOOKING}`,
      '--build-arg',
      `NOTES=${MULTILINE}`,
      '--cache-from',
      `type=registry,ref=${URI}:${LAST}-arm64`,
      '--tag',
      `${URI}:candidate-${SHA}-arm64`,
      '--push',
      'app',
    ]);
    // Only the names of the build arguments are printed; nothing was evaluated
    expect(run.stdout).toContain('berth: build arguments: NODE_ENV ODD NOTES\n');
    for (const value of ['production', SECRET_LOOKING, 'line one', 'line two']) {
      expect(run.stdout).not.toContain(value);
      expect(run.stderr).not.toContain(value);
    }
    expect(readFileSync(path.join(dir, COMMIT_FILE), 'utf8')).toBe(`${SHA}\n`);
    expect(() => readFileSync(path.join(dir, 'pwned'))).toThrow();
    expect(() => readFileSync(path.join(dir, 'app', 'pwned'))).toThrow();
    expect(run.stdout).toContain(`berth: pushed ${URI}:candidate-${SHA}-arm64`);
  });

  it.each([
    ['none (no release yet)', 'none', 'berth: layer cache: none from ECR (no release yet)'],
    ['empty', '', 'berth: layer cache: none from ECR (no release yet)'],
    ['not a commit SHA', 'v1.2.3', 'berth: warning: LAST_RELEASE is v1.2.3, not a commit SHA'],
  ])('builds without --cache-from when LAST_RELEASE is %s', async (_label, last, message) => {
    const run = await build({ LAST_RELEASE: last, IMAGE_ARCHITECTURE: 'amd64' });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(message);
    const args = buildxBuild(run)[0].args;
    expect(args).not.toContain('--cache-from');
    expect(args.slice(2, 4)).toEqual(['--platform', 'linux/amd64']);
    expect(args.slice(-4)).toEqual(['--tag', `${URI}:candidate-${SHA}-amd64`, '--push', '.']);
  });

  it('skips the build when the commit is already released for that architecture (buildspec)', async () => {
    const released = releasePlatformTag(SHA, 'arm64');
    const run = await build({}, { fixtures: found(released), mode: 'buildspec' });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`berth: ${REPO_NAME}:${released} is already released: nothing to build`);
    expect(toolCalls(run, 'docker')).toEqual([]);
    expect(toolCalls(run, 'aws').map((c) => c.args)).toEqual([describeImages(released)]);
  });

  it('skips the build when an earlier run pushed the candidate (tags are immutable)', async () => {
    const candidate = candidateTag(SHA, 'arm64');
    const run = await build({}, { fixtures: found(candidate) });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`berth: ${REPO_NAME}:${candidate} exists from an earlier run`);
    expect(toolCalls(run, 'docker')).toEqual([]);
  });

  it('fails when ECR cannot be asked (any error other than ImageNotFoundException)', async () => {
    const released = releasePlatformTag(SHA, 'arm64');
    const denied = readFileSync(path.join(FAKES, 'fixtures/access-denied.stderr'), 'utf8');
    const run = await build(
      {},
      {
        fixtures: {
          [`aws/ecr-describe-images/${released}.stderr`]: denied,
          [`aws/ecr-describe-images/${released}.exit`]: '254',
        },
      },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('AccessDeniedException');
    expect(run.stderr).toContain(`berth: could not look up ${REPO_NAME}:${released} in ECR\n`);
    expect(toolCalls(run, 'docker')).toEqual([]);
  });

  it.each([
    [
      'the Dockerfile is missing',
      { DOCKERFILE: 'Dockerfile.prod' },
      'berth: no Dockerfile at Dockerfile.prod in commit',
      'set build.dockerfile in berth.yaml',
    ],
    [
      'the Dockerfile is outside the repository',
      { DOCKERFILE: '../Dockerfile' },
      'berth: no Dockerfile at ../Dockerfile',
      'build.dockerfile',
    ],
    [
      'the build context is missing',
      { BUILD_CONTEXT: 'services/api' },
      'berth: no build context folder services/api in commit',
      'set build.context in berth.yaml',
    ],
  ])('fails clearly when %s', async (_label, env, message, hint) => {
    const run = await build(env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(hint);
    expect(toolCalls(run, 'docker')).toEqual([]);
  });

  it.each([
    ['not JSON', `NODE_ENV=production ${SECRET_LOOKING}`],
    ['a JSON array', JSON.stringify([SECRET_LOOKING])],
    ['an object with a number', JSON.stringify({ PORT: 8080, TOKENISH: SECRET_LOOKING })],
    ['truncated JSON', `{"A": "${SECRET_LOOKING}"`],
  ])('fails clearly when BUILD_ARGS is %s, printing no value', async (_label, args) => {
    const run = await build({ BUILD_ARGS: args });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'berth: BUILD_ARGS must be a JSON object of strings, such as {"NODE_ENV": "production"}: check build.args in berth.yaml\n',
    );
    expect(run.stdout).not.toContain(SECRET_LOOKING);
    expect(toolCalls(run, 'docker')).toEqual([]);
  });

  it('fails when a BUILD_ARGS name is not a build argument name', async () => {
    const run = await build({ BUILD_ARGS: JSON.stringify({ 'BAD NAME': 'x', GOOD: 'y' }) });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'berth: BUILD_ARGS has names that are not build argument names (letters, digits and _): "BAD NAME"\n',
    );
  });

  it('falls back to the legacy builder, with a warning, when docker buildx is missing', async () => {
    const run = await build(
      { BUILD_ARGS: JSON.stringify({ NODE_ENV: 'production' }), LAST_RELEASE: LAST },
      { fixtures: { 'docker/no-buildx': '' } },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'berth: warning: docker buildx is not available: building with the legacy builder',
    );
    const docker = toolCalls(run, 'docker').map((c) => c.args);
    expect(docker.slice(2)).toEqual([
      [
        'build',
        '--file',
        'Dockerfile',
        '--label',
        `org.opencontainers.image.revision=${SHA}`,
        '--build-arg',
        'NODE_ENV=production',
        '--tag',
        `${URI}:candidate-${SHA}-arm64`,
        '.',
      ],
      ['push', `${URI}:candidate-${SHA}-arm64`],
    ]);
  });

  it('fails when docker buildx build fails', async () => {
    const run = await build({}, { fixtures: { 'docker/buildx-build.exit': '1' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `berth: docker buildx build of ${URI}:candidate-${SHA}-arm64 failed: see the build output above\n`,
    );
  });

  it('fails before any AWS call for an unknown IMAGE_ARCHITECTURE', async () => {
    const run = await build({ IMAGE_ARCHITECTURE: 'riscv64' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('berth: IMAGE_ARCHITECTURE must be amd64 or arm64 (got riscv64)\n');
    expect(run.calls).toEqual([]);
  });
});
