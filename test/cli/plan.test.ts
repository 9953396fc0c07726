import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from '../../src/cli/main';
import { parseAssumptions } from '../../src/cli/commands/plan';
import { DEFAULT_ASSUMPTIONS } from '../../src/cli/plan/estimate';
import { defaultPrices } from '../../src/cli/plan/prices';
import { buildApp, REPO_ROOT, seedConfig } from '../support/app';
import { capture } from './helpers';

/**
 * `berth plan` end to end, in-process: the default config (berth.yaml) synthesized offline, its tables checked
 * against the templates the app makes, its estimate against hand arithmetic, and what moves it.
 */

const SEED_FILE = path.join(REPO_ROOT, 'berth.yaml');
const tmp = mkdtempSync(path.join(tmpdir(), 'berth-plan-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface PlanJson {
  config: string;
  prefix: string;
  region: string;
  stacks: { name: string; resources: number; limit: number }[];
  projects: Record<string, unknown>[];
  estimate: {
    currency: string;
    region: string;
    pricesDate: string;
    pricesSource: string;
    hoursPerMonth: number;
    assumptions: Record<string, number>;
    lines: {
      id: string;
      item: string;
      quantity: number;
      unit: string;
      unitPrice: number;
      per: string;
      monthlyUsd: number;
      assumption: string;
    }[];
    totalUsd: number;
    notIncluded: string[];
  };
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
  cluster: { instanceType: string };
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

const monthly = (p: PlanJson) => Object.fromEntries(p.estimate.lines.map((l) => [l.id, l.monthlyUsd]));
const line = (p: PlanJson, id: string) => p.estimate.lines.find((l) => l.id === id)!;

let seed: PlanJson;
let templates: { name: string; resources: Record<string, { Type: string }> }[];
const countType = (type: string) =>
  templates.reduce((n, t) => n + Object.values(t.resources).filter((r) => r.Type === type).length, 0);

beforeAll(async () => {
  seed = await planJson();
  // The templates as the app's own tests see them: built independently of `berth plan`.
  const app = buildApp(seedConfig());
  templates = [app.network, app.platform, ...app.projects.values()].map((s) => ({
    name: s.stackName,
    resources: Template.fromStack(s).toJSON().Resources as Record<string, { Type: string }>,
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

  it('given the default config, when plan runs, then the projects table has path, priority, 8 stages, size and counts', () => {
    expect(seed.projects).toEqual([
      {
        name: 'cash-collection',
        path: '/api/cash',
        priority: 10,
        stages: 8,
        stageNames: ['Source', 'Checkout', 'Test', 'Build', 'Scan', 'Push', 'Deploy', 'Verify'],
        approval: false,
        cpu: 256,
        memory: 512,
        desiredCount: 2,
        minCount: 2,
        maxCount: 6,
      },
      expect.objectContaining({ name: 'poultry-sale', path: '/api/poultry', priority: 20, stages: 8 }),
    ]);
  });

  it('given the default config, when plan runs without --json, then it prints the three tables, the total, the assumptions and the price source', async () => {
    const r = await plan([]);

    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toContain('Offline: nothing was read from AWS.');
    expect(out).toMatch(/berth-platform\s+\d+\s+500\s+\d+%/);
    expect(out).toMatch(/cash-collection\s+\/api\/cash\/\*\s+10\s+8\s+256 \/ 512 MiB\s+2 \/ 2 \/ 6/);
    expect(out).toMatch(
      /EC2 t3\.medium instances\s+1,460\s+instance-hours\s+\$0\.0416 per instance-hour\s+\$60\.74/,
    );
    expect(out).toMatch(new RegExp(`Total\\s+\\$${seed.estimate.totalUsd.toFixed(2)}`));
    expect(out).toContain(
      'Assumptions (change them with these flags): --nat-gb 50 --requests 10 --releases 40 --build-minutes 15 --log-gb 10 --image-gb 2 --artifact-gb 1 --lcu 1',
    );
    expect(out).toContain(`on-demand list prices of ${defaultPrices().date}`);
    expect(out).toContain(`Prices: ${defaultPrices().source}`);
  });

  it('given an approval in a project, when plan runs, then its stages say so', async () => {
    const file = seedWith('approval', (raw) => {
      raw.projects[0].pipeline = { ...raw.projects[0].pipeline, approval: true };
    });
    const r = await plan([], file);

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('8 (approval before Deploy)');
  });
});

describe('berth plan: the estimate of the default config', () => {
  it('given the default config, when plan counts, then the quantities come from the config and the templates', () => {
    const q = Object.fromEntries(seed.estimate.lines.map((l) => [l.id, l.quantity]));

    expect(countType('AWS::EC2::NatGateway')).toBe(2);
    expect(countType('AWS::EC2::EIP')).toBe(2);
    expect(q['nat-gateway-hours']).toBe(2 * 730);
    expect(q['public-ipv4']).toBe(2 * 730);
    expect(q['alb-hours']).toBe(countType('AWS::ElasticLoadBalancingV2::LoadBalancer') * 730);
    expect(q.ec2).toBe(2 * 730); // cluster.minCapacity
    expect(q.ebs).toBe(2 * 30); // × cluster.rootVolumeGiB
    expect(q.secrets).toBe(countType('AWS::SecretsManager::Secret'));
    expect(q.secrets).toBe(6); // 3 per project
    expect(q.kms).toBe(countType('AWS::KMS::Key'));
    expect(q.alarms).toBe(countType('AWS::CloudWatch::Alarm'));
    expect(q.dashboards).toBe(countType('AWS::CloudWatch::Dashboard'));
    expect(countType('AWS::CodePipeline::Pipeline')).toBe(2);
    expect(q.codepipeline).toBe(2 * 40 * (15 + 1));
    expect(q['codebuild-general1-small'] + q['codebuild-general1-medium']).toBeCloseTo(2 * 40 * 15, 6);
    expect(line(seed, 'ec2').assumption).toContain('the steady state');
    expect(seed.estimate.assumptions).toEqual(DEFAULT_ASSUMPTIONS);
  });

  it('given the default config, when plan estimates, then the total equals the hand-computed figure from the price file', () => {
    // Counted in the templates (the monitoring adds alarms and a dashboard as it grows).
    const alarms = countType('AWS::CloudWatch::Alarm');
    const dashboards = countType('AWS::CloudWatch::Dashboard');
    const kmsKeys = countType('AWS::KMS::Key');
    // 2 projects × --releases 40 = 80 releases per month; 730 hours per month.
    const hand =
      2 * 730 * 0.045 + // NAT gateway hours                             65.70
      50 * 0.045 + // NAT data, --nat-gb 50                               2.25
      2 * 730 * 0.005 + // 2 NAT Elastic IPs                              7.30
      730 * 0.0225 + // ALB hours                                        16.425
      1 * 730 * 0.008 + // --lcu 1                                        5.84
      2 * 730 * 0.0416 + // 2 × t3.medium                                60.736
      2 * 30 * 0.08 + // 2 × 30 GiB gp3                                   4.80
      10 * 1.0 + // --requests 10 (million)                              10.00
      ((80 * 3) / 1e6) * 0.2 + // Lambda: 1 webhook + 2 pipeline-events invocations per release
      80 * 0.75 * 0.0000133334 + // Lambda: 0.75 GB-s per release, arm64
      6 * 0.4 + // 6 secrets                                              2.40
      ((80 * 10) / 10_000) * 0.05 + // Secrets Manager calls              0.004
      kmsKeys * 1.0 + // KMS keys
      alarms * 0.1 + // alarms
      dashboards * 3.0 + // dashboards
      10 * 0.5 + // --log-gb 10 ingested                                  5.00
      10 * 0.03 + // 30 days kept = 10 GB-months                          0.30
      80 * 16 * 0.002 + // 15 build minutes + 1 source minute            2.56
      80 * 15 * (6 / 7) * 0.005 + // CodeBuild small, 6 of 7 stages       5.142857
      80 * 15 * (1 / 7) * 0.01 + // CodeBuild medium, Build stage         1.714286
      2 * 2 * 0.1 + // --image-gb 2 per repository                        0.40
      2 * 1 * 0.023; // --artifact-gb 1 per bucket                        0.046

    expect(seed.estimate.totalUsd).toBeCloseTo(hand, 2);
    expect(seed.estimate.lines.reduce((s, l) => s + l.monthlyUsd, 0)).toBeCloseTo(hand, 4);
    // With the 29 alarms, 1 dashboard and 1 key the monitoring makes today: $197.52.
    if (alarms === 29 && dashboards === 1 && kmsKeys === 1) expect(seed.estimate.totalUsd).toBe(197.52);
  });
});

describe('berth plan: what moves the estimate', () => {
  it('given cluster.instanceType m5.large instead of t3.medium, when plan runs, then only the EC2 line moves, by 2 × 730 × (0.096 − 0.0416)', async () => {
    const after = await planJson(
      [],
      seedWith('m5', (raw) => (raw.cluster.instanceType = 'm5.large')),
    );

    const before = monthly(seed);
    for (const [id, usd] of Object.entries(monthly(after))) {
      expect(usd - before[id], id).toBeCloseTo(id === 'ec2' ? 79.424 : 0, 6);
    }
    expect(after.estimate.totalUsd - seed.estimate.totalUsd).toBeCloseTo(79.42, 2);
  });

  it('given a third project, when plan runs, then a stack is added and only the per-project lines move, each by one project’s share', async () => {
    const file = seedWith('three', (raw) => {
      raw.projects.push({
        name: 'egg-grading',
        path: '/api/eggs',
        priority: 30,
        repository: { project: 'Sales', name: 'egg-grading' },
      });
    });
    const after = await planJson([], file);

    expect(after.stacks.map((s) => s.name)).toContain('berth-egg-grading');
    expect(after.stacks.find((s) => s.name === 'berth-egg-grading')?.resources).toBe(
      seed.stacks.find((s) => s.name === 'berth-cash-collection')?.resources,
    );
    // The project's own alarms are named <prefix>-<project>-...: one more project adds as many as one has.
    const alarmsPerProject = line(after, 'alarms').quantity - line(seed, 'alarms').quantity;
    expect(alarmsPerProject).toBe(
      templates
        .flatMap((t) => Object.values(t.resources))
        .filter(
          (r) =>
            r.Type === 'AWS::CloudWatch::Alarm' &&
            String((r as { Properties?: { AlarmName?: unknown } }).Properties?.AlarmName).startsWith(
              'berth-cash-collection-',
            ),
        ).length,
    );
    // One more project = 40 more releases per month.
    const moved: Record<string, number> = {
      'lambda-requests': ((40 * 3) / 1e6) * 0.2,
      'lambda-compute-arm64': 40 * 0.75 * 0.0000133334,
      secrets: 3 * 0.4, // PAT, webhook and app secret
      'secrets-api': ((40 * 10) / 10_000) * 0.05,
      alarms: alarmsPerProject * 0.1,
      codepipeline: 40 * 16 * 0.002, // 1.28
      'codebuild-general1-small': 40 * 15 * (6 / 7) * 0.005, // 2.571429
      'codebuild-general1-medium': 40 * 15 * (1 / 7) * 0.01, // 0.857143
      ecr: 2 * 0.1,
      s3: 1 * 0.023,
    };
    const before = monthly(seed);
    for (const [id, usd] of Object.entries(monthly(after))) {
      expect(usd - before[id], id).toBeCloseTo(moved[id] ?? 0, 6);
    }
  });

  it('given assumption flags, when plan runs, then they are used, echoed, and drive their lines', async () => {
    const after = await planJson(['--releases', '100', '--nat-gb', '0', '--requests', '2.5', '--lcu=3']);

    expect(after.estimate.assumptions).toEqual({
      ...DEFAULT_ASSUMPTIONS,
      releases: 100,
      natGb: 0,
      requests: 2.5,
      lcu: 3,
    });
    expect(line(after, 'nat-gateway-data').monthlyUsd).toBe(0);
    expect(line(after, 'http-api').monthlyUsd).toBeCloseTo(2.5, 9);
    expect(line(after, 'alb-lcu').monthlyUsd).toBeCloseTo(3 * 730 * 0.008, 9);
    expect(line(after, 'codepipeline').monthlyUsd).toBeCloseTo(2 * 100 * 16 * 0.002, 9);
    expect(line(after, 'codepipeline').assumption).toContain('--releases 100');
  });
});

describe('berth plan: --json', () => {
  it('given --json, when plan runs, then stdout is one document with stacks, projects and the estimate', () => {
    expect(Object.keys(seed).sort()).toEqual([
      'config',
      'estimate',
      'prefix',
      'projects',
      'region',
      'stacks',
    ]);
    expect(seed).toMatchObject({ config: SEED_FILE, prefix: 'berth', region: 'us-east-1' });
    expect(Object.keys(seed.estimate).sort()).toEqual(
      [
        'assumptions',
        'currency',
        'hoursPerMonth',
        'lines',
        'notIncluded',
        'pricesDate',
        'pricesSource',
        'region',
        'totalUsd',
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
      'ecr',
      's3',
    ]);
    expect(Number.isInteger(Math.round(seed.estimate.totalUsd * 100))).toBe(true);
  });
});

describe('berth plan: errors', () => {
  it('given an instance type the price file lacks, when plan runs, then it exits 2 naming it and the known types, before synthesizing', async () => {
    const file = seedWith('x9', (raw) => (raw.cluster.instanceType = 'x9.huge'));
    const r = await plan([], file);

    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'Error: The price file has no EC2 instance-type price for x9.huge in us-east-1; it knows: t3.small, t3.medium, t3.large',
    );
    expect(r.stderr).toContain(
      `Choose one of those in ${file} (region, cluster.instanceType), or give a price file that has it with --prices <file>.`,
    );
  });

  it('given a region the price file lacks, when plan runs with --json, then the error is JSON with code "config" listing the known regions', async () => {
    const r = await plan(
      ['--json'],
      seedWith('eu', (raw) => (raw.region = 'eu-west-1')),
    );

    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'config',
        message: expect.stringContaining(
          'The price file has no prices for the region eu-west-1; it knows: us-east-1.',
        ) as string,
      },
    });
  });

  it('given --prices with a file that has the region, when plan runs, then that file is used', async () => {
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
    const r = await plan(
      ['--prices', file, '--json'],
      seedWith('eu2', (raw) => (raw.region = 'eu-west-1')),
    );

    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as PlanJson;
    expect(out.estimate).toMatchObject({ region: 'eu-west-1', pricesDate: '2030-01-01' });
  });

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

  it('given `help plan`, when the CLI runs, then every assumption flag is listed with its default', async () => {
    const c = capture();
    const code = await runCli(['help', 'plan'], c.io);

    expect(code).toBe(0);
    for (const f of [
      '--nat-gb',
      '--requests',
      '--releases',
      '--build-minutes',
      '--log-gb',
      '--image-gb',
      '--artifact-gb',
      '--lcu',
      '--prices',
    ]) {
      expect(c.stdout()).toContain(f);
    }
    expect(c.stdout()).toContain('[40]');
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
