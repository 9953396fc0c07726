import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  StartPipelineExecutionCommand,
  type ActionExecutionDetail,
} from '@aws-sdk/client-codepipeline';
import { DescribeImagesCommand, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { GetParameterHistoryCommand, ParameterNotFound } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertNoSecretsWritten, capture, fakeTime, mockAws, run, stack, writeConfig } from './helpers';

/** `berth releases`, `berth rollback` and `berth redeploy` against mocked SSM, CloudFormation, ECR and CodePipeline. */

const aws = mockAws();
let config: ReturnType<typeof writeConfig>;
beforeAll(() => {
  config = writeConfig();
});
afterAll(() => config.remove());
afterEach(() => assertNoSecretsWritten());

const SHA = {
  a: '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213',
  b: '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432',
  c: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
  d: '9f8e7d6000000000000000000000000000000000', // shares 9f8e7d6 with b
};
const DIGEST = (sha: string) => `sha256:${sha.slice(0, 8)}${'0'.repeat(56)}`;
const T0 = Date.parse('2025-06-01T10:00:00Z');
const PIPELINE = 'berth-cash-collection';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The release log: `none` first, then each commit released, oldest first (one day apart). */
function history(commits: string[], pages = 1) {
  const params = ['none', ...commits].map((Value, i) => ({
    Name: '/berth/cash-collection/release',
    Value,
    Version: i + 1,
    LastModifiedDate: new Date(T0 + i * 86_400_000),
  }));
  if (pages === 1) {
    aws.ssm.on(GetParameterHistoryCommand).resolves({ Parameters: params });
    return;
  }
  const half = Math.ceil(params.length / 2);
  aws.ssm
    .on(GetParameterHistoryCommand, { NextToken: undefined })
    .resolves({ Parameters: params.slice(0, half), NextToken: 'page-2' })
    .on(GetParameterHistoryCommand, { NextToken: 'page-2' })
    .resolves({ Parameters: params.slice(half) });
}

function live(imageTag: string) {
  aws.cfn.on(DescribeStacksCommand, { StackName: PIPELINE }).resolves({
    Stacks: [
      {
        ...stack(PIPELINE),
        Parameters: [
          { ParameterKey: 'ImageTag', ParameterValue: imageTag },
          { ParameterKey: 'RestartNonce', ParameterValue: 'initial' },
        ],
      },
    ],
  });
}

/** Images in ECR for these commits (the others are gone). */
function images(commits: string[]) {
  aws.ecr.on(DescribeImagesCommand).callsFake((input: { imageIds?: { imageTag?: string }[] }) => {
    const wanted = (input.imageIds ?? []).map((i) => i.imageTag ?? '');
    if (wanted.some((t) => !commits.includes(t))) {
      throw new ImageNotFoundException({ message: 'The image requested does not exist', $metadata: {} });
    }
    return { imageDetails: wanted.map((t) => ({ imageTags: [t], imageDigest: DIGEST(t) })) };
  });
}

function action(
  stageName: string,
  status: string,
  extra: Partial<ActionExecutionDetail> = {},
): ActionExecutionDetail {
  return {
    pipelineExecutionId: 'exec-1',
    stageName,
    actionName: stageName,
    status: status as ActionExecutionDetail['status'],
    startTime: new Date(T0 + ['Source', 'Scan', 'Deploy', 'Verify'].indexOf(stageName) * 1000),
    ...extra,
  };
}

/** The execution reports these states on successive polls, with these actions each time. */
function execution(states: { status: string; actions: ActionExecutionDetail[] }[]) {
  aws.cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: 'exec-1' });
  let i = 0;
  let j = 0;
  aws.cp.on(GetPipelineExecutionCommand).callsFake(() => {
    const s = states[Math.min(i++, states.length - 1)];
    return { pipelineExecution: { pipelineExecutionId: 'exec-1', status: s.status } };
  });
  aws.cp.on(ListActionExecutionsCommand).callsFake(() => ({
    actionExecutionDetails: states[Math.min(j++, states.length - 1)].actions,
  }));
}

