import { beforeAll, describe, expect, it } from 'vitest';
import type { BerthApp } from '../../src/app';
import type { ParsedConfig } from '../../src/config/schema';
import { platformGeneration, PLATFORM_GENERATION_KEYS } from '../../src/monitoring/generation';
import { buildApp, configWith, seedConfig, template } from '../support/app';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Alarms that read another stack's resource through Fn::GetStackOutput (project alarms: the ALB's full name; the
 * platform's NAT alarms: the network stack's NAT gateway ids) must change their template when that resource is
 * replaced, or `cdk deploy` skips them and CloudFormation never resolves the new name.
 */

const network = (change: (n: Record<string, unknown>) => void) =>
  configWith((raw) => change(raw.network as Record<string, unknown>));

describe('platformGeneration', () => {
  const seed = seedConfig();

  it('is 8 hex characters and the same for the same config', () => {
    expect(platformGeneration(seed)).toMatch(/^[0-9a-f]{8}$/);
    expect(platformGeneration(seedConfig())).toBe(platformGeneration(seed));
  });

  it.each([
    [
      'network.cidr',
      (n: Record<string, unknown>) => {
        n.cidr = '10.1.0.0/16';
        n.publicSubnets = ['10.1.1.0/24', '10.1.2.0/24'];
        n.privateSubnets = ['10.1.10.0/24', '10.1.11.0/24'];
      },
    ],
    [
      'network.availabilityZoneIds',
      (n: Record<string, unknown>) => (n.availabilityZoneIds = ['use1-az2', 'use1-az4']),
    ],
    [
      'network.publicSubnets',
      (n: Record<string, unknown>) => (n.publicSubnets = ['10.0.3.0/24', '10.0.4.0/24']),
    ],
    [
      'network.privateSubnets',
      (n: Record<string, unknown>) => (n.privateSubnets = ['10.0.20.0/24', '10.0.21.0/24']),
    ],
  ])('changes with %s', (key, change) => {
    expect(PLATFORM_GENERATION_KEYS).toContain(key);
    expect(platformGeneration(network(change))).not.toBe(platformGeneration(seed));
  });

  it('does not change with keys that replace neither the ALB nor a NAT gateway', () => {
    const others: ((raw: Props) => void)[] = [
      (raw) => (raw.cluster.maxCapacity = 5),
      (raw) => (raw.alerts = { emails: ['ops@example.com'] }),
      (raw) => (raw.api.throttle = { rateLimit: 100, burstLimit: 200 }),
      (raw) => (raw.logRetentionDays = 90),
      (raw) => raw.projects.pop(),
    ];
    for (const change of others)
      expect(platformGeneration(configWith(change))).toBe(platformGeneration(seed));
  });
});

/** Each alarm's whole resource, by alarm name, per stack; and the dashboard. */
function snapshot(app: BerthApp) {
  const alarms = new Map<string, Props>();
  for (const stack of [app.platform, ...app.projects.values()]) {
    for (const r of Object.values(template(stack).findResources('AWS::CloudWatch::Alarm'))) {
      alarms.set(r.Properties.AlarmName, r);
    }
  }
  const dashboard = Object.values(template(app.platform).findResources('AWS::CloudWatch::Dashboard'))[0];
  return { alarms, dashboard };
}

/** Alarms whose dimensions are another stack's output: the ALB's full name or a NAT gateway id. */
function dependent(alarms: Map<string, Props>): string[] {
  return [...alarms]
    .filter(([, r]) =>
      /"Name":"(LoadBalancer|NatGatewayId)"/.test(JSON.stringify(r.Properties.Dimensions ?? [])),
    )
    .map(([name]) => name)
    .filter((name) => !/-alb-/.test(name)); // The platform's own ALB alarms reference the ALB in their own stack.
}

describe('alarms that read another stack follow a replacement in the same deploy', () => {
  let base: ReturnType<typeof snapshot>;
  let moved: ReturnType<typeof snapshot>;
  let unrelated: ReturnType<typeof snapshot>;
  let config: ParsedConfig;
  beforeAll(() => {
    config = seedConfig();
    base = snapshot(buildApp(config));
    moved = snapshot(buildApp(network((n) => (n.publicSubnets = ['10.0.3.0/24', '10.0.4.0/24']))));
    unrelated = snapshot(
      buildApp(configWith((raw) => ((raw.cluster as Record<string, unknown>).maxCapacity = 5))),
    );
  });

  it('finds them: the target-group alarms of every routed project and both alarms of each NAT gateway', () => {
    const names = dependent(base.alarms).sort();
    expect(names).toEqual(
      [
        ...config.projects.flatMap((p) => [
          `berth-${p.name}-target-5xx`,
          `berth-${p.name}-unhealthy-hosts`,
          `berth-${p.name}-response-time-p99`,
        ]),
        ...[1, 2].flatMap((i) => [`berth-nat-${i}-port-allocation-errors`, `berth-nat-${i}-packets-dropped`]),
      ].sort(),
    );
    for (const name of names) {
      expect(JSON.stringify(base.alarms.get(name)!.Properties.Dimensions), name).toMatch(
        /Fn::GetStackOutput|Fn::ImportValue/,
      );
    }
  });

  it('given a change of a network key, when synthesized, then every such alarm template differs (so cdk deploy updates it)', () => {
    for (const name of dependent(base.alarms)) {
      expect(JSON.stringify(moved.alarms.get(name)), name).not.toBe(JSON.stringify(base.alarms.get(name)));
    }
    expect(JSON.stringify(moved.dashboard)).not.toBe(JSON.stringify(base.dashboard));
  });

  it('given a change of a network key, when synthesized, then alarms on static names are left alone', () => {
    for (const name of [
      'berth-cash-collection-cpu-high',
      'berth-poultry-sale-tasks-below-desired',
      'berth-api-5xx-rate',
    ]) {
      expect(JSON.stringify(moved.alarms.get(name)), name).toBe(JSON.stringify(base.alarms.get(name)));
    }
  });

  it('given a change of an unrelated key, when synthesized, then every such alarm template is identical', () => {
    for (const name of dependent(base.alarms)) {
      expect(JSON.stringify(unrelated.alarms.get(name)), name).toBe(JSON.stringify(base.alarms.get(name)));
    }
  });
});
