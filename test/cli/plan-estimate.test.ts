import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ASSUMPTIONS,
  estimateMonthlyCost,
  type CostInputs,
  type CostLine,
} from '../../src/cli/plan/estimate';
import { defaultPrices, type PriceFile } from '../../src/cli/plan/prices';

/**
 * The arithmetic of `berth plan`, without CDK: inputs are written out, prices come from the bundled price
 * file, and every expected figure below is computed by hand from those two.
 */

const PRICES = defaultPrices();
const P = PRICES.regions['us-east-1'];

const fn = (
  name: string,
  scope: 'platform' | 'project',
  invocationsPerRelease: number,
  secondsPerInvocation: number,
) => ({
  name,
  scope,
  count: scope === 'platform' ? 1 : 2,
  memoryMiB: 256,
  architecture: 'arm64',
  invocationsPerRelease,
  secondsPerInvocation,
});

/** What `berth plan` counts for the default config (berth.yaml, two projects): see plan.test.ts for the counting. */
const SEED: CostInputs = {
  region: 'us-east-1',
  natGateways: 2,
  publicIpv4Addresses: 2,
  loadBalancers: 1,
  instanceType: 'c5.large',
  instances: 2,
  maxInstances: 4,
  rootVolumeGiB: 30,
  pipelines: 2,
  secrets: 6,
  kmsKeys: 2,
  alarms: 29,
  dashboards: 1,
  logRetentionDays: 30,
  codeBuild: [
    { stage: 'checkout', environmentType: 'LINUX_CONTAINER', computeType: 'BUILD_GENERAL1_SMALL', count: 2 },
    { stage: 'test', environmentType: 'LINUX_CONTAINER', computeType: 'BUILD_GENERAL1_SMALL', count: 2 },
    {
      stage: 'build-amd64',
      environmentType: 'LINUX_CONTAINER',
      computeType: 'BUILD_GENERAL1_MEDIUM',
      count: 2,
    },
    { stage: 'build-arm64', environmentType: 'ARM_CONTAINER', computeType: 'BUILD_GENERAL1_LARGE', count: 2 },
  ],
  pipelineActions: [
    { stage: 'Source', count: 2 },
    { stage: 'Checkout', count: 2 },
    { stage: 'Test', count: 2 },
    { stage: 'Build', count: 4 },
    { stage: 'Scan', count: 2 },
    { stage: 'Push', count: 2 },
    { stage: 'Deploy', count: 2 },
    { stage: 'Verify', count: 2 },
  ],
  functions: [
    fn('berth-webhook', 'platform', 1, 1),
    fn('berth-pipeline-events', 'platform', 2, 1),
    fn('berth-<project>-scan', 'project', 1, 120),
    fn('berth-<project>-push', 'project', 1, 30),
    fn('berth-<project>-deploy', 'project', 1, 300),
    fn('berth-<project>-verify', 'project', 1, 60),
  ],
  secretCallsPerRelease: 10,
  assumptions: DEFAULT_ASSUMPTIONS,
};

const byId = (lines: readonly CostLine[]) =>
  Object.fromEntries(lines.map((l) => [l.id, l.monthlyUsd ?? NaN]));