const SUCCEEDS = [
  { status: 'InProgress', actions: [action('Source', 'Succeeded'), action('Scan', 'InProgress')] },
  {
    status: 'InProgress',
    actions: [action('Source', 'Succeeded'), action('Scan', 'Succeeded'), action('Deploy', 'InProgress')],
  },
  {
    status: 'Succeeded',
    actions: [
      action('Source', 'Succeeded'),
      action('Scan', 'Succeeded'),
      action('Deploy', 'Succeeded'),
      action('Verify', 'Succeeded'),
    ],
  },
];

let time: ReturnType<typeof fakeTime>;
beforeEach(() => {
  aws.reset();
  time = fakeTime();
});

const cli = (args: string[], env: Record<string, string> = {}) =>
  run(args, capture({ env }), config.file, { aws: aws.factory, ...time.deps });

const started = () => aws.cp.commandCalls(StartPipelineExecutionCommand).map((c) => c.args[0].input);

describe('berth releases', () => {
  it('given three releases with the newest live, when releases runs, then it lists them newest first with time, short commit, digest and LIVE', async () => {
    history([SHA.a, SHA.b, SHA.c]);
    live(SHA.c);
    images([SHA.a, SHA.b, SHA.c]);

    const r = await cli(['releases', 'cash-collection']);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Releases of cash-collection in us-east-1, newest first (3; live: c0ffee0):');
    const rows = r.stdout.split('\n').filter((l) => /^\s+2025-/.test(l));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/2025-06-04T10:00:00Z\s+c0ffee0\s+sha256:c0ffee000000\s+LIVE$/);
    expect(rows[1]).toMatch(/2025-06-03T10:00:00Z\s+9f8e7d6\s+sha256:9f8e7d6c0000$/);
    expect(rows[2]).toMatch(/2025-06-02T10:00:00Z\s+1a2b3c4\s+sha256:1a2b3c4d0000$/);
    expect(r.stdout).not.toContain('none');
    expect(aws.ssm.commandCalls(GetParameterHistoryCommand)[0].args[0].input).toMatchObject({
      Name: '/berth/cash-collection/release',
    });
    expect(aws.ecr.commandCalls(DescribeImagesCommand)[0].args[0].input).toEqual({
      repositoryName: 'berth/cash-collection',
      imageIds: [{ imageTag: SHA.c }, { imageTag: SHA.b }, { imageTag: SHA.a }],
    });
  });

  it('given --json, when releases runs, then it prints every release with full commit, digest, time, version and live', async () => {
    history([SHA.a, SHA.b]);
    live(SHA.a);
    images([SHA.a, SHA.b]);

    const r = await cli(['releases', 'cash-collection', '--json']);

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      project: 'cash-collection',
      region: 'us-east-1',
      releaseLog: '/berth/cash-collection/release',
      repository: 'berth/cash-collection',
      live: SHA.a,
      releases: [
        {
          version: 3,
          commit: SHA.b,
          shortCommit: '9f8e7d6',
          releasedAt: '2025-06-03T10:00:00Z',
          imageDigest: DIGEST(SHA.b),
          live: false,
        },
        {
          version: 2,
          commit: SHA.a,
          shortCommit: '1a2b3c4',
          releasedAt: '2025-06-02T10:00:00Z',
          imageDigest: DIGEST(SHA.a),
          live: true,
        },
      ],
    });
  });

  it('given a history over two pages and an image ECR no longer has, when releases runs, then it reads every page and says the image is gone', async () => {
    history([SHA.a, SHA.b, SHA.c], 2);
    live(SHA.c);
    images([SHA.b, SHA.c]);

    const r = await cli(['releases', 'cash-collection']);

    expect(r.code, r.stderr).toBe(0);
    expect(aws.ssm.commandCalls(GetParameterHistoryCommand)).toHaveLength(2);
    expect(r.stdout).toMatch(/1a2b3c4\s+image gone/);
    expect(r.stdout).toMatch(/9f8e7d6\s+sha256:9f8e7d6c0000/);
  });

  it('given a commit released twice (a rollback), when releases runs, then both appear and only the newest is LIVE', async () => {
    history([SHA.a, SHA.b, SHA.a]);
    live(SHA.a);
    images([SHA.a, SHA.b]);

    const r = await cli(['releases', 'cash-collection', '--json']);

    const data = JSON.parse(r.stdout) as { releases: { commit: string; live: boolean }[] };
    expect(data.releases.map((x) => [x.commit, x.live])).toEqual([
      [SHA.a, true],
      [SHA.b, false],
      [SHA.a, false],
    ]);
  });

  it('given nothing released yet, when releases runs, then it says so and exits 0', async () => {
    history([]);
    live('none');

    const r = await cli(['releases', 'cash-collection']);

    expect(r.code).toBe(0);
    expect(r.stdout).toBe('cash-collection has no releases yet: push a commit to main to start one.\n');
    expect(aws.ecr.commandCalls(DescribeImagesCommand)).toHaveLength(0);
  });

  it('given the release log does not exist, when releases runs, then it exits 1 saying the stack is not deployed', async () => {
    aws.ssm.on(GetParameterHistoryCommand).rejects(new ParameterNotFound({ message: 'x', $metadata: {} }));
    live('none');

    const r = await cli(['releases', 'cash-collection', '--json']);

    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'stack-not-deployed',
        message:
          'The release log /berth/cash-collection/release does not exist in us-east-1, so the stack berth-cash-collection is not deployed: run `npx cdk deploy --all` first.',
      },
    });
  });

  it('given no project or an unknown one, when releases runs, then it exits 2 listing the projects', async () => {
    expect((await cli(['releases'])).code).toBe(2);
    const r = await cli(['releases', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('choose one of: cash-collection, poultry-sale.');
  });
});

