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
  shQuote,
  STAGE_ENV,
  TASK_DEFINITION_JQ,
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
for (let i = 0; i < rules.length; i++) {
  const r = rules[i];
  if (!r.when.every((w) => line.includes(w))) continue;
  const used = state[i] || 0;
  if (r.times !== undefined && used >= r.times) continue;
  state[i] = used + 1;
  fs.writeFileSync(statePath, JSON.stringify(state));
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

function describeServices(desiredCount: number, taskDefinition: string, primary: Record<string, unknown>) {
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

  it('only Push creates the release tag, and Scan waits for the scan before reading findings', () => {
    for (const stage of STAGES) {
      const script = scriptOf(specs[stage]);
      if (stage === 'push') continue;
      expect(script, stage).not.toMatch(/put-image|--image-tag|docker tag/);
    }
    expect(push).toContain('--image-tag "$COMMIT_ID"');
    const wait = scan.indexOf('aws ecr wait image-scan-complete');
    const read = scan.indexOf('aws ecr describe-image-scans-findings "${image[@]}" --output json >');
    const gate = scan.indexOf('if (( blocking > 0 ))');
    expect(wait).toBeGreaterThan(0);
    expect(read).toBeGreaterThan(wait);
    expect(gate).toBeGreaterThan(read);
  });
});

