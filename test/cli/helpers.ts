import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { mockClient } from 'aws-sdk-client-mock';
import { stringify } from 'yaml';
import type { AwsClientFactory } from '../../src/cli/aws';
import { runCli, type CliDeps, type CliIO } from '../../src/cli/main';

/** Values that must never appear in anything the CLI writes. */
export const PAT = 'pat-4f1c9b2e7d8a6c5b3e2f1a0d9c8b7a6e5d4c3b2a1f0e9d8c';
export const WEBHOOK_USERNAME = 'berth-hook';
export const WEBHOOK_PASSWORD = 'hook-pw-Zq8sW1xV7rT3uY6iO0pA';
export const API_URL = 'https://abc123.execute-api.us-east-1.amazonaws.com/';

export const IDS = {
  financeProject: '1b7c9f0e-2d3a-4c5b-8e6f-7a8b9c0d1e2f',
  salesProject: '6e5d4c3b-2a1f-4e0d-9c8b-7a6f5e4d3c2b',
  cashRepo: '0f1e2d3c-4b5a-4697-8877-665544332211',
  poultryRepo: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
} as const;

/** The https origin the test configs name; the tests' fetch sends it to the local fake. */
export const ADO_ORIGIN = 'https://ado.berth.test';
export const ADO_COLLECTION = 'DefaultCollection';
export const ADO_BASE = `${ADO_ORIGIN}/${ADO_COLLECTION}`;

/** A temporary directory holding `berth.yaml`; `remove()` when done. */
export function writeConfig(overrides: Record<string, unknown> = {}): {
  dir: string;
  file: string;
  remove(): void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-cli-'));
  const file = path.join(dir, 'berth.yaml');
  const config = {
    prefix: 'berth',
    region: 'us-east-1',
    azureDevOps: { organization: 'my-org', url: ADO_BASE },
    projects: [
      {
        name: 'cash-collection',
        path: '/api/cash',
        priority: 10,
        repository: { project: 'Finance', name: 'cash-collection', branch: 'main' },
      },
      {
        name: 'poultry-sale',
        path: '/api/poultry',
        priority: 20,
        repository: { project: 'Sales', name: 'poultry-sale', branch: 'release' },
      },
    ],
    ...overrides,
  };
  writeFileSync(file, stringify(config));
  return { dir, file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Captured {
  readonly io: CliIO;
  stdout(): string;
  stderr(): string;
  /** For a terminal stdin: what the user types. */
  type(text: string): void;
}

/**
 * Streams for one run. `stdin`: a string is piped (not a TTY); `'tty'` is a terminal the test types into;
 * undefined is an empty pipe. Every capture is remembered so `assertNoSecretsWritten` can check them all.
 */
export function capture(
  opts: { stdin?: string | 'tty'; env?: Record<string, string | undefined>; stderrTTY?: boolean } = {},
): Captured {
  let out = '';
  let err = '';
  let stdin: CliIO['stdin'];
  let tty: PassThrough | undefined;
  if (opts.stdin === 'tty') {
    tty = new PassThrough();
    (tty as PassThrough & { isTTY?: boolean }).isTTY = true;
    stdin = tty;
  } else {
    stdin = Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]);
  }
  const c: Captured = {
    io: {
      stdin,
      stdout: { write: (s: string) => (out += s), isTTY: false },
      stderr: { write: (s: string) => (err += s), isTTY: opts.stderrTTY ?? false },
      env: { ...opts.env },
    },
    stdout: () => out,
    stderr: () => err,
    type: (text) => {
      if (!tty) throw new Error('type() needs stdin: "tty"');
      tty.write(text);
    },
  };
  captures.push(c);
  return c;
}

const captures: Captured[] = [];

/** Fails if any run since the last call wrote the PAT, the webhook password or a Basic auth header value. */
export function assertNoSecretsWritten(extra: readonly string[] = []): void {
  const secrets = [PAT, WEBHOOK_PASSWORD, Buffer.from(`:${PAT}`).toString('base64'), 'Basic ', ...extra];
  const written = captures.splice(0).map((c) => c.stdout() + c.stderr());
  for (const text of written) {
    for (const s of secrets) {
      if (text.includes(s)) throw new Error(`a secret (${s.slice(0, 4)}...) was written:\n${text}`);
    }
  }
}