describe('berth rollback', () => {
  it('given releases a, b, c with c live, when rollback runs without --to, then it starts the pipeline at b in rollback mode, follows it and exits 0', async () => {
    history([SHA.a, SHA.b, SHA.c]);
    live(SHA.c);
    images([SHA.a, SHA.b, SHA.c]);
    execution(SUCCEEDS);

    const r = await cli(['rollback', 'cash-collection']);

    expect(r.code, r.stderr).toBe(0);
    expect(started()).toEqual([
      {
        name: PIPELINE,
        variables: [
          { name: 'COMMIT_ID', value: SHA.b },
          { name: 'RELEASE_MODE', value: 'rollback' },
        ],
        clientRequestToken: expect.stringMatching(UUID) as string,
      },
    ]);
    expect(r.stdout).toBe('Rolled back cash-collection to 9f8e7d6 (was c0ffee0).\n');
    expect(r.stderr).toContain(
      'Started rollback of cash-collection at 9f8e7d6: execution exec-1 of berth-cash-collection',
    );
    for (const s of [
      'Source: Succeeded',
      'Scan: InProgress',
      'Scan: Succeeded',
      'Deploy: InProgress',
      'Verify: Succeeded',
    ]) {
      expect(r.stderr).toContain(`  ${s}\n`);
    }
    expect(r.stderr.match(/Source: Succeeded/g)).toHaveLength(1); // each change once
    expect(aws.cp.commandCalls(GetPipelineExecutionCommand)[0].args[0].input).toEqual({
      pipelineName: PIPELINE,
      pipelineExecutionId: 'exec-1',
    });
    expect(time.sleeps).toEqual([5000, 5000]);
  });

  it('given a rollback already put b back (history a, b, c, b), when rollback runs again, then the default is the newest other commit, c', async () => {
    history([SHA.a, SHA.b, SHA.c, SHA.b]);
    live(SHA.b);
    images([SHA.a, SHA.b, SHA.c]);
    execution(SUCCEEDS);

    await cli(['rollback', 'cash-collection']);

    expect(started()[0].variables?.[0]).toEqual({ name: 'COMMIT_ID', value: SHA.c });
  });

  it('given --to with 7 hex digits of a released commit, when rollback runs, then that full commit is started', async () => {
    history([SHA.a, SHA.b, SHA.c]);
    live(SHA.c);
    images([SHA.a, SHA.b, SHA.c]);
    execution(SUCCEEDS);

    const r = await cli(['rollback', 'cash-collection', '--to', '1A2B3C4']);

    expect(r.code, r.stderr).toBe(0);
    expect(started()[0].variables?.[0]).toEqual({ name: 'COMMIT_ID', value: SHA.a });
  });

  it.each([
    [
      'a commit never released',
      'deadbeef',
      "deadbeef is not in cash-collection's release log",
      'unknown-commit',
    ],
    [
      'a prefix of two released commits',
      '9f8e7d6',
      'matches 2 released commits (9f8e7d6, 9f8e7d6): give more digits',
      'unknown-commit',
    ],
    [
      'the live commit',
      SHA.c,
      'c0ffee0 is already live for cash-collection. To start new tasks on it, run `npx --no-install berth redeploy cash-collection`',
      'nothing-to-roll-back',
    ],
    ['too few digits', 'abc', '--to takes a commit id of 7 to 40 hex digits (got "abc")', 'unknown-commit'],
    ['not hex', 'main-branch', '--to takes a commit id of 7 to 40 hex digits', 'unknown-commit'],
  ])(
    'given --to %s, when rollback runs, then it exits 2 without starting anything',
    async (_what, to, message, code) => {
      history([SHA.a, SHA.b, SHA.d, SHA.c]);
      live(SHA.c);
      images([SHA.a, SHA.b, SHA.c, SHA.d]);

      const r = await cli(['rollback', 'cash-collection', '--to', to, '--json']);

      expect(r.code).toBe(2);
      const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
      expect(err.code).toBe(code);
      expect(err.message).toContain(message);
      expect(started()).toEqual([]);
    },
  );

  it('given nothing released yet, when rollback runs, then it exits 2: nothing to roll back', async () => {
    history([]);
    live('none');

    const r = await cli(['rollback', 'cash-collection']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "cash-collection has not been released yet (its stack's ImageTag is none), so there is nothing to roll back: push a commit to main",
    );
    expect(started()).toEqual([]);
  });

  it('given only the live release, when rollback runs, then it exits 2 and points at redeploy', async () => {
    history([SHA.c]);
    live(SHA.c);

    const r = await cli(['rollback', 'cash-collection']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'Nothing to roll back to: cash-collection has released only c0ffee0, which is live. To start new tasks on it, run `npx --no-install berth redeploy cash-collection`.',
    );
  });

  it('given the target image is gone from ECR, when rollback runs, then it exits 2 before starting the pipeline', async () => {
    history([SHA.a, SHA.b, SHA.c]);
    live(SHA.c);
    images([SHA.a, SHA.c]);

    const r = await cli(['rollback', 'cash-collection', '--json']);

    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe('image-missing');
    expect(started()).toEqual([]);
  });

  it('given the execution fails at Deploy, when rollback follows it, then it exits 1 naming the stage, its message and where the log is', async () => {
    history([SHA.a, SHA.b, SHA.c]);
    live(SHA.c);
    images([SHA.a, SHA.b, SHA.c]);
    const failedDeploy = action('Deploy', 'Failed', {
      lastUpdateTime: new Date(T0 + 60_000),
      output: {
        executionResult: {
          externalExecutionSummary: 'UPDATE_ROLLBACK_COMPLETE: tasks failed their health checks',
        },
      },
    });
    execution([
      { status: 'InProgress', actions: [action('Source', 'Succeeded'), action('Deploy', 'InProgress')] },
      { status: 'Failed', actions: [action('Source', 'Succeeded'), failedDeploy] },
    ]);

    const r = await cli(['rollback', 'cash-collection']);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '  Deploy: Failed: UPDATE_ROLLBACK_COMPLETE: tasks failed their health checks\n',
    );
    expect(r.stderr).toContain(
      "Error: The rollback of cash-collection to 9f8e7d6 failed at Deploy: UPDATE_ROLLBACK_COMPLETE: tasks failed their health checks (execution exec-1 of berth-cash-collection); the previous release keeps serving. Read the stage's log with `npx --no-install berth logs cash-collection --stage deploy --since 1h`.",
    );
  });

  it('given --no-wait, when rollback runs, then it returns once the execution started, with its id', async () => {
    history([SHA.a, SHA.b, SHA.c]);
    live(SHA.c);
    images([SHA.a, SHA.b, SHA.c]);
    execution(SUCCEEDS);

    const r = await cli(['rollback', 'cash-collection', '--no-wait', '--json']);

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      project: 'cash-collection',
      mode: 'rollback',
      commit: SHA.b,
      previous: SHA.c,
      pipeline: PIPELINE,
      executionId: 'exec-1',
      status: 'InProgress',
    });
    expect(aws.cp.commandCalls(GetPipelineExecutionCommand)).toHaveLength(0);
  });

  it('given --json and success, when rollback runs, then the document has the execution and its actions', async () => {
    history([SHA.a, SHA.b, SHA.c]);
    live(SHA.c);
    images([SHA.a, SHA.b, SHA.c]);
    execution(SUCCEEDS);

    const r = await cli(['rollback', 'cash-collection', '--json']);

    const data = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(data).toMatchObject({
      mode: 'rollback',
      commit: SHA.b,
      status: 'Succeeded',
      executionId: 'exec-1',
    });
    expect((data.actions as { stage: string }[]).map((a) => a.stage)).toEqual([
      'Source',
      'Scan',
      'Deploy',
      'Verify',
    ]);
  });

  it('given an execution that never ends, when rollback follows it, then it gives up after 60 minutes with exit 1 and says it goes on', async () => {
    history([SHA.a, SHA.b, SHA.c]);
    live(SHA.c);
    images([SHA.a, SHA.b, SHA.c]);
    execution([{ status: 'InProgress', actions: [action('Deploy', 'InProgress')] }]);

    const r = await cli(['rollback', 'cash-collection', '--json']);

    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'pipeline-timeout',
      message: expect.stringContaining('is still running after 60 minutes') as string,
    });
    expect(time.sleeps.length).toBe(720);
  });

  it('given two rollbacks, when they start, then each has its own clientRequestToken', async () => {
    history([SHA.a, SHA.b, SHA.c]);
    live(SHA.c);
    images([SHA.a, SHA.b, SHA.c]);
    execution(SUCCEEDS);

    await cli(['rollback', 'cash-collection', '--no-wait']);
    await cli(['rollback', 'cash-collection', '--no-wait']);

    const tokens = started().map((s) => s.clientRequestToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).not.toBe(tokens[1]);
  });
});

