import { describe, expect, it } from 'vitest';
import { ALERTS } from '../../../src/contracts';
import { createAlertsHandler, type AlertsDeps } from '../../../src/functions/alerts/handler';
import { ChannelSecretError } from '../../../src/functions/alerts/secrets';
import type { ChannelOutcome } from '../../../src/functions/alerts/telemetry';
import {
  ALARM_MESSAGE,
  ALARM_SUBJECT,
  event,
  FAILURE,
  LEGACY_TEAMS_URL,
  record,
  SLACK_URL,
  TEAMS_URL,
} from './fixtures';

const CHANNELS = [
  { name: 'ops', type: 'slack' as const, secretId: 'berth/alerts/ops' },
  { name: 'team', type: 'teams' as const, secretId: 'berth/alerts/team' },
];

type Reply = { status: number; body?: string; headers?: Record<string, string> } | Error;

/** The handler with every dependency faked: URLs by secret, scripted answers per URL, captured logs and counts. */
function setup(
  opts: {
    urls?: Record<string, string | Error>;
    replies?: Record<string, Reply[]>;
    channels?: typeof CHANNELS;
  } = {},
) {
  const urls: Record<string, string | Error> = opts.urls ?? {
    'berth/alerts/ops': SLACK_URL,
    'berth/alerts/team': TEAMS_URL,
  };
  const replies = opts.replies ?? {};
  const posts: { url: string; body: unknown }[] = [];
  const logs: { level: string; message: string; attributes: Record<string, unknown>[] }[] = [];
  const counts: { outcome: ChannelOutcome; channel: string }[] = [];
  let now = 5_000_000;
  const log =
    (level: string) =>
    (message: string, ...attributes: Record<string, unknown>[]) =>
      logs.push({ level, message, attributes });
  const deps: AlertsDeps = {
    settings: { channels: opts.channels ?? CHANNELS },
    urls: {
      url: async (secretId) => {
        const v = urls[secretId];
        if (v instanceof Error) throw v;
        if (v === undefined)
          throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
        return v;
      },
    },
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    metrics: { count: (outcome, channel) => counts.push({ outcome, channel }) },
    region: 'us-east-1',
    fetch: (async (url: string | URL | Request, init?: RequestInit) => {
      posts.push({ url: String(url), body: JSON.parse(String(init?.body)) });
      const r = replies[String(url)]?.shift() ?? { status: 200, body: 'ok' };
      if (r instanceof Error) throw r;
      return new Response(r.body ?? '', { status: r.status, headers: r.headers });
    }) as typeof fetch,
    sleep: async (ms) => {
      now += ms;
    },
    random: () => 0.5,
    now: () => now,
  };
  const handler = createAlertsHandler(deps);
  /** Everything the function wrote or returned, to search for secrets. */
  const everything = (result: unknown) => JSON.stringify({ logs, counts, result });
  return { handler, posts, logs, counts, everything };
}

const alarmEvent = () => event(record(JSON.stringify(ALARM_MESSAGE), ALARM_SUBJECT));
const context = { getRemainingTimeInMillis: () => 30_000 };
const URL_PARTS = [
  'xoxSecretToken',
  'TeamsSigSecret',
  'T0AAAAAAA/B0BBBBBBB',
  '0123456789abcdef0123456789abcdef',
];

