import {
  DescribeTasksCommand,
  ExecuteCommandCommand,
  ListTasksCommand,
  ServiceNotFoundException,
  type Task,
} from '@aws-sdk/client-ecs';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertNoSecretsWritten, capture, mockAws, run, writeConfig } from './helpers';

/** `berth exec` against mocked ECS, with a fake session-manager-plugin on PATH that records its arguments. */

const aws = mockAws();
const TOKEN = 'session-token-Xq9vL2mN8bV4cZ7';
const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/berth/0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TASK_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const RUNTIME_ID = `${TASK_ID}-1234567890`;

let config: ReturnType<typeof writeConfig>;
let pluginDir: string;
let emptyDir: string;
let record: string;
beforeAll(() => {
  config = writeConfig({
    projects: [
      {
        name: 'cash-collection',
        path: '/api/cash',
        priority: 10,
        repository: { project: 'Finance', name: 'cash-collection' },
        service: { exec: true },
      },
      {
        name: 'poultry-sale',
        path: '/api/poultry',
        priority: 20,
        repository: { project: 'Sales', name: 'poultry-sale' },
      },
    ],
  });
  pluginDir = mkdtempSync(path.join(tmpdir(), 'berth-plugin-'));
  emptyDir = mkdtempSync(path.join(tmpdir(), 'berth-noplugin-'));
  record = path.join(pluginDir, 'args.json');
  const plugin = path.join(pluginDir, 'session-manager-plugin');
  writeFileSync(
    plugin,
    [
      '#!/usr/bin/env node',
      "require('node:fs').writeFileSync(process.env.FAKE_PLUGIN_RECORD, JSON.stringify(process.argv.slice(2)));",
      "process.exit(Number(process.env.FAKE_PLUGIN_EXIT || '0'));",
      '',
    ].join('\n'),
  );
  chmodSync(plugin, 0o755);
});
afterAll(() => {
  config.remove();
  rmSync(pluginDir, { recursive: true, force: true });
  rmSync(emptyDir, { recursive: true, force: true });
});
afterEach(() => assertNoSecretsWritten([TOKEN]));

const NODE_DIR = path.dirname(process.execPath);
const envWithPlugin = (extra: Record<string, string> = {}) => ({
  PATH: `${pluginDir}${path.delimiter}${NODE_DIR}`,
  FAKE_PLUGIN_RECORD: record,
  ...extra,
});

function task(extra: Partial<Task> = {}): Task {
  return {
    taskArn: TASK_ARN,
    group: 'service:cash-collection',
    lastStatus: 'RUNNING',
    enableExecuteCommand: true,
    containers: [{ name: 'app', runtimeId: RUNTIME_ID, lastStatus: 'RUNNING' }],
    ...extra,
  };
}

function runningTask(t: Task = task()) {
  aws.ecs.on(ListTasksCommand).resolves({ taskArns: [TASK_ARN] });
  aws.ecs.on(DescribeTasksCommand).resolves({ tasks: [t] });
  aws.ecs.on(ExecuteCommandCommand).resolves({
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/berth',
    taskArn: TASK_ARN,
    containerName: 'app',
    interactive: true,
    session: {
      sessionId: 'ecs-execute-command-0abc',
      streamUrl: 'wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/x',
      tokenValue: TOKEN,
    },
  });
}

beforeEach(() => {
  aws.reset();
  if (existsSync(record)) rmSync(record);
});

const exec = (args: string[], env: Record<string, string> = envWithPlugin()) =>
  run(['exec', ...args], capture({ env }), config.file, { aws: aws.factory });
const recorded = () => JSON.parse(readFileSync(record, 'utf8')) as string[];

