import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { StartPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PIPELINE_VARIABLES } from '../../../src/config/names';
import { WEBHOOK_METRICS } from '../../../src/functions/webhook/metrics';
import { MAX_BODY_BYTES } from '../../../src/functions/webhook/parse';
import { loadSettings } from '../../../src/functions/webhook/settings';
import {
  apiEvent,
  basicAuth,
  CASH,
  fixture,
  harness,
  MERGE_COMMIT,
  POULTRY,
  PUSH_COMMIT,
  type Harness,
} from './helpers';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.restore());

const ZEROS = '0'.repeat(40);
const token = (service: string, commit: string) =>
  createHash('sha256').update(`${service}:${commit}`).digest('hex');

function startCalls() {
  return h.codePipeline.commandCalls(StartPipelineExecutionCommand).map((c) => c.args[0].input);
}

describe('webhook handler: the documented payloads', () => {
  it('starts the pipeline on the documented git.push, pinned to the pushed commit, branch and repository', async () => {
    // Given the documented push to refs/heads/main of Fabrikam-Fiber-Git, with the project's credentials
    // When it is delivered to /webhook/cash-collection
    const res = await h.call(apiEvent());
    // Then the answer is 202 started with the execution id and commit
    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({ status: 'started', executionId: expect.any(String), commit: PUSH_COMMIT });
    // And exactly one execution was requested on that project's pipeline, with the pipeline variables set
    expect(startCalls()).toEqual([
      {
        name: 'berth-cash-collection',
        clientRequestToken: token('cash-collection', PUSH_COMMIT),
        variables: [
          { name: PIPELINE_VARIABLES.commit, value: PUSH_COMMIT },
          { name: PIPELINE_VARIABLES.branch, value: 'main' },
          { name: PIPELINE_VARIABLES.repository, value: 'Fabrikam-Fiber-Git' },
        ],
      },
    ]);
    expect(startCalls()[0].clientRequestToken).toMatch(/^[a-zA-Z0-9-]{1,128}$/);
    // And the secret was read from the project's secret
    expect(h.secretsManager.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({
      SecretId: 'berth/cash-collection/webhook',
    });
  });

  it('starts the pipeline on the documented git.pullrequest.merged, pinned to the merge commit', async () => {
    // Given the documented completed PR into refs/heads/main of Fabrikam, sent to poultry-sale
    const event = apiEvent({
      service: 'poultry-sale',
      body: fixture('git.pullrequest.merged'),
      authorization: basicAuth(POULTRY.username, POULTRY.password),
    });
    // When it is handled
    const res = await h.call(event);
    // Then the merge commit is started on poultry-sale's pipeline
    expect(res.statusCode).toBe(202);
    expect(res.json).toMatchObject({ status: 'started', commit: MERGE_COMMIT });
    expect(startCalls()).toEqual([
      {
        name: 'berth-poultry-sale',
        clientRequestToken: token('poultry-sale', MERGE_COMMIT),
        variables: [
          { name: 'COMMIT_ID', value: MERGE_COMMIT },
          { name: 'BRANCH', value: 'main' },
          { name: 'REPOSITORY', value: 'Fabrikam' },
        ],
      },
    ]);
  });

  it('gives a redelivered event the same clientRequestToken, so CodePipeline starts one execution', async () => {
    // Given the same push delivered twice (Azure DevOps retries with the same body and event id)
    const first = await h.call(apiEvent());
    const second = await h.call(apiEvent());
    // Then both requests carry one token and get one execution id
    const [a, b] = startCalls();
    expect(a.clientRequestToken).toBe(b.clientRequestToken);
    expect(second.json.executionId).toBe(first.json.executionId);
  });

  it('gives the PR-merged event and the push of that merge commit one token', async () => {
    // Given a completed PR, then the push of its merge commit to main (different event ids)
    const push = fixture('git.push');
    push.id = 'b1f6a0c6-0000-4000-8000-000000000001';
    push.resource.repository = fixture('git.pullrequest.merged').resource.repository;
    push.resource.refUpdates[0].newObjectId = MERGE_COMMIT;
    const auth = basicAuth(POULTRY.username, POULTRY.password);
    const merged = await h.call(
      apiEvent({ service: 'poultry-sale', body: fixture('git.pullrequest.merged'), authorization: auth }),
    );
    const pushed = await h.call(apiEvent({ service: 'poultry-sale', body: push, authorization: auth }));
    // Then both start requests share the token (one execution)
    const [a, b] = startCalls();
    expect(a.clientRequestToken).toBe(b.clientRequestToken);
    expect(pushed.json.executionId).toBe(merged.json.executionId);
  });

  it('gives a push of another commit another token', async () => {
    const other = fixture('git.push');
    other.resource.refUpdates[0].newObjectId = 'a'.repeat(40);
    await h.call(apiEvent());
    await h.call(apiEvent({ body: other }));
    const [a, b] = startCalls();
    expect(a.clientRequestToken).not.toBe(b.clientRequestToken);
    expect(b.variables).toContainEqual({ name: 'COMMIT_ID', value: 'a'.repeat(40) });
  });
});

describe('webhook handler: variations that do not start a pipeline', () => {
  it('ignores a push to another branch with 202', async () => {
    const body = fixture('git.push');
    body.resource.refUpdates[0].name = 'refs/heads/feature/x';
    const res = await h.call(apiEvent({ body }));
    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({ status: 'ignored', reason: expect.stringContaining('main') });
    expect(startCalls()).toEqual([]);
  });

  it('ignores the deletion of the configured branch (all-zero new object id) with 202', async () => {
    const body = fixture('git.push');
    body.resource.refUpdates[0].newObjectId = ZEROS;
    const res = await h.call(apiEvent({ body }));
    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({ status: 'ignored', reason: expect.stringContaining('deleted') });
    expect(startCalls()).toEqual([]);
  });

  it('uses the configured branch when a push updates several refs', async () => {
    const body = fixture('git.push');
    const main = body.resource.refUpdates[0];
    body.resource.refUpdates = [
      { name: 'refs/heads/dev', oldObjectId: ZEROS, newObjectId: 'd'.repeat(40) },
      main,
      { name: 'refs/tags/v1', oldObjectId: ZEROS, newObjectId: 'e'.repeat(40) },
    ];
    const res = await h.call(apiEvent({ body }));
    expect(res.json).toMatchObject({ status: 'started', commit: PUSH_COMMIT });
    expect(startCalls()[0].variables).toContainEqual({ name: 'COMMIT_ID', value: PUSH_COMMIT });
  });

  it.each([
    [
      'another repository name',
      (b: ReturnType<typeof fixture>) => (b.resource.repository.name = 'Other-Repo'),
    ],
    [
      'another Azure DevOps project',
      (b: ReturnType<typeof fixture>) => (b.resource.repository.project.name = 'Other'),
    ],
    [
      'another repository id',
      (b: ReturnType<typeof fixture>) => (b.resource.repository.id = '00000000-0000-4000-8000-000000000000'),
    ],
    [
      'no repository id when one is configured',
      (b: ReturnType<typeof fixture>) => delete b.resource.repository.id,
    ],
  ])('refuses a push from %s with 403', async (_what, mutate) => {
    const body = fixture('git.push');
    mutate(body);
    const res = await h.call(apiEvent({ body }));
    expect(res.statusCode).toBe(403);
    expect(res.json).toEqual({ status: 'forbidden', reason: expect.stringContaining('repository') });
    expect(startCalls()).toEqual([]);
  });

  it('matches repository and project names and the id case-insensitively', async () => {
    const body = fixture('git.push');
    body.resource.repository.name = 'FABRIKAM-fiber-git';
    body.resource.repository.project.name = 'fabrikam-FIBER-git';
    body.resource.repository.id = body.resource.repository.id.toUpperCase();
    const res = await h.call(apiEvent({ body }));
    expect(res.json.status).toBe('started');
  });

  it.each(['git.pullrequest.created', 'build.complete', 'ms.vss-code.git-pullrequest-comment-event'])(
    'ignores event type %s with 202, whatever its resource holds',
    async (eventType) => {
      const res = await h.call(apiEvent({ body: { id: 'x', eventType, resource: null } }));
      expect(res.statusCode).toBe(202);
      expect(res.json).toEqual({ status: 'ignored', reason: expect.stringContaining(eventType) });
      expect(startCalls()).toEqual([]);
    },
  );

  it('ignores a merged pull request into another branch, and one not completed', async () => {
    const auth = basicAuth(POULTRY.username, POULTRY.password);
    const otherTarget = fixture('git.pullrequest.merged');
    otherTarget.resource.targetRefName = 'refs/heads/release';
    const active = fixture('git.pullrequest.merged');
    active.resource.status = 'active';
    for (const body of [otherTarget, active]) {
      const res = await h.call(apiEvent({ service: 'poultry-sale', body, authorization: auth }));
      expect(res.statusCode).toBe(202);
      expect(res.json.status).toBe('ignored');
    }
    expect(startCalls()).toEqual([]);
  });
});

describe('webhook handler: malformed bodies get 400 naming what is missing', () => {
  const cases: [string, (b: ReturnType<typeof fixture>) => unknown, string][] = [
    ['refUpdates', (b) => delete b.resource.refUpdates, 'resource.refUpdates'],
    ['an empty refUpdates', (b) => (b.resource.refUpdates = []), 'resource.refUpdates'],
    ['the repository name', (b) => delete b.resource.repository.name, 'resource.repository.name'],
    ['the repository project', (b) => delete b.resource.repository.project, 'resource.repository.project'],
    ['the resource', (b) => delete b.resource, 'resource'],
    ['the event type', (b) => delete b.eventType, 'eventType'],
    ['a ref name', (b) => delete b.resource.refUpdates[0].name, 'resource.refUpdates[0].name'],
    [
      'a hex commit',
      (b) => (b.resource.refUpdates[0].newObjectId = 'HEAD'),
      'resource.refUpdates[0].newObjectId',
    ],
  ];
  it.each(cases)('answers 400 for a push without %s', async (_what, mutate, field) => {
    const body = fixture('git.push');
    mutate(body);
    const res = await h.call(apiEvent({ body }));
    expect(res.statusCode).toBe(400);
    expect(res.json).toEqual({ status: 'bad_request', reason: expect.stringContaining(field) });
    expect(startCalls()).toEqual([]);
  });

  it('answers 400 for a completed PR without its merge commit', async () => {
    const body = fixture('git.pullrequest.merged');
    delete body.resource.lastMergeCommit;
    const res = await h.call(
      apiEvent({
        service: 'poultry-sale',
        body,
        authorization: basicAuth(POULTRY.username, POULTRY.password),
      }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json.reason).toContain('resource.lastMergeCommit');
  });

  it.each([
    ['not JSON', '{"eventType": "git.push",'],
    ['a JSON array', '[1, 2]'],
    ['a JSON string', '"git.push"'],
    ['JSON null', 'null'],
    ['empty', ''],
  ])('answers 400 for a body that is %s', async (_what, body) => {
    const res = await h.call(apiEvent({ body }));
    expect(res.statusCode).toBe(400);
    expect(res.json.status).toBe('bad_request');
    expect(startCalls()).toEqual([]);
  });
});

describe('webhook handler: credentials', () => {
  it('answers 401 with WWW-Authenticate and reads no secret when there is no Authorization header', async () => {
    const res = await h.call(apiEvent({ authorization: null }));
    expect(res.statusCode).toBe(401);
    expect(res.headers['WWW-Authenticate']).toBe('Basic realm="berth"');
    expect(h.secretsManager.calls()).toHaveLength(0);
    expect(startCalls()).toEqual([]);
  });

  it.each([
    ['a wrong password', basicAuth(CASH.username, 'wrong')],
    ['a wrong user name', basicAuth('someone', CASH.password)],
    ['another project’s credentials', basicAuth(POULTRY.username, POULTRY.password)],
    ['the password with a different case', basicAuth(CASH.username, CASH.password.toUpperCase())],
    ['a bearer token', `Bearer ${CASH.password}`],
    ['basic auth without a colon', `Basic ${Buffer.from(CASH.password).toString('base64')}`],
    ['garbage', 'Basic !!!'],
  ])('answers 401 with WWW-Authenticate for %s and starts nothing', async (_what, authorization) => {
    const res = await h.call(apiEvent({ authorization }));
    expect(res.statusCode).toBe(401);
    expect(res.headers['WWW-Authenticate']).toBe('Basic realm="berth"');
    expect(res.json.status).toBe('unauthorized');
    expect(startCalls()).toEqual([]);
  });

  it('accepts a rotated password at once, a few seconds after the secret was cached', async () => {
    // Given the secret cached, then rotated in Secrets Manager 5 s later
    expect((await h.call(apiEvent())).json.status).toBe('started');
    const rotated = { username: CASH.username, password: 'rotated-password-2' };
    h.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(rotated) });
    h.clock.now += 5_000;
    // When Azure DevOps sends the new password, then the push starts
    const res = await h.call(apiEvent({ authorization: basicAuth(rotated.username, rotated.password) }));
    expect(res.json.status).toBe('started');
    // And the old password no longer works
    expect((await h.call(apiEvent())).statusCode).toBe(401);
  });

  it('accepts the scheme name in any case and the header name in any case', async () => {
    const event = apiEvent({ authorization: null });
    event.headers = {
      ...event.headers,
      Authorization: basicAuth(CASH.username, CASH.password).replace('Basic', 'bAsIc'),
    };
    const res = await h.call(event);
    expect(res.json.status).toBe('started');
  });

  it('never echoes the credentials or the secret in any answer', async () => {
    const answers = await Promise.all([
      h.call(apiEvent()),
      h.call(apiEvent({ authorization: basicAuth(CASH.username, 'not-it') })),
      h.call(apiEvent({ body: '{' })),
    ]);
    for (const res of answers) {
      const text = JSON.stringify(res);
      expect(text).not.toContain(CASH.password);
      expect(text).not.toContain('not-it');
      expect(text).not.toContain(basicAuth(CASH.username, CASH.password).slice(6));
    }
  });
});