describe('the price file', () => {
  it('given the bundled prices.json, when it is read, then it is dated, sourced and holds the prices used below', () => {
    expect(PRICES.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICES.source).toContain('AWS');
    expect(PRICES.currency).toBe('USD');
    expect(PRICES.hoursPerMonth).toBe(730);
    expect(Object.keys(PRICES.regions)).toEqual(['us-east-1']);
    // The unit prices the hand arithmetic below uses, as the file holds them.
    expect(P.natGateway).toEqual({ perHour: 0.045, perGbProcessed: 0.045 });
    expect(P.publicIpv4.perHour).toBe(0.005);
    expect(P.applicationLoadBalancer).toEqual({ perHour: 0.0225, perLcuHour: 0.008 });
    expect(P.ec2.perHour['c5.large']).toBe(0.085); // the default host type
    expect(P.ec2.perHour['m5.large']).toBe(0.096);
    expect(P.ebs.gp3PerGbMonth).toBe(0.08);
    expect(P.httpApi.perMillionRequests).toBe(1.0);
    expect(P.lambda.perMillionRequests).toBe(0.2);
    expect(P.lambda.perGbSecond.arm64).toBe(0.0000133334);
    expect(P.secretsManager).toEqual({ perSecretMonth: 0.4, per10kApiCalls: 0.05 });
    expect(P.kms.perKeyMonth).toBe(1.0);
    expect(P.cloudWatch).toEqual({
      perAlarmMonth: 0.1,
      perDashboardMonth: 3.0,
      logsPerGbIngested: 0.5,
      logsPerGbMonthStored: 0.03,
    });
    expect(P.codePipeline.v2PerActionMinute).toBe(0.002);
    expect(P.codeBuild.perMinute).toMatchObject({ BUILD_GENERAL1_SMALL: 0.005, BUILD_GENERAL1_MEDIUM: 0.01 });
    expect(P.codeBuild.armPerMinute).toEqual({ BUILD_GENERAL1_LARGE: 0.015 }); // the arm64 image build
    expect(P.ecr.perGbMonth).toBe(0.1);
    expect(P.s3.standardPerGbMonth).toBe(0.023);
    for (const t of [
      't3.medium',
      't4g.medium',
      'm5.large',
      'm6i.large',
      'm7g.large',
      'c5.large',
      'c6i.large',
    ]) {
      expect(P.ec2.perHour[t]).toBeGreaterThan(0);
    }
  });
});

describe('estimateMonthlyCost: the default config', () => {
  it('given the default config and assumptions, when estimated, then every line and the total equal the hand-computed figures', () => {
    const e = estimateMonthlyCost(SEED, PRICES);

    // Releases per month: 2 projects × 40 = 80. Per release and project: Checkout 1 min, Test 5, two image
    // builds of 8 min (amd64 medium, arm64 arm1.large), Scan 120 s, Push 30 s, Deploy 300 s, Verify 60 s.
    const hand = {
      'nat-gateway-hours': 2 * 730 * 0.045, //                                = 65.70
      'nat-gateway-data': 50 * 0.045, //                                      =  2.25
      'public-ipv4': 2 * 730 * 0.005, //                                      =  7.30
      'alb-hours': 1 * 730 * 0.0225, //                                       = 16.425
      'alb-lcu': 1 * 730 * 0.008, //                                          =  5.84
      ec2: 2 * 730 * 0.085, //                                                = 124.10
      ebs: 2 * 30 * 0.08, //                                                  =  4.80
      'http-api': 10 * 1.0, //                                                = 10.00
      'lambda-requests': ((80 * (1 + 2) + 80 * 4) / 1e6) * 0.2, //            =  0.000112
      'lambda-compute-arm64': 80 * (3 * 1 + 120 + 30 + 300 + 60) * 0.25 * 0.0000133334, // 10,260 GB-s = 0.136800684
      secrets: 6 * 0.4, //                                                    =  2.40
      'secrets-api': ((80 * 10) / 10_000) * 0.05, //                          =  0.004
      kms: 2 * 1.0, //                                                        =  2.00
      alarms: 29 * 0.1, //                                                    =  2.90
      dashboards: 1 * 3.0, //                                                 =  3.00
      'logs-ingested': 10 * 0.5, //                                           =  5.00
      'logs-stored': 10 * (30 / 30) * 0.03, //                                =  0.30
      codepipeline: 80 * (1 + 1 + 5 + 2 * 8 + 2 + 1 + 5 + 1) * 0.002, //     = 2,560 min = 5.12
      'codebuild-general1-small': 40 * (2 * 1 + 2 * 5) * 0.005, //            =  480 min = 2.40
      'codebuild-general1-medium': 40 * 2 * 8 * 0.01, //                      =  640 min = 6.40
      'codebuild-arm1-large': 40 * 2 * 8 * 0.015, //                          =  640 min = 9.60
      ecr: 2 * 2 * 0.1, //                                                    =  0.40
      s3: 2 * 1 * 0.023, //                                                   =  0.046
    };

    expect(e.lines.map((l) => l.id)).toEqual(Object.keys(hand));
    const got = byId(e.lines);
    for (const [id, usd] of Object.entries(hand)) expect(got[id], id).toBeCloseTo(usd, 9);
    expect(e.totalUsd).toBeCloseTo(276.121912684, 6);
    expect(e).toMatchObject({
      region: 'us-east-1',
      currency: 'USD',
      pricesDate: PRICES.date,
      pricesFile: 'prices.json',
      hoursPerMonth: 730,
      complete: true,
      unpricedLines: [],
    });
    expect(e.lines.find((l) => l.id === 'codebuild-arm1-large')).toMatchObject({
      item: 'CodeBuild arm1.large (Arm)',
      quantity: 640,
      assumption: '--releases 40 × (2 build-arm64 × 8 min (--build-minutes))',
    });
    expect(e.lines.find((l) => l.id === 'codepipeline')?.assumption).toContain(
      '2 Source × 1 min + 2 Checkout × 1 min + 2 Test × 5 min + 4 Build × 8 min + 2 Scan × 2 min + 2 Push × 1 min + 2 Deploy × 5 min + 2 Verify × 1 min',
    );
  });

  it('given any inputs, when estimated, then each line is quantity × unit price, the total their sum, and each says how it was counted', () => {
    const e = estimateMonthlyCost(SEED, PRICES);

    for (const l of e.lines) {
      expect(l.monthlyUsd).toBeCloseTo(l.quantity * (l.unitPrice ?? NaN), 12);
      expect(l.assumption.length).toBeGreaterThan(10);
      expect(l.unpriced).toBeUndefined();
    }
    expect(e.totalUsd).toBeCloseTo(
      e.lines.reduce((s, l) => s + (l.monthlyUsd ?? 0), 0),
      12,
    );
    expect(e.lines.find((l) => l.id === 'ec2')?.assumption).toContain(
      'cluster.minCapacity 2 instances all month',
    );
    expect(e.notIncluded).toContain(
      'rollbacks and redeploys (no CodeBuild; a few action minutes and Lambda seconds each), one-off tasks (berth run)',
    );
  });
});

