import { describe, expect, it } from 'vitest';
import { DEFAULT_ASSUMPTIONS, estimateMonthlyCost, type CostInputs } from '../../src/cli/plan/estimate';
import { PriceError, defaultPrices, type PriceFile } from '../../src/cli/plan/prices';

/**
 * The arithmetic of `berth plan`, without CDK: inputs are written out, prices come from the bundled price
 * file, and every expected figure below is computed by hand from those two.
 */

const PRICES = defaultPrices();
const P = PRICES.regions['us-east-1'];

/** What `berth plan` counts for the default config (berth.yaml): see plan.test.ts for the counting itself. */
const SEED: CostInputs = {
  region: 'us-east-1',
  natGateways: 2,
  publicIpv4Addresses: 2,
  loadBalancers: 1,
  instanceType: 't3.medium',
  instances: 2,
  maxInstances: 4,
  rootVolumeGiB: 30,
  pipelines: 2,
  secrets: 6,
  kmsKeys: 1,
  alarms: 29,
  dashboards: 1,
  logRetentionDays: 30,
  codeBuildActionsPerPipeline: { BUILD_GENERAL1_SMALL: 6, BUILD_GENERAL1_MEDIUM: 1 },
  otherActionsPerRelease: 1,
  functions: [
    {
      name: 'berth-webhook',
      memoryMiB: 256,
      architecture: 'arm64',
      invocationsPerRelease: 1,
      secondsPerInvocation: 1,
    },
    {
      name: 'berth-pipeline-events',
      memoryMiB: 256,
      architecture: 'arm64',
      invocationsPerRelease: 2,
      secondsPerInvocation: 1,
    },
  ],
  secretCallsPerRelease: 10,
  assumptions: DEFAULT_ASSUMPTIONS,
};

const byId = (lines: readonly { id: string; monthlyUsd: number }[]) =>
  Object.fromEntries(lines.map((l) => [l.id, l.monthlyUsd]));

describe('the price file', () => {
  it('given the bundled prices.json, when it is read, then it is dated, sourced and holds the prices used below', () => {
    expect(PRICES.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICES.source).toContain('AWS');
    expect(PRICES.currency).toBe('USD');
    expect(PRICES.hoursPerMonth).toBe(730);
    // The unit prices the hand arithmetic below uses, as the file holds them.
    expect(P.natGateway).toEqual({ perHour: 0.045, perGbProcessed: 0.045 });
    expect(P.publicIpv4.perHour).toBe(0.005);
    expect(P.applicationLoadBalancer).toEqual({ perHour: 0.0225, perLcuHour: 0.008 });
    expect(P.ec2.perHour['t3.medium']).toBe(0.0416);
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
    expect(P.ecr.perGbMonth).toBe(0.1);
    expect(P.s3.standardPerGbMonth).toBe(0.023);
    for (const t of [
      't3.small',
      't3.medium',
      't3.large',
      't4g.medium',
      'm5.large',
      'm6i.large',
      'm7g.large',
    ]) {
      expect(P.ec2.perHour[t]).toBeGreaterThan(0);
    }
  });
});