describe('Deploy buildspec', () => {
  const script = scriptOf(specs.deploy);

  it('writes the release pointer once, last, after ECS reports the rollout complete', () => {
    const order = [
      'aws ecs register-task-definition',
      'aws application-autoscaling register-scalable-target',
      'aws ecs update-service',
      'aws ecs wait services-stable',
      'ECS rolled the deployment back',
      'if [[ "$rollout" != COMPLETED ]]',
      'aws ssm put-parameter --name "$IMAGE_TAG_PARAMETER" --value "$COMMIT_ID" --overwrite',
    ].map((s) => script.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(script.match(/ssm put-parameter/g)).toHaveLength(1);
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
          const actual = jq(SCAN_BLOCKING_COUNT_JQ, findings(counts), [
            '--arg',
            'threshold',
            threshold,
          ]).trim();
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
    expect(out.split('\n').slice(0, 3)).toEqual([TD2, 'FAILED', 'tasks failed to start']);
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
  const env = { COMMIT_ID: SHA, IMAGE_REPO_URI: REPO_URI, IMAGE_REPO_NAME: REPO_NAME };
  const dockerfile = { Dockerfile: 'FROM public.ecr.aws/docker/library/node:22-alpine\n' };
  const buildRules: Rule[] = [
    imageMissing(SHA),
    imageMissing(CANDIDATE),
    { when: ['ecr get-login-password'], stdout: 'ecr-password-from-aws' },
    { when: ['docker login'], stdout: 'Login Succeeded\n' },
    { when: ['docker buildx version'], stdout: 'github.com/docker/buildx v0.17.1\n' },
    { when: ['docker build'] },
    { when: ['docker push'] },
  ];

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

    const build = callsTo(run, 'docker', 'build')[0];
    expect(build.args).toEqual([
      'build',
      '--label',
      `org.opencontainers.image.revision=${SHA}`,
      '--tag',
      `${REPO_URI}:${CANDIDATE}`,
      '--progress=plain',
      '.',
    ]);
    expect(callsTo(run, 'docker', 'push').map((c) => c.args)).toEqual([['push', `${REPO_URI}:${CANDIDATE}`]]);
    expect(run.calls.some((c) => c.args.some((a) => a.endsWith(`:${SHA}`)))).toBe(false);
  });

  it('skips the build when the commit is already released', async () => {
    const run = await runStage(buildBuildSpec(), env, [imagePresent(SHA), ...buildRules], dockerfile);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`berth: ${REPO_NAME}:${SHA} is already released: nothing to build`);
    expect(run.calls.filter((c) => c.tool === 'docker')).toEqual([]);
  });

  it('skips the build when the candidate exists from an earlier run', async () => {
    const run = await runStage(
      buildBuildSpec(),
      env,
      [imageMissing(SHA), imagePresent(CANDIDATE), ...buildRules],
      dockerfile,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('(tags are immutable): nothing to build');
    expect(callsTo(run, 'docker', 'build')).toEqual([]);
  });

  it('fails clearly when the repository has no Dockerfile', async () => {
    const run = await runStage(buildBuildSpec(), env, buildRules);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(
      'berth: the repository has no Dockerfile at its root: Berth builds the image from ./Dockerfile',
    );
    expect(run.calls.filter((c) => c.tool === 'docker')).toEqual([]);
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

  it('falls back to the legacy builder when buildx is missing', async () => {
    const rules = buildRules.map((r) =>
      r.when[0] === 'docker buildx version' ? { ...r, stdout: '', exit: 1 } : r,
    );
    const run = await runStage(buildBuildSpec(), env, rules, dockerfile);
    expect(run.code).toBe(0);
    expect(callsTo(run, 'docker', 'build')[0].args).not.toContain('--progress=plain');
  });
});

describe('Scan stage', () => {
  const env = { COMMIT_ID: SHA, IMAGE_REPO_NAME: REPO_NAME };
  const scanRules = (counts: Record<string, number>): Rule[] => [
    imageMissing(SHA),
    imagePresent(CANDIDATE),
    { when: ['ecr wait image-scan-complete', `imageTag=${CANDIDATE}`] },
    { when: ['ecr describe-image-scans-findings', `imageTag=${CANDIDATE}`], stdout: findings(counts) },
  ];

  it('fails with the count and the console link when findings reach the threshold', async () => {
    const run = await runStage(
      scanBuildSpec(),
      { ...env, SCAN_SEVERITY: 'HIGH' },
      scanRules({ HIGH: 2, LOW: 5 }),
    );
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('HIGH            2  <- at or above HIGH');
    expect(run.stdout).toContain('CVE-2026-0001  openssl 3.0.11-1');
    expect(run.stderr.trim()).toBe(
      `berth: 2 findings at or above HIGH: see the ECR console (https://us-east-1.console.aws.amazon.com/ecr/repositories/private/${ACCOUNT}/${REPO_NAME}/_/image/${DIGEST}/details?region=us-east-1), fix them and push again`,
    );
    const ops = awsOps(run);
    expect(ops.indexOf('ecr wait')).toBeLessThan(ops.indexOf('ecr describe-image-scans-findings'));
  });

  it('passes below the threshold (default CRITICAL)', async () => {
    const run = await runStage(scanBuildSpec(), env, scanRules({ HIGH: 2, LOW: 5 }));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('berth: no findings at or above CRITICAL');
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

  it('fails with the scan status when the scan does not complete', async () => {
    const failed = findings({});
    failed.imageScanStatus = {
      status: 'FAILED',
      description: 'UnsupportedImageError: the OS is not supported',
    };
    const run = await runStage(scanBuildSpec(), env, [
      imageMissing(SHA),
      imagePresent(CANDIDATE),
      {
        when: ['ecr wait image-scan-complete'],
        stderr: 'Waiter ImageScanComplete failed: Waiter encountered a terminal failure state\n',
        exit: 255,
      },
      { when: ['ecr describe-image-scans-findings'], stdout: failed },
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `berth: the scan of ${REPO_NAME}:${CANDIDATE} did not complete (FAILED: UnsupportedImageError: the OS is not supported)`,
    );
  });

  it('rejects an unknown SCAN_SEVERITY before calling AWS', async () => {
    const run = await runStage(scanBuildSpec(), { ...env, SCAN_SEVERITY: 'SEVERE' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      'SCAN_SEVERITY must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL (got SEVERE)',
    );
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

  it('re-puts the candidate manifest, byte for byte, under the release tag', async () => {
    const run = await runStage(pushBuildSpec(), env, [
      imageMissing(SHA),
      imagePresent(CANDIDATE),
      candidateManifest,
      { when: ['ecr put-image'], stdout: { image: { imageId: { imageDigest: DIGEST, imageTag: SHA } } } },
    ]);
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

  it('does nothing when the release tag exists', async () => {
    const run = await runStage(pushBuildSpec(), env, [imagePresent(SHA)]);
    expect(run.code).toBe(0);
    expect(awsOps(run)).toEqual(['ecr describe-images']);
  });

  it('fails when there is no candidate to release', async () => {
    const run = await runStage(pushBuildSpec(), env, [imageMissing(SHA), imageMissing(CANDIDATE)]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`berth: no image ${REPO_NAME}:${CANDIDATE}: the Build stage pushes it`);
    expect(callsTo(run, 'aws', 'ecr put-image')).toEqual([]);
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
    ]);
    expect(run.code === 0 ? 0 : 1).toBe(code);
    if (code !== 0) expect(run.stderr).toContain(`berth: could not tag ${REPO_NAME}:${CANDIDATE} as ${SHA}`);
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
  };
  const deployRules = (
    before: unknown,
    after: unknown,
    taskDefinition: unknown = CURRENT_TASK_DEFINITION,
  ): Rule[] => [
    { when: ['ecs describe-services'], stdout: before, times: 1 },
    { when: ['ecs describe-services'], stdout: after },
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
    { when: ['ecs wait services-stable'] },
    { when: ['ssm put-parameter'], stdout: { Version: 2, Tier: 'Standard' } },
  ];
  const firstRelease = deployRules(
    describeServices(0, TD1, { taskDefinition: TD1, rolloutState: 'COMPLETED' }),
    describeServices(2, TD2, { taskDefinition: TD2, rolloutState: 'COMPLETED' }),
  );

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
      'ecs wait',
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

  it('leaves the task count to auto scaling on later releases', async () => {
    const rules = deployRules(
      describeServices(3, TD1, { taskDefinition: TD1, rolloutState: 'COMPLETED' }),
      describeServices(3, TD2, { taskDefinition: TD2, rolloutState: 'COMPLETED' }),
    );
    const run = await runStage(deployBuildSpec(), env, rules);
    expect(run.code).toBe(0);
    expect(callsTo(run, 'aws', 'ecs update-service')[0].args).not.toContain('--desired-count');
  });

  it('fails without writing the pointer when ECS rolled the deployment back', async () => {
    // Given the circuit breaker rolled back: the service is stable again, on the old task definition
    const rules = deployRules(
      describeServices(2, TD1, { taskDefinition: TD1, rolloutState: 'COMPLETED' }),
      describeServices(2, TD1, { taskDefinition: TD1, rolloutState: 'COMPLETED' }),
    );
    const run = await runStage(deployBuildSpec(), env, rules);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(
      `berth: ECS rolled the deployment back: see the service's events (the service runs ${TD1}, not ${TD2})`,
    );
    expect(callsTo(run, 'aws', 'ssm put-parameter')).toEqual([]);
  });

  it('fails without writing the pointer when the rollout did not complete', async () => {
    const rules = deployRules(
      describeServices(2, TD1, { taskDefinition: TD1, rolloutState: 'COMPLETED' }),
      describeServices(2, TD2, {
        taskDefinition: TD2,
        rolloutState: 'IN_PROGRESS',
        rolloutStateReason: 'ECS deployment in progress',
      }),
    );
    rules.splice(6, 1, {
      when: ['ecs wait services-stable'],
      stderr: 'Waiter ServicesStable failed: Max attempts exceeded\n',
      exit: 255,
    });
    const run = await runStage(deployBuildSpec(), env, rules);
    expect(run.code).not.toBe(0);
    expect(awsOps(run).filter((op) => op === 'ecs wait')).toHaveLength(2);
    expect(run.stderr).toContain(
      `berth: the deployment of ${TD2} did not complete (rolloutState IN_PROGRESS: ECS deployment in progress)`,
    );
    expect(callsTo(run, 'aws', 'ssm put-parameter')).toEqual([]);
  });

  it('re-run on an image the service already runs: no new revision, still checks and writes the pointer', async () => {
    const current = structuredClone(CURRENT_TASK_DEFINITION);
    current.taskDefinition.containerDefinitions[0].image = `${REPO_URI}:${SHA}`;
    const rules = deployRules(
      describeServices(2, TD1, { taskDefinition: TD1, rolloutState: 'COMPLETED' }),
      describeServices(2, TD1, { taskDefinition: TD1, rolloutState: 'COMPLETED' }),
      current,
    );
    const run = await runStage(deployBuildSpec(), env, rules);
    expect(run.code).toBe(0);
    expect(awsOps(run)).not.toContain('ecs register-task-definition');
    expect(awsOps(run)).not.toContain('ecs update-service');
    expect(awsOps(run).at(-1)).toBe('ssm put-parameter');
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
  ])('rejects counts %o before calling AWS', async (counts, message) => {
    const run = await runStage(deployBuildSpec(), { ...env, ...counts }, firstRelease);
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
