import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from '../../src/cli/main';
import { parseAssumptions } from '../../src/cli/commands/plan';
import { DEFAULT_ASSUMPTIONS } from '../../src/cli/plan/estimate';
import { defaultPrices } from '../../src/cli/plan/prices';
import { NO_ALERT_DESTINATION_WARNING } from '../../src/shared/alert-channels';
import { REPO_ROOT, seedApp, template } from '../support/app';
import { capture } from './helpers';

/**
 * `berth plan` end to end, in-process: the default config (berth.yaml) synthesized offline, its tables checked
 * against the templates the app makes, its estimate against hand arithmetic, and what moves it. Each run
 * synthesizes the app (a few seconds), so variants share runs where they can.
 */

const SEED_FILE = path.join(REPO_ROOT, 'berth.yaml');
const tmp = mkdtempSync(path.join(tmpdir(), 'berth-plan-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Line {
  id: string;
  item: string;
  quantity: number;
  unit: string;
  unitPrice: number | null;
  per: string;
  monthlyUsd: number | null;
  assumption: string;
  unpriced?: string;
}
interface PlanJson {
  config: string;
  prefix: string;
  region: string;
  stacks: { name: string; resources: number; limit: number }[];
  projects: Record<string, unknown>[];
  placement: Record<string, unknown> & { warnings: string[] };
  estimate: {
    currency: string;
    region: string;
    pricesDate: string;
    pricesSource: string;
    pricesFile: string;
    hoursPerMonth: number;
    assumptions: Record<string, number>;
    lines: Line[];
    totalUsd: number;
    complete: boolean;
    unpricedLines: { id: string; reason: string }[];
    notIncluded: string[];
  };
  warnings: string[];
}

async function plan(args: string[], configFile = SEED_FILE) {
  const c = capture();
  const code = await runCli(['plan', ...args, '--config', configFile], c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

async function planJson(args: string[] = [], configFile = SEED_FILE): Promise<PlanJson> {
  const r = await plan([...args, '--json'], configFile);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return JSON.parse(r.stdout) as PlanJson;
}

/** The parts of berth.yaml the tests change. */
interface RawSeed {
  region: string;
  cluster: { instanceType: string; minCapacity?: number; maxCapacity?: number };
  alerts?: { emails?: string[] };
  network?: Record<string, unknown>;
  projects: ({ pipeline?: { approval?: boolean } } & Record<string, unknown>)[];
}

/** berth.yaml with `change` applied to its YAML, in a temporary file. */
function seedWith(name: string, change: (raw: RawSeed) => void): string {
  const raw = parse(readFileSync(SEED_FILE, 'utf8')) as RawSeed;
  change(raw);
  const file = path.join(tmp, `${name}.yaml`);
  writeFileSync(file, stringify(raw));
  return file;
}

const monthly = (p: PlanJson) => Object.fromEntries(p.estimate.lines.map((l) => [l.id, l.monthlyUsd ?? 0]));
const line = (p: PlanJson, id: string) => p.estimate.lines.find((l) => l.id === id)!;

let seed: PlanJson;
let seedHuman: { code: number; stdout: string; stderr: string };
let templates: {
  name: string;
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}[];
const countType = (type: string) =>
  templates.reduce((n, t) => n + Object.values(t.resources).filter((r) => r.Type === type).length, 0);

beforeAll(async () => {
  seed = await planJson();
  seedHuman = await plan([]);
  // The templates as the app's own tests see them: built independently of `berth plan`.
  const app = seedApp();
  templates = [app.network, app.platform, ...app.projects.values()].map((s) => ({
    name: s.stackName,
    resources: template(s).toJSON().Resources as PlanJson['stacks'] extends unknown
      ? Record<string, { Type: string; Properties?: Record<string, unknown> }>
      : never,
  }));
});

describe('berth plan: tables', () => {
  it('given the default config, when plan runs, then the stacks table counts match Object.keys(template.Resources).length', () => {
    expect(seed.stacks).toEqual(
      templates.map((t) => ({ name: t.name, resources: Object.keys(t.resources).length, limit: 500 })),
    );
    expect(seed.stacks.map((s) => s.name)).toEqual([
      'berth-network',
      'berth-platform',
      'berth-cash-collection',
      'berth-poultry-sale',
    ]);
  });

  it('given the default config, when plan runs, then the projects table has path, priority, 8 stages, images, size and counts', () => {
    expect(seed.projects).toEqual([
      {
        name: 'cash-collection',
        kind: 'web',
        path: '/api/cash',
        priority: 10,
        stages: 8,
        stageNames: ['Source', 'Checkout', 'Test', 'Build', 'Scan', 'Push', 'Deploy', 'Verify'],
        approval: false,
        cpu: 256,
        memory: 512,
        minCount: 2,
        maxCount: 6,
        architectures: ['amd64', 'arm64'],
      },
      expect.objectContaining({ name: 'poultry-sale', path: '/api/poultry', priority: 20, stages: 8 }),
    ]);
  });

  it('given the default config, when plan runs without --json, then it prints the tables, placement, the total, the assumptions, the price source and the warnings', () => {
    expect(seedHuman.code).toBe(0);
    expect(seedHuman.stderr).toBe('');
    const out = seedHuman.stdout;
    expect(out).toContain('Offline: nothing was read from AWS.');
    expect(out).toMatch(/berth-platform\s+\d+\s+500\s+\d+%/);
    expect(out).toMatch(
      /cash-collection\s+\/api\/cash\/\*\s+10\s+8\s+amd64\+arm64\s+256 \/ 512 MiB\s+2 \/ 6\s+6 \(memory\)/,
    );
    expect(out).toContain(
      'Placement on c5.large hosts: 2 vCPUs (2,048 CPU units), 3,430 MiB for tasks, 10 awsvpc tasks with ENI trunking',
    );
    expect(out).toMatch(/cash-collection\s+10\s+8\s+6\s+6\n/);
    expect(out).toContain(
      "At once: 6 tasks (every minCount, plus cash-collection's again for a rolling deploy at 200 %), 1,536 CPU units, 3,072 MiB; cluster.maxCapacity 4 hosts hold 40 tasks, 8,192 CPU units, 13,720 MiB: they fit.",
    );
    expect(out).toMatch(
      /EC2 c5\.large instances\s+1,460\s+instance-hours\s+\$0\.085 per instance-hour\s+\$124\.10/,
    );
    expect(out).toMatch(
      /CodeBuild arm1\.large \(Arm\)\s+640\s+build minutes\s+\$0\.015 per build minute\s+\$9\.60/,
    );
    expect(out).toMatch(new RegExp(`  Total\\s+\\$${seed.estimate.totalUsd.toFixed(2)}`));
    expect(out).toContain(
      'Assumptions (change them with these flags): --nat-gb 50 --requests 10 --releases 40 --build-minutes 8 --test-minutes 5 --log-gb 10 --image-gb 2 --artifact-gb 1 --lcu 1',
    );
    expect(out).toContain(`on-demand list prices of ${defaultPrices().date}`);
    expect(out).toContain(`Prices: ${defaultPrices().source}`);
    expect(out).toContain(`Warnings\n  - ${NO_ALERT_DESTINATION_WARNING}`);
  });
});

describe('berth plan: the estimate of the default config', () => {
  it('given the default config, when plan counts, then the quantities come from the config and the templates', () => {
    const q = Object.fromEntries(seed.estimate.lines.map((l) => [l.id, l.quantity]));

    expect(countType('AWS::EC2::NatGateway')).toBe(2);
    expect(q['nat-gateway-hours']).toBe(2 * 730);
    expect(q['public-ipv4']).toBe(countType('AWS::EC2::EIP') * 730);
    expect(q['alb-hours']).toBe(countType('AWS::ElasticLoadBalancingV2::LoadBalancer') * 730);
    expect(q.ec2).toBe(2 * 730); // cluster.minCapacity
    expect(q.ebs).toBe(2 * 30); // × cluster.rootVolumeGiB
    expect(q.secrets).toBe(countType('AWS::SecretsManager::Secret'));
    expect(q.kms).toBe(countType('AWS::KMS::Key'));
    expect(q.alarms).toBe(countType('AWS::CloudWatch::Alarm'));
    expect(q.dashboards).toBe(countType('AWS::CloudWatch::Dashboard'));
    expect(countType('AWS::CodePipeline::Pipeline')).toBe(2);
    // Per release and project: Source 1 + Checkout 1 + Test 5 + 2 builds × 8 + Scan 2 + Push 1 + Deploy 5 + Verify 1.
    expect(q.codepipeline).toBe(2 * 40 * 32);
    expect(q['codebuild-general1-small']).toBe(40 * (2 * 1 + 2 * 5));
    expect(q['codebuild-general1-medium']).toBe(40 * 2 * 8);
    expect(q['codebuild-arm1-large']).toBe(40 * 2 * 8);
    // 80 releases × (webhook 1 + pipeline-events 2 + scan, push, deploy, verify 1 each).
    expect(q['lambda-requests']).toBeCloseTo((80 * 7) / 1e6, 12);
    expect(q['lambda-compute-arm64']).toBeCloseTo(80 * (3 + 120 + 30 + 300 + 60) * 0.25, 6);
    expect(seed.estimate.assumptions).toEqual(DEFAULT_ASSUMPTIONS);
    expect(seed.estimate.complete).toBe(true);
  });

  it('given the default config, when plan estimates, then the total equals the hand-computed figure from the price file', () => {
    const alarms = countType('AWS::CloudWatch::Alarm');
    const dashboards = countType('AWS::CloudWatch::Dashboard');
    const kmsKeys = countType('AWS::KMS::Key');
    const secrets = countType('AWS::SecretsManager::Secret');
    const hand =
      2 * 730 * 0.045 + // NAT gateway hours
      50 * 0.045 + // NAT data, --nat-gb 50
      2 * 730 * 0.005 + // 2 NAT Elastic IPs
      730 * 0.0225 + // ALB hours
      1 * 730 * 0.008 + // --lcu 1
      2 * 730 * 0.085 + // 2 × c5.large
      2 * 30 * 0.08 + // 2 × 30 GiB gp3
      10 * 1.0 + // --requests 10 (million)
      ((80 * 7) / 1e6) * 0.2 + // Lambda requests
      80 * 513 * 0.25 * 0.0000133334 + // Lambda GB-s, arm64
      secrets * 0.4 +
      ((80 * 10) / 10_000) * 0.05 + // Secrets Manager calls
      kmsKeys * 1.0 +
      alarms * 0.1 +
      dashboards * 3.0 +
      10 * 0.5 + // --log-gb 10 ingested
      10 * 0.03 + // 30 days kept = 10 GB-months
      80 * 32 * 0.002 + // action minutes
      480 * 0.005 + // CodeBuild small: Checkout and Test
      640 * 0.01 + // CodeBuild medium: amd64 builds
      640 * 0.015 + // CodeBuild arm1.large: arm64 builds
      2 * 2 * 0.1 + // --image-gb 2 per repository
      2 * 1 * 0.023; // --artifact-gb 1 per bucket

    expect(seed.estimate.totalUsd).toBeCloseTo(hand, 2);
    expect(seed.estimate.lines.reduce((s, l) => s + (l.monthlyUsd ?? 0), 0)).toBeCloseTo(hand, 4);
  });
});

describe('berth plan: what moves the estimate', () => {
  it('given cluster.instanceType m5.large instead of c5.large, when plan runs, then only the EC2 line moves, by 2 × 730 × (0.096 − 0.085)', async () => {
    const after = await planJson(
      [],
      seedWith('m5', (raw) => (raw.cluster.instanceType = 'm5.large')),
    );

    const before = monthly(seed);
    for (const [id, usd] of Object.entries(monthly(after))) {
      expect(usd - before[id], id).toBeCloseTo(id === 'ec2' ? 16.06 : 0, 6);
    }
  });

  it('given a third project that is a worker, with approval, and alert e-mails, when plan runs, then it is listed without path or priority, the per-project lines move by one share, and the alerts warning is gone', async () => {
    const file = seedWith('worker', (raw) => {
      raw.alerts = { emails: ['ops@example.com'] };
      raw.projects.push({
        name: 'ledger-sync',
        repository: { project: 'Finance', name: 'ledger-sync' },
        service: { cpu: 512, memory: 1024, minCount: 1, maxCount: 2 },
        pipeline: { approval: true },
      });
    });
    const after = await planJson([], file);

    expect(after.projects[2]).toEqual({
      name: 'ledger-sync',
      kind: 'worker',
      stages: 8,
      stageNames: ['Source', 'Checkout', 'Test', 'Build', 'Scan', 'Push', 'Deploy', 'Verify'],
      approval: true,
      cpu: 512,
      memory: 1024,
      minCount: 1,
      maxCount: 2,
      architectures: ['amd64', 'arm64'],
    });
    expect(after.stacks.map((s) => s.name)).toContain('berth-ledger-sync');
    // A worker has no target group or listener rule.
    expect(after.stacks.find((s) => s.name === 'berth-ledger-sync')!.resources).toBeLessThan(
      seed.stacks.find((s) => s.name === 'berth-cash-collection')!.resources,
    );
    const before = monthly(seed);
    const got = monthly(after);
    expect(got['codebuild-arm1-large'] - before['codebuild-arm1-large']).toBeCloseTo(40 * 8 * 0.015, 9);
    expect(got['codebuild-general1-medium'] - before['codebuild-general1-medium']).toBeCloseTo(
      40 * 8 * 0.01,
      9,
    );
    expect(got.codepipeline - before.codepipeline).toBeCloseTo(40 * 32 * 0.002, 9); // the approval is free
    expect(got.secrets - before.secrets).toBeCloseTo(3 * 0.4, 9);
    expect(got.ec2).toBe(before.ec2);
    expect(after.warnings.join('\n')).not.toContain('reach nobody');

    const human = await plan([], file);
    expect(human.stdout).toMatch(/ledger-sync\s+worker \(no path\)\s+-\s+8 \(approval before Deploy\)/);
  });

  it('given assumption flags, when plan runs, then they are used, echoed, and drive their lines', async () => {
    const after = await planJson([
      '--releases',
      '100',
      '--nat-gb',
      '0',
      '--requests',
      '2.5',
      '--lcu=3',
      '--test-minutes',
      '10',
    ]);

    expect(after.estimate.assumptions).toEqual({
      ...DEFAULT_ASSUMPTIONS,
      releases: 100,
      natGb: 0,
      requests: 2.5,
      lcu: 3,
      testMinutes: 10,
    });
    expect(line(after, 'nat-gateway-data').monthlyUsd).toBe(0);
    expect(line(after, 'http-api').monthlyUsd).toBeCloseTo(2.5, 9);
    expect(line(after, 'alb-lcu').monthlyUsd).toBeCloseTo(3 * 730 * 0.008, 9);
    expect(line(after, 'codepipeline').monthlyUsd).toBeCloseTo(2 * 100 * 37 * 0.002, 9);
    expect(line(after, 'codebuild-general1-small').quantity).toBe(100 * (2 * 1 + 2 * 10));
  });
});

describe('berth plan: --json', () => {
  it('given --json, when plan runs, then stdout is one document with stacks, projects, placement, the estimate and warnings', () => {
    expect(Object.keys(seed).sort()).toEqual(
      ['config', 'estimate', 'placement', 'prefix', 'projects', 'region', 'stacks', 'warnings'].sort(),
    );
    expect(seed).toMatchObject({ config: SEED_FILE, prefix: 'berth', region: 'us-east-1' });
    expect(Object.keys(seed.estimate).sort()).toEqual(
      [
        'assumptions',
        'complete',
        'currency',
        'hoursPerMonth',
        'lines',
        'notIncluded',
        'pricesDate',
        'pricesFile',
        'pricesSource',
        'region',
        'totalUsd',
        'unpricedLines',
      ].sort(),
    );
    for (const l of seed.estimate.lines) {
      expect(Object.keys(l).sort()).toEqual(
        ['assumption', 'id', 'item', 'monthlyUsd', 'per', 'quantity', 'unit', 'unitPrice'].sort(),
      );
    }
    expect(seed.estimate.lines.map((l) => l.id)).toEqual([
      'nat-gateway-hours',
      'nat-gateway-data',
      'public-ipv4',
      'alb-hours',
      'alb-lcu',
      'ec2',
      'ebs',
      'http-api',
      'lambda-requests',
      'lambda-compute-arm64',
      'secrets',
      'secrets-api',
      'kms',
      'alarms',
      'dashboards',
      'logs-ingested',
      'logs-stored',
      'codepipeline',
      'codebuild-general1-small',
      'codebuild-general1-medium',
      'codebuild-arm1-large',
      'ecr',
      's3',
    ]);
    expect(seed.placement).toMatchObject({
      instanceType: 'c5.large',
      known: true,
      host: { vcpus: 2, cpuUnits: 2048, memoryMiB: 3430, tasks: 10, trunking: true },
      maxHosts: 4,
      demand: { tasks: 6, cpuUnits: 1536, memoryMiB: 3072, surgeProject: 'cash-collection' },
      capacity: { tasks: 40, cpuUnits: 8192, memoryMiB: 13720 },
      fits: true,
      warnings: [],
    });
    expect(Number.isInteger(Math.round(seed.estimate.totalUsd * 100))).toBe(true);
  });
});

describe('berth plan: prices it does not have, and placement', () => {
  it('given a region the price file lacks, when plan runs, then every line names the missing price, the total says it covers priced lines only, and it exits 0', async () => {
    const file = seedWith('eu', (raw) => {
      raw.region = 'eu-west-1';
      delete raw.network?.availabilityZoneIds;
    });
    const r = await plan([], file);
    const json = await planJson([], file);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /NAT gateway hours\s+1,460\s+hours\s+no price for eu-west-1 in prices\.json\s+-/,
    );
    expect(r.stdout).toMatch(/Total of the 0 priced lines \(23 have no price\)\s+\$0\.00/);
    expect(r.stdout).toContain(
      '23 of 23 cost lines have no price (no price for eu-west-1 in prices.json): the total covers the priced lines only.',
    );
    expect(json.estimate).toMatchObject({ region: 'eu-west-1', complete: false, totalUsd: 0 });
    expect(json.estimate.lines.every((l) => l.unitPrice === null && l.monthlyUsd === null)).toBe(true);
    expect(line(json, 'ec2').quantity).toBe(1460);
  });

  it('given an instance type neither the price file nor the instance table knows, when plan runs, then the EC2 line is unpriced and placement is not checked, both said', async () => {
    const file = seedWith('x9', (raw) => (raw.cluster.instanceType = 'x9.huge'));
    const r = await plan([], file);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /EC2 x9\.huge instances\s+1,460\s+instance-hours\s+no price for x9\.huge in us-east-1 in prices\.json\s+-/,
    );
    expect(r.stdout).toMatch(/Total of the 22 priced lines \(1 have no price\)/);
    expect(r.stdout).toContain(
      'Placement on x9.huge hosts: not checked (x9.huge is not in src/config/instance-types.ts).',
    );
    expect(r.stdout).toContain(
      'cluster.instanceType x9.huge is not in src/config/instance-types.ts, so task placement cannot be checked',
    );
    expect(r.stdout).toMatch(/tasks per host\n[\s\S]*cash-collection .*\s\?\n/);
  });

  it('given --prices with a file that has the region, when plan runs, then that file is used and named', async () => {
    const prices = defaultPrices();
    const file = path.join(tmp, 'prices-eu.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...prices,
        date: '2030-01-01',
        regions: { 'eu-west-1': prices.regions['us-east-1'] },
      }),
    );
    const out = await planJson(
      ['--prices', file],
      seedWith('eu2', (raw) => {
        raw.region = 'eu-west-1';
        delete raw.network?.availabilityZoneIds;
      }),
    );

    expect(out.estimate).toMatchObject({
      region: 'eu-west-1',
      pricesDate: '2030-01-01',
      pricesFile: 'prices-eu.json',
      complete: true,
    });
  });

  it('given counts that cannot be placed on maxCapacity hosts, when plan runs, then it warns with what is short', async () => {
    const file = seedWith('tight', (raw) => {
      raw.cluster.maxCapacity = 1;
      raw.cluster.minCapacity = 1;
      raw.projects[0].service = { ...(raw.projects[0].service as object), minCount: 4, maxCount: 6 };
    });
    const out = await planJson([], file);

    expect(out.placement).toMatchObject({ fits: false, demand: { tasks: 10 }, capacity: { tasks: 10 } });
    expect(out.warnings[0]).toBe(
      "The configured counts cannot be placed on cluster.maxCapacity 1 c5.large host: every project's minCount plus cash-collection's again during a rolling deploy (200 %) is more than they hold (CPU: 2560 units needed, 2048 there; memory: 5120 MiB needed, 3430 there). Raise cluster.maxCapacity, choose a larger cluster.instanceType, or lower service.minCount, cpu or memory.",
    );
  });
});