describe('estimateMonthlyCost: the default config', () => {
  it('given the default config and assumptions, when estimated, then every line and the total equal the hand-computed figures', () => {
    const e = estimateMonthlyCost(SEED, PRICES);

    // Releases per month: 2 projects × 40 = 80.
    const hand = {
      'nat-gateway-hours': 2 * 730 * 0.045, //               = 65.70
      'nat-gateway-data': 50 * 0.045, //                     =  2.25
      'public-ipv4': 2 * 730 * 0.005, //                     =  7.30
      'alb-hours': 1 * 730 * 0.0225, //                      = 16.425
      'alb-lcu': 1 * 730 * 0.008, //                         =  5.84
      ec2: 2 * 730 * 0.0416, //                              = 60.736
      ebs: 2 * 30 * 0.08, //                                 =  4.80
      'http-api': 10 * 1.0, //                               = 10.00
      'lambda-requests': ((80 * (1 + 2)) / 1e6) * 0.2, //    =  0.000048
      'lambda-compute-arm64': 80 * (1 * 1 * 0.25 + 2 * 1 * 0.25) * 0.0000133334, // 60 GB-s = 0.000800004
      secrets: 6 * 0.4, //                                   =  2.40
      'secrets-api': ((80 * 10) / 10_000) * 0.05, //         =  0.004
      kms: 1 * 1.0, //                                       =  1.00
      alarms: 29 * 0.1, //                                   =  2.90
      dashboards: 1 * 3.0, //                                =  3.00
      'logs-ingested': 10 * 0.5, //                          =  5.00
      'logs-stored': 10 * (30 / 30) * 0.03, //               =  0.30
      codepipeline: 80 * (15 + 1) * 0.002, //                =  2.56
      'codebuild-general1-small': 80 * 15 * (6 / 7) * 0.005, // 1028.571 min = 5.142857
      'codebuild-general1-medium': 80 * 15 * (1 / 7) * 0.01, //  171.429 min = 1.714286
      ecr: 2 * 2 * 0.1, //                                   =  0.40
      s3: 2 * 1 * 0.023, //                                  =  0.046
    };
    const handTotal =
      65.7 + // NAT gateway hours
      2.25 + // NAT data processed
      7.3 + // public IPv4
      16.425 + // ALB hours
      5.84 + // ALB LCUs
      60.736 + // EC2 t3.medium
      4.8 + // EBS gp3
      10.0 + // HTTP API
      0.000048 + // Lambda requests
      0.000800004 + // Lambda compute
      2.4 + // secrets
      0.004 + // Secrets Manager API calls
      1.0 + // KMS
      2.9 + // alarms
      3.0 + // dashboard
      5.0 + // logs ingested
      0.3 + // logs stored
      2.56 + // CodePipeline
      (80 * 15 * 6 * 0.005) / 7 + // CodeBuild small
      (80 * 15 * 1 * 0.01) / 7 + // CodeBuild medium
      0.4 + // ECR
      0.046; // S3
    // = 197.518990861...

    expect(e.lines.map((l) => l.id)).toEqual(Object.keys(hand));
    const got = byId(e.lines);
    for (const [id, usd] of Object.entries(hand)) expect(got[id], id).toBeCloseTo(usd, 9);
    expect(e.totalUsd).toBeCloseTo(handTotal, 9);
    expect(e.totalUsd).toBeCloseTo(197.518990861, 6);
    expect(e).toMatchObject({
      region: 'us-east-1',
      currency: 'USD',
      pricesDate: PRICES.date,
      hoursPerMonth: 730,
    });
  });

  it('given any inputs, when estimated, then each line is quantity × unit price, the total their sum, and each says how it was counted', () => {
    const e = estimateMonthlyCost(SEED, PRICES);

    for (const l of e.lines) {
      expect(l.monthlyUsd).toBeCloseTo(l.quantity * l.unitPrice, 12);
      expect(l.assumption.length).toBeGreaterThan(10);
    }
    expect(e.totalUsd).toBeCloseTo(
      e.lines.reduce((s, l) => s + l.monthlyUsd, 0),
      12,
    );
    expect(byId(e.lines).ec2).toBeCloseTo(2 * 730 * 0.0416, 9);
    expect(e.lines.find((l) => l.id === 'ec2')?.assumption).toContain(
      'cluster.minCapacity 2 instances all month',
    );
    expect(e.lines.find((l) => l.id === 'nat-gateway-data')?.assumption).toContain('--nat-gb 50');
    expect(e.notIncluded.length).toBeGreaterThan(0);
  });
});

