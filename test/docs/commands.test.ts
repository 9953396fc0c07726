import { spawn, execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { targetGroupName } from '../../src/config/names';
import { loadConfig } from '../../src/config/load';
import { FakeAzureDevOps } from '../support/fake-azure-devops';
import {
  FIXTURE_COMMITS,
  FIXTURE_TASK_ID,
  FakeAwsEndpoint,
  berthFixture,
  type FixtureProject,
} from '../support/fake-aws-endpoint';
import {
  docFiles,
  documentedCommands,
  extractCommands,
  type DocCommand,
  type Substitutions,
} from './doc-commands';

/**
 * Every `npx --no-install berth ...` (or `npx berth ...`) line of the documentation, run as a user runs it: the
 * published bin (`node bin/berth-cli.js <args>`, what npx runs) in a child process from the repository root,
 * against a fake AWS endpoint and a fake Azure DevOps on 127.0.0.1, with nothing able to leave the machine.
 *
 * Rules for a documented command (see doc-commands.ts for the parsing):
 * - It must exit 0, unless its comment says `# exit N` (or `exits N`, `exit code N`).
 * - Alerts: alerts.chat has one Slack channel, `ops` (`<channel>`); alerts.emails is empty.
 * - Projects that exist: cash-collection (released three times: FIXTURE_COMMITS first, previous, live; ECS Exec
 *   on; service.secrets DB_PASSWORD -> db-password), poultry-sale (released twice: previous, live), egg-grading
 *   (deployed, never released) and ledger-sync (a worker, released once). The config is berth.yaml plus these
 *   (via BERTH_CONFIG; `--config <file>` also names it), with azureDevOps.url at the fake Azure DevOps.
 * - Placeholders and variables it knows are PLACEHOLDERS and VARIABLES below; `NAME=...` is the Azure DevOps PAT.
 * - Every command gets a value on stdin (what a user would paste at a prompt or pipe in: a PAT for set-pat, a
 *   Slack webhook URL for alerts set-webhook, a secret value for the others). `connect` without
 *   AZURE_DEVOPS_PAT=... on the line gets AZURE_DEVOPS_PAT set, standing for the answer to its hidden prompt.
 * - `logs --follow` is stopped with Ctrl-C (SIGINT) once it has printed, and must then exit 0.
 * - `exec` finds a fake session-manager-plugin on PATH; AWS_PROFILE=<admin-profile> names a profile with dummy keys.
 */

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/berth-cli.js');
const DOCS_PAT = 'docs-pat-0123456789abcdefghijklmnopqrstuvwxyzABCD';
const SECRET_VALUE = 'docs-secret-value-4242';
const PROFILE = 'berth-docs';
const SLACK_URL = 'https://hooks.slack.com/services/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';

/** `<placeholder>` -> value. */
export const PLACEHOLDERS: Record<string, string> = {
  '<project>': 'cash-collection',
  '<worker>': 'ledger-sync',
  '<sha>': FIXTURE_COMMITS.previous,
  '<commit>': FIXTURE_COMMITS.previous,
  '<short-sha>': FIXTURE_COMMITS.previous.slice(0, 7),
  '<task-id>': FIXTURE_TASK_ID,
  '<task>': FIXTURE_TASK_ID,
  '<id>': FIXTURE_TASK_ID,
  '<stage>': 'build',
  '<time>': '1h',
  '<text>': 'ERROR',
  '<NAME>': 'DB_PASSWORD',
  '<name>': 'DB_PASSWORD',
  '<VARIABLE>': 'DB_PASSWORD',
  '<key>': 'db-password',
  '<command>': 'true',
  '<admin-profile>': PROFILE,
  '<profile>': PROFILE,
  '<region>': 'us-east-1',
  '<channel>': 'ops',
  '<n>': '10',
  '<prices-file>': path.join(ROOT, 'src/cli/plan/prices.json'),
  // '<file>' and '<config>' are the fixture config, set in beforeAll.
};

/** `$VARIABLE` -> value. */
export const VARIABLES: Record<string, string> = {
  PAT: DOCS_PAT,
  AZURE_DEVOPS_PAT: DOCS_PAT,
  VALUE: SECRET_VALUE,
  SECRET: SECRET_VALUE,
  PASSWORD: SECRET_VALUE,
  AWS_PROFILE: PROFILE,
  AWS_REGION: 'us-east-1',
  SHA: FIXTURE_COMMITS.previous,
  PROJECT: 'cash-collection',
};

/** `<file>` and `<config>` name the fixture config, which exists once beforeAll has run. */
const SUBS: Substitutions = {
  placeholders: { ...PLACEHOLDERS, '<file>': '__CONFIG__', '<config>': '__CONFIG__' },
  variables: VARIABLES,
  ellipsis: DOCS_PAT,
};

/** The documented commands, one test per distinct command line (its places in the docs in the title). */
const ALL = documentedCommands(ROOT, SUBS);
const DISTINCT = [...groupBy(ALL, (c) => JSON.stringify([c.args, c.env, c.expectedExit])).values()];

let aws: FakeAwsEndpoint;
let ado: FakeAzureDevOps;
let tmp: string;
let configFile: string;
let env: Record<string, string>;
let pluginRecord: string;
const slots = limiter(2);

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'berth-docs-'));
  ado = await FakeAzureDevOps.start({
    collection: 'DefaultCollection',
    pat: DOCS_PAT,
    projects: {
      Finance: '1b7c9f0e-2d3a-4c5b-8e6f-7a8b9c0d1e2f',
      Sales: '6e5d4c3b-2a1f-4e0d-9c8b-7a6f5e4d3c2b',
    },
    repositories: [
      { project: 'Finance', name: 'cash-collection', id: '0f1e2d3c-4b5a-4697-8877-665544332211' },
      { project: 'Sales', name: 'poultry-sale', id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d' },
      { project: 'Sales', name: 'egg-grading', id: 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e' },
      { project: 'Finance', name: 'ledger-sync', id: 'c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f' },
    ],
  });

  // The config: berth.yaml, its Azure DevOps at the fake, and the fixture's projects.
  const raw = parse(readFileSync(path.join(ROOT, 'berth.yaml'), 'utf8')) as {
    azureDevOps: Record<string, unknown>;
    alerts?: unknown;
    projects: Record<string, unknown>[];
  };
  raw.azureDevOps = { ...raw.azureDevOps, url: ado.baseUrl, allowInsecureHttp: true };
  raw.alerts = { emails: [], chat: [{ name: 'ops', type: 'slack' }] };
  const cash = raw.projects.find((p) => p.name === 'cash-collection')!;
  cash.service = { ...(cash.service as object), exec: true, secrets: { DB_PASSWORD: 'db-password' } };
  raw.projects.push(
    {
      name: 'egg-grading',
      path: '/api/eggs',
      priority: 30,
      repository: { project: 'Sales', name: 'egg-grading' },
    },
    { name: 'ledger-sync', repository: { project: 'Finance', name: 'ledger-sync' } },
  );
  configFile = path.join(tmp, 'berth.yaml');
  writeFileSync(configFile, stringify(raw));
  const config = loadConfig(configFile);

  const releases: Record<string, FixtureProject> = {
    'cash-collection': {
      name: 'cash-collection',
      releases: [FIXTURE_COMMITS.first, FIXTURE_COMMITS.previous, FIXTURE_COMMITS.live],
      exec: true,
      appSecret: { 'db-password': 'fixture-db-password-77' },
    },
    'poultry-sale': { name: 'poultry-sale', releases: [FIXTURE_COMMITS.previous, FIXTURE_COMMITS.live] },
    'egg-grading': { name: 'egg-grading', releases: [] },
    'ledger-sync': { name: 'ledger-sync', releases: [FIXTURE_COMMITS.first] },
  };
  aws = await FakeAwsEndpoint.start(
    berthFixture({
      prefix: config.prefix,
      region: config.region,
      apiUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/',
      alertChannels: ['ops'],
      projects: config.projects.map((p) => ({
        ...releases[p.name],
        ...(p.path !== undefined ? { targetGroup: targetGroupName(config, p) } : {}),
      })),
    }),
  );

  // A home with a profile of dummy keys, and a fake session-manager-plugin that records its arguments.
  const home = path.join(tmp, 'home');
  mkdirSync(path.join(home, '.aws'), { recursive: true });
  const awsConfig = path.join(home, '.aws', 'config');
  const credentials = path.join(home, '.aws', 'credentials');
  writeFileSync(awsConfig, `[default]\nregion = us-east-1\n\n[profile ${PROFILE}]\nregion = us-east-1\n`);
  writeFileSync(
    credentials,
    `[default]\naws_access_key_id = AKIADOCSDOCSDOCSDOCS\naws_secret_access_key = docs\n\n[${PROFILE}]\naws_access_key_id = AKIADOCSDOCSDOCSDOCS\naws_secret_access_key = docs\n`,
  );
  const bin = path.join(tmp, 'bin');
  mkdirSync(bin);
  pluginRecord = path.join(tmp, 'plugin-args.json');
  writeFileSync(
    path.join(bin, 'session-manager-plugin'),
    `#!/usr/bin/env node\nrequire('node:fs').appendFileSync(${JSON.stringify(pluginRecord)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`,
  );
  chmodSync(path.join(bin, 'session-manager-plugin'), 0o755);

  env = {
    PATH: [bin, path.dirname(process.execPath), process.env.PATH ?? ''].join(path.delimiter),
    HOME: home,
    BERTH_CONFIG: configFile,
    AWS_ENDPOINT_URL: aws.url,
    AWS_ACCESS_KEY_ID: 'AKIADOCSDOCSDOCSDOCS',
    AWS_SECRET_ACCESS_KEY: 'docs',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: awsConfig,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_EC2_METADATA_DISABLED: 'true',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '127.0.0.1,localhost',
    NO_COLOR: '1',
  };
});

