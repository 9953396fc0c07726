import { describe, expect, it } from 'vitest';
import {
  natAlarmNames,
  platformAlarmNames,
  projectAlarmNames,
  projectAlarmNamesOf,
} from '../../src/monitoring/alarm-names';
import { alarmDescription } from '../../src/monitoring/berth-alarm';
import { targetGroupSearch } from '../../src/monitoring/metrics';
import { DEFAULT_THRESHOLDS, projectThresholds, WEBHOOK_DEADLINE_MS } from '../../src/monitoring/thresholds';
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
    expect(DEFAULT_THRESHOLDS.project.pipelineFailures).toBe(1);
  });

  it("sets the webhook duration alarm well before the handler's own 8 s deadline (half of it), not at it", () => {
    expect(WEBHOOK_DEADLINE_MS).toBe(8000);
    expect(DEFAULT_THRESHOLDS.platform.webhookDurationP99Ms).toBe(4000);
    expect(DEFAULT_THRESHOLDS.platform.webhookDurationP99Ms).toBeLessThanOrEqual(WEBHOOK_DEADLINE_MS / 2);
  });

  it('alarms on one webhook failure of ours and on one 429 of a webhook route (a 429 puts the subscription on probation)', () => {
    expect(DEFAULT_THRESHOLDS.platform.webhookErrors).toBe(1);
    expect(DEFAULT_THRESHOLDS.platform.webhookThrottledPer5Min).toBe(1);
  });

  it('sets the CPU alarm above the default scaling target (60 %), so scaling holding the target never fires it', () => {
    expect(DEFAULT_THRESHOLDS.project.cpuPercent).toBeGreaterThan(60);
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
      webhookErrors: 'berth-webhook-errors',
      webhookThrottled: 'berth-webhook-throttled',
      webhookDuration: 'berth-webhook-duration',
      clusterInstancesBelowMin: 'berth-cluster-instances-below-min',
      alertsUndelivered: 'berth-alerts-undelivered',
      pipelineEventsErrors: 'berth-pipeline-events-errors',
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

describe('project alarm names that exist', () => {
  const config = seedConfig();

  it('given a routed project, when listed, then all its alarms are there', () => {
    expect(projectAlarmNamesOf(config, config.projects[0])).toEqual(
      Object.values(projectAlarmNames(config, config.projects[0])),
    );
  });

  it('given a worker (no path), when listed, then its target-group alarms are not (it has no target group)', () => {
    const names = projectAlarmNamesOf(config, { name: 'mailer', path: undefined });
    expect(names).toEqual([
      'berth-mailer-cpu-high',
      'berth-mailer-memory-high',
      'berth-mailer-tasks-below-desired',
      'berth-mailer-pipeline-failed',
    ]);
  });
});

describe('alarm descriptions', () => {
  it('say what it means, what to check first, how to tune, and where the runbook is', () => {
    const d = alarmDescription({ meaning: 'It broke.', firstCheck: 'the logs.', runbook: 'x-y' });
    expect(d).toBe(
      'It broke. First check: the logs. Tune: the default in src/monitoring/thresholds.ts (not set per project). Runbook: docs/operations.md#x-y',
    );
  });

  it('carry the platform generation, when given, before the runbook (which stays last)', () => {
    const d = alarmDescription({
      meaning: 'It broke.',
      firstCheck: 'the logs.',
      runbook: 'x-y',
      generation: '0a1b2c3d',
    });
    expect(d).toBe(
      'It broke. First check: the logs. Tune: the default in src/monitoring/thresholds.ts (not set per project). Platform generation: 0a1b2c3d. Runbook: docs/operations.md#x-y',
    );
  });
});

describe('targetGroupSearch', () => {
  it('matches the target group name unquoted (a quoted term would have to equal the whole dimension value)', () => {
    expect(
      targetGroupSearch(
        'berth-cash-collection-a1b2c3',
        ['berth-poultry-sale-d4e5f6'],
        'HTTPCode_Target_5XX_Count',
        'Sum',
      ),
    ).toBe(
      `SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} MetricName="HTTPCode_Target_5XX_Count" targetgroup/berth-cash-collection-a1b2c3', 'Sum', 60)`,
    );
  });

  it('excludes other target groups whose names extend this one (token matching would include them)', () => {
    const search = targetGroupSearch(
      'berth-cash-a1b2c3',
      [
        'berth-cash-a1b2c3',
        'berth-cash-a1b2c3-x-0f0f0f',
        'berth-cash-collection-d4e5f6',
        'berth-poultry-e5f6a7',
      ],
      'RequestCount',
      'Sum',
    );
    expect(search).toContain('targetgroup/berth-cash-a1b2c3 NOT targetgroup/berth-cash-a1b2c3-x-0f0f0f');
    expect(search).not.toContain('collection');
    expect(search).not.toContain('poultry');
  });
});