describe('berth exec: a session', () => {
  it('given a running task and the plugin on PATH, when exec runs, then it calls ExecuteCommand for /bin/sh and runs the plugin as the AWS CLI does', async () => {
    runningTask();

    const r = await exec(['cash-collection']);

    expect(r.code, r.stderr).toBe(0);
    expect(aws.ecs.commandCalls(ListTasksCommand)[0].args[0].input).toEqual({
      cluster: 'berth',
      serviceName: 'cash-collection',
      desiredStatus: 'RUNNING',
    });
    expect(aws.ecs.commandCalls(ExecuteCommandCommand)[0].args[0].input).toEqual({
      cluster: 'berth',
      task: TASK_ARN,
      container: 'app',
      interactive: true,
      command: '/bin/sh',
    });
    expect(recorded()).toEqual([
      JSON.stringify({
        sessionId: 'ecs-execute-command-0abc',
        streamUrl: 'wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/x',
        tokenValue: TOKEN,
      }),
      'us-east-1',
      'StartSession',
      '',
      JSON.stringify({ Target: `ecs:berth_${TASK_ID}_${RUNTIME_ID}` }),
      'https://ssm.us-east-1.amazonaws.com',
    ]);
    expect(r.stderr).toContain(`Starting /bin/sh in task ${TASK_ID} of cash-collection (container app).`);
    expect(r.stdout).toBe(`Session to task ${TASK_ID} ended.\n`);
  });

  it('given a command after -- and AWS_PROFILE, when exec runs, then the command is sent quoted where needed and the profile is passed on', async () => {
    runningTask();

    const r = await exec(
      ['cash-collection', '--', 'sh', '-c', 'echo "hi" && ls'],
      envWithPlugin({ AWS_PROFILE: 'ops' }),
    );

    expect(r.code, r.stderr).toBe(0);
    expect(aws.ecs.commandCalls(ExecuteCommandCommand)[0].args[0].input.command).toBe(
      `sh -c 'echo "hi" && ls'`,
    );
    expect(recorded()[3]).toBe('ops');
  });

  it('given --task, when exec runs, then that task is described and used without listing', async () => {
    runningTask();

    const r = await exec(['cash-collection', '--task', TASK_ID, '--json']);

    expect(r.code, r.stderr).toBe(0);
    expect(aws.ecs.commandCalls(ListTasksCommand)).toHaveLength(0);
    expect(aws.ecs.commandCalls(DescribeTasksCommand)[0].args[0].input).toEqual({
      cluster: 'berth',
      tasks: [TASK_ID],
    });
    expect(JSON.parse(r.stdout)).toEqual({
      project: 'cash-collection',
      cluster: 'berth',
      task: TASK_ID,
      container: 'app',
      command: '/bin/sh',
      sessionId: 'ecs-execute-command-0abc',
      exitCode: 0,
    });
  });

  it('given the plugin ends with an error, when exec runs, then it exits 1 saying so', async () => {
    runningTask();

    const r = await exec(['cash-collection'], envWithPlugin({ FAKE_PLUGIN_EXIT: '255' }));

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('session-manager-plugin ended with exit code 255');
  });
});

describe('berth exec: refusals', () => {
  it('given a project without service.exec, when exec runs, then it exits 2 with the exact config change and calls nothing', async () => {
    const r = await exec(['poultry-sale']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      [
        `ECS Exec is off for poultry-sale. To turn it on, set service.exec in ${config.file}:`,
        '',
        '  projects:',
        '    - name: poultry-sale',
        '      service:',
        '        exec: true',
        '',
        'then run `npx cdk deploy berth-poultry-sale` and `npx --no-install berth redeploy poultry-sale`',
      ].join('\n'),
    );
    expect(aws.ecs.calls()).toHaveLength(0);
  });

  it('given no session-manager-plugin on PATH, when exec runs, then it exits 2 and says how to install it', async () => {
    const r = await exec(['cash-collection', '--json'], { PATH: emptyDir });

    expect(r.code).toBe(2);
    const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('plugin-missing');
    expect(err.message).toContain('session-manager-plugin is not on PATH');
    expect(err.message).toContain('"Install the Session Manager plugin for the AWS CLI"');
    expect(err.message).toContain(
      'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html',
    );
    expect(aws.ecs.calls()).toHaveLength(0);
  });

  it('given no running task, when exec runs, then it exits 1 and points at status', async () => {
    aws.ecs.on(ListTasksCommand).resolves({ taskArns: [] });

    const r = await exec(['cash-collection']);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'cash-collection has no running task in cluster berth: see why with `npx --no-install berth status cash-collection`.',
    );
  });

  it('given no service yet, when exec runs, then it exits 2: not released', async () => {
    aws.ecs
      .on(ListTasksCommand)
      .rejects(new ServiceNotFoundException({ message: 'Service not found.', $metadata: {} }));

    const r = await exec(['cash-collection']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cash-collection has not been released yet');
  });

  it('given a task started before exec was on, when exec runs, then it exits 1 and says to redeploy', async () => {
    runningTask(task({ enableExecuteCommand: false }));

    const r = await exec(['cash-collection']);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Task ${TASK_ID} was started before ECS Exec was turned on for cash-collection`,
    );
    expect(r.stderr).toContain('npx --no-install berth redeploy cash-collection');
    expect(aws.ecs.commandCalls(ExecuteCommandCommand)).toHaveLength(0);
  });

  it('given --task of another service, when exec runs, then it exits 2', async () => {
    runningTask(task({ group: 'service:poultry-sale' }));

    const r = await exec(['cash-collection', '--task', TASK_ID]);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Task ${TASK_ID} is not a task of cash-collection in cluster berth`);
  });

  it('given words before -- , when exec runs, then it exits 2 and shows where the command goes', async () => {
    const r = await exec(['cash-collection', 'ls']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('put the command after --, as in `berth exec cash-collection -- ls`');
  });
});