describe('webhook handler: routing and body limits', () => {
  it.each(['unknown', 'constructor', '__proto__', 'toString'])(
    'answers 404 for service %s without reading a secret',
    async (service) => {
      const res = await h.call(apiEvent({ service }));
      expect(res.statusCode).toBe(404);
      expect(res.json.status).toBe('not_found');
      expect(h.secretsManager.calls()).toHaveLength(0);
    },
  );

  it('answers 404 when the path names no service', async () => {
    const res = await h.call(apiEvent({ pathParameters: undefined, rawPath: '/webhook/' }));
    expect(res.statusCode).toBe(404);
  });

  it('falls back to the raw path when the path parameter is absent', async () => {
    const res = await h.call(apiEvent({ pathParameters: undefined, rawPath: '/webhook/cash-collection' }));
    expect(res.json.status).toBe('started');
  });

  it('decodes a base64 body when API Gateway says it is encoded', async () => {
    const body = Buffer.from(JSON.stringify(fixture('git.push'))).toString('base64');
    const res = await h.call(apiEvent({ body, isBase64Encoded: true }));
    expect(res.json).toMatchObject({ status: 'started', commit: PUSH_COMMIT });
  });

  it('accepts a body of exactly 2 MB and answers 413 one byte over, counting decoded UTF-8 bytes', async () => {
    const json = JSON.stringify(fixture('git.push'));
    const exact = json + ' '.repeat(MAX_BODY_BYTES - json.length);
    expect(Buffer.byteLength(exact)).toBe(MAX_BODY_BYTES);
    expect((await h.call(apiEvent({ body: exact }))).json.status).toBe('started');
    const over = await h.call(apiEvent({ body: exact + ' ' }));
    expect(over.statusCode).toBe(413);
    expect(over.json.status).toBe('too_large');
    // 'é' is two bytes: fewer characters than the limit, more bytes
    const multiByte = json + 'é'.repeat((MAX_BODY_BYTES - json.length) / 2 + 1);
    expect(multiByte.length).toBeLessThan(MAX_BODY_BYTES);
    expect((await h.call(apiEvent({ body: multiByte }))).statusCode).toBe(413);
    const base64 = Buffer.from(exact + ' ').toString('base64');
    expect((await h.call(apiEvent({ body: base64, isBase64Encoded: true }))).statusCode).toBe(413);
    expect(startCalls()).toHaveLength(1);
  });

  it('answers every request with Content-Type application/json', async () => {
    const answers = [
      await h.call(apiEvent()),
      await h.call(apiEvent({ service: 'nope' })),
      await h.call(apiEvent({ authorization: null })),
      await h.call(apiEvent({ body: '[]' })),
    ];
    for (const res of answers) expect(res.headers['Content-Type']).toBe('application/json');
  });
});

