import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_VARIABLES } from '../../../src/config/names';
import {
  BUILD_PHASES,
  buildBuildSpec,
  buildSpecCommands,
  CANDIDATE_TAG_PREFIX,
  CHECKOUT_DIRECTORY,
  checkoutBuildSpec,
  deployBuildSpec,
  DEPLOYMENT_OF_JQ,
  ENV,
  pipelineBuildSpecs,
  PRIMARY_DEPLOYMENT_JQ,
  pushBuildSpec,
  SCAN_BLOCKING_COUNT_JQ,
  SCAN_FINDINGS_JQ,
  SCAN_SEVERITIES,
  SCAN_SUMMARY_JQ,
  scanBuildSpec,
  SECRET_ENV,
  SCAN_STATUS_JQ,
  shQuote,
  STAGE_ENV,
  STAGE_WAITS,
  TASK_DEFINITION_JQ,
  UNTAG_FAILURES_JQ,
  TEST_REPORT_GROUP,
  verifyBuildSpec,
  type BuildSpecObject,
  type Stage,
} from '../../../src/project/pipeline/buildspecs';

/**
 * The buildspecs as data (what CodeBuild receives), then each stage's commands run for real in bash: the AWS
 * CLI and docker are replaced by recorders that answer from canned AWS-shaped JSON, so the tests see every
 * call a stage makes, in order, with its arguments; jq, curl and the shell logic are the real ones.
 */

const SHA = '3f2c9e1b7a6d5c4b3a291807f6e5d4c3b2a19081';
const ACCOUNT = '123456789012';
const REPO_NAME = 'berth/cash-collection';
const REPO_URI = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/${REPO_NAME}`;
const CANDIDATE = `${CANDIDATE_TAG_PREFIX}${SHA}`;
const DIGEST = 'sha256:9d1b7c2f0e8a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c';
const OTHER_DIGEST = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';
const TD1 = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/berth-cash-collection:1`;
const TD2 = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/berth-cash-collection:2`;
const NO_COMMIT =
  'berth: this execution has no commit: pushes start it through the webhook; to run it by hand, start it with the COMMIT_ID variable set';

const specs = pipelineBuildSpecs({ projectName: 'cash-collection' });
const STAGES = Object.keys(specs) as Stage[];
const scriptOf = (spec: BuildSpecObject) => buildSpecCommands(spec).join('\n');

// ---------------------------------------------------------------------------------------------------------------
// Running stages with recorded fakes
// ---------------------------------------------------------------------------------------------------------------

/** A canned answer: the first rule whose `when` strings all occur in the command line answers (`times` caps it). */
interface Rule {
  readonly when: readonly string[];
  readonly stdout?: unknown;
  readonly stderr?: string;
  readonly exit?: number;
  readonly times?: number;
}
interface Call {
  readonly tool: string;
  readonly args: string[];
  readonly stdin: string;
  /** Contents of `file://` arguments, read when the call was made. */
  readonly files: Record<string, string>;
}
interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly calls: Call[];
}

/**
 * The AWS CLI v2 commands the stages run, as `service operation` (a waiter would be `service wait waiter`),
 * written out from the AWS CLI v2 command reference
 * (https://awscli.amazonaws.com/v2/documentation/api/latest/reference/<service>/<operation>.html), NOT
 * derived from the buildspecs: the fake `aws` refuses anything else the way the real CLI does, so a
 * misspelled operation fails the behaviour tests, and a static test checks every `aws` line of every stage.
 * Keep it to the commands actually used (a test checks that too).
 */
const AWS_CLI_V2_COMMANDS = [
  'ecr get-login-password', // GetAuthorizationToken
  'ecr describe-images', // DescribeImages
  'ecr describe-image-scan-findings', // DescribeImageScanFindings
  'ecr batch-get-image', // BatchGetImage
  'ecr put-image', // PutImage
  'ecr batch-delete-image', // BatchDeleteImage
  'ecs describe-services', // DescribeServices
  'ecs describe-task-definition', // DescribeTaskDefinition
  'ecs register-task-definition', // RegisterTaskDefinition
  'ecs update-service', // UpdateService
  'application-autoscaling register-scalable-target', // RegisterScalableTarget
  'ssm get-parameter', // GetParameter
  'ssm put-parameter', // PutParameter
] as const;

/** `service operation` of an AWS CLI argument list (`service wait waiter` for waiters). */
const awsCommandOf = (args: readonly string[]) => args.slice(0, args[1] === 'wait' ? 3 : 2).join(' ');

const FAKE_TOOL = String.raw`'use strict';
const fs = require('node:fs');
const [tool, ...args] = process.argv.slice(2);
const dir = process.env.FAKE_DIR;
const rules = JSON.parse(fs.readFileSync(dir + '/rules.json', 'utf8'));
const statePath = dir + '/state.json';
const state = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, 'utf8')) : {};
const stdin = args.includes('--password-stdin') ? fs.readFileSync(0, 'utf8') : '';
const files = {};
for (const a of args) if (a.startsWith('file://')) files[a] = fs.readFileSync(a.slice(7), 'utf8');
fs.appendFileSync(dir + '/calls.jsonl', JSON.stringify({ tool, args, stdin, files }) + '\n');
const line = [tool, ...args].join(' ');
// Like the real CLI (exit status 252), refuse an operation it does not have, even when a rule would answer.
const awsCommands = ${JSON.stringify(AWS_CLI_V2_COMMANDS)};
const awsCommand = args.slice(0, args[1] === 'wait' ? 3 : 2).join(' ');
if (tool === 'aws' && !awsCommands.includes(awsCommand)) {
  process.stderr.write('\nusage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n' +
    'aws: error: argument operation: Invalid choice: ' + awsCommand + '\n');
  process.exit(252);
}
for (let i = 0; i < rules.length; i++) {
  const r = rules[i];
  if (!r.when.every((w) => line.includes(w))) continue;
  const used = state[i] || 0;
  if (r.times !== undefined && used >= r.times) continue;
  state[i] = used + 1;
  // Atomically (write, then rename): the two sides of a pipe, such as aws | docker, run at the same time.
  fs.writeFileSync(statePath + '.' + process.pid, JSON.stringify(state));
  fs.renameSync(statePath + '.' + process.pid, statePath);
  if (r.stdout !== undefined) process.stdout.write(typeof r.stdout === 'string' ? r.stdout : JSON.stringify(r.stdout));
  if (r.stderr !== undefined) process.stderr.write(r.stderr);
  process.exit(r.exit === undefined ? 0 : r.exit);
}
process.stderr.write('fake ' + tool + ': no canned answer for: ' + line + '\n');
process.exit(97);
`;

let tmp: string;
let runCount = 0;

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'berth-buildspecs-'));
  writeFileSync(path.join(tmp, 'fake-tool.cjs'), FAKE_TOOL);
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Runs a buildspec's commands in bash as CodeBuild does, with `aws` and `docker` answering from `rules`. */
function runStage(
  spec: BuildSpecObject,
  env: Record<string, string>,
  rules: readonly Rule[] = [],
  files: Record<string, string> = {},
): Promise<Run> {
  runCount += 1;
  const dir = path.join(tmp, `run-${runCount}`);
  const bin = path.join(dir, 'bin');
  const src = path.join(dir, 'src');
  mkdirSync(bin, { recursive: true });
  mkdirSync(src);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(src, name), content);
  writeFileSync(path.join(dir, 'rules.json'), JSON.stringify(rules));
  writeFileSync(path.join(dir, 'calls.jsonl'), '');
  for (const tool of ['aws', 'docker']) {
    writeFileSync(
      path.join(bin, tool),
      `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(path.join(tmp, 'fake-tool.cjs'))} ${tool} "$@"\n`,
      { mode: 0o755 },
    );
  }
  const script = ['set -e', ...buildSpecCommands(spec)].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      cwd: src,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: dir,
        LANG: 'C.UTF-8',
        FAKE_DIR: dir,
        CODEBUILD_SRC_DIR: src,
        AWS_DEFAULT_REGION: 'us-east-1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const calls = readFileSync(path.join(dir, 'calls.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Call);
      resolve({ code, stdout, stderr, calls });
    });
  });
}

/** `service operation` of each AWS CLI call, in order (`ecr describe-images`, `ssm put-parameter`...). */
const awsOps = (run: Run) =>
  run.calls.filter((c) => c.tool === 'aws').map((c) => `${c.args[0]} ${c.args[1]}`);
const callsTo = (run: Run, tool: string, op: string) =>
  run.calls.filter((c) => c.tool === tool && c.args.slice(0, op.split(' ').length).join(' ') === op);
/** The value after a flag in a call's arguments. */
const arg = (call: Call, flag: string) => call.args[call.args.indexOf(flag) + 1];

// Canned AWS answers ---------------------------------------------------------------------------------------------

const imageMissing = (tag: string, times?: number): Rule => ({
  when: ['ecr describe-images', `imageTag=${tag} `],
  stderr: `\nAn error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageDigest:'null', imageTag:'${tag}'} does not exist within the repository with name '${REPO_NAME}' in the registry with id '${ACCOUNT}'\n`,
  exit: 254,
  times,
});
const imagePresent = (tag: string, digest = DIGEST): Rule => ({
  when: ['ecr describe-images', `imageTag=${tag} `],
  stdout: {
    imageDetails: [
      {
        registryId: ACCOUNT,
        repositoryName: REPO_NAME,
        imageDigest: digest,
        imageTags: [tag],
        imageSizeInBytes: 52_000_000,
      },
    ],
  },
});

function findings(counts: Record<string, number>) {
  return {
    imageScanFindings: {
      findings: [
        {
          name: 'CVE-2026-0001',
          uri: 'https://security-tracker.debian.org/tracker/CVE-2026-0001',
          severity: 'HIGH',
          attributes: [
            { key: 'package_version', value: '3.0.11-1' },
            { key: 'package_name', value: 'openssl' },
          ],
        },
        { name: 'CVE-2026-0002', severity: 'LOW', attributes: [{ key: 'package_name', value: 'zlib' }] },
      ],
      imageScanCompletedAt: '2026-11-25T18:00:00+00:00',
      vulnerabilitySourceUpdatedAt: '2026-11-25T00:00:00+00:00',
      findingSeverityCounts: counts,
    },
    registryId: ACCOUNT,
    repositoryName: REPO_NAME,
    imageId: { imageDigest: DIGEST, imageTag: CANDIDATE },
    imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
  };
}