describe('estimateMonthlyCost: what moves the estimate', () => {
  it('given c5.large becomes m5.large, when estimated, then only the EC2 line moves, by 2 × 730 × (0.096 − 0.085)', () => {
    const before = estimateMonthlyCost(SEED, PRICES);
    const after = estimateMonthlyCost({ ...SEED, instanceType: 'm5.large' }, PRICES);

    const b = byId(before.lines);
    for (const [id, usd] of Object.entries(byId(after.lines))) {
      expect(usd - b[id], id).toBeCloseTo(id === 'ec2' ? 2 * 730 * (0.096 - 0.085) : 0, 9);
    }
    expect(after.lines.find((l) => l.id === 'ec2')?.item).toBe('EC2 m5.large instances');
  });

  it('given a third project, when estimated, then only the per-project lines move, each by its hand-computed amount', () => {
    const three = <T extends { count: number }>(xs: readonly T[]): T[] =>
      xs.map((x) => ({ ...x, count: (x.count * 3) / 2 }));
    const before = estimateMonthlyCost(SEED, PRICES);
    const after = estimateMonthlyCost(
      {
        ...SEED,
        pipelines: 3,
        secrets: 9,
        alarms: 36,
        codeBuild: three(SEED.codeBuild),
        pipelineActions: three(SEED.pipelineActions),
        functions: SEED.functions.map((f) => (f.scope === 'project' ? { ...f, count: 3 } : f)),
      },
      PRICES,
    );

    // One more project = 40 more releases per month.
    const moved: Record<string, number> = {
      'lambda-requests': ((40 * 7) / 1e6) * 0.2,
      'lambda-compute-arm64': 40 * 513 * 0.25 * 0.0000133334,
      secrets: 3 * 0.4,
      'secrets-api': ((40 * 10) / 10_000) * 0.05,
      alarms: 7 * 0.1,
      codepipeline: 40 * 32 * 0.002,
      'codebuild-general1-small': 40 * 6 * 0.005,
      'codebuild-general1-medium': 40 * 8 * 0.01,
      'codebuild-arm1-large': 40 * 8 * 0.015,
      ecr: 2 * 0.1,
      s3: 1 * 0.023,
    };
    const b = byId(before.lines);
    for (const [id, usd] of Object.entries(byId(after.lines))) {
      expect(usd - b[id], id).toBeCloseTo(moved[id] ?? 0, 9);
    }
  });

  it('given --build-minutes 20 and --test-minutes 0, when estimated, then the build, test and action-minute lines follow', () => {
    const e = estimateMonthlyCost(
      { ...SEED, assumptions: { ...DEFAULT_ASSUMPTIONS, buildMinutes: 20, testMinutes: 0 } },
      PRICES,
    );
    const got = byId(e.lines);

    expect(got['codebuild-general1-medium']).toBeCloseTo(40 * 2 * 20 * 0.01, 9);
    expect(got['codebuild-arm1-large']).toBeCloseTo(40 * 2 * 20 * 0.015, 9);
    expect(got['codebuild-general1-small']).toBeCloseTo(40 * 2 * 1 * 0.005, 9);
    expect(got.codepipeline).toBeCloseTo(80 * (1 + 1 + 0 + 2 * 20 + 2 + 1 + 5 + 1) * 0.002, 9);
  });

  it('given other assumptions, when estimated, then the lines they drive follow them', () => {
    const got = byId(
      estimateMonthlyCost(
        { ...SEED, assumptions: { ...DEFAULT_ASSUMPTIONS, natGb: 0, releases: 0, requests: 300, lcu: 2 } },
        PRICES,
      ).lines,
    );

    expect(got['nat-gateway-data']).toBe(0);
    expect(got.codepipeline).toBe(0);
    expect(got['codebuild-arm1-large']).toBe(0);
    expect(got['http-api']).toBeCloseTo(300, 9);
    expect(got['alb-lcu']).toBeCloseTo(2 * 730 * 0.008, 9);
  });

  it('given a 90-day log retention, when estimated, then stored logs are three months of ingest', () => {
    expect(
      byId(estimateMonthlyCost({ ...SEED, logRetentionDays: 90 }, PRICES).lines)['logs-stored'],
    ).toBeCloseTo(10 * 3 * 0.03, 9);
  });
});