describe('berth redeploy', () => {
  it('given c live, when redeploy runs, then it starts the pipeline at c in redeploy mode and exits 0 when it succeeded', async () => {
    live(SHA.c);
    execution(SUCCEEDS);

    const r = await cli(['redeploy', 'cash-collection']);

    expect(r.code, r.stderr).toBe(0);
    expect(started()).toEqual([
      {
        name: PIPELINE,
        variables: [
          { name: 'COMMIT_ID', value: SHA.c },
          { name: 'RELEASE_MODE', value: 'redeploy' },
        ],
        clientRequestToken: expect.stringMatching(UUID) as string,
      },
    ]);
    expect(r.stdout).toBe('Redeployed cash-collection: new tasks run c0ffee0.\n');
  });

  it('given nothing released yet, when redeploy runs, then it exits 2 and starts nothing', async () => {
    live('none');

    const r = await cli(['redeploy', 'cash-collection', '--json']);

    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe('not-released');
    expect(started()).toEqual([]);
  });

  it('given --no-wait --json, when redeploy runs, then it prints the started execution', async () => {
    live(SHA.c);
    execution(SUCCEEDS);

    const r = await cli(['redeploy', 'cash-collection', '--no-wait', '--json']);

    expect(JSON.parse(r.stdout)).toEqual({
      project: 'cash-collection',
      mode: 'redeploy',
      commit: SHA.c,
      previous: SHA.c,
      pipeline: PIPELINE,
      executionId: 'exec-1',
      status: 'InProgress',
    });
  });

  it('given the stack is not deployed, when redeploy runs, then it exits 1 saying to deploy', async () => {
    aws.cfn.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id berth-cash-collection does not exist'), {
        name: 'ValidationError',
      }),
    );

    const r = await cli(['redeploy', 'cash-collection']);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The stack berth-cash-collection is not deployed in us-east-1: run `npx cdk deploy --all` first.',
    );
  });
});
