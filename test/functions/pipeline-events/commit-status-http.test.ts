import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  commitStatusBody,
  commitStatusUrl,
  type HttpDeps,
  postCommitStatus,
  type RetryPolicy,
} from '../../../src/functions/pipeline-events/commit-status';
import { COMMIT, CONSOLE_LINK, PAT, PROJECT } from './fixtures';
import { FakeAzureDevOps } from './fake-azure-devops';

const ado = new FakeAzureDevOps();
const policy: RetryPolicy = {
  maxAttempts: 3,
  attemptTimeoutMs: 250,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  maxRetryAfterMs: 5000,
};
let sleeps: number[];
const deps = (): HttpDeps => ({
  fetch: (input, init) => fetch(input, init),
  sleep: async (ms) => {
    sleeps.push(ms);
  },
  random: () => 0.5,
  now: Date.now,
});
const request = (baseUrl = ado.baseUrl()) => ({
  url: commitStatusUrl(baseUrl, { project: 'Finance', name: 'cash-collection' }, COMMIT),
  pat: PAT,
  body: commitStatusBody({ state: 'pending' as const, description: 'building' }, CONSOLE_LINK, PROJECT),
});

beforeAll(() => ado.start());
afterAll(() => ado.stop());
beforeEach(() => {
  ado.reset();
  sleeps = [];
});

describe('posting a commit status to Azure DevOps', () => {
  it('given Azure DevOps answers 201, when posting, then one POST reaches the statuses path with api-version, PAT auth and JSON', async () => {
    const outcome = await postCommitStatus(request(), deps(), policy);

    expect(outcome).toEqual({ ok: true, attempts: 1, httpStatus: 201 });
    expect(ado.requests).toHaveLength(1);
    const [req] = ado.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(
      `/my-org/Finance/_apis/git/repositories/cash-collection/commits/${COMMIT}/statuses`,
    );
    expect(req.query.get('api-version')).toBe('7.1');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`:${PAT}`).toString('base64')}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({
      state: 'pending',
      description: 'building',
      targetUrl: CONSOLE_LINK,
      context: { name: 'cash-collection', genre: 'berth' },
    });
  });

  it('given a project and repository with spaces, when posting, then the server sees percent-encoded segments', async () => {
    await postCommitStatus(
      {
        ...request(),
        url: commitStatusUrl(ado.baseUrl(), { project: 'Farm Sales', name: 'poultry sale' }, COMMIT),
      },
      deps(),
      policy,
    );
    expect(ado.requests[0].path).toBe(
      `/my-org/Farm%20Sales/_apis/git/repositories/poultry%20sale/commits/${COMMIT}/statuses`,
    );
  });

  it.each([500, 502, 503])(
    'given Azure DevOps answers %i every time, when posting, then it tries exactly 3 times with growing backoff and fails',
    async (status) => {
      ado.reply({ status }, { status }, { status });
      const outcome = await postCommitStatus(request(), deps(), policy);
      expect(outcome).toMatchObject({ ok: false, attempts: 3, httpStatus: status });
      expect(ado.requests).toHaveLength(3);
      expect(sleeps).toEqual([75, 150]);
    },
  );

  it('given one 503 then 201, when posting, then the second attempt succeeds', async () => {
    ado.reply({ status: 503 });
    const outcome = await postCommitStatus(request(), deps(), policy);
    expect(outcome).toEqual({ ok: true, attempts: 2, httpStatus: 201 });
    expect(ado.requests).toHaveLength(2);
  });

  it('given 429 with a small Retry-After, when posting, then it waits that long before the retry', async () => {
    ado.reply({ status: 429, headers: { 'Retry-After': '2' } });
    const outcome = await postCommitStatus(request(), deps(), policy);
    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
    expect(sleeps).toEqual([2000]);
  });

  it('given 429 with a Retry-After longer than the cap, when posting, then it stops instead of hammering or waiting', async () => {
    ado.reply({ status: 429, headers: { 'Retry-After': '120' } });
    const outcome = await postCommitStatus(request(), deps(), policy);
    expect(outcome).toMatchObject({ ok: false, attempts: 1, httpStatus: 429 });
    expect(ado.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it.each([400, 401, 403, 404, 409])(
    'given Azure DevOps answers %i, when posting, then it makes a single attempt (no retry storm)',
    async (status) => {
      ado.reply({ status, body: '{"message":"nope"}' });
      const outcome = await postCommitStatus(request(), deps(), policy);
      expect(outcome).toMatchObject({ ok: false, attempts: 1, httpStatus: status });
      expect(ado.requests).toHaveLength(1);
      expect(sleeps).toEqual([]);
    },
  );

  it('given a sign-in page (203) for a bad PAT, when posting, then it is a failure without retry', async () => {
    ado.reply({ status: 203, body: '<html>Sign in</html>' });
    const outcome = await postCommitStatus(request(), deps(), policy);
    expect(outcome).toMatchObject({ ok: false, attempts: 1, httpStatus: 203 });
    if (!outcome.ok) expect(outcome.reason).toMatch(/is the PAT valid/);
  });

  it('given Azure DevOps never answers, when posting, then each attempt times out and it gives up after 3', async () => {
    ado.reply('hang', 'hang', 'hang');
    const outcome = await postCommitStatus(request(), deps(), { ...policy, attemptTimeoutMs: 100 });
    expect(outcome).toMatchObject({ ok: false, attempts: 3 });
    if (!outcome.ok) expect(outcome.reason).toMatch(/no answer within 100 ms/);
    expect(ado.requests).toHaveLength(3);
  });

  it('given one hang then 201, when posting, then the retry after the timeout succeeds', async () => {
    ado.reply('hang');
    const outcome = await postCommitStatus(request(), deps(), policy);
    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
  });

  it('given nothing listens on the port, when posting, then network errors are retried and it fails after 3 attempts', async () => {
    const closed = new FakeAzureDevOps();
    await closed.start();
    const url = closed.baseUrl();
    await closed.stop();
    const outcome = await postCommitStatus(request(url), deps(), policy);
    expect(outcome).toMatchObject({ ok: false, attempts: 3 });
    if (!outcome.ok) expect(outcome.reason).toMatch(/network error/);
  });

  it('given an error body that echoes the credentials, when it fails, then the reason has them redacted', async () => {
    const header = `Basic ${Buffer.from(`:${PAT}`).toString('base64')}`;
    ado.reply({ status: 401, body: `bad token ${PAT} in ${header}` });
    const outcome = await postCommitStatus(request(), deps(), policy);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.reason).not.toContain(PAT);
      expect(outcome.reason).not.toContain(header.slice(6));
      expect(outcome.reason).toContain('[redacted]');
    }
  });

  it('given the deadline leaves no room for a retry, when a 503 comes back, then it stops after that attempt', async () => {
    ado.reply({ status: 503 });
    // The clock reads 0 when the attempt starts and 1000 afterwards; the deadline is 500.
    let calls = 0;
    const now = () => (calls++ === 0 ? 0 : 1000);
    const outcome = await postCommitStatus(request(), { ...deps(), now }, policy, 500);
    expect(outcome).toMatchObject({ ok: false, attempts: 1 });
    expect(ado.requests).toHaveLength(1);
  });
});