describe('estimateMonthlyCost: prices the file does not hold', () => {
  it('given a region the file has no prices for, when estimated, then every line keeps its quantity, names the missing price, and the total is of the priced lines only', () => {
    const e = estimateMonthlyCost({ ...SEED, region: 'eu-west-1' }, PRICES);
    const seed = estimateMonthlyCost(SEED, PRICES);

    expect(e.complete).toBe(false);
    expect(e.totalUsd).toBe(0);
    expect(e.unpricedLines).toHaveLength(e.lines.length);
    for (const [i, l] of e.lines.entries()) {
      expect(l).toMatchObject({
        unitPrice: null,
        monthlyUsd: null,
        unpriced: 'no price for eu-west-1 in prices.json',
      });
      expect(l.quantity).toBe(seed.lines[i].quantity);
    }
  });

  it('given an instance type the file lacks, when estimated, then only the EC2 line is unpriced and the total leaves it out', () => {
    const e = estimateMonthlyCost({ ...SEED, instanceType: 'x9.huge' }, PRICES, 'my-prices.json');

    expect(e.lines.find((l) => l.id === 'ec2')).toMatchObject({
      unitPrice: null,
      monthlyUsd: null,
      unpriced: 'no price for x9.huge in us-east-1 in my-prices.json',
    });
    expect(e.unpricedLines).toEqual([
      { id: 'ec2', reason: 'no price for x9.huge in us-east-1 in my-prices.json' },
    ]);
    expect(e.totalUsd).toBeCloseTo(276.121912684 - 124.1, 6);
  });

  it('given a price file without Arm CodeBuild prices, when estimated, then the arm1.large line is unpriced', () => {
    const noArm: PriceFile = {
      ...PRICES,
      regions: { 'us-east-1': { ...P, codeBuild: { perMinute: P.codeBuild.perMinute } } },
    };

    expect(estimateMonthlyCost(SEED, noArm).unpricedLines).toEqual([
      {
        id: 'codebuild-arm1-large',
        reason: 'no price for CodeBuild ARM_CONTAINER BUILD_GENERAL1_LARGE in us-east-1 in prices.json',
      },
    ]);
  });

  it('given a price file with another region, when estimated there, then its prices are used', () => {
    const other: PriceFile = { ...PRICES, regions: { 'eu-west-1': { ...P, kms: { perKeyMonth: 2 } } } };

    expect(byId(estimateMonthlyCost({ ...SEED, region: 'eu-west-1' }, other).lines).kms).toBe(4);
  });
});