describe('estimateMonthlyCost: what moves the estimate', () => {
  it('given t3.medium becomes m5.large, when estimated, then only the EC2 line moves, by 2 × 730 × (0.096 − 0.0416)', () => {
    const before = estimateMonthlyCost(SEED, PRICES);
    const after = estimateMonthlyCost({ ...SEED, instanceType: 'm5.large' }, PRICES);

    const delta = 2 * 730 * (0.096 - 0.0416); // = 79.424
    expect(after.totalUsd - before.totalUsd).toBeCloseTo(delta, 9);
    const b = byId(before.lines);
    for (const [id, usd] of Object.entries(byId(after.lines))) {
      if (id === 'ec2') expect(usd - b[id]).toBeCloseTo(79.424, 9);
      else expect(usd, id).toBe(b[id]);
    }
    expect(after.lines.find((l) => l.id === 'ec2')?.item).toBe('EC2 m5.large instances');
  });

  it('given a third project (3 more secrets, a pipeline, 7 more alarms), when estimated, then only the per-project lines move, each by its hand-computed amount', () => {
    const before = estimateMonthlyCost(SEED, PRICES);
    const after = estimateMonthlyCost({ ...SEED, pipelines: 3, secrets: 9, alarms: 36 }, PRICES);

    // One more project = 40 more releases per month.
    const moved: Record<string, number> = {
      'lambda-requests': ((40 * 3) / 1e6) * 0.2, //               0.000024
      'lambda-compute-arm64': 40 * 0.75 * 0.0000133334, //        0.000400002
      secrets: 3 * 0.4, //                                        1.20
      'secrets-api': ((40 * 10) / 10_000) * 0.05, //              0.002
      alarms: 7 * 0.1, //                                         0.70
      codepipeline: 40 * (15 + 1) * 0.002, //                     1.28
      'codebuild-general1-small': 40 * 15 * (6 / 7) * 0.005, //   2.571429
      'codebuild-general1-medium': 40 * 15 * (1 / 7) * 0.01, //   0.857143
      ecr: 2 * 0.1, //                                            0.20
      s3: 1 * 0.023, //                                           0.023
    };
    const b = byId(before.lines);
    for (const [id, usd] of Object.entries(byId(after.lines))) {
      expect(usd - b[id], id).toBeCloseTo(moved[id] ?? 0, 9);
    }
    const sumMoved = Object.values(moved).reduce((s, x) => s + x, 0); // = 7.004...
    expect(after.totalUsd - before.totalUsd).toBeCloseTo(sumMoved, 9);
  });

  it('given other assumptions, when estimated, then the lines they drive follow them', () => {
    const e = estimateMonthlyCost(
      { ...SEED, assumptions: { ...DEFAULT_ASSUMPTIONS, natGb: 0, releases: 0, requests: 300, lcu: 2 } },
      PRICES,
    );
    const got = byId(e.lines);

    expect(got['nat-gateway-data']).toBe(0);
    expect(got.codepipeline).toBe(0);
    expect(got['codebuild-general1-small']).toBe(0);
    expect(got['http-api']).toBeCloseTo(300, 9);
    expect(got['alb-lcu']).toBeCloseTo(2 * 730 * 0.008, 9);
  });

  it('given a 90-day log retention, when estimated, then stored logs are three months of ingest', () => {
    const got = byId(estimateMonthlyCost({ ...SEED, logRetentionDays: 90 }, PRICES).lines);

    expect(got['logs-stored']).toBeCloseTo(10 * 3 * 0.03, 9);
  });
});

describe('estimateMonthlyCost: prices the file does not hold', () => {
  it('given an instance type absent from the file, when estimated, then a PriceError names it and lists the known types', () => {
    const run = () => estimateMonthlyCost({ ...SEED, instanceType: 'x9.huge' }, PRICES);

    expect(run).toThrow(PriceError);
    expect(run).toThrow(
      /no EC2 instance-type price for x9\.huge in us-east-1; it knows: t3\.small, t3\.medium, .*m5\.large/,
    );
  });

  it('given a region absent from the file, when estimated, then a PriceError lists the regions it has', () => {
    expect(() => estimateMonthlyCost({ ...SEED, region: 'eu-west-1' }, PRICES)).toThrow(
      'The price file has no prices for the region eu-west-1; it knows: us-east-1.',
    );
  });

  it('given a price file with another region, when estimated there, then its prices are used', () => {
    const other: PriceFile = { ...PRICES, regions: { 'eu-west-1': { ...P, kms: { perKeyMonth: 2 } } } };

    expect(byId(estimateMonthlyCost({ ...SEED, region: 'eu-west-1' }, other).lines).kms).toBe(2);
  });
});
