import { GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  RunTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertNoSecretsWritten, capture, fakeTime, mockAws, run, writeConfig } from './helpers';

/** `berth run` against mocked ECS and CloudWatch Logs. */

const aws = mockAws();
let config: ReturnType<typeof writeConfig>;
beforeAll(() => {
  config = writeConfig();
});
afterAll(() => config.remove());
afterEach(() => assertNoSecretsWritten());

const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/berth-cash-collection:7';
const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/berth/5f4e3d2c1b0a49382716a5b4c3d2e1f0';
const TASK_ID = '5f4e3d2c1b0a49382716a5b4c3d2e1f0';
const NETWORK = {
  awsvpcConfiguration: {
    subnets: ['subnet-0aaa', 'subnet-0bbb'],
    securityGroups: ['sg-0ccc'],
    assignPublicIp: 'DISABLED' as const,
  },
};
const STRATEGY = [{ capacityProvider: 'berth-hosts', weight: 1, base: 0 }];

function service() {
  aws.ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: 'cash-collection',
        status: 'ACTIVE',
        taskDefinition: TD,
        networkConfiguration: NETWORK,
        capacityProviderStrategy: STRATEGY,
      },
    ],
  });
}

/** The task goes through these states on successive DescribeTasks. */
function lifecycle(states: Partial<Task>[]) {
  aws.ecs
    .on(RunTaskCommand)
    .resolves({ tasks: [{ taskArn: TASK_ARN, lastStatus: 'PROVISIONING' }], failures: [] });
  let i = 0;
  aws.ecs.on(DescribeTasksCommand).callsFake(() => ({
    tasks: [{ taskArn: TASK_ARN, ...states[Math.min(i++, states.length - 1)] }],
  }));
}

const stopped = (exitCode?: number, extra: Partial<Task> = {}): Partial<Task> => ({
  lastStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  containers: [{ name: 'app', ...(exitCode === undefined ? {} : { exitCode }) }],
  ...extra,
});

/** The log stream: missing on the first read, then these pages (each read returns the next). */
function output(pages: string[][]) {
  let i = 0;
  aws.logs.on(GetLogEventsCommand).callsFake(() => {
    if (i === 0) {
      i++;
      throw new ResourceNotFoundException({
        message: 'The specified log stream does not exist.',
        $metadata: {},
      });
    }
    const page = pages[i - 1] ?? [];
    const token = `f/${Math.min(i, pages.length)}`;
    i++;
    return {
      events: page.map((message, n) => ({ timestamp: 1_000 + n, message: `${message}\n` })),
      nextForwardToken: token,
    };
  });
}

let time: ReturnType<typeof fakeTime>;
beforeEach(() => {
  aws.reset();
  time = fakeTime();
});

const berthRun = (args: string[]) =>
  run(['run', ...args], capture(), config.file, { aws: aws.factory, ...time.deps });