describe('webhook handler: configuration', () => {
  it('answers 503 and logs the error when the projects setting is malformed, calling nothing', async () => {
    h.restore();
    h = harness({ settings: loadSettings('{"cash-collection": {"pipelineName": ""}}') });
    const res = await h.call(apiEvent());
    expect(res.statusCode).toBe(503);
    expect(res.json.status).toBe('retry_later');
    expect(h.secretsManager.calls()).toHaveLength(0);
    expect(startCalls()).toEqual([]);
    const [line] = h.logs();
    expect(line.level).toBe('ERROR');
    expect(JSON.stringify(line.error)).toContain('WEBHOOK_PROJECTS');
  });
});

describe('webhook handler: logs and metrics', () => {
  it('writes one log line per request with project, event id, commit, outcome and duration', async () => {
    await h.call(apiEvent());
    const logs = h.logs();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'INFO',
      message: 'webhook request',
      service: 'berth-webhook',
      project: 'cash-collection',
      eventId: '03c164c2-8912-4d5e-8009-3707d5f83734',
      eventType: 'git.push',
      repository: 'Fabrikam-Fiber-Git',
      commit: PUSH_COMMIT,
      branch: 'main',
      outcome: 'started',
      statusCode: 202,
      executionId: expect.any(String),
      requestId: 'req-1',
    });
    expect(typeof logs[0].durationMs).toBe('number');
  });

  it('names the repository that knocked when it answers 403', async () => {
    const body = fixture('git.push');
    body.resource.repository.name = 'Intruder-Repo';
    await h.call(apiEvent({ body }));
    expect(h.logs()[0]).toMatchObject({
      level: 'WARN',
      outcome: 'forbidden',
      statusCode: 403,
      repository: 'Intruder-Repo',
    });
  });

  it('never logs the Authorization header, the password or the body', async () => {
    await h.call(apiEvent());
    await h.call(apiEvent({ authorization: basicAuth(CASH.username, 'guess-123') }));
    await h.call(apiEvent({ body: { eventType: 'git.push', secretish: 'body-marker-42' } }));
    const text = h.output.join('\n');
    expect(text).not.toContain(CASH.password);
    expect(text).not.toContain('guess-123');
    expect(text).not.toContain(basicAuth(CASH.username, CASH.password).slice(6));
    expect(text).not.toContain('body-marker-42');
    expect(text).not.toContain('Fixed bug in web.config file');
  });

  const wrongRepo = fixture('git.push');
  wrongRepo.resource.repository.name = 'Other';
  const otherBranch = fixture('git.push');
  otherBranch.resource.refUpdates[0].name = 'refs/heads/dev';
  const outcomes: [keyof typeof WEBHOOK_METRICS, () => ReturnType<typeof apiEvent>, (h: Harness) => void][] =
    [
      ['started', () => apiEvent(), () => {}],
      ['ignored', () => apiEvent({ body: otherBranch }), () => {}],
      ['unauthorized', () => apiEvent({ authorization: null }), () => {}],
      ['forbidden', () => apiEvent({ body: wrongRepo }), () => {}],
      ['badRequest', () => apiEvent({ body: '{}' }), () => {}],
      ['notFound', () => apiEvent({ service: 'nope' }), () => {}],
      ['tooLarge', () => apiEvent({ body: ' '.repeat(MAX_BODY_BYTES + 1) }), () => {}],
      ['retryable', () => apiEvent(), (x) => x.codePipeline.onAnyCommand().rejects(new Error('boom'))],
    ];
  it.each(outcomes)('counts outcome %s with its own metric, once', async (outcome, event, arrange) => {
    arrange(h);
    await h.call(event());
    expect(h.metricNames()).toEqual([WEBHOOK_METRICS[outcome]]);
    const blob = h.output.map((l) => JSON.parse(l)).find((l) => '_aws' in l);
    expect(blob._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Berth',
      Dimensions: [['service']],
      Metrics: [{ Name: WEBHOOK_METRICS[outcome], Unit: 'Count' }],
    });
    expect(blob[WEBHOOK_METRICS[outcome]]).toBe(1);
  });
});