/** A `describe-image-scan-findings` answer under registry-level enhanced scanning (Amazon Inspector). */
function enhancedFindings(counts: Record<string, number>, status = 'ACTIVE') {
  const finding = (id: string, severity: string, score: number) => ({
    awsAccountId: ACCOUNT,
    description: `A vulnerability in openssl (${id}).`,
    findingArn: `arn:aws:inspector2:us-east-1:${ACCOUNT}:finding/${id.toLowerCase()}`,
    firstObservedAt: '2026-11-25T18:00:00+00:00',
    lastObservedAt: '2026-11-25T18:00:00+00:00',
    packageVulnerabilityDetails: {
      source: 'NVD',
      vulnerabilityId: id,
      vulnerablePackages: [{ name: 'openssl', version: '3.0.11-1', packageManager: 'OS' }],
    },
    score,
    severity,
    status: 'ACTIVE',
    title: `${id} - openssl`,
    type: 'PACKAGE_VULNERABILITY',
  });
  return {
    imageScanFindings: {
      enhancedFindings: [finding('CVE-2026-1000', 'CRITICAL', 9.8), finding('CVE-2026-1001', 'HIGH', 7.5)],
      findingSeverityCounts: counts,
    },
    registryId: ACCOUNT,
    repositoryName: REPO_NAME,
    imageId: { imageDigest: DIGEST, imageTag: CANDIDATE },
    imageScanStatus: { status, description: 'Continuous scan is selected for image.' },
  };
}

/** A `batch-delete-image` answer with one failure for the candidate tag. */
function untagFailure(failureCode: string, failureReason: string) {
  return { imageIds: [], failures: [{ imageId: { imageTag: CANDIDATE }, failureCode, failureReason }] };
}

const CURRENT_TASK_DEFINITION = {
  taskDefinition: {
    taskDefinitionArn: TD1,
    containerDefinitions: [
      {
        name: 'app',
        image: `${REPO_URI}:none`,
        cpu: 0,
        memoryReservation: 256,
        portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
        essential: true,
        environment: [{ name: 'PORT', value: '8080' }],
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': '/berth/cash-collection/service', 'awslogs-stream-prefix': 'app' },
        },
      },
      {
        name: 'sidecar',
        image: 'public.ecr.aws/docker/library/busybox:1.36',
        essential: false,
        memoryReservation: 16,
      },
    ],
    family: 'berth-cash-collection',
    taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/berth-cash-collection-task`,
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/berth-cash-collection-execution`,
    networkMode: 'bridge',
    revision: 1,
    volumes: [],
    status: 'ACTIVE',
    requiresAttributes: [
      { name: 'com.amazonaws.ecs.capability.ecr-auth' },
      { name: 'ecs.capability.execution-role-awslogs' },
    ],
    placementConstraints: [],
    compatibilities: ['EXTERNAL', 'EC2'],
    requiresCompatibilities: ['EC2'],
    cpu: '256',
    memory: '512',
    pidMode: null,
    registeredAt: '2026-11-25T18:00:00.000000+00:00',
    registeredBy: `arn:aws:sts::${ACCOUNT}:assumed-role/cdk-cfn-exec-role/AWSCloudFormation`,
  },
};

/** What the Deploy stage must register: the same definition, new image on `app`, no read-only fields. */
const EXPECTED_REGISTRATION = {
  family: 'berth-cash-collection',
  taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/berth-cash-collection-task`,
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/berth-cash-collection-execution`,
  networkMode: 'bridge',
  containerDefinitions: [
    { ...CURRENT_TASK_DEFINITION.taskDefinition.containerDefinitions[0], image: `${REPO_URI}:${SHA}` },
    CURRENT_TASK_DEFINITION.taskDefinition.containerDefinitions[1],
  ],
  volumes: [],
  placementConstraints: [],
  requiresCompatibilities: ['EC2'],
  cpu: '256',
  memory: '512',
};