describe('berth run: a one-off task', () => {
  it("given a released service, when run starts a migration, then it runs the service's task definition on its network and capacity provider with the command on app, prints its output and exits 0", async () => {
    service();
    lifecycle([{ lastStatus: 'PENDING' }, { lastStatus: 'RUNNING' }, stopped(0)]);
    output([['Running migrations...'], ['Applied 3 migrations.']]);

    const r = await berthRun(['cash-collection', '--', 'npm', 'run', 'migrate']);

    expect(r.code, r.stderr).toBe(0);
    expect(aws.ecs.commandCalls(DescribeServicesCommand)[0].args[0].input).toEqual({
      cluster: 'berth',
      services: ['cash-collection'],
    });
    expect(aws.ecs.commandCalls(RunTaskCommand)[0].args[0].input).toEqual({
      cluster: 'berth',
      taskDefinition: TD,
      count: 1,
      networkConfiguration: NETWORK,
      capacityProviderStrategy: STRATEGY,
      overrides: { containerOverrides: [{ name: 'app', command: ['npm', 'run', 'migrate'] }] },
      startedBy: 'berth-run',
      propagateTags: 'TASK_DEFINITION',
    });
    expect(aws.logs.commandCalls(GetLogEventsCommand)[0].args[0].input).toEqual({
      logGroupName: '/berth/cash-collection/service',
      logStreamName: `app/app/${TASK_ID}`,
      startFromHead: true,
      nextToken: undefined,
    });
    expect(r.stdout).toBe('Running migrations...\nApplied 3 migrations.\n');
    expect(r.stderr).toContain(`Started task ${TASK_ID} of cash-collection: npm run migrate`);
    expect(r.stderr).toContain(`Task ${TASK_ID} exited with code 0.`);
  });

  it('given the container exits 3, when run follows it, then berth exits 3', async () => {
    service();
    lifecycle([{ lastStatus: 'RUNNING' }, stopped(3)]);
    output([['migration 0042 failed: column exists']]);

    const r = await berthRun(['cash-collection', '--', './migrate']);

    expect(r.code).toBe(3);
    expect(r.stdout).toContain('migration 0042 failed');
    expect(r.stderr).toContain(`Task ${TASK_ID} exited with code 3.`);
  });

  it('given --json, when run finishes, then one document has the task, exit code and output', async () => {
    service();
    lifecycle([stopped(0)]);
    output([['done']]);

    const r = await berthRun(['cash-collection', '--json', '--', 'true']);

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      project: 'cash-collection',
      cluster: 'berth',
      task: TASK_ID,
      taskArn: TASK_ARN,
      taskDefinition: TD,
      command: ['true'],
      logGroup: '/berth/cash-collection/service',
      logStream: `app/app/${TASK_ID}`,
      status: 'STOPPED',
      exitCode: 0,
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      output: ['done'],
    });
  });

  it('given --no-wait, when run starts the task, then it returns at once with the task and its log stream', async () => {
    service();
    lifecycle([stopped(0)]);

    const r = await berthRun(['cash-collection', '--no-wait', '--json', '--', 'true']);

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      task: TASK_ID,
      logStream: `app/app/${TASK_ID}`,
      status: 'PROVISIONING',
    });
    expect(aws.ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });
});

describe('berth run: failures and refusals', () => {
  it('given no host with room, when run starts the task, then it exits 1 with the placement failure', async () => {
    service();
    aws.ecs.on(RunTaskCommand).resolves({
      tasks: [],
      failures: [
        { arn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/berth/abc', reason: 'RESOURCE:MEMORY' },
      ],
    });

    const r = await berthRun(['cash-collection', '--', 'true']);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'ECS could not start the task (RESOURCE:MEMORY): no container host has the CPU, memory or network interfaces left',
    );
  });

  it('given the task stops without an exit code, when run follows it, then it exits 1 with the stop reason', async () => {
    service();
    lifecycle([
      stopped(undefined, {
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
      }),
    ]);
    output([]);

    const r = await berthRun(['cash-collection', '--json', '--', 'true']);

    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'task-failed',
        message: `Task ${TASK_ID} stopped before its command finished (TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried 5 time(s)).`,
      },
    });
  });

  it('given no service yet, when run runs, then it exits 2: not released', async () => {
    aws.ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });

    const r = await berthRun(['cash-collection', '--', 'true']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cash-collection has not been released yet');
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it.each([
    [
      ['cash-collection'],
      'Give the command to run after --, as in `berth run cash-collection -- npm run migrate`.',
    ],
    [['cash-collection', '--'], 'Give the command to run after --'],
    [
      ['cash-collection', 'npm', 'test'],
      'put the command after --, as in `berth run cash-collection -- npm test`',
    ],
  ])('given %j, when run runs, then it exits 2 and shows where the command goes', async (args, message) => {
    const r = await berthRun(args);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(aws.ecs.calls()).toHaveLength(0);
  });
});