afterAll(async () => {
  await aws?.close();
  await ado?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** What a user pastes or pipes: a PAT for set-pat, a Slack webhook URL for alerts set-webhook, else a secret value. */
function stdinFor(args: readonly string[]): string {
  if (args[0] === 'set-pat') return DOCS_PAT;
  if (args[0] === 'alerts' && args[1] === 'set-webhook') return SLACK_URL;
  return SECRET_VALUE;
}

/** `connect` without AZURE_DEVOPS_PAT on its line would ask for it at a terminal: the variable stands for the answer. */
function promptAnswers(cmd: DocCommand): Record<string, string> {
  return cmd.args[0] === 'connect' && !('AZURE_DEVOPS_PAT' in cmd.env) ? { AZURE_DEVOPS_PAT: DOCS_PAT } : {};
}

/** Runs `node bin/berth-cli.js <args>` from the repository root, with a value on stdin. */
function runBin(cmd: DocCommand, extraEnv: Record<string, string>): Promise<Ran> {
  const args = cmd.args.map((a) => a.replace('__CONFIG__', configFile));
  const follow = args[0] === 'logs' && (args.includes('--follow') || args.includes('-f'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...env, ...extraEnv, ...cmd.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const interrupt = () => {
      if (!interrupted) {
        interrupted = true;
        child.kill('SIGINT');
      }
    };
    const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const ctrlC = follow ? setTimeout(interrupt, 8_000) : undefined;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (follow) setTimeout(interrupt, 200);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (ctrlC) clearTimeout(ctrlC);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(`${stdinFor(cmd.args)}\n`);
  });
}

describe('the documented commands', () => {
  it('given the documentation, when it names the CLI anywhere (code or prose), then always as `npx --no-install berth`, which cannot download another package', () => {
    const loose = docFiles(ROOT).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          /\bnpx\s+berth\b/.test(line) ? [`${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(loose, loose.join('\n')).toEqual([]);
  });

  it('given the documentation, when its commands are collected, then there are some and each can be run as written', () => {
    expect(ALL.length).toBeGreaterThan(0);
    const broken = ALL.filter((c) => c.problems.length > 0).map(
      (c) => `${c.where}: ${c.text}\n  ${c.problems.join('\n  ')}`,
    );
    expect(broken, broken.join('\n')).toEqual([]);
  });

  // Two at a time: each is a Node process that loads the SDK (and plan the CDK), on two shared cores.
  it.concurrent.for(
    DISTINCT.map((group) => [group.map((c) => c.where).join(', '), group[0].text, group[0]] as const),
  )('%s: %s', { timeout: 120_000 }, async ([, , cmd], { expect }) => {
    if (cmd.problems.length > 0) return; // reported by the test above
    const r = await slots.run(() => runBin(cmd, promptAnswers(cmd)));

    const detail = `${cmd.where}: berth ${cmd.args.join(' ')}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;
    expect(r.code, detail).toBe(cmd.expectedExit);
    expect(r.stderr, detail).not.toContain('Unexpected error');
    expect(r.stderr + r.stdout, detail).not.toContain('does not implement');
    for (const secret of [DOCS_PAT, SECRET_VALUE, 'fixture-db-password-77']) {
      expect(r.stdout + r.stderr, `${detail}\n(a secret was printed)`).not.toContain(secret);
    }
    if (cmd.args[0] === 'exec' && cmd.expectedExit === 0) {
      expect(readFileSync(pluginRecord, 'utf8'), detail).toContain('StartSession');
    }
  });
});

describe('the published bin through npx', () => {
  it('given the checkout, when `npx --no-install berth --version` runs from the repository root, then it prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'berth', '--version'], {
      cwd: ROOT,
      env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' },
      timeout: 60_000,
    });

    expect(stdout.trim()).toBe(version);
  }, 90_000);
});

