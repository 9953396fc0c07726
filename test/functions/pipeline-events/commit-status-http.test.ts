import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AzureDevOpsClient,
  AzureDevOpsError,
  type AzureDevOpsClientOptions,
  type RetryPolicy,
} from '../../../src/shared/azure-devops';
import { commitStatusBody } from '../../../src/functions/pipeline-events/commit-status';
import { FakeAzureDevOps } from '../../support/fake-azure-devops';
import { ADO_WORLD, COMMIT, CONSOLE_LINK, PAT, PROJECT, REPO_ID } from './fixtures';

/**
 * The shared Azure DevOps client posting commit statuses (what the reporter does) against the shared fake over real
 * HTTP on 127.0.0.1, with the sleep injected (recorded, never waited) and the clock under the test's control.
 */

let ado: FakeAzureDevOps;
const policy: RetryPolicy = {
  maxAttempts: 3,
  attemptTimeoutMs: 250,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  maxRetryAfterMs: 5000,
};
let sleeps: number[];
const client = (options: Partial<AzureDevOpsClientOptions> = {}) =>
  new AzureDevOpsClient({
    baseUrl: ado.baseUrl,
    pat: PAT,
    retry: policy,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
const body = commitStatusBody({ state: 'pending', description: 'building' }, CONSOLE_LINK, PROJECT);
const target = { project: 'Finance', repository: REPO_ID, commitId: COMMIT };
const post = (c = client(), limits = {}) => c.postCommitStatus(target, body, limits);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as AzureDevOpsError,
  );
const json = { 'Content-Type': 'application/json; charset=utf-8' };

beforeAll(async () => {
  ado = await FakeAzureDevOps.start(ADO_WORLD);
});
afterAll(() => ado.close());
beforeEach(() => {
  ado.reset();
  ado.flavor = 'services';
  sleeps = [];
});

describe('posting a commit status with the shared client', () => {
  it('given Azure DevOps accepts it, when posting, then one POST reaches the GUID statuses path with the api-version, PAT auth, no sign-in redirect and JSON', async () => {
    expect(await post()).toEqual({ attempts: 1, status: 201 });

    expect(ado.requests).toHaveLength(1);
    const [req] = ado.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/Finance/_apis/git/repositories/${REPO_ID}/commits/${COMMIT}/statuses`);
    expect(req.query).toEqual({ 'api-version': '7.0' });
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`:${PAT}`).toString('base64')}`);
    expect(req.headers['x-tfs-fedauthredirect']).toBe('Suppress');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      state: 'pending',
      description: 'building',
      targetUrl: CONSOLE_LINK,
      context: { name: 'cash-collection', genre: 'berth' },
    });
  });

  it('given only the repository GUID, when posting, then the path has no project segment and the status lands on that repository', async () => {
    await client().postCommitStatus({ repository: REPO_ID, commitId: COMMIT }, body);

    expect(ado.requests[0].path).toBe(`/_apis/git/repositories/${REPO_ID}/commits/${COMMIT}/statuses`);
    expect(ado.statuses).toMatchObject([{ repositoryId: REPO_ID, commitId: COMMIT }]);
  });

  it('given a project and repository with spaces, when posting by name, then the server sees percent-encoded segments', async () => {
    await client().postCommitStatus(
      { project: 'Farm Sales', repository: 'poultry sale', commitId: COMMIT },
      body,
    );

    expect(ado.requests[0].path).toBe(
      `/Farm%20Sales/_apis/git/repositories/poultry%20sale/commits/${COMMIT}/statuses`,
    );
    expect(ado.statuses).toHaveLength(1);
  });

  it.each([500, 502, 503])(
    'given Azure DevOps answers %i every time, when posting, then it tries exactly 3 times with growing backoff and fails with the status',
    async (status) => {
      ado.reply({ status }, { status }, { status });

      const e = await failure(post());

      expect(e).toMatchObject({ kind: 'http', status, attempts: 3 });
      expect(e.message).toContain('gave up after 3 attempts');
      expect(ado.requests).toHaveLength(3);
      expect(sleeps).toEqual([75, 150]);
    },
  );

  it('given one 503 then success, when posting, then the second attempt succeeds', async () => {
    ado.reply({ status: 503 });

    expect(await post()).toEqual({ attempts: 2, status: 201 });
  });

  it('given 429 with Retry-After in seconds, when posting, then it waits that long before the retry', async () => {
    ado.reply({ status: 429, headers: { 'Retry-After': '2' } });

    expect(await post()).toMatchObject({ attempts: 2 });
    expect(sleeps).toEqual([2000]);
  });

  it('given 503 with Retry-After as an HTTP date, when posting, then it waits until that date', async () => {
    const now = Date.parse('2025-06-02T09:30:00Z');
    ado.reply({ status: 503, headers: { 'Retry-After': new Date(now + 4000).toUTCString() } });

    expect(await post(client({ now: () => now }))).toMatchObject({ attempts: 2 });
    expect(sleeps).toEqual([4000]);
  });

  it('given a Retry-After longer than the cap, when posting, then it stops instead of waiting', async () => {
    ado.reply({ status: 429, headers: { 'Retry-After': '120' } });

    const e = await failure(post());

    expect(e).toMatchObject({ status: 429, attempts: 1 });
    expect(e.message).toContain('Retry-After 120 s is longer than this call can wait');
    expect(sleeps).toEqual([]);
  });

  it("given a Retry-After within the cap but past the caller's deadline, when posting, then it stops instead of waiting", async () => {
    ado.reply({ status: 503, headers: { 'Retry-After': '3' } });

    const e = await failure(post(client(), { deadline: Date.now() + 2000 }));

    expect(e).toMatchObject({ status: 503, attempts: 1 });
    expect(sleeps).toEqual([]);
  });

  it.each([400, 401, 403, 404, 409])(
    'given Azure DevOps answers %i, when posting, then it makes a single attempt and keeps its message',
    async (status) => {
      ado.reply({ status, headers: json, body: '{"message":"nope","typeKey":"SomeException"}' });

      const e = await failure(post());

      expect(e).toMatchObject({
        kind: 'http',
        status,
        attempts: 1,
        serverMessage: 'nope',
        typeKey: 'SomeException',
      });
      expect(ado.requests).toHaveLength(1);
      expect(sleeps).toEqual([]);
    },
  );

  it.each([
    [
      'a 203 sign-in page',
      { status: 203, headers: { 'Content-Type': 'text/html' }, body: '<html>Sign in</html>' },
    ],
    ['a redirect', { status: 302, headers: { Location: 'https://login.example/' } }],
    [
      'an HTML page with 200',
      { status: 200, headers: { 'Content-Type': 'text/html' }, body: '<html>Sign in</html>' },
    ],
  ])(
    'given %s for a bad PAT, when posting, then it is a refused token without retry',
    async (_what, reply) => {
      ado.reply(reply);

      const e = await failure(post());

      expect(e).toMatchObject({ kind: 'refused-token', attempts: 1 });
      expect(e.message).toContain('the PAT was refused');
    },
  );

  it('given a server that refuses the REST version, when posting, then the error says so and names the setting', async () => {
    ado.flavor = 'server2020';

    const e = await failure(post());

    expect(e).toMatchObject({
      kind: 'api-version',
      status: 400,
      attempts: 1,
      typeKey: 'VssVersionOutOfRangeException',
    });
    expect(e.message).toContain('refused REST api-version 7.0');
    expect(e.message).toContain('The latest REST API version this server supports is 6.0');
    expect(e.message).toContain('set azureDevOps.apiVersion in berth.yaml');
    expect(e.message).toContain('6.0 for Azure DevOps Server 2020');
  });

  it('given Azure DevOps never answers, when posting, then each attempt times out and it gives up after 3', async () => {
    ado.reply('hang', 'hang', 'hang');

    const e = await failure(post(client({ retry: { ...policy, attemptTimeoutMs: 100 } })));

    expect(e).toMatchObject({ kind: 'timeout', attempts: 3 });
    expect(e.message).toBe('no answer within 100 ms; gave up after 3 attempts');
    expect(ado.requests).toHaveLength(3);
  });

  it('given one hang then success, when posting, then the retry after the timeout succeeds', async () => {
    ado.reply('hang');

    expect(await post()).toMatchObject({ attempts: 2 });
  });

  it('given nothing listens on the port, when posting, then network errors are retried and it fails after 3 attempts', async () => {
    const closed = await FakeAzureDevOps.start(ADO_WORLD);
    const baseUrl = closed.baseUrl;
    await closed.close();

    const e = await failure(post(client({ baseUrl })));

    expect(e).toMatchObject({ kind: 'network', attempts: 3 });
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('given an error body that echoes the credentials, when it fails, then nothing the error holds contains them', async () => {
    const header = `Basic ${Buffer.from(`:${PAT}`).toString('base64')}`;
    ado.reply({
      status: 401,
      headers: json,
      body: JSON.stringify({ message: `bad token ${PAT} in ${header} (${header.slice(6)})` }),
    });

    const e = await failure(post());

    const everything = [e.message, e.serverMessage, e.describe(), e.stack, JSON.stringify(e), e.request].join(
      '\n',
    );
    expect(everything).not.toContain(PAT);
    expect(everything).not.toContain(header.slice(6));
    expect(e.serverMessage).toBe('bad token [redacted] in [redacted] ([redacted])');
  });

  it('given the deadline leaves no room for a retry, when a 503 comes back, then it stops after that attempt', async () => {
    ado.reply({ status: 503 });
    let calls = 0;
    const now = () => (calls++ === 0 ? 0 : 1000);

    const e = await failure(post(client({ now }), { deadline: 500 }));

    expect(e).toMatchObject({ attempts: 1 });
    expect(e.message).toContain('out of time for another attempt');
    expect(ado.requests).toHaveLength(1);
  });

  it('given the deadline has already passed, when posting, then no request is made', async () => {
    const e = await failure(post(client(), { deadline: Date.now() - 1 }));

    expect(e).toMatchObject({ kind: 'timeout', attempts: 0 });
    expect(ado.requests).toHaveLength(0);
  });
});

describe('requests that are not idempotent', () => {
  const subscription = {
    publisherId: 'tfs',
    eventType: 'git.push',
    resourceVersion: '1.0',
    consumerId: 'webHooks',
    consumerActionId: 'httpRequest',
    publisherInputs: { projectId: ADO_WORLD.projects.Finance },
    consumerInputs: { url: 'https://api.example.com/webhook/p' },
  };

  it('given a 503 on creating a subscription, when creating, then it is not sent again (it may have been made)', async () => {
    ado.reply({ status: 503 });

    const e = await failure(client().createSubscription(subscription));

    expect(e).toMatchObject({ status: 503, attempts: 1 });
    expect(ado.requests).toHaveLength(1);
  });

  it('given a 429 on creating a subscription, when creating, then it is sent again (nothing was processed)', async () => {
    ado.reply({ status: 429, headers: { 'Retry-After': '1' } });

    const created = await client().createSubscription(subscription);

    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ado.requests).toHaveLength(2);
    expect(sleeps).toEqual([1000]);
  });
});
