import { describe, expect, it } from 'vitest';
import { natAlarmNames, platformAlarmNames, projectAlarmNames } from '../../src/monitoring/alarm-names';
import { alarmDescription } from '../../src/monitoring/berth-alarm';
import { targetGroupSearch } from '../../src/monitoring/metrics';
import { DEFAULT_THRESHOLDS, projectThresholds } from '../../src/monitoring/thresholds';
import { configWith, seedConfig } from '../support/app';

describe('DEFAULT_THRESHOLDS', () => {
  it('holds a positive number (or a deliberate 0) for every threshold', () => {
    for (const [key, value] of [
      ...Object.entries(DEFAULT_THRESHOLDS.platform),
      ...Object.entries(DEFAULT_THRESHOLDS.project),
    ]) {
      expect(Number.isFinite(value), key).toBe(true);
      expect(value, key).toBeGreaterThanOrEqual(0);
    }
    expect(DEFAULT_THRESHOLDS.platform.webhookDurationPercentOfTimeout).toBe(80);
    expect(DEFAULT_THRESHOLDS.project.pipelineFailures).toBe(1);
  });
});

describe('projectThresholds', () => {
  it('returns the defaults when berth.yaml sets nothing', () => {
    expect(projectThresholds({})).toEqual(DEFAULT_THRESHOLDS.project);
    expect(projectThresholds({ alarms: {} })).toEqual(DEFAULT_THRESHOLDS.project);
  });

  it('overrides only the keys a project sets', () => {
    expect(projectThresholds({ alarms: { cpuPercent: 70, target5xxPerMinute: 0 } })).toEqual({
      ...DEFAULT_THRESHOLDS.project,
      cpuPercent: 70,
      target5xxPerMinute: 0,
    });
  });

  it('ignores keys left undefined (the schema makes every key optional)', () => {
    expect(projectThresholds({ alarms: { memoryPercent: undefined } }).memoryPercent).toBe(
      DEFAULT_THRESHOLDS.project.memoryPercent,
    );
  });

  it('does not change the defaults it merges into', () => {
    const before = structuredClone(DEFAULT_THRESHOLDS);
    projectThresholds({ alarms: { targetResponseTimeP99Seconds: 9 } });
    expect(DEFAULT_THRESHOLDS).toEqual(before);
  });

  it('merges what the schema parsed from berth.yaml, per project', () => {
    const config = configWith((raw) => {
      (raw.projects as Record<string, unknown>[])[1].alarms = {
        targetResponseTimeP99Seconds: 0.5,
        memoryPercent: 95,
      };
    });
    const [first, second] = config.projects;
    expect(projectThresholds(first)).toEqual(DEFAULT_THRESHOLDS.project);
    expect(projectThresholds(second)).toMatchObject({
      targetResponseTimeP99Seconds: 0.5,
      memoryPercent: 95,
      cpuPercent: DEFAULT_THRESHOLDS.project.cpuPercent,
    });
  });

  it('is fed only valid numbers: the schema rejects a percentage over 100', () => {
    expect(() =>
      configWith((raw) => {
        (raw.projects as Record<string, unknown>[])[0].alarms = { cpuPercent: 150 };
      }),
    ).toThrow(/projects\[0\]\.alarms\.cpuPercent.*a percentage from 1 to 100/);
  });
});

describe('alarm names', () => {
  const config = seedConfig();

  it('say what and where: <prefix>-<where>-<what>', () => {
    expect(platformAlarmNames(config)).toMatchObject({
      api5xxRate: 'berth-api-5xx-rate',
      webhookDuration: 'berth-webhook-duration',
      clusterInstancesBelowMin: 'berth-cluster-instances-below-min',
    });
    expect(natAlarmNames(config, 2).packetsDropped).toBe('berth-nat-2-packets-dropped');
    expect(projectAlarmNames(config, { name: 'cash-collection' })).toMatchObject({
      target5xx: 'berth-cash-collection-target-5xx',
      unhealthyHosts: 'berth-cash-collection-unhealthy-hosts',
      pipelineFailed: 'berth-cash-collection-pipeline-failed',
    });
  });

  it('never collide between platform, NAT and projects', () => {
    const all = [
      ...Object.values(platformAlarmNames(config)),
      ...[1, 2].flatMap((i) => Object.values(natAlarmNames(config, i))),
      ...config.projects.flatMap((p) => Object.values(projectAlarmNames(config, p))),
    ];
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('alarm descriptions', () => {
  it('say what it means, what to check first, how to tune, and where the runbook is', () => {
    const d = alarmDescription({ meaning: 'It broke.', firstCheck: 'the logs.', runbook: 'x-y' });
    expect(d).toBe(
      'It broke. First check: the logs. Tune: the default in src/monitoring/thresholds.ts (not set per project). Runbook: docs/operations.md#x-y',
    );
  });
});

describe('targetGroupSearch', () => {
  const c = { prefix: 'berth' };

  it('matches the target group name unquoted (a quoted term would have to equal the whole dimension value)', () => {
    const projects = [{ name: 'cash-collection' }, { name: 'poultry-sale' }];
    expect(targetGroupSearch(c, projects[0], projects, 'HTTPCode_Target_5XX_Count', 'Sum')).toBe(
      `SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} MetricName="HTTPCode_Target_5XX_Count" targetgroup/berth-cash-collection', 'Sum', 60)`,
    );
  });

  it('excludes other projects whose names extend this one (token matching would include them)', () => {
    const projects = [{ name: 'cash' }, { name: 'cash-collection' }, { name: 'cash2' }, { name: 'poultry' }];
    const search = targetGroupSearch(c, projects[0], projects, 'RequestCount', 'Sum');
    expect(search).toContain(
      'targetgroup/berth-cash NOT targetgroup/berth-cash-collection NOT targetgroup/berth-cash2',
    );
    expect(search).not.toContain('poultry');
    expect(targetGroupSearch(c, projects[1], projects, 'RequestCount', 'Sum')).not.toContain('NOT');
  });
});