describe('the documentation harness', () => {
  const subs: Substitutions = {
    placeholders: { '<project>': 'p1' },
    variables: { PAT: 'the-pat' },
    ellipsis: 'ellipsis-pat',
  };
  const md = [
    'Intro `npx berth inline` is not in a block.',
    '',
    '```bash',
    'npx --no-install berth status <project> --json   # per project; or: npx berth status',
    'AZURE_DEVOPS_PAT=... npx berth connect <project>',
    'printf %s "$PAT" | npx --no-install berth set-pat p1',
    'npx --no-install berth rollback egg-grading   # exits 2: nothing released',
    'npx --no-install berth logs p1 \\',
    '  --since 15m | grep ERROR',
    'cd somewhere && npx berth plan',
    "npx berth run p1 -- sh -c 'echo $HOME'",
    'npx berth exec <unknown>',
    '```',
    '',
    '   ```',
    '   npx berth releases p1 < /dev/null',
    '   ```',
  ].join('\n');
  const got = extractCommands(md, 'X.md', subs);

  it('given fenced blocks, when commands are extracted, then each npx berth occurrence becomes one, comments included', () => {
    expect(got.map((c) => [c.where, c.args])).toEqual([
      ['X.md:4', ['status', 'p1', '--json']],
      ['X.md:4', ['status']],
      ['X.md:5', ['connect', 'p1']],
      ['X.md:6', ['set-pat', 'p1']],
      ['X.md:7', ['rollback', 'egg-grading']],
      ['X.md:8', ['logs', 'p1', '--since', '15m']],
      ['X.md:10', ['plan']],
      ['X.md:11', ['run', 'p1', '--', 'sh', '-c', 'echo $HOME']],
      ['X.md:12', ['exec', '<unknown>']],
      ['X.md:16', ['releases', 'p1']],
    ]);
  });

  it('given assignments, pipes, redirects and exit comments, when extracted, then they become env, stdin and the expected code', () => {
    expect(got[2].env).toEqual({ AZURE_DEVOPS_PAT: 'ellipsis-pat' });
    expect(got[3].stdinFromDoc).toBe(true);
    expect(got[9].stdinFromDoc).toBe(true);
    expect(got[4].expectedExit).toBe(2);
    expect(got[0].expectedExit).toBe(0);
  });

  it('given something it cannot run, when extracted, then the problem is said', () => {
    expect(got[6].problems[0]).toContain('"cd" before npx');
    expect(got[8].problems).toEqual([
      'unknown placeholder <unknown>: add it to PLACEHOLDERS in test/docs/commands.test.ts, or write a real value',
    ]);
    expect(got[7].problems).toEqual([]); // $HOME is in single quotes: not expanded
  });
});

/** At most `n` at once. */
function limiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
      try {
        return await fn();
      } finally {
        active--;
        waiting.shift()?.();
      }
    },
  };
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) out.set(key(t), [...(out.get(key(t)) ?? []), t]);
  return out;
}