describe('the alerts function: every channel gets every message', () => {
  it('given an alarm and a Slack and a Teams channel, when handled, then each gets its own format', async () => {
    const s = setup();

    const result = await s.handler(alarmEvent(), context);

    expect(s.posts.map((p) => p.url).sort()).toEqual([SLACK_URL, TEAMS_URL].sort());
    const slack = s.posts.find((p) => p.url === SLACK_URL)!.body as { text: string; blocks: unknown[] };
    expect(slack.text).toContain('ALARM: berth-cash-collection-target-5xx');
    expect(slack.blocks.length).toBeGreaterThan(2);
    const teams = s.posts.find((p) => p.url === TEAMS_URL)!.body as {
      type: string;
      attachments: { contentType: string }[];
    };
    expect(teams.type).toBe('message');
    expect(teams.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(result.messages[0].channels).toEqual([
      { channel: 'ops', outcome: 'delivered', attempts: 1, status: 200 },
      { channel: 'team', outcome: 'delivered', attempts: 1, status: 200 },
    ]);
    expect(s.counts).toEqual([
      { outcome: 'delivered', channel: 'ops' },
      { outcome: 'delivered', channel: 'team' },
    ]);
  });

  it('given a failed release (plain text with a subject), when handled, then it is posted readably', async () => {
    const s = setup();

    await s.handler(event(record(FAILURE.message, FAILURE.subject)), context);

    const slack = JSON.stringify(s.posts.find((p) => p.url === SLACK_URL)!.body);
    expect(slack).toContain('Berth: cash-collection pipeline failed at Build');
    expect(slack).toContain('npm ERR! Test failed.');
  });

  it('given a legacy Teams connector URL, when it answers 1, then the alert is delivered', async () => {
    const s = setup({
      urls: { 'berth/alerts/ops': SLACK_URL, 'berth/alerts/team': LEGACY_TEAMS_URL },
      replies: { [LEGACY_TEAMS_URL]: [{ status: 200, body: '1' }] },
    });

    const result = await s.handler(alarmEvent(), context);

    expect(result.messages[0].channels.map((c) => c.outcome)).toEqual(['delivered', 'delivered']);
  });
});

describe('the alerts function: one channel failing never stops the others, and never throws', () => {
  it('given Slack failing with 500 on every attempt, when handled, then Teams still gets it and Slack is counted as failed', async () => {
    const s = setup({ replies: { [SLACK_URL]: [{ status: 500 }, { status: 500 }, { status: 500 }] } });

    const result = await s.handler(alarmEvent(), context);

    expect(result.messages[0].channels).toEqual([
      expect.objectContaining({ channel: 'ops', outcome: 'failed', attempts: 3, status: 500 }),
      expect.objectContaining({ channel: 'team', outcome: 'delivered' }),
    ]);
    expect(s.counts).toContainEqual({ outcome: 'failed', channel: 'ops' });
    expect(s.counts).toContainEqual({ outcome: 'delivered', channel: 'team' });
    const error = s.logs.find((l) => l.level === 'error')!;
    expect(error.message).toBe('The alert did not reach the chat channel');
    expect(error.attributes[0]).toMatchObject({
      channel: 'ops',
      channelType: 'slack',
      attempts: 3,
      status: 500,
    });
  });

  it('given a 429 with Retry-After, when handled, then the channel is retried after the wait and delivered', async () => {
    const s = setup({
      replies: { [SLACK_URL]: [{ status: 429, headers: { 'retry-after': '2' } }, { status: 200 }] },
    });

    const result = await s.handler(alarmEvent(), context);

    expect(result.messages[0].channels[0]).toEqual({
      channel: 'ops',
      outcome: 'delivered',
      attempts: 2,
      status: 200,
    });
  });

  it('given a secret that cannot be read, when handled, then that channel fails, the other is served', async () => {
    const s = setup({
      urls: {
        'berth/alerts/ops': Object.assign(new Error('User is not authorized'), {
          name: 'AccessDeniedException',
        }),
        'berth/alerts/team': TEAMS_URL,
      },
    });

    const result = await s.handler(alarmEvent(), context);

    expect(result.messages[0].channels[0]).toMatchObject({
      channel: 'ops',
      outcome: 'failed',
      reason: expect.stringContaining('AccessDeniedException'),
    });
    expect(result.messages[0].channels[1].outcome).toBe('delivered');
  });

  it('given a malformed secret, when handled, then the reason says so without quoting the value', async () => {
    const s = setup({
      urls: {
        'berth/alerts/ops': new ChannelSecretError('the secret value is not JSON'),
        'berth/alerts/team': TEAMS_URL,
      },
    });

    const result = await s.handler(alarmEvent(), context);

    expect(result.messages[0].channels[0].reason).toContain(
      'ChannelSecretError: the secret value is not JSON',
    );
  });

  it('given a URL that is not the chat service (http, another host), when handled, then nothing is posted to it', async () => {
    for (const bad of ['http://hooks.slack.com/services/T/B/X', 'https://evil.example/services/T/B/X']) {
      const s = setup({ urls: { 'berth/alerts/ops': bad, 'berth/alerts/team': TEAMS_URL } });

      const result = await s.handler(alarmEvent(), context);

      expect(s.posts.map((p) => p.url)).toEqual([TEAMS_URL]);
      expect(result.messages[0].channels[0]).toMatchObject({ outcome: 'failed' });
      expect(s.everything(result)).not.toContain(bad);
    }
  });

  it('given a fetch that throws for one channel, when handled, then the handler still resolves', async () => {
    const s = setup({
      replies: {
        [TEAMS_URL]: [new TypeError('fetch failed'), new TypeError('fetch failed'), new TypeError('x')],
      },
    });

    await expect(s.handler(alarmEvent(), context)).resolves.toBeDefined();
    expect(s.counts).toContainEqual({ outcome: 'failed', channel: 'team' });
  });
});

describe('the alerts function: a channel whose URL is not set yet', () => {
  it('given an empty URL, when handled, then it is a warning and a count, nothing is posted, and it is not an error', async () => {
    const s = setup({ urls: { 'berth/alerts/ops': '', 'berth/alerts/team': TEAMS_URL } });

    const result = await s.handler(alarmEvent(), context);

    expect(result.messages[0].channels[0]).toEqual({ channel: 'ops', outcome: 'notSet' });
    expect(s.posts.map((p) => p.url)).toEqual([TEAMS_URL]);
    expect(s.counts).toContainEqual({ outcome: 'notSet', channel: 'ops' });
    expect(s.logs.filter((l) => l.level === 'error')).toEqual([]);
    const warning = s.logs.find((l) => l.level === 'warn')!;
    expect(warning.message).toContain('npx --no-install berth alerts set-webhook ops');
    expect(warning.attributes[0]).toMatchObject({ channel: 'ops', secretId: 'berth/alerts/ops' });
  });
});

describe('the alerts function: a test for one channel', () => {
  const targeted = (name: string) =>
    event(
      record('This is a test.', 'Berth: test alert for ops (berth)', {
        [ALERTS.channelAttribute]: { Type: 'String', Value: name },
      }),
    );

  it('given a message addressed to one channel, when handled, then only that channel gets it', async () => {
    const s = setup();

    const result = await s.handler(targeted('team'), context);

    expect(s.posts.map((p) => p.url)).toEqual([TEAMS_URL]);
    expect(result.messages[0].channels.map((c) => c.channel)).toEqual(['team']);
  });

  it('given a message addressed to an unknown channel, when handled, then nothing is posted and it says so', async () => {
    const s = setup();

    const result = await s.handler(targeted('nope'), context);

    expect(s.posts).toEqual([]);
    expect(result.messages[0].channels).toEqual([]);
    expect(s.logs.find((l) => l.level === 'warn')!.message).toMatch(/does not know/);
  });
});

describe('the alerts function: no URL is ever logged, counted or returned', () => {
  it('given every outcome at once (delivered, refused echoing the URL, network error quoting it), when handled, then no part of a URL appears', async () => {
    const s = setup({
      replies: {
        [SLACK_URL]: [{ status: 404, body: `no_service for ${SLACK_URL}` }],
        [TEAMS_URL]: [new TypeError(`connect ECONNREFUSED ${TEAMS_URL}`), { status: 202 }],
      },
    });

    const result = await s.handler(alarmEvent(), context);

    const written = s.everything(result);
    expect(written).toContain('[redacted]');
    for (const part of URL_PARTS) expect(written).not.toContain(part);
  });
});

describe('the alerts function: its time budget', () => {
  it('given a nearly spent invocation, when a channel needs a retry, then it stops instead of overrunning', async () => {
    const s = setup({ replies: { [SLACK_URL]: [{ status: 503 }, { status: 200 }] } });

    const result = await s.handler(alarmEvent(), { getRemainingTimeInMillis: () => 2_100 });

    expect(result.messages[0].channels[0]).toMatchObject({ channel: 'ops', outcome: 'failed', attempts: 1 });
  });
});
