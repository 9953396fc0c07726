import {
  FilterLogEventsCommand,
  ResourceNotFoundException,
  type FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { filterPattern, logSources, parseSince } from '../../src/cli/logs/read';
import { assertNoSecretsWritten, capture, fakeTime, mockAws, run, writeConfig } from './helpers';

/** `berth logs` against a mocked CloudWatch Logs client. */

const aws = mockAws();
let config: ReturnType<typeof writeConfig>;
beforeAll(() => {
  config = writeConfig({
    projects: [
      {
        name: 'cash-collection',
        path: '/api/cash',
        priority: 10,
        repository: { project: 'Finance', name: 'cash-collection' },
      },
      {
        name: 'ledger-sync',
        repository: { project: 'Finance', name: 'ledger-sync' },
        build: { platforms: ['linux/amd64'] },
      },
    ],
  });
});
afterAll(() => config.remove());
afterEach(() => assertNoSecretsWritten());

const NOW = Date.parse('2025-06-01T12:00:00Z');
const event = (
  id: string,
  secondsAgo: number,
  message: string,
  stream = 'app/app/task1',
): FilteredLogEvent => ({
  eventId: id,
  timestamp: NOW - secondsAgo * 1000,
  logStreamName: stream,
  message,
});

let time: ReturnType<typeof fakeTime>;
beforeEach(() => {
  aws.reset();
  time = fakeTime(NOW);
});

const logs = (args: string[]) =>
  run(['logs', ...args], capture(), config.file, { aws: aws.factory, ...time.deps });
const calls = () => aws.logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);

describe('berth logs: the service log', () => {
  it('given events in the last hour, when logs runs, then it prints time, stream and message per line from /berth/<project>/service', async () => {
    aws.logs.on(FilterLogEventsCommand).resolves({
      events: [
        event('e1', 120, 'listening on 8080\n'),
        event('e2', 60, 'GET /api/cash/health 200', 'app/app/task2'),
      ],
    });

    const r = await logs(['cash-collection']);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        '2025-06-01T11:58:00.000Z  app/app/task1  listening on 8080',
        '2025-06-01T11:59:00.000Z  app/app/task2  GET /api/cash/health 200',
        '',
      ].join('\n'),
    );
    expect(calls()).toEqual([
      { logGroupName: '/berth/cash-collection/service', startTime: NOW - 3_600_000, limit: 1000 },
    ]);
  });

  it('given --since 15m and --filter, when logs runs, then the start time and the filter pattern are sent', async () => {
    aws.logs.on(FilterLogEventsCommand).resolves({ events: [] });

    const r = await logs(['cash-collection', '--since', '15m', '--filter', 'payment failed']);

    expect(r.code).toBe(0);
    expect(calls()[0]).toMatchObject({ startTime: NOW - 900_000, filterPattern: '"payment failed"' });
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'No events in /berth/cash-collection/service since 2025-06-01T11:45:00.000Z matching "payment failed".',
    );
  });

  it('given more pages, when logs runs, then it reads them all with the paginator', async () => {
    aws.logs
      .on(FilterLogEventsCommand, { nextToken: undefined })
      .resolves({ events: [event('e1', 30, 'one')], nextToken: 't2' })
      .on(FilterLogEventsCommand, { nextToken: 't2' })
      .resolves({ events: [event('e2', 20, 'two')] });

    const r = await logs(['cash-collection']);

    expect(calls()).toHaveLength(2);
    expect(r.stdout).toContain('one');
    expect(r.stdout).toContain('two');
  });

  it('given --json, when logs runs, then it prints one document with the events', async () => {
    aws.logs.on(FilterLogEventsCommand).resolves({ events: [event('e1', 60, 'hello')] });

    const r = await logs(['cash-collection', '--since', '2025-06-01T11:00:00Z', '--json']);

    expect(JSON.parse(r.stdout)).toEqual({
      project: 'cash-collection',
      region: 'us-east-1',
      logGroups: ['/berth/cash-collection/service'],
      since: '2025-06-01T11:00:00.000Z',
      filterPattern: null,
      truncated: false,
      events: [
        {
          time: '2025-06-01T11:59:00.000Z',
          timestamp: NOW - 60_000,
          logGroup: '/berth/cash-collection/service',
          stream: 'app/app/task1',
          message: 'hello',
        },
      ],
    });
  });

  it('given the log group does not exist, when logs runs, then it exits 1 saying the stack is not deployed', async () => {
    aws.logs
      .on(FilterLogEventsCommand)
      .rejects(new ResourceNotFoundException({ message: 'x', $metadata: {} }));

    const r = await logs(['cash-collection']);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The log group /berth/cash-collection/service does not exist in us-east-1: the stack of cash-collection is not deployed',
    );
  });

  it.each([
    [['--since', 'yesterday'], '--since takes a duration before now (30s, 15m, 1h, 2d, 1w) or an ISO time'],
    [['--follow', '--json'], '--follow prints events as they come and --json prints one document'],
    [
      ['--stage', 'deploy-it'],
      '--stage deploy-it is not a stage with logs: choose one of checkout, test, build, scan, push, deploy, verify',
    ],
    [['--stage', 'Source'], 'The Source stage writes no logs'],
  ])('given %j, when logs runs, then it exits 2 and says what is accepted', async (flags, message) => {
    const r = await logs(['cash-collection', ...flags]);

    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toContain(message);
    expect(calls()).toEqual([]);
  });
});

