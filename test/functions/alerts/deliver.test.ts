import { describe, expect, it } from 'vitest';
import { DEFAULT_POST_POLICY, postJson } from '../../../src/functions/alerts/deliver';
import { LEGACY_TEAMS_URL, SLACK_URL, TEAMS_URL } from './fixtures';

type Answer = { status: number; body?: string; headers?: Record<string, string> } | Error | 'hang';

/** A fetch that answers from a script, a clock that only moves when the code sleeps, and what was asked. */
function world(answers: Answer[], start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  const requests: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(url), init: init ?? {} });
    const a = answers.shift() ?? { status: 200 };
    if (a === 'hang') {
      return new Promise((_, reject) => {
        init?.signal?.addEventListener('abort', () =>
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
        );
      });
    }
    if (a instanceof Error) throw a;
    return new Response(a.body ?? '', { status: a.status, headers: a.headers });
  }) as typeof globalThis.fetch;
  return {
    deps: {
      fetch,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      random: () => 0.5,
      now: () => now,
    },
    sleeps,
    requests,
  };
}

const body = { text: 'hello' };

describe('posting to an incoming webhook', () => {
  it('given a 200, when posted, then it is delivered at the first attempt as JSON', async () => {
    const w = world([{ status: 200, body: 'ok' }]);

    const r = await postJson(SLACK_URL, body, w.deps);

    expect(r).toEqual({ outcome: 'delivered', attempts: 1, status: 200 });
    expect(w.requests[0].init.method).toBe('POST');
    expect(w.requests[0].init.body).toBe('{"text":"hello"}');
    expect(new Headers(w.requests[0].init.headers).get('content-type')).toBe('application/json');
  });

  it('given a 202 (Teams Workflows), when posted, then it is delivered', async () => {
    const r = await postJson(TEAMS_URL, body, world([{ status: 202 }]).deps);

    expect(r.outcome).toBe('delivered');
  });

  it('given a 500 then a 200, when posted, then it retries once after a backoff', async () => {
    const w = world([{ status: 500 }, { status: 200 }]);

    const r = await postJson(SLACK_URL, body, w.deps);

    expect(r).toEqual({ outcome: 'delivered', attempts: 2, status: 200 });
    expect(w.sleeps).toHaveLength(1);
    expect(w.sleeps[0]).toBeGreaterThanOrEqual(DEFAULT_POST_POLICY.baseDelayMs / 2);
    expect(w.sleeps[0]).toBeLessThanOrEqual(DEFAULT_POST_POLICY.baseDelayMs);
  });

  it('given a 429 with Retry-After: 3, when posted, then it waits at least 3 s before the next attempt', async () => {
    const w = world([{ status: 429, headers: { 'retry-after': '3' } }, { status: 200 }]);

    const r = await postJson(SLACK_URL, body, w.deps);

    expect(r.outcome).toBe('delivered');
    expect(w.sleeps).toEqual([3000]);
  });

  it('given a Retry-After as an HTTP date, when posted, then it waits until then', async () => {
    const w = world([
      { status: 503, headers: { 'retry-after': new Date(1_000_000 + 4000).toUTCString() } },
      { status: 200 },
    ]);

    await postJson(SLACK_URL, body, w.deps);

    // HTTP dates have whole seconds: the wait is the date minus now, at least the backoff.
    expect(w.sleeps[0]).toBeGreaterThanOrEqual(3000);
    expect(w.sleeps[0]).toBeLessThanOrEqual(4000);
  });

  it('given a Retry-After longer than the function waits, when posted, then it gives up at once and says why', async () => {
    const w = world([{ status: 429, headers: { 'retry-after': '120' } }]);

    const r = await postJson(SLACK_URL, body, w.deps);

    expect(r).toMatchObject({ outcome: 'failed', attempts: 1, status: 429 });
    expect(r.outcome === 'failed' && r.reason).toMatch(
      /Retry-After 120 s is longer than this function waits/,
    );
    expect(w.sleeps).toEqual([]);
  });

  it('given 5xx on every attempt, when posted, then it stops after maxAttempts', async () => {
    const w = world([{ status: 502 }, { status: 503 }, { status: 504 }, { status: 200 }]);

    const r = await postJson(SLACK_URL, body, w.deps);

    expect(r).toMatchObject({ outcome: 'failed', attempts: 3, status: 504 });
    expect(w.requests).toHaveLength(DEFAULT_POST_POLICY.maxAttempts);
    expect(w.sleeps).toHaveLength(2);
  });

  it('given a 400 or a 404, when posted, then it is refused without a retry (the URL or payload is wrong)', async () => {
    for (const status of [400, 403, 404, 410]) {
      const w = world([{ status, body: 'invalid_payload' }]);

      const r = await postJson(SLACK_URL, body, w.deps);

      expect(r).toMatchObject({ outcome: 'failed', attempts: 1, status });
      expect(r.outcome === 'failed' && r.reason).toBe(`refused: HTTP ${status} "invalid_payload"`);
      expect(w.sleeps).toEqual([]);
    }
  });

  it('given network errors, when posted, then it retries them and reports the last', async () => {
    const w = world([
      new TypeError('fetch failed'),
      new TypeError('fetch failed'),
      new TypeError('fetch failed'),
    ]);

    const r = await postJson(SLACK_URL, body, w.deps);

    expect(r).toMatchObject({ outcome: 'failed', attempts: 3 });
    expect(r.outcome === 'failed' && r.reason).toMatch(
      /network error: TypeError: fetch failed \(after 3 attempts\)/,
    );
  });

  it('given an endpoint that never answers, when posted, then each attempt is cut off after its timeout', async () => {
    const w = world(['hang', 'hang']);

    const r = await postJson(SLACK_URL, body, w.deps, { policy: { maxAttempts: 2, attemptTimeoutMs: 20 } });

    expect(r).toMatchObject({ outcome: 'failed', attempts: 2 });
    expect(r.outcome === 'failed' && r.reason).toMatch(/no answer within 20 ms/);
  });

  it('given a deadline closer than the backoff, when a retry would be needed, then it gives up instead of overrunning', async () => {
    const w = world([{ status: 500 }, { status: 200 }]);

    const r = await postJson(SLACK_URL, body, w.deps, { deadline: 1_000_000 + 100 });

    expect(r).toMatchObject({ outcome: 'failed', attempts: 1 });
    expect(r.outcome === 'failed' && r.reason).toMatch(/no time left/);
    expect(w.sleeps).toEqual([]);
  });

  it('given a deadline already passed, when posted, then nothing is sent', async () => {
    const w = world([{ status: 200 }]);

    const r = await postJson(SLACK_URL, body, w.deps, { deadline: 1_000_000 });

    expect(r).toMatchObject({ outcome: 'failed', attempts: 0 });
    expect(w.requests).toHaveLength(0);
  });

  it('given a legacy Teams connector that answers 200 with a throttling text, when posted, then it retries', async () => {
    const w = world([
      { status: 200, body: 'Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0' },
      { status: 200, body: '1' },
    ]);

    const r = await postJson(LEGACY_TEAMS_URL, body, w.deps, { legacyConnector: true });

    expect(r).toEqual({ outcome: 'delivered', attempts: 2, status: 200 });
  });

  it('given a legacy Teams connector that answers 200 with an error text, when posted, then it is refused', async () => {
    const w = world([{ status: 200, body: 'Summary or Text is required.' }]);

    const r = await postJson(LEGACY_TEAMS_URL, body, w.deps, { legacyConnector: true });

    expect(r).toMatchObject({ outcome: 'failed', attempts: 1 });
  });

  it('given errors and answers that echo the URL, when they are reported, then the URL and its token are redacted', async () => {
    const w = world([
      new TypeError(`fetch failed for ${TEAMS_URL}`),
      { status: 500, body: `upstream error at ${new URL(TEAMS_URL).pathname}${new URL(TEAMS_URL).search}` },
      { status: 404, body: `no such hook ${SLACK_URL}` },
    ]);

    const results = [
      await postJson(TEAMS_URL, body, { ...w.deps }, { policy: { maxAttempts: 1 } }),
      await postJson(TEAMS_URL, body, { ...w.deps }, { policy: { maxAttempts: 1 } }),
      await postJson(SLACK_URL, body, { ...w.deps }, { policy: { maxAttempts: 1 } }),
    ];

    const text = JSON.stringify(results);
    expect(text).toContain('[redacted]');
    for (const secret of [
      'TeamsSigSecret',
      'xoxSecretToken',
      '0123456789abcdef0123456789abcdef',
      'B0BBBBBBB',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('redaction of a partial URL', () => {
  it('given an error that quotes only the token segment, when reported, then the segment is redacted', async () => {
    const w = world([{ status: 404, body: 'no such token xoxSecretToken1234567890ab' }]);

    const r = await postJson(SLACK_URL, body, w.deps);

    expect(JSON.stringify(r)).not.toContain('xoxSecretToken');
  });
});