function describeServices(
  desiredCount: number,
  taskDefinition: string,
  primary: Record<string, unknown>,
  others: Record<string, unknown>[] = [],
) {
  return {
    services: [
      {
        serviceArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/berth/cash-collection`,
        serviceName: 'cash-collection',
        clusterArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/berth`,
        status: 'ACTIVE',
        desiredCount,
        runningCount: desiredCount,
        pendingCount: 0,
        taskDefinition,
        deployments: [
          { id: 'ecs-svc/1', status: 'PRIMARY', desiredCount, runningCount: desiredCount, ...primary },
          ...others,
        ],
      },
    ],
    failures: [],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The buildspecs as data
// ---------------------------------------------------------------------------------------------------------------

describe('every stage buildspec', () => {
  it.each(STAGES)('%s: version 0.2, bash, one fail-fast command in the build phase', (stage) => {
    const spec = specs[stage];
    expect(spec.version).toBe('0.2');
    expect(spec.env.shell).toBe('bash');
    // Only the build phase: CodeBuild would run post_build even after a failed build.
    expect(Object.keys(spec.phases)).toEqual(['build']);
    const commands = spec.phases.build?.commands ?? [];
    expect(commands).toHaveLength(1);
    expect(commands[0].startsWith('(\nset -euo pipefail\n')).toBe(true);
    expect(commands[0].endsWith('\n)')).toBe(true);
  });

  it.each(STAGES)('%s: is valid bash and never traces commands', (stage) => {
    const script = scriptOf(specs[stage]);
    expect(() => execFileSync('bash', ['-n', '-c', script])).not.toThrow();
    expect(script).not.toMatch(/set\s+-[a-z]*x|set\s+-o\s+xtrace|bash\s+-x/);
  });

  it.each(STAGES)('%s: reads every variable it declares', (stage) => {
    const script = scriptOf(specs[stage]);
    for (const name of [...STAGE_ENV[stage].required, ...STAGE_ENV[stage].optional]) {
      expect(script).toMatch(new RegExp(`\\b${name}\\b`));
    }
  });

  it('uses the names the webhook sets as pipeline variables', () => {
    expect(ENV.commit).toBe(PIPELINE_VARIABLES.commit);
    expect(ENV.branch).toBe(PIPELINE_VARIABLES.branch);
    expect(SECRET_ENV).toEqual([ENV.pat]);
  });

  it('lists every command in CodeBuild phase order', () => {
    const spec: BuildSpecObject = {
      version: '0.2',
      env: { shell: 'bash' },
      phases: {
        post_build: { commands: ['d'] },
        build: { commands: ['c'] },
        install: { commands: ['a', 'b'] },
      },
    };
    expect(BUILD_PHASES).toEqual(['install', 'pre_build', 'build', 'post_build']);
    expect(buildSpecCommands(spec)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('Checkout buildspec', () => {
  const script = scriptOf(specs.checkout);

  it('outputs the checked-out tree without .git', () => {
    expect(specs.checkout.artifacts).toEqual({
      files: ['**/*'],
      'base-directory': CHECKOUT_DIRECTORY,
      'exclude-paths': ['.git/**/*', '**/.git/**/*'],
      'enable-symlinks': 'yes',
    });
    expect(script).toContain(`dir="\${CODEBUILD_SRC_DIR:-$PWD}/${CHECKOUT_DIRECTORY}"`);
    expect(script).toMatch(/^rm -rf \.git$/m);
  });

  it('keeps the PAT and its header off every command line and out of URLs', () => {
    expect(script).toContain('--config-env=http.extraHeader=GIT_AUTH_HEADER');
    expect(script).not.toMatch(/-c\s+["']?http\.extraHeader/i);
    expect(script).not.toMatch(/:\/\/[^\s"'/]*\$/); // no variable in a URL's authority
    expect(script).toContain(`base64 -w0`);
    // Every line that touches the secret is one of these shapes: builtins and assignments only.
    const allowed = [
      /^pat="\$\{AZURE_DEVOPS_PAT:-\}"$/,
      /^pat="\$\{pat\/\/\[\[:space:\]\]\/\}"$/,
      /^unset AZURE_DEVOPS_PAT$/,
      /^if \[\[ -z "\$pat" \]\]; then$/,
      /^pat_b64="\$\(printf ':%s' "\$pat" \| base64 -w0\)"$/,
      /^export GIT_AUTH_HEADER="Authorization: Basic \$pat_b64"$/,
      /^ {2}text="\$\{text\/\/"\$(pat|pat_b64)"\/\[redacted\]\}"$/,
      // curl reads the header from stdin (the next lines carry `--header @-` and the URL, no variable)
      /^probe="\$\(printf '%s\\n' "\$GIT_AUTH_HEADER" \| curl [^$]* \\$/,
    ];
    expect(script).toMatch(/ --header @- \\\n {2}"\$url\/info\/refs\?service=git-upload-pack"/);
    const touching = script
      .split('\n')
      .filter((l) => /\$\{?(pat|pat_b64|AZURE_DEVOPS_PAT|GIT_AUTH_HEADER)\b/.test(l));
    expect(touching.length).toBeGreaterThanOrEqual(7);
    for (const line of touching)
      expect(
        allowed.some((re) => re.test(line)),
        line,
      ).toBe(true);
  });

  it('never prompts for credentials and fetches only the pinned commit', () => {
    expect(script).toContain('export GIT_TERMINAL_PROMPT=0');
    expect(script).toContain('berth_git fetch --quiet --no-tags --depth 1 origin "$COMMIT_ID"');
    expect(script).toContain('checkout --quiet --detach "$COMMIT_ID"');
    expect(script).toMatch(
      /head="\$\(git rev-parse HEAD\)"\n\[\[ "\$head" == "\$COMMIT_ID" \]\] \|\| berth_fail/,
    );
    expect(script).not.toMatch(/git clone/);
  });

  it('names the project in the set-pat hint', () => {
    expect(scriptOf(checkoutBuildSpec())).toContain('npx berth set-pat <project>');
    expect(script).toContain('npx berth set-pat cash-collection');
    expect(() => checkoutBuildSpec({ projectName: 'x; rm -rf /' })).toThrow(/projectName/);
  });
});

describe('Test buildspec', () => {
  const script = scriptOf(specs.test);

  it('collects JUnit XML from anywhere into the tests report group', () => {
    expect(TEST_REPORT_GROUP).toBe('tests');
    expect(specs.test.reports).toEqual({
      tests: { files: ['**/junit*.xml', '**/TEST-*.xml'], 'file-format': 'JUNITXML', 'discard-paths': 'no' },
    });
  });

  it('runs npm ci only for a package.json with a lockfile, then the test command', () => {
    expect(script).toMatch(
      /if \[\[ -f package\.json && \( -f package-lock\.json \|\| -f npm-shrinkwrap\.json \) \]\]; then\n.*\n {2}npm ci /,
    );
    expect(script.indexOf('npm ci')).toBeLessThan(script.indexOf('bash -c "$TEST_COMMAND"'));
  });
});

describe('image tags across Build, Scan and Push', () => {
  const build = scriptOf(specs.build);
  const scan = scriptOf(specs.scan);
  const push = scriptOf(specs.push);

  it('Build tags and pushes only the candidate tag, with BuildKit and the revision label', () => {
    expect(build).toContain(`candidate="${CANDIDATE_TAG_PREFIX}$COMMIT_ID"`);
    expect(build).toContain('--tag "$IMAGE_REPO_URI:$candidate"');
    expect(build).toContain('docker push "$IMAGE_REPO_URI:$candidate"');
    expect(build).not.toMatch(/IMAGE_REPO_URI:\$COMMIT_ID"/);
    expect(build).toContain('--label "org.opencontainers.image.revision=$COMMIT_ID"');
    expect(build).toContain('export DOCKER_BUILDKIT=1');
    expect(build).toContain(
      'aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"',
    );
  });

  it('Build reads the last release only from the release pointer, and only to use its layers as cache', () => {
    expect(build).toContain(
      'aws ssm get-parameter --name "$IMAGE_TAG_PARAMETER" --query Parameter.Value --output text',
    );
    expect(build).toContain('--build-arg BUILDKIT_INLINE_CACHE=1');
    expect(build).toContain('--cache-from "$IMAGE_REPO_URI:$released"');
    // Nothing is pulled and nothing but the candidate is tagged or pushed.
    expect(build).not.toMatch(/docker pull|docker tag|ssm put-parameter/);
    expect(build.match(/docker push/g)).toHaveLength(1);
  });

  it('only Push creates the release tag or removes tags, and only by tag', () => {
    for (const stage of STAGES) {
      const script = scriptOf(specs[stage]);
      if (stage === 'push') continue;
      expect(script, stage).not.toMatch(/put-image|--image-tag|docker tag|batch-delete-image/);
    }
    expect(push).toContain('--image-tag "$COMMIT_ID"');
    expect(push.match(/batch-delete-image/g)).toHaveLength(1);
    expect(push).toContain(
      'aws ecr batch-delete-image --repository-name "$IMAGE_REPO_NAME" --image-ids "imageTag=$candidate"',
    );
    expect(push).not.toMatch(/imageDigest=/);
  });

  it('Scan reads the scan status in a bounded poll, then gates on the findings', () => {
    expect(scan).not.toMatch(/aws ecr wait/);
    const read = scan.indexOf('aws ecr describe-image-scan-findings "${image[@]}" --output json >');
    const status = scan.indexOf('COMPLETE | ACTIVE) break ;;');
    const gate = scan.indexOf('if (( blocking > 0 ))');
    expect(read).toBeGreaterThan(0);
    expect(status).toBeGreaterThan(read);
    expect(gate).toBeGreaterThan(status);
  });
});

/** Every `aws <service> <operation>` of a script (`aws <service> wait <waiter>` for waiters), in order. */
function awsCommandsIn(script: string): string[] {
  return [...script.matchAll(/(?<![\w$./-])aws[ \t]+(\S+)[ \t]+(\S+)(?:[ \t]+(\S+))?/g)].map((m) =>
    awsCommandOf(m.slice(1).filter((w): w is string => w !== undefined)),
  );
}

describe('AWS CLI commands', () => {
  const used = Object.fromEntries(STAGES.map((stage) => [stage, awsCommandsIn(scriptOf(specs[stage]))]));

  it('finds every aws invocation, waiters included', () => {
    expect(
      awsCommandsIn('x="$(aws ecr describe-images --x)"\naws ecs wait services-stable \\\n  --cluster x'),
    ).toEqual(['ecr describe-images', 'ecs wait services-stable']);
    // Every `aws` word followed by a blank in a script is an invocation the extraction caught.
    for (const stage of STAGES) {
      const script = scriptOf(specs[stage]);
      expect(used[stage].length, stage).toBe((script.match(/(?<![\w$./-])aws[ \t]/g) ?? []).length);
    }
  });

  it.each(STAGES)('%s runs only real AWS CLI v2 commands, spelled out literally', (stage) => {
    for (const command of used[stage]) {
      expect(command, stage).toMatch(/^[a-z][a-z0-9-]* [a-z][a-z0-9-]*( [a-z][a-z0-9-]*)?$/);
      expect(AWS_CLI_V2_COMMANDS, `${stage}: aws ${command}`).toContain(command);
    }
  });

  it('each stage runs the commands its IAM grants are written for', () => {
    const distinct = (stage: Stage) => [...new Set(used[stage])].sort();
    expect(distinct('checkout')).toEqual([]);
    expect(distinct('test')).toEqual([]);
    expect(distinct('verify')).toEqual([]);
    expect(distinct('build')).toEqual(['ecr describe-images', 'ecr get-login-password', 'ssm get-parameter']);
    expect(distinct('scan')).toEqual(['ecr describe-image-scan-findings', 'ecr describe-images']);
    expect(distinct('push')).toEqual([
      'ecr batch-delete-image',
      'ecr batch-get-image',
      'ecr describe-images',
      'ecr put-image',
    ]);
    expect(distinct('deploy')).toEqual([
      'application-autoscaling register-scalable-target',
      'ecs describe-services',
      'ecs describe-task-definition',
      'ecs register-task-definition',
      'ecs update-service',
      'ssm put-parameter',
    ]);
  });

  it('lists no command that no stage runs', () => {
    const all = new Set(Object.values(used).flat());
    expect(AWS_CLI_V2_COMMANDS.filter((c) => !all.has(c))).toEqual([]);
  });

  it('the fake aws refuses a misspelled operation even when a rule would answer it', async () => {
    const typo: BuildSpecObject = {
      version: '0.2',
      env: { shell: 'bash' },
      phases: { build: { commands: ['aws ecr describe-image-scans-findings --repository-name x'] } },
    };
    const run = await runStage(typo, {}, [{ when: ['ecr describe-image-scans-findings'], stdout: {} }]);
    expect(run.code).toBe(252);
    expect(run.stderr).toContain('Invalid choice: ecr describe-image-scans-findings');
  });
});

describe('Deploy buildspec', () => {
  const script = scriptOf(specs.deploy);

  it('writes the release pointer once, last, after ECS reports the rollout complete', () => {
    const order = [
      'aws ecs register-task-definition',
      'aws application-autoscaling register-scalable-target "${scaling[@]}" \\\n  --min-capacity "$MIN_COUNT"',
      'aws ecs update-service "${update[@]}"',
      'aws ecs describe-services "${service[@]}" --output json >"$berth_tmp/after.json"',
      'if [[ "$rollout" == COMPLETED ]]; then\n      break',
      'aws ssm put-parameter --name "$IMAGE_TAG_PARAMETER" --value "$COMMIT_ID" --overwrite',
    ].map((s) => script.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(script.match(/ssm put-parameter/g)).toHaveLength(1);
    expect(script).not.toMatch(/aws ecs wait/);
  });
});

describe('bounded waits', () => {
  it.each(['scan', 'deploy'] as const)(
    '%s: the default and largest timeouts leave the stage minutes under its CodeBuild timeout',
    (stage) => {
      const w = STAGE_WAITS[stage];
      expect(w.timeoutSeconds).toBeLessThanOrEqual(w.maxTimeoutSeconds);
      expect(w.maxTimeoutSeconds).toBeLessThanOrEqual(w.codeBuildTimeoutMinutes * 60 - 120);
      expect(scriptOf(specs[stage])).toContain(`0 ${w.maxTimeoutSeconds}\n`);
    },
  );

  it('Deploy waits 1500 s and polls every 15 s by default; Scan 600 s and 5 s', () => {
    expect(STAGE_WAITS.deploy).toMatchObject({
      timeoutSeconds: 1500,
      pollSeconds: 15,
      codeBuildTimeoutMinutes: 30,
    });
    expect(STAGE_WAITS.scan).toMatchObject({ timeoutSeconds: 600, pollSeconds: 5 });
    expect(scriptOf(specs.deploy)).toContain('DEPLOY_TIMEOUT_SECONDS="${DEPLOY_TIMEOUT_SECONDS:-1500}"');
    expect(scriptOf(specs.deploy)).toContain('poll="${DEPLOY_POLL_SECONDS:-15}"');
    expect(scriptOf(specs.scan)).toContain('SCAN_TIMEOUT_SECONDS="${SCAN_TIMEOUT_SECONDS:-600}"');
  });
});

describe('Verify buildspec', () => {
  it('polls with a 5 s request limit and a 180 s default bound', () => {
    const script = scriptOf(specs.verify);
    expect(script).toContain('--max-time 5');
    expect(script).toContain('timeout="${VERIFY_TIMEOUT_SECONDS:-180}"');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// jq programs on canned AWS answers
// ---------------------------------------------------------------------------------------------------------------

const jq = (program: string, input: unknown, args: string[] = []) =>
  execFileSync('jq', ['-r', ...args, program], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });

const RANK: Record<string, number> = { INFORMATIONAL: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };

describe('scan severity arithmetic', () => {
  it.each([
    ['CRITICAL', 0],
    ['HIGH', 2],
    ['MEDIUM', 3],
    ['LOW', 8],
    ['INFORMATIONAL', 10],
    ['high', 2],
  ])('counts findings at or above %s: %i', (threshold, expected) => {
    const input = findings({ HIGH: 2, MEDIUM: 1, LOW: 5, INFORMATIONAL: 1, UNDEFINED: 1 });
    expect(jq(SCAN_BLOCKING_COUNT_JQ, input, ['--arg', 'threshold', threshold]).trim()).toBe(
      String(expected),
    );
  });

  it('counts zero when the scan found nothing', () => {
    const input = { imageScanFindings: { findings: [] }, imageScanStatus: { status: 'COMPLETE' } };
    expect(jq(SCAN_BLOCKING_COUNT_JQ, input, ['--arg', 'threshold', 'INFORMATIONAL']).trim()).toBe('0');
  });

  it('agrees with a plain sum over ranks for any counts and threshold', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...SCAN_SEVERITIES, 'UNDEFINED', 'UNTRIAGED'), fc.nat(1000)),
        fc.constantFrom(...SCAN_SEVERITIES),
        (counts, threshold) => {
          const expected = Object.entries(counts)
            .filter(([s]) => (RANK[s] ?? 1) >= RANK[threshold])
            .reduce((sum, [, n]) => sum + n, 0);
          // Counts only: with empty counts, the `findings` fixture's two listed findings would be counted instead.
          const input = { imageScanFindings: { findingSeverityCounts: counts } };
          const actual = jq(SCAN_BLOCKING_COUNT_JQ, input, ['--arg', 'threshold', threshold]).trim();
          expect(actual).toBe(String(expected));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects an unknown threshold', () => {
    expect(() => jq(SCAN_BLOCKING_COUNT_JQ, findings({}), ['--arg', 'threshold', 'SEVERE'])).toThrow(
      /unknown severity threshold: SEVERE/,
    );
  });

  it('summarizes counts per severity and marks the blocking rows', () => {
    const table = jq(SCAN_SUMMARY_JQ, findings({ HIGH: 2, LOW: 5, UNDEFINED: 1 }), [
      '--arg',
      'threshold',
      'HIGH',
    ]);
    expect(table.trimEnd().split('\n')).toEqual([
      'SEVERITY        FINDINGS',
      'CRITICAL        0',
      'HIGH            2  <- at or above HIGH',
      'MEDIUM          0',
      'LOW             5',
      'INFORMATIONAL   0',
      'UNDEFINED       1',
    ]);
  });

  it('lists the blocking findings with their package', () => {
    const list = jq(SCAN_FINDINGS_JQ, findings({ HIGH: 1, LOW: 1 }), ['--arg', 'threshold', 'HIGH']);
    expect(list.trimEnd().split('\n')).toEqual(['  HIGH  CVE-2026-0001  openssl 3.0.11-1']);
  });

  it('counts, summarizes and lists enhanced (Amazon Inspector) findings', () => {
    const input = enhancedFindings({ CRITICAL: 1, HIGH: 1, UNTRIAGED: 1 });
    const args = ['--arg', 'threshold', 'CRITICAL'];
    expect(jq(SCAN_BLOCKING_COUNT_JQ, input, args).trim()).toBe('1');
    expect(jq(SCAN_SUMMARY_JQ, input, args)).toContain('CRITICAL        1  <- at or above CRITICAL');
    expect(jq(SCAN_FINDINGS_JQ, input, args).trimEnd().split('\n')).toEqual([
      '  CRITICAL  CVE-2026-1000  openssl 3.0.11-1',
    ]);
  });

  it('counts from the findings lists when a scan reports no findingSeverityCounts', () => {
    const enhanced = enhancedFindings({});
    delete (enhanced.imageScanFindings as { findingSeverityCounts?: unknown }).findingSeverityCounts;
    const basic = findings({});
    const args = (t: string) => ['--arg', 'threshold', t];
    // enhanced: one CRITICAL and one HIGH finding listed
    expect(jq(SCAN_BLOCKING_COUNT_JQ, enhanced, args('CRITICAL')).trim()).toBe('1');
    expect(jq(SCAN_BLOCKING_COUNT_JQ, enhanced, args('HIGH')).trim()).toBe('2');
    // basic, empty counts object: one HIGH and one LOW finding listed
    expect(jq(SCAN_BLOCKING_COUNT_JQ, basic, args('HIGH')).trim()).toBe('1');
    expect(jq(SCAN_BLOCKING_COUNT_JQ, basic, args('LOW')).trim()).toBe('2');
    expect(jq(SCAN_SUMMARY_JQ, basic, args('LOW'))).toContain('HIGH            1  <- at or above LOW');
  });
});

describe('task definition copy', () => {
  const transform = (container: string) =>
    JSON.parse(
      jq(TASK_DEFINITION_JQ, CURRENT_TASK_DEFINITION, [
        '--arg',
        'container',
        container,
        '--arg',
        'image',
        `${REPO_URI}:${SHA}`,
      ]),
    ) as Record<string, unknown>;

  it('keeps the definition, swaps the one image and drops read-only and null fields', () => {
    expect(transform('app')).toEqual(EXPECTED_REGISTRATION);
  });

  it('fails when the task definition has no such container', () => {
    expect(() => transform('web')).toThrow(
      /the task definition berth-cash-collection has no container named web/,
    );
  });

  it('reads the PRIMARY deployment of a service', () => {
    const out = jq(
      PRIMARY_DEPLOYMENT_JQ,
      describeServices(2, TD1, {
        taskDefinition: TD2,
        rolloutState: 'FAILED',
        rolloutStateReason: 'tasks failed\nto start',
      }),
    );
    expect(out.trimEnd().split('\n')).toEqual([TD2, 'FAILED', 'tasks failed to start', '2', '2', '0']);
  });

  it('reads empty values when the service has no PRIMARY deployment', () => {
    expect(
      jq(PRIMARY_DEPLOYMENT_JQ, { services: [{ deployments: [] }] })
        .split('\n')
        .slice(0, 6),
    ).toEqual(['', '', '', '0', '0', '0']);
  });
});

describe('deployment of a task definition', () => {
  it('reads the newest deployment of a task definition, even when it is no longer PRIMARY', () => {
    const answer = describeServices(2, TD1, { taskDefinition: TD1, rolloutState: 'IN_PROGRESS' }, [
      {
        id: 'ecs-svc/2',
        status: 'ACTIVE',
        taskDefinition: TD2,
        rolloutState: 'IN_PROGRESS',
        createdAt: '2026-11-25T17:00:00Z',
      },
      {
        id: 'ecs-svc/3',
        status: 'ACTIVE',
        taskDefinition: TD2,
        rolloutState: 'FAILED',
        rolloutStateReason: 'tasks failed\nto start',
        createdAt: '2026-11-25T18:00:00Z',
      },
    ]);
    expect(jq(DEPLOYMENT_OF_JQ, answer, ['--arg', 'td', TD2])).toBe('FAILED: tasks failed to start\n');
    expect(jq(DEPLOYMENT_OF_JQ, answer, ['--arg', 'td', TD1])).toBe('IN_PROGRESS\n');
    expect(jq(DEPLOYMENT_OF_JQ, answer, ['--arg', 'td', 'arn:other'])).toBe('');
  });
});

describe('scan status and tag removal answers', () => {
  it('reads the scan status and its one-line description', () => {
    const input = { imageScanStatus: { status: 'FAILED', description: 'UnsupportedImageError:\nthe OS' } };
    expect(jq(SCAN_STATUS_JQ, input).split('\n').slice(0, 2)).toEqual([
      'FAILED',
      'UnsupportedImageError: the OS',
    ]);
    expect(jq(SCAN_STATUS_JQ, {}).split('\n').slice(0, 2)).toEqual(['', '']);
  });

  it.each([
    ['every tag removed', { imageIds: [{ imageTag: CANDIDATE, imageDigest: DIGEST }], failures: [] }, ''],
    ['tag already gone', untagFailure('ImageNotFound', 'Requested image not found'), ''],
    ['tag already moved', untagFailure('ImageTagDoesNotMatchDigest', 'Invalid image tag'), ''],
    [
      'another failure',
      untagFailure('ImageReferencedByManifestList', 'referenced\nby a list'),
      'ImageReferencedByManifestList: referenced by a list\n',
    ],
    ['a failure without a code', { imageIds: [], failures: [{ failureReason: 'odd' }] }, 'unknown: odd\n'],
  ])('reports only unexpected batch-delete-image failures: %s', (_name, answer, expected) => {
    expect(jq(UNTAG_FAILURES_JQ, answer)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Stages run in bash against recorded aws/docker
// ---------------------------------------------------------------------------------------------------------------

describe('stages that need a commit', () => {
  it.each(['checkout', 'build', 'scan', 'push', 'deploy'] as const)(
    '%s fails with the no-commit message, calling nothing, when COMMIT_ID is empty',
    async (stage) => {
      const run = await runStage(specs[stage], {
        COMMIT_ID: '',
        IMAGE_REPO_NAME: REPO_NAME,
        IMAGE_REPO_URI: REPO_URI,
      });
      expect(run.code).not.toBe(0);
      expect(run.stderr.trim()).toBe(NO_COMMIT);
      expect(run.calls).toEqual([]);
    },
  );
});

describe('Build stage', () => {
  const PARAMETER = '/berth/cash-collection/image-tag';
  /** The commit of the last release, whose image in ECR carries the inline layer cache. */
  const RELEASED = '8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b';
  const env = {
    COMMIT_ID: SHA,
    IMAGE_REPO_URI: REPO_URI,
    IMAGE_REPO_NAME: REPO_NAME,
    IMAGE_TAG_PARAMETER: PARAMETER,
  };
  const dockerfile = { Dockerfile: 'FROM public.ecr.aws/docker/library/node:22-alpine\n' };
  /** `aws ssm get-parameter ... --output text` answering the release pointer's value. */
  const pointer = (value: string): Rule => ({ when: ['ssm get-parameter'], stdout: `${value}\n` });
  const pointerUnreadable: Rule = {
    when: ['ssm get-parameter'],
    stderr: `\nAn error occurred (AccessDeniedException) when calling the GetParameter operation: User: arn:aws:sts::${ACCOUNT}:assumed-role/berth-build/AWSCodeBuild is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${PARAMETER}\n`,
    exit: 254,
  };
  const baseRules: Rule[] = [
    imageMissing(SHA),
    imageMissing(CANDIDATE),
    { when: ['ecr get-login-password'], stdout: 'ecr-password-from-aws' },
    { when: ['docker login'], stdout: 'Login Succeeded\n' },
    { when: ['docker buildx version'], stdout: 'github.com/docker/buildx v0.17.1\n' },
    { when: ['docker build'] },
    { when: ['docker push'] },
  ];
  const buildRules: Rule[] = [pointer(RELEASED), ...baseRules];
  const withoutBuildx = (rules: readonly Rule[]) =>
    rules.map((r) => (r.when[0] === 'docker buildx version' ? { ...r, stdout: '', exit: 1 } : r));
  const buildArgs = (run: Run) => {
    const builds = callsTo(run, 'docker', 'build');
    expect(builds).toHaveLength(1);
    return builds[0].args;
  };

  it('builds the Dockerfile and pushes only the candidate tag for a new commit', async () => {
    const run = await runStage(buildBuildSpec(), env, buildRules, dockerfile);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const login = callsTo(run, 'docker', 'login')[0];
    expect(login.args).toEqual([
      'login',
      '--username',
      'AWS',
      '--password-stdin',
      `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`,
    ]);
    expect(login.stdin).toBe('ecr-password-from-aws');

    expect(buildArgs(run)).toEqual([
      'build',
      '--label',
      `org.opencontainers.image.revision=${SHA}`,
      '--tag',
      `${REPO_URI}:${CANDIDATE}`,
      '--progress=plain',
      '--build-arg',
      'BUILDKIT_INLINE_CACHE=1',
      '--cache-from',
      `${REPO_URI}:${RELEASED}`,
      '.',
    ]);
    expect(callsTo(run, 'docker', 'push').map((c) => c.args)).toEqual([['push', `${REPO_URI}:${CANDIDATE}`]]);
    expect(run.calls.some((c) => c.args.some((a) => a.endsWith(`:${SHA}`)))).toBe(false);
  });

  it('uses the last release as the layer cache without pulling it, reading the pointer once', async () => {
    const run = await runStage(buildBuildSpec(), env, buildRules, dockerfile);
    expect(run.code).toBe(0);
    expect(callsTo(run, 'aws', 'ssm get-parameter').map((c) => c.args)).toEqual([
      ['ssm', 'get-parameter', '--name', PARAMETER, '--query', 'Parameter.Value', '--output', 'text'],
    ]);
    expect(awsOps(run)).toEqual([
      'ecr describe-images',
      'ecr describe-images',
      'ecr get-login-password',
      'ssm get-parameter',
    ]);
    expect(run.calls.filter((c) => c.tool === 'docker').map((c) => c.args[0])).toEqual([
      'login',
      'buildx',
      'build',
      'push',
    ]);
    expect(run.stdout).toContain(
      `berth: layer cache: this host's, and the last release's from ECR (${REPO_URI}:${RELEASED})`,
    );
  });

  it('reads a pointer value with surrounding blanks or upper-case hex as the release tag', async () => {
    const run = await runStage(
      buildBuildSpec(),
      env,
      [pointer(`  ${RELEASED.toUpperCase()}\t`), ...baseRules],
      dockerfile,
    );
    expect(run.code).toBe(0);
    expect(arg(callsTo(run, 'docker', 'build')[0], '--cache-from')).toBe(`${REPO_URI}:${RELEASED}`);
  });

  it('builds without --cache-from before the first release (pointer "none"), still with the inline cache', async () => {
    const run = await runStage(buildBuildSpec(), env, [pointer('none'), ...baseRules], dockerfile);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const args = buildArgs(run);
    expect(args).not.toContain('--cache-from');
    expect(args).toContain('BUILDKIT_INLINE_CACHE=1');
    expect(run.stdout).toContain(
      `berth: layer cache: this host's only (no release yet: ${PARAMETER} is none)`,
    );
    expect(run.stdout).not.toContain('warning');
    expect(callsTo(run, 'docker', 'push')).toHaveLength(1);
  });

  it('still builds, without --cache-from, when the pointer cannot be read, printing a one-line warning', async () => {
    const run = await runStage(buildBuildSpec(), env, [pointerUnreadable, ...baseRules], dockerfile);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const args = buildArgs(run);
    expect(args).not.toContain('--cache-from');
    expect(args).toContain('BUILDKIT_INLINE_CACHE=1');
    const warnings = run.stdout.split('\n').filter((l) => l.includes('warning'));
    expect(warnings).toEqual([
      `berth: warning: could not read the last release from ${PARAMETER} (An error occurred (AccessDeniedException) when calling the GetParameter operation: User: arn:aws:sts::${ACCOUNT}:assumed-role/berth-build/AWSCodeBuild is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${PARAMETER}): building without its layer cache`,
    ]);
    expect(callsTo(run, 'docker', 'push').map((c) => c.args)).toEqual([['push', `${REPO_URI}:${CANDIDATE}`]]);
  });

  it('still builds when the pointer is missing, with the warning', async () => {
    const notFound: Rule = {
      when: ['ssm get-parameter'],
      stderr: '\nAn error occurred (ParameterNotFound) when calling the GetParameter operation: \n',
      exit: 254,
    };
    const run = await runStage(buildBuildSpec(), env, [notFound, ...baseRules], dockerfile);
    expect(run.code).toBe(0);
    expect(buildArgs(run)).not.toContain('--cache-from');
    expect(run.stdout).toContain(
      `berth: warning: could not read the last release from ${PARAMETER} (An error occurred (ParameterNotFound) when calling the GetParameter operation:): building without its layer cache`,
    );
  });

  it.each([
    ['empty', '', "''"],
    ['not a SHA', 'candidate-abc', 'candidate-abc'],
    ['a short SHA', RELEASED.slice(0, 12), RELEASED.slice(0, 12)],
  ])(
    'still builds, without --cache-from, when the pointer holds something else (%s)',
    async (_, value, shown) => {
      const run = await runStage(buildBuildSpec(), env, [pointer(value), ...baseRules], dockerfile);
      expect(run.code).toBe(0);
      expect(buildArgs(run)).not.toContain('--cache-from');
      expect(run.stdout).toContain(
        `berth: warning: ${PARAMETER} holds ${shown}, not a commit SHA: building without the last release's layer cache`,
      );
    },
  );

  it('skips the build when the commit is already released, without reading the pointer', async () => {
    const run = await runStage(buildBuildSpec(), env, [imagePresent(SHA), ...buildRules], dockerfile);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`berth: ${REPO_NAME}:${SHA} is already released: nothing to build`);
    expect(run.calls.filter((c) => c.tool === 'docker')).toEqual([]);
    expect(awsOps(run)).toEqual(['ecr describe-images']);
  });

  it('skips the build when the candidate exists from an earlier run, without reading the pointer', async () => {
    const run = await runStage(
      buildBuildSpec(),
      env,
      [imageMissing(SHA), imagePresent(CANDIDATE), ...buildRules],
      dockerfile,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('(tags are immutable): nothing to build');
    expect(callsTo(run, 'docker', 'build')).toEqual([]);
    expect(awsOps(run)).toEqual(['ecr describe-images', 'ecr describe-images']);
  });

  it('fails clearly when the repository has no Dockerfile', async () => {
    const run = await runStage(buildBuildSpec(), env, buildRules);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(
      'berth: the repository has no Dockerfile at its root: Berth builds the image from ./Dockerfile',
    );
    expect(run.calls.filter((c) => c.tool === 'docker')).toEqual([]);
    expect(callsTo(run, 'aws', 'ssm get-parameter')).toEqual([]);
  });

  it('fails, calling nothing, when IMAGE_TAG_PARAMETER is not set', async () => {
    const run = await runStage(buildBuildSpec(), { ...env, IMAGE_TAG_PARAMETER: '' }, buildRules, dockerfile);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(
      "berth: IMAGE_TAG_PARAMETER is not set: the stage's CodeBuild project must provide it",
    );
    expect(run.calls).toEqual([]);
  });

  it('fails when ECR cannot be asked about tags (not "missing": an error)', async () => {
    const denied: Rule = {
      when: ['ecr describe-images'],
      stderr: 'An error occurred (AccessDeniedException) when calling the DescribeImages operation: denied\n',
      exit: 254,
    };
    const run = await runStage(buildBuildSpec(), env, [denied], dockerfile);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('AccessDeniedException');
    expect(run.stderr).toContain(`berth: could not look up ${REPO_NAME}:${SHA} in ECR`);
  });

  it('falls back to the legacy builder when buildx is missing: no BuildKit arguments, no --cache-from', async () => {
    const run = await runStage(buildBuildSpec(), env, withoutBuildx(buildRules), dockerfile);
    expect(run.code).toBe(0);
    expect(buildArgs(run)).toEqual([
      'build',
      '--label',
      `org.opencontainers.image.revision=${SHA}`,
      '--tag',
      `${REPO_URI}:${CANDIDATE}`,
      '.',
    ]);
    // The legacy builder takes cache only from local images: a --cache-from it does not have would turn off
    // the host's layer cache, so the pointer is not read.
    expect(callsTo(run, 'aws', 'ssm get-parameter')).toEqual([]);
    expect(run.stdout).toContain(
      "berth: docker buildx is not installed: building with the legacy builder and this host's layer cache only",
    );
    expect(callsTo(run, 'docker', 'push')).toHaveLength(1);
  });
});

describe('Scan stage', () => {
  const env = { COMMIT_ID: SHA, IMAGE_REPO_NAME: REPO_NAME, SCAN_POLL_SECONDS: '0.01' };
  /** The candidate exists and unreleased; `describe-image-scan-findings` answers `answers` in turn (the last repeats). */
  const scanRules = (...answers: unknown[]): Rule[] => [
    imageMissing(SHA),
    imagePresent(CANDIDATE),
    ...answers.map((stdout, i): Rule => ({
      when: ['ecr describe-image-scan-findings', `imageTag=${CANDIDATE}`],
      stdout,
      times: i < answers.length - 1 ? 1 : undefined,
    })),
  ];
  const withStatus = (status: string, description = '') => {
    const answer = findings({});
    answer.imageScanStatus = { status, description };
    return answer;
  };
  const scanCalls = (run: Run) => callsTo(run, 'aws', 'ecr describe-image-scan-findings');

  it('fails with the count and the console link when findings reach the threshold', async () => {
    const run = await runStage(
      scanBuildSpec(),
      { ...env, SCAN_SEVERITY: 'HIGH' },
      scanRules(findings({ HIGH: 2, LOW: 5 })),
    );
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('HIGH            2  <- at or above HIGH');
    expect(run.stdout).toContain('CVE-2026-0001  openssl 3.0.11-1');
    expect(run.stderr.trim()).toBe(
      `berth: 2 findings at or above HIGH: see the ECR console (https://us-east-1.console.aws.amazon.com/ecr/repositories/private/${ACCOUNT}/${REPO_NAME}/_/image/${DIGEST}/details?region=us-east-1), fix them and push again`,
    );
    expect(scanCalls(run).map((c) => c.args)).toEqual([
      [
        'ecr',
        'describe-image-scan-findings',
        '--repository-name',
        REPO_NAME,
        '--image-id',
        `imageTag=${CANDIDATE}`,
        '--output',
        'json',
      ],
    ]);
  });

  it('passes below the threshold (default CRITICAL) once basic scanning is COMPLETE', async () => {
    const run = await runStage(scanBuildSpec(), env, scanRules(findings({ HIGH: 2, LOW: 5 })));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('berth: scan status COMPLETE: The scan was completed successfully.');
    expect(run.stdout).toContain('berth: no findings at or above CRITICAL');
  });

  it('polls while the scan is PENDING or IN_PROGRESS, then evaluates it', async () => {
    const run = await runStage(
      scanBuildSpec(),
      { ...env, SCAN_SEVERITY: 'HIGH' },
      scanRules(withStatus('PENDING'), withStatus('IN_PROGRESS'), findings({ HIGH: 1 })),
    );
    expect(run.code).not.toBe(0);
    expect(scanCalls(run)).toHaveLength(3);
    expect(run.stdout).toContain('berth: scan status PENDING: waiting');
    expect(run.stdout).toContain('berth: scan status IN_PROGRESS: waiting');
    expect(run.stderr).toContain('berth: 1 findings at or above HIGH');
  });

  it('evaluates enhanced scanning (Amazon Inspector), whose status is ACTIVE, never COMPLETE', async () => {
    const run = await runStage(
      scanBuildSpec(),
      env,
      scanRules(withStatus('IN_PROGRESS'), enhancedFindings({ CRITICAL: 1, HIGH: 1 })),
    );
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('berth: scan status ACTIVE: Continuous scan is selected for image.');
    expect(run.stdout).toContain('CRITICAL        1  <- at or above CRITICAL');
    expect(run.stdout).toContain('  CRITICAL  CVE-2026-1000  openssl 3.0.11-1');
    expect(run.stderr).toContain('berth: 1 findings at or above CRITICAL: see the ECR console');
  });

  it('passes an ACTIVE enhanced scan below the threshold', async () => {
    const run = await runStage(scanBuildSpec(), env, scanRules(enhancedFindings({ HIGH: 3, UNTRIAGED: 2 })));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('berth: no findings at or above CRITICAL');
  });

  it.each([
    ['FAILED', 'UnsupportedImageError: the OS is not supported'],
    ['UNSUPPORTED_IMAGE', 'The operating system and/or package manager are not supported.'],
    ['SCAN_ELIGIBILITY_EXPIRED', 'The scan duration has lapsed for this image.'],
    ['FINDINGS_UNAVAILABLE', 'Findings are unavailable.'],
  ])('fails at once, with the description, when the scan ends %s', async (status, description) => {
    const run = await runStage(scanBuildSpec(), env, scanRules(withStatus(status, description)));
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(
      `berth: the scan of ${REPO_NAME}:${CANDIDATE} did not complete (${status}: ${description})`,
    );
    expect(scanCalls(run)).toHaveLength(1);
    expect(run.stdout).not.toContain('SEVERITY');
  });

  it.each(['PENDING', 'IN_PROGRESS'])(
    'fails when the scan is still %s after SCAN_TIMEOUT_SECONDS',
    async (status) => {
      const run = await runStage(
        scanBuildSpec(),
        // 2 s, not 1: bash's SECONDS counts whole seconds, so a 1 s deadline can pass right after the first look.
        { ...env, SCAN_TIMEOUT_SECONDS: '2', SCAN_POLL_SECONDS: '0.2' },
        scanRules(withStatus(status, 'Scan in progress.')),
      );
      expect(run.code).not.toBe(0);
      expect(run.stderr.trim()).toBe(
        `berth: the scan of ${REPO_NAME}:${CANDIDATE} did not complete within 2 s (still ${status}: Scan in progress.): run the pipeline again later`,
      );
      expect(scanCalls(run).length).toBeGreaterThanOrEqual(2);
      expect(run.stdout).toContain('berth: waiting up to 2 s for ECR');
    },
  );

  it('fails when ECR has no scan of the image (scan on push is off)', async () => {
    const run = await runStage(scanBuildSpec(), env, [
      imageMissing(SHA),
      imagePresent(CANDIDATE),
      {
        when: ['ecr describe-image-scan-findings'],
        stderr: `\nAn error occurred (ScanNotFoundException) when calling the DescribeImageScanFindings operation: Image scan does not exist for the image with '{imageDigest:'null', imageTag:'${CANDIDATE}'}' in the repository with name '${REPO_NAME}' in the registry with id '${ACCOUNT}'\n`,
        exit: 254,
      },
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `berth: ECR has no scan of ${REPO_NAME}:${CANDIDATE}: the repository must scan images on push`,
    );
  });

  it('fails when ECR refuses to answer', async () => {
    const run = await runStage(scanBuildSpec(), env, [
      imageMissing(SHA),
      imagePresent(CANDIDATE),
      {
        when: ['ecr describe-image-scan-findings'],
        stderr:
          'An error occurred (AccessDeniedException) when calling the DescribeImageScanFindings operation\n',
        exit: 254,
      },
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('AccessDeniedException');
    expect(run.stderr).toContain(`berth: could not read the scan of ${REPO_NAME}:${CANDIDATE} from ECR`);
  });

  it('skips a commit that is already released, without waiting', async () => {
    const run = await runStage(scanBuildSpec(), env, [imagePresent(SHA)]);
    expect(run.code).toBe(0);
    expect(awsOps(run)).toEqual(['ecr describe-images']);
  });

  it('fails when there is no candidate image', async () => {
    const run = await runStage(scanBuildSpec(), env, [imageMissing(SHA), imageMissing(CANDIDATE)]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `berth: no image ${REPO_NAME}:${CANDIDATE} to scan: the Build stage pushes it`,
    );
  });

  it.each([
    [
      { SCAN_SEVERITY: 'SEVERE' },
      'SCAN_SEVERITY must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL (got SEVERE)',
    ],
    [{ SCAN_TIMEOUT_SECONDS: '900' }, 'SCAN_TIMEOUT_SECONDS must be a whole number from 0 to 780 (got 900)'],
    [{ SCAN_TIMEOUT_SECONDS: '10m' }, 'SCAN_TIMEOUT_SECONDS must be a whole number from 0 to 780 (got 10m)'],
    [{ SCAN_POLL_SECONDS: 'soon' }, 'SCAN_POLL_SECONDS must be a number of seconds (got soon)'],
  ])('rejects %o before calling AWS', async (settings, message) => {
    const run = await runStage(scanBuildSpec(), { ...env, ...settings });
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(`berth: ${message}`);
    expect(run.calls).toEqual([]);
  });
});

describe('Push stage', () => {
  const env = { COMMIT_ID: SHA, IMAGE_REPO_NAME: REPO_NAME };
  // Exact bytes matter: the release tag must point at the same digest as the candidate.
  const manifest =
    '{\n   "schemaVersion": 2,\n   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",\n   "config": {"digest": "sha256:abc"}\n}';
  const candidateManifest: Rule = {
    when: ['ecr batch-get-image', `imageTag=${CANDIDATE}`],
    stdout: {
      images: [
        {
          registryId: ACCOUNT,
          repositoryName: REPO_NAME,
          imageId: { imageDigest: DIGEST, imageTag: CANDIDATE },
          imageManifest: manifest,
          imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        },
      ],
      failures: [],
    },
  };

  const untagged: Rule = {
    when: ['ecr batch-delete-image', `imageTag=${CANDIDATE}`],
    stdout: { imageIds: [{ imageDigest: DIGEST, imageTag: CANDIDATE }], failures: [] },
  };
  const putImage: Rule = {
    when: ['ecr put-image'],
    stdout: { image: { imageId: { imageDigest: DIGEST, imageTag: SHA } } },
  };
  const release = [imageMissing(SHA), imagePresent(CANDIDATE), candidateManifest, putImage, untagged];
  /** The release tag is never removed: only `candidate-<commit>` is, by tag (never by digest: that deletes the image). */
  const expectOnlyCandidateUntagged = (run: Run) => {
    for (const call of callsTo(run, 'aws', 'ecr batch-delete-image')) {
      expect(call.args).toEqual([
        'ecr',
        'batch-delete-image',
        '--repository-name',
        REPO_NAME,
        '--image-ids',
        `imageTag=${CANDIDATE}`,
        '--output',
        'json',
      ]);
    }
  };

  it('re-puts the candidate manifest, byte for byte, under the release tag', async () => {
    const run = await runStage(pushBuildSpec(), env, release);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const put = callsTo(run, 'aws', 'ecr put-image')[0];
    expect(arg(put, '--repository-name')).toBe(REPO_NAME);
    expect(arg(put, '--image-tag')).toBe(SHA);
    expect(put.files[arg(put, '--image-manifest')]).toBe(manifest);
    expect(arg(put, '--image-manifest-media-type')).toBe(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    expect(arg(put, '--image-digest')).toBe(DIGEST);
    expect(run.calls.filter((c) => c.tool === 'docker')).toEqual([]);
  });

  it('then removes the candidate tag, so the candidate lifecycle rule cannot expire the released image', async () => {
    const run = await runStage(pushBuildSpec(), env, release);
    expect(run.code).toBe(0);
    expect(awsOps(run)).toEqual([
      'ecr describe-images',
      'ecr describe-images',
      'ecr batch-get-image',
      'ecr put-image',
      'ecr batch-delete-image',
    ]);
    expectOnlyCandidateUntagged(run);
    expect(run.stdout).toContain(`berth: removed the tag ${CANDIDATE}`);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(`berth: released ${REPO_NAME}:${SHA}`);
  });

  it('does not remove the candidate tag when tagging failed', async () => {
    const run = await runStage(pushBuildSpec(), env, [
      imageMissing(SHA),
      imagePresent(CANDIDATE),
      candidateManifest,
      { when: ['ecr put-image'], stderr: 'An error occurred (AccessDeniedException)\n', exit: 254 },
      untagged,
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`berth: could not tag ${REPO_NAME}:${CANDIDATE} as ${SHA}`);
    expect(callsTo(run, 'aws', 'ecr batch-delete-image')).toEqual([]);
  });

  it.each([
    ['still has its candidate tag', untagged.stdout, `berth: removed the tag ${CANDIDATE}`],
    [
      'lost its candidate tag on an earlier run',
      untagFailure('ImageNotFound', 'Requested image not found'),
      `berth: the tag ${CANDIDATE} was already removed`,
    ],
    [
      'has a candidate tag that no longer matches',
      untagFailure('ImageTagDoesNotMatchDigest', 'Invalid image digest'),
      `berth: the tag ${CANDIDATE} was already removed`,
    ],
  ])(
    'when the release tag exists and the image %s: only removes the candidate tag',
    async (_case, answer, said) => {
      const run = await runStage(pushBuildSpec(), env, [
        imagePresent(SHA),
        { when: ['ecr batch-delete-image'], stdout: answer },
      ]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(awsOps(run)).toEqual(['ecr describe-images', 'ecr batch-delete-image']);
      expectOnlyCandidateUntagged(run);
      expect(run.stdout).toContain(said);
    },
  );

  it.each([
    ['ImageReferencedByManifestList', 'Requested image is referenced by an image index'],
    ['KmsError', 'KMS key is disabled'],
  ])('fails when ECR does not remove the candidate tag (%s)', async (code, reason) => {
    const run = await runStage(pushBuildSpec(), env, [
      ...release.slice(0, 4),
      { when: ['ecr batch-delete-image'], stdout: untagFailure(code, reason) },
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`${code}: ${reason}`);
    expect(run.stderr).toContain(
      `berth: ECR did not remove the tag ${CANDIDATE} from ${REPO_NAME}: until it is removed, the repository's lifecycle rule for candidate- tags will expire the released image ${SHA}`,
    );
  });

  it('fails when ECR refuses the removal', async () => {
    const run = await runStage(pushBuildSpec(), env, [
      imagePresent(SHA),
      {
        when: ['ecr batch-delete-image'],
        stderr:
          'An error occurred (AccessDeniedException) when calling the BatchDeleteImage operation: not authorized\n',
        exit: 254,
      },
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('AccessDeniedException');
    expect(run.stderr).toContain(`berth: could not remove the tag ${CANDIDATE} from ${REPO_NAME}`);
  });

  it('fails when there is no candidate to release', async () => {
    const run = await runStage(pushBuildSpec(), env, [imageMissing(SHA), imageMissing(CANDIDATE)]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`berth: no image ${REPO_NAME}:${CANDIDATE}: the Build stage pushes it`);
    expect(callsTo(run, 'aws', 'ecr put-image')).toEqual([]);
    expect(callsTo(run, 'aws', 'ecr batch-delete-image')).toEqual([]);
  });

  it.each([
    ['accepts', DIGEST, 0],
    ['refuses', OTHER_DIGEST, 1],
  ])('%s a release tag that another run created meanwhile at digest %s', async (_verb, digest, code) => {
    const run = await runStage(pushBuildSpec(), env, [
      imageMissing(SHA, 1),
      imagePresent(CANDIDATE),
      candidateManifest,
      {
        when: ['ecr put-image'],
        stderr: `An error occurred (ImageTagAlreadyExistsException) when calling the PutImage operation: The image tag '${SHA}' already exists\n`,
        exit: 254,
      },
      imagePresent(SHA, digest),
      untagged,
    ]);
    expect(run.code === 0 ? 0 : 1).toBe(code);
    if (code !== 0) {
      expect(run.stderr).toContain(`berth: could not tag ${REPO_NAME}:${CANDIDATE} as ${SHA}`);
      expect(callsTo(run, 'aws', 'ecr batch-delete-image')).toEqual([]);
    } else {
      expect(awsOps(run).at(-1)).toBe('ecr batch-delete-image');
      expectOnlyCandidateUntagged(run);
    }
  });
});

describe('Deploy stage', () => {
  const env = {
    COMMIT_ID: SHA,
    CLUSTER_NAME: 'berth',
    SERVICE_NAME: 'cash-collection',
    CONTAINER_NAME: 'app',
    IMAGE_REPO_URI: REPO_URI,
    IMAGE_TAG_PARAMETER: '/berth/cash-collection/image-tag',
    DESIRED_COUNT: '2',
    MIN_COUNT: '2',
    MAX_COUNT: '6',
    DEPLOY_POLL_SECONDS: '0.01',
  };
  const EVENTS = `aws ecs describe-services --cluster berth --services cash-collection --query 'services[0].events[:10]'`;
  const ROLLED_BACK = `berth: ECS rolled the deployment back: see the service's events (${EVENTS})`;
  /**
   * `before` answers the first describe-services; `polls` answer the next ones in turn (the last repeats).
   * An undefined poll is a failed call.
   */
  const deployRules = (
    before: unknown,
    polls: readonly unknown[],
    taskDefinition: unknown = CURRENT_TASK_DEFINITION,
  ): Rule[] => [
    { when: ['ecs describe-services'], stdout: before, times: 1 },
    ...polls.map((stdout, i): Rule => ({
      when: ['ecs describe-services'],
      ...(stdout === undefined
        ? {
            stderr: 'An error occurred (ThrottlingException) when calling the DescribeServices operation\n',
            exit: 254,
          }
        : { stdout }),
      times: i < polls.length - 1 ? 1 : undefined,
    })),
    { when: ['ecs describe-task-definition', `--task-definition ${TD1}`], stdout: taskDefinition },
    {
      when: ['ecs register-task-definition'],
      stdout: { taskDefinition: { taskDefinitionArn: TD2, revision: 2 } },
    },
    {
      when: ['application-autoscaling register-scalable-target'],
      stdout: { ScalableTargetARN: 'arn:scalable' },
    },
    { when: ['ecs update-service'], stdout: { service: {} } },
    { when: ['ssm put-parameter'], stdout: { Version: 2, Tier: 'Standard' } },
  ];
  const completed = (desired: number) =>
    describeServices(desired, TD2, { taskDefinition: TD2, rolloutState: 'COMPLETED' });
  /** The new deployment is PRIMARY and still IN_PROGRESS (starting tasks, or in a deployment alarm's bake time). */
  const inProgress = (desired: number, running: number) =>
    describeServices(desired, TD2, {
      taskDefinition: TD2,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment ecs-svc/1 in progress.',
      runningCount: running,
    });
  /** The circuit breaker rolled back: a new PRIMARY on the old task definition; the new one FAILED. */
  const rolledBack = (desired: number) =>
    describeServices(desired, TD1, { taskDefinition: TD1, rolloutState: 'IN_PROGRESS', runningCount: 0 }, [
      {
        id: 'ecs-svc/2',
        status: 'ACTIVE',
        taskDefinition: TD2,
        rolloutState: 'FAILED',
        rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        failedTasks: 4,
      },
    ]);
  const before = (desired: number) =>
    describeServices(desired, TD1, { taskDefinition: TD1, rolloutState: 'COMPLETED' });
  const firstRelease = deployRules(before(0), [inProgress(2, 0), inProgress(2, 2), completed(2)]);
  const scaledToZero = (run: Run) =>
    callsTo(run, 'aws', 'ecs update-service').some((c) => arg(c, '--desired-count') === '0');

  it('rolls out the first release, starts DESIRED_COUNT tasks, and writes the pointer last', async () => {
    const run = await runStage(deployBuildSpec(), env, firstRelease);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(awsOps(run)).toEqual([
      'ecs describe-services',
      'ecs describe-task-definition',
      'ecs register-task-definition',
      'application-autoscaling register-scalable-target',
      'ecs update-service',
      'ecs describe-services',
      'ecs describe-services',
      'ecs describe-services',
      'ssm put-parameter',
    ]);
    const register = callsTo(run, 'aws', 'ecs register-task-definition')[0];
    expect(JSON.parse(register.files[arg(register, '--cli-input-json')])).toEqual(EXPECTED_REGISTRATION);

    const scaling = callsTo(run, 'aws', 'application-autoscaling register-scalable-target')[0];
    expect(arg(scaling, '--service-namespace')).toBe('ecs');
    expect(arg(scaling, '--scalable-dimension')).toBe('ecs:service:DesiredCount');
    expect(arg(scaling, '--resource-id')).toBe('service/berth/cash-collection');
    expect([arg(scaling, '--min-capacity'), arg(scaling, '--max-capacity')]).toEqual(['2', '6']);

    const update = callsTo(run, 'aws', 'ecs update-service')[0];
    expect(arg(update, '--task-definition')).toBe(TD2);
    expect(arg(update, '--desired-count')).toBe('2');

    const put = callsTo(run, 'aws', 'ssm put-parameter')[0];
    expect(put.args).toEqual([
      'ssm',
      'put-parameter',
      '--name',
      '/berth/cash-collection/image-tag',
      '--value',
      SHA,
      '--overwrite',
      '--output',
      'json',
    ]);
  });

  it('prints running/desired tasks and rolloutState at each poll, and keeps polling through a bake time', async () => {
    const run = await runStage(deployBuildSpec(), env, firstRelease);
    expect(run.code).toBe(0);
    const progress = [...run.stdout.matchAll(/^berth: (\d+ of \d+ tasks running, rolloutState \w+)/gm)].map(
      (m) => m[1],
    );
    expect(progress).toEqual([
      '0 of 2 tasks running, rolloutState IN_PROGRESS',
      // every task runs, yet ECS has not COMPLETED the rollout (deployment alarms' bake time): keep waiting
      '2 of 2 tasks running, rolloutState IN_PROGRESS',
      '2 of 2 tasks running, rolloutState COMPLETED',
    ]);
    expect(run.stdout).toContain('berth: waiting up to 1500 s for ECS to complete the deployment of');
  });

  it('leaves the task count to auto scaling on later releases', async () => {
    const run = await runStage(deployBuildSpec(), env, deployRules(before(3), [completed(3)]));
    expect(run.code).toBe(0);
    expect(callsTo(run, 'aws', 'ecs update-service')).toHaveLength(1);
    expect(callsTo(run, 'aws', 'ecs update-service')[0].args).not.toContain('--desired-count');
  });

  it('fails without writing the pointer when ECS rolled the deployment back', async () => {
    const run = await runStage(
      deployBuildSpec(),
      env,
      deployRules(before(2), [inProgress(2, 1), rolledBack(2)]),
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(ROLLED_BACK);
    expect(run.stdout).toContain(`berth: the service's PRIMARY deployment runs ${TD1}, not ${TD2}`);
    expect(run.stdout).toContain(
      `berth: the deployment of ${TD2}: FAILED: ECS deployment circuit breaker: tasks failed to start.`,
    );
    expect(callsTo(run, 'aws', 'ssm put-parameter')).toEqual([]);
    // not a first release: the service keeps its count (ECS runs the old task definition again)
    expect(callsTo(run, 'aws', 'ecs update-service')).toHaveLength(1);
    expect(callsTo(run, 'aws', 'application-autoscaling register-scalable-target')).toHaveLength(1);
  });

  it('fails without writing the pointer when the new deployment FAILED without a rollback', async () => {
    const failed = describeServices(2, TD2, {
      taskDefinition: TD2,
      rolloutState: 'FAILED',
      rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
      runningCount: 0,
      failedTasks: 3,
    });
    const run = await runStage(deployBuildSpec(), env, deployRules(before(2), [failed]));
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(ROLLED_BACK);
    expect(run.stdout).toContain('0 of 2 tasks running, rolloutState FAILED, 3 failed tasks');
    expect(run.stdout).toContain(
      `berth: the deployment of ${TD2} failed: ECS deployment circuit breaker: tasks failed to start.`,
    );
    expect(callsTo(run, 'aws', 'ssm put-parameter')).toEqual([]);
  });

  it('fails after DEPLOY_TIMEOUT_SECONDS without writing the pointer while the rollout is IN_PROGRESS', async () => {
    const run = await runStage(
      deployBuildSpec(),
      // 2 s, not 1: bash's SECONDS counts whole seconds, so a 1 s deadline can pass right after the first poll.
      { ...env, DEPLOY_TIMEOUT_SECONDS: '2', DEPLOY_POLL_SECONDS: '0.2' },
      deployRules(before(2), [inProgress(2, 2)]),
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(
      `berth: the deployment of ${TD2} did not complete within 2 s (rolloutState IN_PROGRESS: ECS deployment ecs-svc/1 in progress.): see the service's events (${EVENTS})`,
    );
    // polled more than once, then gave up
    expect(callsTo(run, 'aws', 'ecs describe-services').length).toBeGreaterThanOrEqual(3);
    expect(callsTo(run, 'aws', 'ssm put-parameter')).toEqual([]);
    expect(scaledToZero(run)).toBe(false);
  });

  it('keeps polling through a failed describe-services call', async () => {
    const run = await runStage(deployBuildSpec(), env, deployRules(before(2), [undefined, completed(2)]));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('ThrottlingException');
    expect(run.stdout).toContain("berth: could not read the service's deployments: trying again");
    expect(awsOps(run).at(-1)).toBe('ssm put-parameter');
  });

  it.each([
    ['rolled back', [inProgress(2, 0), rolledBack(2)], {}, ROLLED_BACK],
    [
      'timed out',
      [inProgress(2, 0)],
      { DEPLOY_TIMEOUT_SECONDS: '0' },
      `berth: the deployment of ${TD2} did not complete within 0 s (rolloutState IN_PROGRESS: ECS deployment ecs-svc/1 in progress.): see the service's events (${EVENTS})`,
    ],
  ] as const)(
    'a first release that %s goes back to 0 tasks, then fails',
    async (_case, polls, settings, message) => {
      const run = await runStage(deployBuildSpec(), { ...env, ...settings }, deployRules(before(0), polls));
      expect(run.code).not.toBe(0);
      expect(run.stderr.trim()).toBe(message);
      expect(run.stdout).toContain(
        'berth: the first release failed: setting cash-collection back to 0 tasks',
      );
      expect(awsOps(run).slice(-3)).toEqual([
        'ecs describe-services',
        'application-autoscaling register-scalable-target',
        'ecs update-service',
      ]);
      const scaling = callsTo(run, 'aws', 'application-autoscaling register-scalable-target');
      expect(scaling).toHaveLength(2);
      expect(arg(scaling[1], '--resource-id')).toBe('service/berth/cash-collection');
      expect(arg(scaling[1], '--scalable-dimension')).toBe('ecs:service:DesiredCount');
      expect([arg(scaling[1], '--min-capacity'), arg(scaling[1], '--max-capacity')]).toEqual(['0', '0']);
      const updates = callsTo(run, 'aws', 'ecs update-service');
      expect(updates).toHaveLength(2);
      expect(arg(updates[0], '--desired-count')).toBe('2');
      expect(updates[1].args).toEqual([
        'ecs',
        'update-service',
        '--cluster',
        'berth',
        '--service',
        'cash-collection',
        '--desired-count',
        '0',
        '--output',
        'json',
      ]);
      expect(callsTo(run, 'aws', 'ssm put-parameter')).toEqual([]);
    },
  );

  it('still fails with the rollout message when the first release cannot be put back to 0 tasks', async () => {
    const rules = deployRules(before(0), [rolledBack(2)]);
    const scalingRule = rules.findIndex(
      (r) => r.when[0] === 'application-autoscaling register-scalable-target',
    );
    rules.splice(
      scalingRule,
      1,
      { when: ['application-autoscaling register-scalable-target'], stdout: {}, times: 1 },
      {
        when: ['application-autoscaling register-scalable-target'],
        stderr: 'An error occurred (AccessDeniedException)\n',
        exit: 254,
      },
    );
    const run = await runStage(deployBuildSpec(), env, rules);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(ROLLED_BACK);
    expect(run.stdout).toContain('berth: warning: could not set cash-collection back to 0 tasks');
  });

  it('re-run on an image the service already runs: no new revision, waits for the rollout, writes the pointer', async () => {
    const current = structuredClone(CURRENT_TASK_DEFINITION);
    current.taskDefinition.containerDefinitions[0].image = `${REPO_URI}:${SHA}`;
    const onTd1 = (rolloutState: string) => describeServices(2, TD1, { taskDefinition: TD1, rolloutState });
    const rules = deployRules(onTd1('IN_PROGRESS'), [onTd1('IN_PROGRESS'), onTd1('COMPLETED')], current);
    const run = await runStage(deployBuildSpec(), env, rules);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(awsOps(run)).not.toContain('ecs register-task-definition');
    expect(awsOps(run)).not.toContain('ecs update-service');
    expect(callsTo(run, 'aws', 'ecs describe-services')).toHaveLength(3);
    expect(awsOps(run).at(-1)).toBe('ssm put-parameter');
  });

  it('re-run on an image the service already runs after a failed first release: starts the tasks again', async () => {
    const current = structuredClone(CURRENT_TASK_DEFINITION);
    current.taskDefinition.containerDefinitions[0].image = `${REPO_URI}:${SHA}`;
    const rules = deployRules(
      describeServices(0, TD1, { taskDefinition: TD1, rolloutState: 'COMPLETED' }),
      [describeServices(2, TD1, { taskDefinition: TD1, rolloutState: 'COMPLETED' })],
      current,
    );
    const run = await runStage(deployBuildSpec(), env, rules);
    expect(run.code).toBe(0);
    const update = callsTo(run, 'aws', 'ecs update-service');
    expect(update).toHaveLength(1);
    expect(arg(update[0], '--task-definition')).toBe(TD1);
    expect(arg(update[0], '--desired-count')).toBe('2');
  });

  it('fails when the container is not in the task definition', async () => {
    const run = await runStage(deployBuildSpec(), { ...env, CONTAINER_NAME: 'web' }, firstRelease);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`berth: the service's task definition ${TD1} has no container named web`);
    expect(awsOps(run)).toEqual(['ecs describe-services', 'ecs describe-task-definition']);
  });

  it.each([
    [{ MIN_COUNT: '3', DESIRED_COUNT: '2' }, 'MIN_COUNT <= DESIRED_COUNT <= MAX_COUNT'],
    [{ MAX_COUNT: 'six' }, 'MAX_COUNT must be a whole number from 1 to 1000'],
    [
      { DEPLOY_TIMEOUT_SECONDS: '1800' },
      'DEPLOY_TIMEOUT_SECONDS must be a whole number from 0 to 1620 (got 1800)',
    ],
    [{ DEPLOY_POLL_SECONDS: '-1' }, 'DEPLOY_POLL_SECONDS must be a number of seconds (got -1)'],
  ])('rejects %o before calling AWS', async (settings, message) => {
    const run = await runStage(deployBuildSpec(), { ...env, ...settings }, firstRelease);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(message);
    expect(run.calls).toEqual([]);
  });
});

describe('Verify stage', () => {
  let server: Server;
  let base: string;
  let hits = 0;
  /** `/flaky` answers 503 twice then 200; `/down` always 503. */
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/flaky') {
        hits += 1;
        res.writeHead(hits > 2 ? 200 : 503).end();
      } else res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('passes once the health URL answers 2xx, printing each status', async () => {
    const run = await runStage(verifyBuildSpec(), {
      HEALTH_URL: `${base}/flaky`,
      VERIFY_TIMEOUT_SECONDS: '60',
      VERIFY_INTERVAL_SECONDS: '0.05',
    });
    expect(run.code).toBe(0);
    const statuses = [...run.stdout.matchAll(/GET \S+: (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toEqual(['503', '503', '200']);
  });

  it('fails with the last status when no 2xx comes within the bound', async () => {
    const run = await runStage(verifyBuildSpec(), {
      HEALTH_URL: `${base}/down`,
      VERIFY_TIMEOUT_SECONDS: '0',
      VERIFY_INTERVAL_SECONDS: '0.05',
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(`berth: no 2xx from ${base}/down within 0 s (last status: 503)`);
  });

  it('reports status 000 when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/health`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = await runStage(verifyBuildSpec(), { HEALTH_URL: url, VERIFY_TIMEOUT_SECONDS: '0' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('(last status: 000)');
  });
});