describe('berth logs --stage', () => {
  it('given --stage BUILD, when logs runs, then it reads both build-<arch> groups, merged by time, each stream labelled', async () => {
    aws.logs
      .on(FilterLogEventsCommand, { logGroupName: '/berth/cash-collection/pipeline/build-amd64' })
      .resolves({ events: [event('a', 50, 'amd64 step', 'build-1')] })
      .on(FilterLogEventsCommand, { logGroupName: '/berth/cash-collection/pipeline/build-arm64' })
      .resolves({ events: [event('b', 55, 'arm64 step', 'build-2')] });

    const r = await logs(['cash-collection', '--stage', 'BUILD']);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        '2025-06-01T11:59:05.000Z  build-arm64/build-2  arm64 step',
        '2025-06-01T11:59:10.000Z  build-amd64/build-1  amd64 step',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['checkout', ['/berth/cash-collection/pipeline/checkout']],
    ['test', ['/berth/cash-collection/pipeline/test']],
    ['scan', ['/aws/lambda/berth-cash-collection-scan']],
    ['Push', ['/aws/lambda/berth-cash-collection-push']],
    ['deploy', ['/aws/lambda/berth-cash-collection-deploy']],
    ['verify', ['/aws/lambda/berth-cash-collection-verify']],
    ['build-arm64', ['/berth/cash-collection/pipeline/build-arm64']],
  ])('given --stage %s, when logs runs, then it reads %j', async (stage, groups) => {
    aws.logs.on(FilterLogEventsCommand).resolves({ events: [] });

    await logs(['cash-collection', '--stage', stage]);

    expect(calls().map((c) => c.logGroupName)).toEqual(groups);
  });

  it('given a project that builds amd64 only, when --stage build runs, then only build-amd64 is read', async () => {
    aws.logs.on(FilterLogEventsCommand).resolves({ events: [] });

    await logs(['ledger-sync', '--stage', 'build']);

    expect(calls().map((c) => c.logGroupName)).toEqual(['/berth/ledger-sync/pipeline/build-amd64']);
  });
});

describe('berth logs --follow', () => {
  it('given events arriving between polls, when logs follows, then each event is printed once and Ctrl-C ends it with exit 0', async () => {
    let poll = 0;
    aws.logs.on(FilterLogEventsCommand).callsFake(() => {
      poll++;
      if (poll === 1) return { events: [event('e1', 10, 'first')] };
      if (poll === 2) return { events: [event('e1', 10, 'first'), event('e2', 5, 'second')] };
      return { events: [event('e2', 5, 'second'), event('e3', 1, 'third')] };
    });
    time.onSleep((n) => {
      if (n === 3) time.controller.abort();
    });

    const r = await logs(['cash-collection', '--follow']);

    expect(r.code).toBe(0);
    expect(
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('  ').pop()),
    ).toEqual(['first', 'second', 'third']);
    expect(r.stderr).toContain('Following /berth/cash-collection/service in us-east-1 (Ctrl-C to stop).');
    const starts = calls().map((c) => c.startTime);
    expect(starts).toEqual([NOW - 3_600_000, NOW - 10_000, NOW - 5_000]);
    expect(time.sleeps).toEqual([2000, 2000, 2000]);
  });

  it('given a poll with more pages than the bound, when logs follows, then that poll stops at 5 pages', async () => {
    aws.logs.on(FilterLogEventsCommand).callsFake((input: { nextToken?: string }) => {
      const n = Number(input.nextToken ?? '0');
      return { events: [event(`e${n}`, 100 - n, `line ${n}`)], nextToken: String(n + 1) };
    });
    time.onSleep(() => time.controller.abort());

    await logs(['cash-collection', '--follow']);

    expect(calls()).toHaveLength(5);
  });
});

describe('logs helpers', () => {
  it('given durations and ISO times, when parsing --since, then they are epoch milliseconds', () => {
    expect(parseSince('30s', NOW)).toBe(NOW - 30_000);
    expect(parseSince('2d', NOW)).toBe(NOW - 2 * 86_400_000);
    expect(parseSince('1w', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseSince('2025-06-01T10:00:00Z', NOW)).toBe(Date.parse('2025-06-01T10:00:00Z'));
    expect(parseSince('2025-06-01', NOW)).toBe(Date.parse('2025-06-01'));
    expect(() => parseSince('-1h', NOW)).toThrow(/--since takes/);
  });

  it('given text or a pattern, when building the filter pattern, then text is one quoted phrase and patterns pass as they are', () => {
    expect(filterPattern('ERROR')).toBe('"ERROR"');
    expect(filterPattern('user-id 42')).toBe('"user-id 42"');
    expect(filterPattern('{ $.level = "error" }')).toBe('{ $.level = "error" }');
    expect(filterPattern('?ERROR ?WARN')).toBe('?ERROR ?WARN');
    expect(filterPattern(undefined)).toBeUndefined();
  });

  it('given no stage, when choosing the log groups, then it is the service group', () => {
    const project = {
      name: 'p',
      build: { platforms: ['linux/amd64', 'linux/arm64'] as ('linux/amd64' | 'linux/arm64')[] },
    };
    expect(logSources({ prefix: 'x' }, project as never, undefined)).toEqual([
      { label: 'service', logGroup: '/x/p/service' },
    ]);
  });
});
