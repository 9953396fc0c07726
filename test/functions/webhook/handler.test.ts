import { StartPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PIPELINE_VARIABLES, WEBHOOK_METRICS } from '../../../src/contracts';
import { MAX_BODY_BYTES } from '../../../src/functions/webhook/parse';
import { loadSettings } from '../../../src/functions/webhook/settings';
import {
  apiEvent,
  basicAuth,
  CASH,
  EGG,
  fixture,
  harness,
  POULTRY,
  PUSH_COMMIT,
  PUSH_ID,
  REPO_ID,
  STATE_TABLE,
  testDelivery,
  type Harness,
} from './helpers';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.restore());

const ZEROS = '0'.repeat(40);
const token = (service: string, commit: string, pushId?: number) =>
  createHash('sha256')
    .update(pushId === undefined ? `${service}:${commit}` : `${service}:${commit}:${pushId}`)
    .digest('hex');
const poultryAuth = basicAuth(POULTRY.username, POULTRY.password);
const eggAuth = basicAuth(EGG.username, EGG.password);

function startCalls() {
  return h.codePipeline.commandCalls(StartPipelineExecutionCommand).map((c) => c.args[0].input);
}
function updateCalls() {
  return h.dynamoDb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
}
/** The push fixture as push `pushId` of `commit` (undefined pushId: the field removed). */
function push(pushId: number | undefined, commit = PUSH_COMMIT) {
  const body = fixture('git.push');
  if (pushId === undefined) delete body.resource.pushId;
  else body.resource.pushId = pushId;
  body.resource.refUpdates[0].newObjectId = commit;
  return body;
}