describe('berth plan: usage errors', () => {
  it('given a --prices file that is not a price file, when plan runs, then it exits 2 saying what is wrong', async () => {
    const file = path.join(tmp, 'bad-prices.json');
    writeFileSync(file, JSON.stringify({ date: '2030-01-01' }));
    const r = await plan(['--prices', file]);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`The price file ${file} is not valid (`);
    expect(r.stderr).toContain('leave out --prices to use the bundled prices');
  });

  it.each([
    ['--releases', '-1'],
    ['--lcu', 'lots'],
    ['--nat-gb', ''],
    ['--test-minutes', 'x'],
  ])('given %s %j, when plan runs, then it exits 2 naming the flag', async (flag, value) => {
    const r = await plan([`${flag}=${value}`]);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Error: ${flag} takes a number, 0 or more`);
  });

  it('given an argument, when plan runs, then it exits 2: plan covers every project', async () => {
    const r = await plan(['cash-collection']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('berth plan takes no arguments (got cash-collection)');
  });

  it('given AWS_REGION of another region, when plan runs, then it does not care: plan reads nothing from AWS', async () => {
    const c = capture({ env: { AWS_REGION: 'eu-west-1' } });
    const code = await runCli(['plan', '--releases', 'x', '--config', SEED_FILE], c.io);

    expect(code).toBe(2);
    expect(c.stderr()).toContain('--releases takes a number');
  });

  it('given `help plan`, when the CLI runs, then every assumption flag is listed with its default', async () => {
    const c = capture();
    const code = await runCli(['help', 'plan'], c.io);

    expect(code).toBe(0);
    for (const f of [
      '--nat-gb',
      '--requests',
      '--releases',
      '--build-minutes',
      '--test-minutes',
      '--log-gb',
      '--image-gb',
      '--artifact-gb',
      '--lcu',
      '--prices',
    ]) {
      expect(c.stdout()).toContain(f);
    }
    expect(c.stdout()).toContain('[40]');
    expect(c.stdout()).toContain('Rollbacks and redeploys are not counted.');
  });
});

describe('parseAssumptions', () => {
  it('given no flags, when parsed, then the defaults are used', () => {
    expect(parseAssumptions({})).toEqual(DEFAULT_ASSUMPTIONS);
  });

  it('given decimal and zero values, when parsed, then they are numbers', () => {
    expect(parseAssumptions({ 'build-minutes': '7.5', 'image-gb': '0' })).toMatchObject({
      buildMinutes: 7.5,
      imageGb: 0,
    });
  });
});