/** The AWS SDK clients mocked for the whole file, and a factory that records the regions asked for. */
export function mockAws() {
  const cfn = mockClient(CloudFormationClient);
  const sm = mockClient(SecretsManagerClient);
  const cp = mockClient(CodePipelineClient);
  const ecs = mockClient(ECSClient);
  const elb = mockClient(ElasticLoadBalancingV2Client);
  const cw = mockClient(CloudWatchClient);
  const logs = mockClient(CloudWatchLogsClient);
  const ssm = mockClient(SSMClient);
  const ecr = mockClient(ECRClient);
  const regions: string[] = [];
  const factory: AwsClientFactory = (region) => {
    regions.push(region);
    const credentials = { accessKeyId: 'AKIATESTTESTTESTTEST', secretAccessKey: 'test' };
    return {
      cloudFormation: new CloudFormationClient({ region, credentials }),
      secretsManager: new SecretsManagerClient({ region, credentials }),
      codePipeline: new CodePipelineClient({ region, credentials }),
      ecs: new ECSClient({ region, credentials }),
      elbv2: new ElasticLoadBalancingV2Client({ region, credentials }),
      cloudWatch: new CloudWatchClient({ region, credentials }),
      cloudWatchLogs: new CloudWatchLogsClient({ region, credentials }),
      ssm: new SSMClient({ region, credentials }),
      ecr: new ECRClient({ region, credentials }),
    };
  };
  /** Forgets every mocked answer and recorded call, and the regions asked for. */
  const reset = () => {
    for (const m of [cfn, sm, cp, ecs, elb, cw, logs, ssm, ecr]) m.reset();
    regions.length = 0;
  };
  return { cfn, sm, cp, ecs, elb, cw, logs, ssm, ecr, regions, factory, reset };
}

/**
 * Deps that never wait: `sleep` resolves at once (and counts), `now` is a clock the test moves (each sleep
 * advances it by the time slept), `interrupt` is a signal the test aborts (Ctrl-C).
 */
export function fakeTime(start = Date.parse('2025-06-01T12:00:00Z')) {
  let now = start;
  const sleeps: number[] = [];
  const controller = new AbortController();
  let onSleep: ((n: number) => void) | undefined;
  return {
    sleeps,
    controller,
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    /** Called after each sleep with the number of sleeps so far (abort the controller to stop a --follow). */
    onSleep: (fn: (n: number) => void) => {
      onSleep = fn;
    },
    deps: {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
        onSleep?.(sleeps.length);
      },
      interrupt: controller.signal,
    },
  };
}

export function stack(name: string, outputs: Record<string, string> = {}, status = 'CREATE_COMPLETE'): Stack {
  return {
    StackName: name,
    StackStatus: status as Stack['StackStatus'],
    CreationTime: new Date('2025-01-01T00:00:00Z'),
    Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
  };
}

/** Both shared and project stacks deployed, with the webhook secrets in place. */
export function deployEverything(aws: ReturnType<typeof mockAws>, apiUrl = API_URL): void {
  aws.cfn.on(DescribeStacksCommand, { StackName: 'berth-platform' }).resolves({
    Stacks: [stack('berth-platform', { ApiUrl: apiUrl })],
  });
  for (const p of ['cash-collection', 'poultry-sale']) {
    aws.cfn
      .on(DescribeStacksCommand, { StackName: `berth-${p}` })
      .resolves({ Stacks: [stack(`berth-${p}`)] });
    aws.sm.on(GetSecretValueCommand, { SecretId: `berth/${p}/webhook` }).resolves({
      Name: `berth/${p}/webhook`,
      VersionId: 'v-hook',
      SecretString: JSON.stringify({ username: WEBHOOK_USERNAME, password: WEBHOOK_PASSWORD }),
    });
  }
}

/** Runs the CLI in-process with `--config <file>` appended (before a `--`, whose rest is the task's command). */
export async function run(
  args: string[],
  c: Captured,
  configFile: string,
  deps: CliDeps,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dash = args.indexOf('--');
  const argv =
    dash < 0
      ? [...args, '--config', configFile]
      : [...args.slice(0, dash), '--config', configFile, ...args.slice(dash)];
  const code = await runCli(argv, c.io, deps);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** Polls `cond` every 10 ms (for the prompt to appear before the test types). */
export async function waitFor(cond: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