describe('webhook handler: the documented push', () => {
  it('given the documented git.push with the project credentials, when delivered, then the pipeline starts on the pushed commit with COMMIT_ID and RELEASE_MODE=release only', async () => {
    const res = await h.call(apiEvent());

    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({ status: 'started', executionId: expect.any(String), commit: PUSH_COMMIT });
    expect(startCalls()).toEqual([
      {
        name: 'berth-cash-collection',
        clientRequestToken: token('cash-collection', PUSH_COMMIT, PUSH_ID),
        variables: [
          { name: PIPELINE_VARIABLES.commit, value: PUSH_COMMIT },
          { name: PIPELINE_VARIABLES.mode, value: 'release' },
        ],
      },
    ]);
    expect(startCalls()[0].clientRequestToken).toMatch(/^[a-zA-Z0-9-]{1,128}$/);
    expect(h.secretsManager.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({
      SecretId: 'berth/cash-collection/webhook',
    });
  });

  it('given the documented push, when delivered, then its pushId is recorded for the project and branch with a conditional UpdateItem before the start', async () => {
    await h.call(apiEvent());

    expect(updateCalls()).toEqual([
      {
        TableName: STATE_TABLE,
        Key: { pk: { S: `cash-collection#${REPO_ID}#main` } },
        UpdateExpression: 'SET lastPushId = :pushId, lastCommit = :commit, updatedAt = :now',
        ConditionExpression: 'attribute_not_exists(lastPushId) OR lastPushId <= :pushId',
        ExpressionAttributeValues: {
          ':pushId': { N: String(PUSH_ID) },
          ':commit': { S: PUSH_COMMIT },
          ':now': { S: new Date(h.clock.now).toISOString() },
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
    expect(h.table.get(`cash-collection#${REPO_ID}#main`)?.lastPushId).toEqual({ N: '14' });
  });

  it('given the same push delivered twice, when handled, then both carry one clientRequestToken and get one execution', async () => {
    const first = await h.call(apiEvent());
    const second = await h.call(apiEvent());

    const [a, b] = startCalls();
    expect(a.clientRequestToken).toBe(b.clientRequestToken);
    expect(second.json.executionId).toBe(first.json.executionId);
  });

  it('given a later push of a commit that was released before, when delivered, then it releases it again (another token)', async () => {
    await h.call(apiEvent({ body: push(14, PUSH_COMMIT) }));
    await h.call(apiEvent({ body: push(15, 'a'.repeat(40)) }));
    const back = await h.call(apiEvent({ body: push(16, PUSH_COMMIT) }));

    expect(back.json.status).toBe('started');
    const tokens = startCalls().map((c) => c.clientRequestToken);
    expect(new Set(tokens).size).toBe(3);
  });
});

describe('webhook handler: events acknowledged without a start (2xx, never a probation status)', () => {
  it('given the "Test" delivery (all-zero subscriptionId) with valid credentials, when delivered, then it answers 202 ignored saying the credentials work, and touches nothing', async () => {
    const res = await h.call(apiEvent({ body: testDelivery() }));

    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({ status: 'ignored', reason: expect.stringContaining('test delivery') });
    expect(res.json.reason).toContain('the credentials work');
    expect(startCalls()).toEqual([]);
    expect(updateCalls()).toEqual([]);
  });

  it('given the "Test" delivery with wrong credentials, when delivered, then it answers 401 like any request', async () => {
    const res = await h.call(apiEvent({ body: testDelivery(), authorization: basicAuth('x', 'y') }));

    expect(res.statusCode).toBe(401);
  });

  it('given the documented git.pullrequest.merged, when delivered, then it is acknowledged 202 without a start: the push of the merge commit releases it', async () => {
    const res = await h.call(apiEvent({ body: fixture('git.pullrequest.merged') }));

    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({
      status: 'ignored',
      reason: 'git.pullrequest.merged does not start a release: the push of the merge commit releases it',
    });
    expect(startCalls()).toEqual([]);
  });

  it('given a merged pull request without lastMergeCommit, when delivered, then it is still acknowledged, not refused', async () => {
    const body = fixture('git.pullrequest.merged');
    delete body.resource.lastMergeCommit;

    expect((await h.call(apiEvent({ body }))).statusCode).toBe(202);
  });

  it('given a push to another branch, when delivered, then 202 ignored names the configured branch', async () => {
    const body = fixture('git.push');
    body.resource.refUpdates[0].name = 'refs/heads/feature/x';

    const res = await h.call(apiEvent({ body }));

    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({ status: 'ignored', reason: 'push does not update branch "main"' });
    expect(startCalls()).toEqual([]);
    expect(updateCalls()).toEqual([]);
  });

  it('given the deletion of the configured branch (all-zero new object id), when delivered, then 202 ignored', async () => {
    const body = fixture('git.push');
    body.resource.refUpdates[0].newObjectId = ZEROS;

    const res = await h.call(apiEvent({ body }));

    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({ status: 'ignored', reason: 'branch "main" was deleted' });
    expect(startCalls()).toEqual([]);
  });

  it('given a push updating several refs, when delivered, then the configured branch is the one released', async () => {
    const body = fixture('git.push');
    const main = body.resource.refUpdates[0];
    body.resource.refUpdates = [
      { name: 'refs/heads/dev', oldObjectId: ZEROS, newObjectId: 'd'.repeat(40) },
      main,
      { name: 'refs/tags/v1', oldObjectId: ZEROS, newObjectId: 'e'.repeat(40) },
    ];

    const res = await h.call(apiEvent({ body }));

    expect(res.json).toMatchObject({ status: 'started', commit: PUSH_COMMIT });
  });

  it('given a push from another repository (another GUID), when delivered, then 202 ignored says so: no 403 any more', async () => {
    const body = fixture('git.push');
    body.resource.repository.id = '00000000-0000-4000-8000-000000000000';
    body.resource.repository.name = 'Other-Repo';

    const res = await h.call(apiEvent({ body }));

    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({
      status: 'ignored',
      reason: 'repository "Other-Repo" is not the repository of project "cash-collection"',
    });
    expect(startCalls()).toEqual([]);
  });

  it.each(['git.pullrequest.created', 'build.complete', 'ms.vss-code.git-pullrequest-comment-event'])(
    'given event type %s, when delivered, then 202 ignored whatever its resource holds',
    async (eventType) => {
      const res = await h.call(apiEvent({ body: { id: 'x', eventType, resource: null } }));

      expect(res.statusCode).toBe(202);
      expect(res.json).toEqual({ status: 'ignored', reason: `event type "${eventType}" is not handled` });
      expect(startCalls()).toEqual([]);
    },
  );
});

describe('webhook handler: matching the repository', () => {
  it('given a configured GUID and a repository renamed in Azure DevOps (new project and repository names), when its push arrives, then it starts', async () => {
    const body = fixture('git.push');
    body.resource.repository.name = 'Renamed-Repo';
    body.resource.repository.project.name = 'Renamed-Project';
    body.resource.repository.id = REPO_ID.toUpperCase();

    const res = await h.call(apiEvent({ body }));

    expect(res.json.status).toBe('started');
  });

  it('given only the GUID connect stored in the secret (configured names are the old ones), when the push arrives, then it starts', async () => {
    const res = await h.call(apiEvent({ service: 'poultry-sale', authorization: poultryAuth }));

    expect(res.json).toMatchObject({ status: 'started', commit: PUSH_COMMIT });
    expect(startCalls()[0].name).toBe('berth-poultry-sale');
  });

  it('given the GUID in the secret, when a push of another repository carrying the configured names arrives, then the GUID wins and it is ignored', async () => {
    const body = fixture('git.push');
    body.resource.repository.id = '11111111-2222-4333-8444-555555555555';
    body.resource.repository.name = 'Fabrikam-Old-Name';
    body.resource.repository.project.name = 'Fabrikam';

    const res = await h.call(apiEvent({ service: 'poultry-sale', authorization: poultryAuth, body }));

    expect(res.statusCode).toBe(202);
    expect(res.json.status).toBe('ignored');
    expect(startCalls()).toEqual([]);
  });

  it('given no GUID known, when a push arrives, then project and repository names match case-insensitively', async () => {
    const body = fixture('git.push');
    body.resource.repository.name = 'FABRIKAM-fiber-git';
    body.resource.repository.project.name = 'fabrikam-FIBER-git';

    const started = await h.call(apiEvent({ service: 'egg-sale', authorization: eggAuth, body }));
    body.resource.repository.name = 'Fabrikam-Fiber-Git-2';
    const other = await h.call(apiEvent({ service: 'egg-sale', authorization: eggAuth, body }));

    expect(started.json.status).toBe('started');
    expect(other.statusCode).toBe(202);
    expect(other.json.status).toBe('ignored');
  });

  it('given a configured GUID and a payload without a repository id, when it arrives, then the names decide', async () => {
    const body = fixture('git.push');
    delete body.resource.repository.id;

    expect((await h.call(apiEvent({ body }))).json.status).toBe('started');
  });
});

describe('webhook handler: releases follow push order', () => {
  it('given push 15 was released, when push 12 of the branch arrives late, then it starts nothing and says why with 202', async () => {
    await h.call(apiEvent({ body: push(15, 'a'.repeat(40)) }));

    const late = await h.call(apiEvent({ body: push(12, 'b'.repeat(40)) }));

    expect(late.statusCode).toBe(202);
    expect(late.json).toEqual({
      status: 'ignored',
      reason: 'push 12 is older than push 15, already started on branch "main"',
    });
    expect(startCalls().map((c) => c.variables?.[0].value)).toEqual(['a'.repeat(40)]);
    expect(h.table.get(`cash-collection#${REPO_ID}#main`)?.lastPushId).toEqual({ N: '15' });
    expect(h.logs()[1]).toMatchObject({ outcome: 'ignored', pushId: 12, lastPushId: 15 });
  });

  it('given push 15 failed to start (503), when Azure DevOps redelivers push 15, then it starts', async () => {
    h.codePipeline.on(StartPipelineExecutionCommand).rejectsOnce(new Error('Rate exceeded'));
    expect((await h.call(apiEvent({ body: push(15) }))).statusCode).toBe(503);
    h.codePipeline.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: 'exec-again' });

    const again = await h.call(apiEvent({ body: push(15) }));

    expect(again.json).toMatchObject({ status: 'started', executionId: 'exec-again' });
  });

  it('given a push without a pushId, when it arrives, then it is treated as new: started without a table write', async () => {
    await h.call(apiEvent({ body: push(15, 'a'.repeat(40)) }));

    const res = await h.call(apiEvent({ body: push(undefined, 'c'.repeat(40)) }));

    expect(res.json.status).toBe('started');
    expect(updateCalls()).toHaveLength(1);
    expect(startCalls()[1].clientRequestToken).toBe(token('cash-collection', 'c'.repeat(40)));
  });

  it('given the condition fails without the old item, when a push arrives, then it is still ignored with 202', async () => {
    h.dynamoDb
      .on(UpdateItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    const res = await h.call(apiEvent());

    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({
      status: 'ignored',
      reason: 'push 14 is older than a newer push, already started on branch "main"',
    });
    expect(startCalls()).toEqual([]);
  });

  it('given DynamoDB fails, when a push arrives, then the answer is 503 (retried by Azure DevOps) and nothing starts', async () => {
    h.dynamoDb.on(UpdateItemCommand).rejects(
      new DynamoDBServiceException({
        name: 'ProvisionedThroughputExceededException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );

    const res = await h.call(apiEvent());

    expect(res.statusCode).toBe(503);
    expect(res.json).toEqual({
      status: 'retry_later',
      reason: 'push order could not be checked; retry later',
    });
    expect(startCalls()).toEqual([]);
    expect(h.logs()[0]).toMatchObject({
      level: 'ERROR',
      dependency: 'dynamodb',
      errorName: 'ProvisionedThroughputExceededException',
    });
  });

  it('given two projects on one repository, when their pushes arrive, then each keeps its own order (key <project>#<repository>#<branch>)', async () => {
    await h.call(apiEvent({ body: push(20) }));

    const egg = await h.call(apiEvent({ service: 'egg-sale', authorization: eggAuth, body: push(19) }));

    expect(egg.json.status).toBe('started');
    expect([...h.table.keys()].sort()).toEqual([
      `cash-collection#${REPO_ID}#main`,
      `egg-sale#${REPO_ID}#main`,
    ]);
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
  it.each(cases)(
    'given a push without %s, when delivered, then 400 names it',
    async (_what, mutate, field) => {
      const body = fixture('git.push');
      mutate(body);

      const res = await h.call(apiEvent({ body }));

      expect(res.statusCode).toBe(400);
      expect(res.json).toEqual({ status: 'bad_request', reason: expect.stringContaining(field) });
      expect(startCalls()).toEqual([]);
    },
  );

  it('given a pushId that is not a number, when delivered, then the push is treated as one without a pushId', async () => {
    const body = fixture('git.push');
    body.resource.pushId = 'fourteen';

    const res = await h.call(apiEvent({ body }));

    expect(res.json.status).toBe('started');
    expect(updateCalls()).toEqual([]);
  });

  it.each([
    ['not JSON', '{"eventType": "git.push",'],
    ['a JSON array', '[1, 2]'],
    ['a JSON string', '"git.push"'],
    ['JSON null', 'null'],
    ['empty', ''],
  ])('given a body that is %s, when delivered, then 400', async (_what, body) => {
    const res = await h.call(apiEvent({ body }));

    expect(res.statusCode).toBe(400);
    expect(res.json.status).toBe('bad_request');
    expect(startCalls()).toEqual([]);
  });
});

describe('webhook handler: credentials', () => {
  it('given no Authorization header, when a request arrives, then 401 with WWW-Authenticate and no secret is read', async () => {
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
  ])(
    'given %s, when a request arrives, then 401 with WWW-Authenticate and nothing starts',
    async (_what, authorization) => {
      const res = await h.call(apiEvent({ authorization }));

      expect(res.statusCode).toBe(401);
      expect(res.headers['WWW-Authenticate']).toBe('Basic realm="berth"');
      expect(res.json.status).toBe('unauthorized');
      expect(startCalls()).toEqual([]);
    },
  );

  it.each(['unknown', 'constructor', '__proto__', 'toString'])(
    'given project %s that does not exist, when called with credentials, then the answer is exactly that of wrong credentials for a real project, and no secret is read',
    async (service) => {
      const wrong = basicAuth('azure-devops', 'not-the-password');
      const known = await h.call(apiEvent({ authorization: wrong }));
      const reads = h.secretsManager.calls().length;

      const unknown = await h.call(apiEvent({ service, authorization: wrong }));

      expect({ statusCode: unknown.statusCode, headers: unknown.headers, body: unknown.body }).toEqual({
        statusCode: known.statusCode,
        headers: known.headers,
        body: known.body,
      });
      expect(unknown.statusCode).toBe(401);
      expect(h.secretsManager.calls()).toHaveLength(reads);
    },
  );

  it('given a project that does not exist and no credentials, when called, then the answer is exactly that of a real project without credentials', async () => {
    const known = await h.call(apiEvent({ authorization: null }));
    const unknown = await h.call(apiEvent({ service: 'nope', authorization: null }));

    expect([unknown.statusCode, unknown.headers, unknown.body]).toEqual([
      known.statusCode,
      known.headers,
      known.body,
    ]);
  });

  it('given a project that does not exist, when called, then the log says so (the answer does not)', async () => {
    await h.call(apiEvent({ service: 'nope' }));

    expect(h.logs()[0]).toMatchObject({ outcome: 'unauthorized', project: 'nope', unknownProject: true });
  });

  it('given the password was rotated a few seconds after the secret was cached, when Azure DevOps sends the new one, then it is accepted at once and the old one refused', async () => {
    expect((await h.call(apiEvent())).json.status).toBe('started');
    const rotated = { username: CASH.username, password: 'rotated-password-2' };
    h.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(rotated) });
    h.clock.now += 5_000;

    const res = await h.call(apiEvent({ authorization: basicAuth(rotated.username, rotated.password) }));

    expect(res.json.status).toBe('started');
    expect((await h.call(apiEvent())).statusCode).toBe(401);
  });

  it('given the scheme and header name in any case, when a request arrives, then it is accepted', async () => {
    const event = apiEvent({ authorization: null });
    event.headers = {
      ...event.headers,
      Authorization: basicAuth(CASH.username, CASH.password).replace('Basic', 'bAsIc'),
    };

    expect((await h.call(event)).json.status).toBe('started');
  });

  it('given answers of every kind, when read, then none echoes the credentials or the secret', async () => {
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
  it('given a path that names no project, when called, then 404', async () => {
    const res = await h.call(apiEvent({ pathParameters: undefined, rawPath: '/webhook/' }));

    expect(res.statusCode).toBe(404);
    expect(res.json).toEqual({ status: 'not_found', reason: 'no project in the path' });
  });

  it('given no path parameter, when called, then the raw path names the project', async () => {
    const res = await h.call(apiEvent({ pathParameters: undefined, rawPath: '/webhook/cash-collection' }));

    expect(res.json.status).toBe('started');
  });

  it('given a base64 body, when API Gateway says it is encoded, then it is decoded', async () => {
    const body = Buffer.from(JSON.stringify(fixture('git.push'))).toString('base64');

    const res = await h.call(apiEvent({ body, isBase64Encoded: true }));

    expect(res.json).toMatchObject({ status: 'started', commit: PUSH_COMMIT });
  });

  it('given a body of exactly 2 MB, when delivered, then it is accepted, and one byte over is 413 (decoded UTF-8 bytes)', async () => {
    const json = JSON.stringify(fixture('git.push'));
    const exact = json + ' '.repeat(MAX_BODY_BYTES - json.length);
    expect(Buffer.byteLength(exact)).toBe(MAX_BODY_BYTES);
    expect((await h.call(apiEvent({ body: exact }))).json.status).toBe('started');
    const over = await h.call(apiEvent({ body: exact + ' ' }));
    expect(over.statusCode).toBe(413);
    expect(over.json.status).toBe('too_large');
    const multiByte = json + 'é'.repeat((MAX_BODY_BYTES - json.length) / 2 + 1);
    expect(multiByte.length).toBeLessThan(MAX_BODY_BYTES);
    expect((await h.call(apiEvent({ body: multiByte }))).statusCode).toBe(413);
    const base64 = Buffer.from(exact + ' ').toString('base64');
    expect((await h.call(apiEvent({ body: base64, isBase64Encoded: true }))).statusCode).toBe(413);
    expect(startCalls()).toHaveLength(1);
  });

  it('given requests of every kind, when answered, then Content-Type is application/json', async () => {
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
  it('given a malformed projects setting, when a push arrives, then 503 and the error is logged, calling nothing', async () => {
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
  it('given a started push, when handled, then one log line holds project, event id, repository, pushId, commit, outcome and duration', async () => {
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
      repositoryId: REPO_ID,
      pushId: PUSH_ID,
      commit: PUSH_COMMIT,
      branch: 'main',
      outcome: 'started',
      statusCode: 202,
      executionId: expect.any(String),
      requestId: 'req-1',
    });
    expect(typeof logs[0].durationMs).toBe('number');
  });

  it('given a push of another repository, when ignored, then the log names the repository that knocked', async () => {
    const body = fixture('git.push');
    body.resource.repository.name = 'Intruder-Repo';
    body.resource.repository.id = '99999999-2222-4333-8444-555555555555';

    await h.call(apiEvent({ body }));

    expect(h.logs()[0]).toMatchObject({
      level: 'INFO',
      outcome: 'ignored',
      statusCode: 202,
      repository: 'Intruder-Repo',
      repositoryId: '99999999-2222-4333-8444-555555555555',
    });
  });

  it('given requests with credentials and bodies, when logged, then no Authorization header, password or body appears', async () => {
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

  const otherBranch = fixture('git.push');
  otherBranch.resource.refUpdates[0].name = 'refs/heads/dev';
  const outcomes: [keyof typeof WEBHOOK_METRICS, () => ReturnType<typeof apiEvent>, (h: Harness) => void][] =
    [
      ['started', () => apiEvent(), () => {}],
      ['ignored', () => apiEvent({ body: otherBranch }), () => {}],
      ['unauthorized', () => apiEvent({ authorization: null }), () => {}],
      ['unauthorized', () => apiEvent({ service: 'nope' }), () => {}],
      ['badRequest', () => apiEvent({ body: '{}' }), () => {}],
      ['notFound', () => apiEvent({ pathParameters: undefined, rawPath: '/webhook/' }), () => {}],
      ['tooLarge', () => apiEvent({ body: ' '.repeat(MAX_BODY_BYTES + 1) }), () => {}],
      ['retryable', () => apiEvent(), (x) => x.codePipeline.onAnyCommand().rejects(new Error('boom'))],
    ];
  it.each(outcomes)(
    'given outcome %s, when answered, then its own metric is counted once',
    async (outcome, event, arrange) => {
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
    },
  );
});
