import { DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  type PipelineExecutionSummary,
} from '@aws-sdk/client-codepipeline';
import { DescribeServicesCommand, type Service } from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import type { ParsedConfig } from '../../src/config/schema';
import { assignAlarms } from '../../src/cli/status/collect';
import { targetGroupName } from '../../src/config/names';
import { NO_ALERT_DESTINATION_WARNING } from '../../src/shared/alert-channels';
import {
  ADO_COLLECTION,
  ADO_ORIGIN,
  PAT,
  assertNoSecretsWritten,
  capture,
  mockAws,
  run,
  stack,
  writeConfig,
} from './helpers';
import { FakeAzureDevOps } from './fake-azure-devops';

/** `berth status` against mocked CloudFormation, CodePipeline, ECS, ELBv2 and CloudWatch clients. */

const { cfn, cp, ecs, elb, cw, regions, factory } = mockAws();

let config: ReturnType<typeof writeConfig>;
let parsed: ParsedConfig;
beforeAll(() => {
  config = writeConfig();
  parsed = loadConfig(config.file);
});
afterAll(() => config.remove());
afterEach(() => assertNoSecretsWritten());

/** The target group name the project stack gives a routed project (a hash of its route). */
const TG = (project: string) =>
  targetGroupName(
    parsed,
    parsed.projects.find((p) => p.name === project)!,
  );

/** The project stacks' live release (ImageTag); undefined: stack not deployed. */
function released(tags: Record<string, string | undefined>): void {
  for (const [project, tag] of Object.entries(tags)) {
    const name = `berth-${project}`;
    if (tag === undefined) {
      cfn
        .on(DescribeStacksCommand, { StackName: name })
        .rejects(
          Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError' }),
        );
    } else {
      cfn.on(DescribeStacksCommand, { StackName: name }).resolves({
        Stacks: [{ ...stack(name), Parameters: [{ ParameterKey: 'ImageTag', ParameterValue: tag }] }],
      });
    }
  }
}

const SHA = {
  a: '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213',
  b: '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432',
  c: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
};
const T0 = new Date('2025-06-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const TG_ARN = (p: string) =>
  `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/berth-${p}/0123456789abcdef`;

function summary(id: string, status: string, minutes: number): PipelineExecutionSummary {
  return {
    pipelineExecutionId: id,
    status: status as PipelineExecutionSummary['status'],
    startTime: at(minutes),
    lastUpdateTime: at(minutes + 9),
    trigger: {
      triggerType: 'StartPipelineExecution',
      triggerDetail: 'arn:aws:sts::123456789012:assumed-role/x',
    },
    // V2 summaries carry the S3 trigger's revision, not the commit: status must not show this.
    sourceRevisions: [{ actionName: 'Trigger', revisionId: 's3-version-id-not-a-commit' }],
  };
}

/** A pipeline whose executions (newest first) ran at these commits. */
function pipeline(
  project: string,
  executions: { id: string; status: string; sha: string; minutes: number }[],
) {
  const pipelineName = `berth-${project}`;
  cp.on(ListPipelineExecutionsCommand, { pipelineName }).resolves({
    pipelineExecutionSummaries: executions.map((e) => summary(e.id, e.status, e.minutes)),
  });
  for (const e of executions) {
    cp.on(GetPipelineExecutionCommand, { pipelineName, pipelineExecutionId: e.id }).resolves({
      pipelineExecution: {
        pipelineName,
        pipelineExecutionId: e.id,
        status: e.status as PipelineExecutionSummary['status'],
        variables: [
          { name: 'COMMIT_ID', resolvedValue: e.sha },
          { name: 'RELEASE_MODE', resolvedValue: 'release' },
          { name: 'BRANCH', resolvedValue: 'main' },
          { name: 'REPOSITORY', resolvedValue: project },
        ],
      },
    });
  }
}

function service(name: string, counts: Partial<Service> = {}, rollout = 'COMPLETED'): Service {
  return {
    serviceName: name,
    status: 'ACTIVE',
    runningCount: 2,
    desiredCount: 2,
    pendingCount: 0,
    taskDefinition: `arn:aws:ecs:us-east-1:123456789012:task-definition/berth${name}ServiceTaskDefinition:7`,
    deployments: [
      {
        id: 'ecs-svc/1',
        status: 'PRIMARY',
        rolloutState: rollout as 'COMPLETED',
        taskDefinition: `arn:aws:ecs:us-east-1:123456789012:task-definition/berth${name}ServiceTaskDefinition:7`,
      },
    ],
    events: [{ id: 'e1', createdAt: at(20), message: `(service ${name}) has reached a steady state.` }],
    ...counts,
  };
}

function targets(project: string, states: (string | [string, string, string])[]): void {
  const name = TG(project);
  elb.on(DescribeTargetGroupsCommand, { Names: [name] }).resolves({
    TargetGroups: [{ TargetGroupName: name, TargetGroupArn: TG_ARN(project) }],
  });
  elb.on(DescribeTargetHealthCommand, { TargetGroupArn: TG_ARN(project) }).resolves({
    TargetHealthDescriptions: states.map((s, i): TargetHealthDescription => {
      const [State, Reason, Description] = typeof s === 'string' ? [s] : s;
      return {
        Target: { Id: `i-0${project.length}${i}aaaabbbbcccc`, Port: 32768 + i },
        TargetHealth: {
          State: State as 'healthy',
          Reason: Reason as 'Target.ResponseCodeMismatch',
          Description,
        },
      };
    }),
  });
}

function alarms(list: MetricAlarm[]): void {
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: list, CompositeAlarms: [] });
}

/** Both projects healthy: two succeeded releases each, 2/2 tasks, 2 healthy targets, no alarm. */
function healthy(): void {
  pipeline('cash-collection', [
    { id: 'exec-a2', status: 'Succeeded', sha: SHA.a, minutes: 10 },
    { id: 'exec-a1', status: 'Succeeded', sha: SHA.b, minutes: 0 },
  ]);
  pipeline('poultry-sale', [{ id: 'exec-b1', status: 'Succeeded', sha: SHA.c, minutes: 5 }]);
  ecs
    .on(DescribeServicesCommand)
    .resolves({ services: [service('cash-collection'), service('poultry-sale')], failures: [] });
  targets('cash-collection', ['healthy', 'healthy']);
  targets('poultry-sale', ['healthy', 'healthy']);
  alarms([]);
  released({ 'cash-collection': SHA.a, 'poultry-sale': SHA.c });
}

/** Every call of every client fails with `e` (no credentials, say). */
function rejectEverything(e: Error): void {
  cfn.onAnyCommand().rejects(e);
  cp.onAnyCommand().rejects(e);
  ecs.onAnyCommand().rejects(e);
  elb.onAnyCommand().rejects(e);
  cw.onAnyCommand().rejects(e);
}

beforeEach(() => {
  for (const m of [cfn, cp, ecs, elb, cw]) m.reset();
  regions.length = 0;
});

const status = (args: string[] = []) => run(['status', ...args], capture(), config.file, { aws: factory });

describe('berth status: a healthy platform', () => {
  it('given both projects released and healthy, when status runs, then each shows its executions, tasks, targets and no alarm', async () => {
    healthy();

    const r = await status();

    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Berth status in us-east-1 (cluster berth)');
    expect(r.stdout).toContain('cash-collection  (/api/cash/*)\n  Live release: 1a2b3c4\n');
    expect(r.stdout).toContain('Pipeline berth-cash-collection, last 2 execution(s), newest first:');
    expect(r.stdout).toMatch(/Succeeded\s+release\s+1a2b3c4\s+2025-06-01T10:10:00Z/);
    expect(r.stdout).toMatch(/Succeeded\s+release\s+9f8e7d6\s+2025-06-01T10:00:00Z/);
    expect(r.stdout).toContain(
      'Service cash-collection: 2 running / 2 desired / 0 pending; rollout COMPLETED; task definition berthcash-collectionServiceTaskDefinition:7',
    );
    expect(r.stdout).toContain(`Targets ${TG('cash-collection')}: 2 healthy`);
    expect(TG('cash-collection')).toBe('berth-cash-collection-ip');
    expect(r.stdout).toContain('poultry-sale  (/api/poultry/*)\n  Live release: c0ffee0\n');
    expect(r.stdout).toMatch(/Succeeded\s+release\s+c0ffee0\s+2025-06-01T10:05:00Z/);
    expect(r.stdout).not.toContain('s3-version-id');
    expect(r.stdout).not.toContain('steady state'); // events only when something is not settled
    expect(r.stdout.match(/Alarms in ALARM: none/g)).toHaveLength(3); // two projects and the platform
    expect(regions).toEqual(['us-east-1']);
  });

  it('given the calls it makes, when status runs, then it reads the last 5 executions, each execution for its variables, the cluster berth and the alarms with prefix berth- in ALARM', async () => {
    healthy();

    await status();

    expect(cp.commandCalls(ListPipelineExecutionsCommand).map((c) => c.args[0].input)).toEqual(
      expect.arrayContaining([
        { pipelineName: 'berth-cash-collection', maxResults: 5 },
        { pipelineName: 'berth-poultry-sale', maxResults: 5 },
      ]),
    );
    expect(cp.commandCalls(GetPipelineExecutionCommand)).toHaveLength(3);
    expect(cp.commandCalls(ListActionExecutionsCommand)).toHaveLength(0); // nothing failed or running
    expect(ecs.commandCalls(DescribeServicesCommand)[0].args[0].input).toEqual({
      cluster: 'berth',
      services: ['cash-collection', 'poultry-sale'],
    });
    expect(elb.commandCalls(DescribeTargetGroupsCommand).map((c) => c.args[0].input.Names)).toEqual(
      expect.arrayContaining([[TG('cash-collection')], [TG('poultry-sale')]]),
    );
    expect(cfn.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input.StackName)).toEqual(
      expect.arrayContaining(['berth-cash-collection', 'berth-poultry-sale']),
    );
    expect(cw.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toMatchObject({
      AlarmNamePrefix: 'berth-',
      StateValue: 'ALARM',
    });
  });

  it("given AWS_REGION other than the config's, when status runs, then it exits 2 without calling AWS", async () => {
    healthy();

    const r = await run(['status'], capture({ env: { AWS_REGION: 'eu-west-1' } }), config.file, {
      aws: factory,
    });

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('AWS_REGION is eu-west-1, but');
    expect(regions).toEqual([]);
  });
});

describe('berth status: what needs attention', () => {
  it('given a failed execution, when status runs, then it shows the stage and action that failed and why', async () => {
    healthy();
    pipeline('cash-collection', [
      { id: 'exec-a3', status: 'Failed', sha: SHA.c, minutes: 30 },
      { id: 'exec-a2', status: 'Succeeded', sha: SHA.a, minutes: 10 },
    ]);
    cp.on(ListActionExecutionsCommand, {
      pipelineName: 'berth-cash-collection',
      filter: { pipelineExecutionId: 'exec-a3' },
    }).resolves({
      actionExecutionDetails: [
        { stageName: 'Checkout', actionName: 'Checkout', status: 'Succeeded', startTime: at(30) },
        {
          stageName: 'Test',
          actionName: 'Test',
          status: 'Failed',
          startTime: at(32),
          output: {
            executionResult: {
              errorDetails: {
                code: 'JobFailed',
                message: 'Error while executing command: npm test. Reason: exit status 1\nmore',
              },
            },
          },
        },
      ],
    });

    const r = await status();

    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /Failed\s+release\s+c0ffee0\s+2025-06-01T10:30:00Z\s+failed at Test: Error while executing command: npm test\. Reason: exit status 1\n/,
    );
  });

  it('given an execution in progress, when status runs, then it shows the stage it is at', async () => {
    healthy();
    pipeline('poultry-sale', [{ id: 'exec-b2', status: 'InProgress', sha: SHA.a, minutes: 40 }]);
    cp.on(ListActionExecutionsCommand, { filter: { pipelineExecutionId: 'exec-b2' } }).resolves({
      actionExecutionDetails: [
        { stageName: 'Deploy', actionName: 'Deploy', status: 'InProgress', startTime: at(48) },
        { stageName: 'Push', actionName: 'Push', status: 'Succeeded', startTime: at(46) },
      ],
    });

    const r = await status(['poultry-sale']);

    expect(r.stdout).toMatch(/InProgress\s+release\s+1a2b3c4\s+2025-06-01T10:40:00Z\s+at Deploy\n/);
  });

  it('given tasks that do not place, when status runs, then it shows the pending tasks, the rollout and ECS’s latest event', async () => {
    healthy();
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        service(
          'cash-collection',
          {
            runningCount: 1,
            pendingCount: 1,
            events: [
              {
                id: 'e2',
                createdAt: at(50),
                message:
                  '(service cash-collection) was unable to place a task because no container instance met all of its requirements.',
              },
            ],
          },
          'IN_PROGRESS',
        ),
        service('poultry-sale'),
      ],
    });

    const r = await status();

    expect(r.stdout).toContain(
      'Service cash-collection: 1 running / 2 desired / 1 pending; rollout IN_PROGRESS',
    );
    expect(r.stdout).toContain(
      'latest event (2025-06-01T10:50:00Z): (service cash-collection) was unable to place a task because no container instance met all of its requirements.',
    );
    expect(r.stdout).toContain('Service poultry-sale: 2 running / 2 desired / 0 pending; rollout COMPLETED');
  });

  it('given unhealthy targets, when status runs, then it counts targets per state and names each that is not healthy with its reason', async () => {
    healthy();
    targets('poultry-sale', [
      'healthy',
      ['unhealthy', 'Target.ResponseCodeMismatch', 'Health checks failed with these codes: [500]'],
      ['draining', 'Target.DeregistrationInProgress', 'Target deregistration is in progress'],
    ]);

    const r = await status();

    expect(r.stdout).toContain(`Targets ${TG('poultry-sale')}: 1 healthy, 1 draining, 1 unhealthy`);
    expect(r.stdout).toContain(
      'i-0121aaaabbbbcccc:32769 unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [500])',
    );
    expect(r.stdout).toContain(`Targets ${TG('cash-collection')}: 2 healthy`);
  });

  it('given alarms in ALARM, when status runs, then each is listed under its project, and the rest under platform', async () => {
    healthy();
    alarms([
      {
        AlarmName: 'berth-cash-collection-target-5xx',
        StateValue: 'ALARM',
        StateReason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
        StateUpdatedTimestamp: at(55),
      },
      {
        AlarmName: 'berth-alb-5xx',
        StateValue: 'ALARM',
        StateReason: 'Threshold Crossed',
        StateUpdatedTimestamp: at(56),
      },
    ]);

    const r = await status(['--json']);
    const data = JSON.parse(r.stdout) as {
      projects: { name: string; alarms: { name: string; reason: string; since: string }[] }[];
      platform: { alarms: { name: string }[] };
    };

    expect(data.projects.find((p) => p.name === 'cash-collection')?.alarms).toEqual([
      {
        name: 'berth-cash-collection-target-5xx',
        reason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
        since: '2025-06-01T10:55:00Z',
      },
    ]);
    expect(data.projects.find((p) => p.name === 'poultry-sale')?.alarms).toEqual([]);
    expect(data.platform.alarms.map((a) => a.name)).toEqual(['berth-alb-5xx']);

    const human = await status();
    expect(human.stdout).toMatch(
      /cash-collection {2}\(\/api\/cash\/\*\)[\s\S]*Alarms in ALARM: 1\n {4}berth-cash-collection-target-5xx since 2025-06-01T10:55:00Z: Threshold Crossed: 1 datapoint/,
    );
    expect(human.stdout).toMatch(
      /platform\n {2}Alarms in ALARM: 1\n {4}berth-alb-5xx since 2025-06-01T10:56:00Z/,
    );
  });

  it('given more alarms than one page, when status runs, then it follows NextToken', async () => {
    healthy();
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'berth-poultry-sale-cpu-high' }], NextToken: 'page-2' })
      .resolvesOnce({ CompositeAlarms: [{ AlarmName: 'berth-poultry-sale-composite' }] });

    const r = await status(['--json']);
    const data = JSON.parse(r.stdout) as { projects: { name: string; alarms: { name: string }[] }[] };

    expect(data.projects[1].alarms.map((a) => a.name)).toEqual([
      'berth-poultry-sale-composite',
      'berth-poultry-sale-cpu-high',
    ]);
    expect(cw.commandCalls(DescribeAlarmsCommand)[1].args[0].input.NextToken).toBe('page-2');
  });
});

describe('berth status: what is not there yet', () => {
  it('given a project stack not deployed, when status runs, then its pipeline, service and target group are shown as not deployed', async () => {
    healthy();
    cp.on(ListPipelineExecutionsCommand, { pipelineName: 'berth-poultry-sale' }).rejects(
      Object.assign(new Error('Pipeline not found'), { name: 'PipelineNotFoundException' }),
    );
    ecs.on(DescribeServicesCommand).resolves({
      services: [service('cash-collection')],
      failures: [{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/berth/poultry-sale', reason: 'MISSING' }],
    });
    elb.on(DescribeTargetGroupsCommand, { Names: [TG('poultry-sale')] }).rejects(
      Object.assign(new Error('One or more target groups not found'), {
        name: 'TargetGroupNotFoundException',
      }),
    );
    released({ 'poultry-sale': undefined });

    const r = await status();

    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Live release: stack berth-poultry-sale not deployed (run `npx cdk deploy berth-poultry-sale`)',
    );
    expect(r.stdout).toContain(
      'Pipeline berth-poultry-sale: not deployed (run `npx cdk deploy berth-poultry-sale`)',
    );
    expect(r.stdout).toContain('Service poultry-sale: not deployed in cluster berth');
    expect(r.stdout).toContain(`Targets ${TG('poultry-sale')}: target group not deployed`);
    expect(r.stdout).toContain(`Targets ${TG('cash-collection')}: 2 healthy`);
  });

  it('given a deployed project not released yet, when status runs, then it says so and that the first release creates the service', async () => {
    healthy();
    released({ 'cash-collection': 'none' });
    ecs.on(DescribeServicesCommand).resolves({
      services: [service('poultry-sale')],
      failures: [{ reason: 'MISSING' }],
    });

    const r = await status(['cash-collection']);

    expect(r.stdout).toContain('Live release: not released yet (push a commit to main)');
    expect(r.stdout).toContain('Service cash-collection: none yet (the first release creates it)');
    const json = JSON.parse((await status(['cash-collection', '--json'])).stdout) as {
      projects: { release: unknown }[];
    };
    expect(json.projects[0].release).toEqual({
      stack: 'berth-cash-collection',
      deployed: true,
      stackStatus: 'CREATE_COMPLETE',
      live: null,
    });
  });

  it('given a pipeline that never ran and a service with 0 tasks, when status runs, then it says so', async () => {
    healthy();
    cp.on(ListPipelineExecutionsCommand, { pipelineName: 'berth-cash-collection' }).resolves({
      pipelineExecutionSummaries: [],
    });
    ecs.on(DescribeServicesCommand).resolves({
      services: [service('cash-collection', { runningCount: 0, desiredCount: 0 }), service('poultry-sale')],
    });
    targets('cash-collection', []);

    const r = await status();

    expect(r.stdout).toContain(
      'Pipeline berth-cash-collection: no executions yet (push a commit to main to start one)',
    );
    expect(r.stdout).toContain('Service cash-collection: 0 running / 0 desired / 0 pending');
    expect(r.stdout).toContain(`Targets ${TG('cash-collection')}: none registered`);
  });

  it('given no cluster (platform not deployed), when status runs, then every service is shown as not deployed', async () => {
    healthy();
    ecs
      .on(DescribeServicesCommand)
      .rejects(Object.assign(new Error('Cluster not found.'), { name: 'ClusterNotFoundException' }));

    const r = await status();

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Service cash-collection: not deployed in cluster berth');
    expect(r.stdout).toContain('Service poultry-sale: not deployed in cluster berth');
  });
});

describe('berth status: one project, JSON, errors', () => {
  it('given a project name, when status runs, then it reads and shows only that project (and the platform alarms)', async () => {
    healthy();

    const r = await status(['poultry-sale']);

    expect(r.stdout).toContain('poultry-sale  (/api/poultry/*)');
    expect(r.stdout).not.toContain('cash-collection');
    expect(cp.commandCalls(ListPipelineExecutionsCommand).map((c) => c.args[0].input.pipelineName)).toEqual([
      'berth-poultry-sale',
    ]);
    expect(ecs.commandCalls(DescribeServicesCommand)[0].args[0].input.services).toEqual(['poultry-sale']);
    expect(r.stdout).toContain('platform\n  Alarms in ALARM: none');
  });

  it('given --json, when status runs, then stdout is one document with region, cluster, projects and platform', async () => {
    healthy();

    const r = await status(['--json']);

    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(['cluster', 'platform', 'projects', 'region', 'serviceHooks']);
    expect(data).toMatchObject({
      region: 'us-east-1',
      cluster: 'berth',
      platform: {
        alarms: [],
        alerts: { emails: 0, chatChannels: 0, reachNobody: true, warning: NO_ALERT_DESTINATION_WARNING },
      },
      serviceHooks: { checked: false, error: expect.stringContaining('set AZURE_DEVOPS_PAT') as string },
    });
    const cash = (data.projects as Record<string, unknown>[])[0];
    expect(cash).toEqual({
      name: 'cash-collection',
      kind: 'web',
      path: '/api/cash',
      release: {
        stack: 'berth-cash-collection',
        deployed: true,
        stackStatus: 'CREATE_COMPLETE',
        live: SHA.a,
        shortLive: '1a2b3c4',
      },
      pipeline: {
        name: 'berth-cash-collection',
        deployed: true,
        executions: [
          {
            id: 'exec-a2',
            status: 'Succeeded',
            commit: SHA.a,
            shortCommit: '1a2b3c4',
            branch: 'main',
            mode: 'release',
            startTime: '2025-06-01T10:10:00Z',
            lastUpdateTime: '2025-06-01T10:19:00Z',
            trigger: 'StartPipelineExecution',
          },
          expect.objectContaining({ id: 'exec-a1', commit: SHA.b }),
        ],
      },
      service: {
        name: 'cash-collection',
        cluster: 'berth',
        deployed: true,
        status: 'ACTIVE',
        running: 2,
        desired: 2,
        pending: 0,
        rolloutState: 'COMPLETED',
        taskDefinition: 'berthcash-collectionServiceTaskDefinition:7',
        deployments: 1,
        lastEvent: {
          at: '2025-06-01T10:20:00Z',
          message: '(service cash-collection) has reached a steady state.',
        },
      },
      targetGroup: { name: TG('cash-collection'), deployed: true, counts: { healthy: 2 }, notHealthy: [] },
      alarms: [],
    });
  });

  it('given no AWS credentials, when status runs, then it prints the sentence every command uses and exits 1', async () => {
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    rejectEverything(noCredentials);

    const r = await status();

    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'Error: No AWS credentials found: set AWS_PROFILE or run `aws sso login`, then try again.\n',
    );
  });

  it('given no AWS credentials and --json, when status runs, then the error is JSON with code no-aws-credentials', async () => {
    rejectEverything(Object.assign(new Error('no creds'), { name: 'CredentialsProviderError' }));

    const r = await status(['--json']);

    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'no-aws-credentials',
        message: 'No AWS credentials found: set AWS_PROFILE or run `aws sso login`, then try again.',
      },
    });
  });

  it('given an identity without cloudwatch:DescribeAlarms, when status runs, then it names the action', async () => {
    healthy();
    cw.on(DescribeAlarmsCommand).rejects(
      Object.assign(new Error('not authorized to perform: cloudwatch:DescribeAlarms'), {
        name: 'AccessDenied',
      }),
    );

    const r = await status();

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Your AWS identity may not call cloudwatch:DescribeAlarms on the alarms berth-* in us-east-1',
    );
  });

  it('given an unknown project, when status runs, then it exits 2 listing the projects, without calling AWS', async () => {
    const r = await status(['nope']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No project "nope"');
    expect(r.stderr).toContain('choose one of: cash-collection, poultry-sale.');
    expect(cp.calls()).toHaveLength(0);
  });
});

describe('berth status: workers, alerts and service hooks', () => {
  let workerConfig: ReturnType<typeof writeConfig>;
  let ado: FakeAzureDevOps;
  const WEBHOOK = 'https://abc123.execute-api.us-east-1.amazonaws.com/webhook';
  beforeAll(async () => {
    workerConfig = writeConfig({
      alerts: { emails: ['ops@example.com'] },
      projects: [
        {
          name: 'cash-collection',
          path: '/api/cash',
          priority: 10,
          repository: { project: 'Finance', name: 'cash-collection' },
        },
        { name: 'ledger-sync', repository: { project: 'Finance', name: 'ledger-sync' } },
        {
          name: 'poultry-sale',
          path: '/api/poultry',
          priority: 20,
          repository: { project: 'Sales', name: 'poultry-sale' },
        },
      ],
    });
    ado = await FakeAzureDevOps.start({ collection: ADO_COLLECTION, pat: PAT });
  });
  afterAll(async () => {
    workerConfig.remove();
    await ado.close();
  });

  const hook = (project: string, status: string, marked = true) =>
    ado.seed({
      status,
      publisherInputs: { projectId: 'p', repository: 'r', branch: 'main' },
      consumerInputs: {
        url: `${WEBHOOK}/${project}`,
        ...(marked ? { httpHeaders: `X-Berth-Project:berth/${project}` } : {}),
      },
    });

  function everything(): void {
    healthy();
    pipeline('ledger-sync', [{ id: 'exec-w1', status: 'Succeeded', sha: SHA.b, minutes: 1 }]);
    ecs.on(DescribeServicesCommand).resolves({
      services: [service('cash-collection'), service('ledger-sync'), service('poultry-sale')],
    });
    released({ 'ledger-sync': SHA.b });
  }
  const statusOf = (args: string[], env: Record<string, string> = {}) =>
    run(['status', ...args], capture({ env }), workerConfig.file, {
      aws: factory,
      fetch: ado.fetchFor(ADO_ORIGIN),
      azureDevOpsTimeoutMs: 2_000,
    });

  beforeEach(() => {
    ado.reset();
    ado.subscriptions.clear();
  });

  it('given a worker, when status runs, then it is marked as one, has its live release and service, and no target group is read', async () => {
    everything();

    const r = await statusOf([]);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ledger-sync  (worker)\n  Live release: 9f8e7d6\n');
    expect(r.stdout).toMatch(
      /ledger-sync {2}\(worker\)[\s\S]*Service ledger-sync: 2 running[\s\S]*Alarms in ALARM: none\n\npoultry-sale/,
    );
    expect(r.stdout).not.toMatch(/Targets berth-ledger-sync/);
    expect(
      elb.commandCalls(DescribeTargetGroupsCommand).flatMap((c) => c.args[0].input.Names ?? []),
    ).not.toContain(expect.stringContaining('ledger-sync'));
    const json = JSON.parse((await statusOf(['ledger-sync', '--json'])).stdout) as {
      projects: Record<string, unknown>[];
    };
    expect(json.projects[0]).toMatchObject({ name: 'ledger-sync', kind: 'worker' });
    expect(json.projects[0]).not.toHaveProperty('targetGroup');
    expect(json.projects[0]).not.toHaveProperty('path');
  });

  it('given alert e-mails, when status runs, then there is no "reach nobody" line; given none, there is', async () => {
    everything();

    expect((await statusOf([])).stdout).not.toContain('reach nobody');
    const r = await status();
    expect(r.stdout).toContain(`platform\n  Alarms in ALARM: none\n  ${NO_ALERT_DESTINATION_WARNING}\n`);
  });

  it('given no AZURE_DEVOPS_PAT, when status runs, then the service hooks are not checked and it says how to check them', async () => {
    everything();

    const r = await statusOf([]);

    expect(r.stdout).toContain(
      '  Service hooks: not checked (set AZURE_DEVOPS_PAT (Service Hooks: Read) to check the service hooks)',
    );
    expect(ado.requests).toHaveLength(0);
  });

  it('given AZURE_DEVOPS_PAT, when status runs, then each project shows its service hook: enabled, on probation, disabled or missing, with the command that re-enables it', async () => {
    everything();
    hook('cash-collection', 'enabled');
    hook('ledger-sync', 'onProbation');
    hook('poultry-sale', 'disabledBySystem', false); // made before the marker existed

    const r = await statusOf([], { AZURE_DEVOPS_PAT: PAT });

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cash-collection {2}\(\/api\/cash\/\*\)[\s\S]*Service hook: enabled\n/);
    expect(r.stdout).toContain(
      'Service hook: on probation (recent deliveries failed; Azure DevOps disables it if they go on failing): fix the webhook, then re-enable it with `npx --no-install berth connect ledger-sync`',
    );
    expect(r.stdout).toContain(
      'Service hook: disabled (disabledBySystem): pushes start nothing; re-enable it with `npx --no-install berth connect poultry-sale`',
    );
    expect(r.stdout).not.toContain('Service hooks:');
    expect(ado.requests.map((q) => [q.method, q.path, q.query])).toEqual([
      [
        'GET',
        '/_apis/hooks/subscriptions',
        {
          publisherId: 'tfs',
          eventType: 'git.push',
          consumerId: 'webHooks',
          consumerActionId: 'httpRequest',
          'api-version': '7.0',
        },
      ],
    ]);
    const json = JSON.parse((await statusOf(['--json'], { AZURE_DEVOPS_PAT: PAT })).stdout) as {
      projects: { serviceHook: unknown }[];
      serviceHooks: unknown;
    };
    expect(json.serviceHooks).toEqual({ checked: true });
    expect(json.projects[1].serviceHook).toEqual({
      state: 'onProbation',
      status: 'onProbation',
      subscriptionId: expect.any(String) as string,
      fix: 'npx --no-install berth connect ledger-sync',
    });
    assertNoSecretsWritten();
  });

  it('given AZURE_DEVOPS_PAT and no subscription for a project, when status runs, then it says to create it with connect', async () => {
    everything();
    hook('cash-collection', 'enabled');

    const r = await statusOf(['poultry-sale'], { AZURE_DEVOPS_PAT: PAT });

    expect(r.stdout).toContain(
      'Service hook: none found for this project: pushes start nothing; create it with `npx --no-install berth connect poultry-sale`',
    );
  });

  it('given Azure DevOps refuses the PAT, when status runs, then the AWS part is shown, the hooks line says why, and it exits 0', async () => {
    everything();

    const r = await statusOf([], { AZURE_DEVOPS_PAT: 'wrong-pat-1234567890' });

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Live release: 1a2b3c4');
    expect(r.stdout).toMatch(
      /Service hooks: could not list the service hooks at https:\/\/ado\.berth\.test\/DefaultCollection \(GET \/_apis\/hooks\/subscriptions: /,
    );
    expect(r.stdout).not.toContain('wrong-pat-1234567890');
  });
});

describe('assignAlarms', () => {
  it('given project names that prefix one another, when assigning, then the longest matching project wins', () => {
    const owners = assignAlarms(
      [
        { name: 'berth-cash-collection-cpu-high' },
        { name: 'berth-cash-cpu-high' },
        { name: 'berth-api-5xx-rate' },
      ],
      'berth',
      ['cash', 'cash-collection'],
    );

    expect(owners.get('cash-collection')?.map((a) => a.name)).toEqual(['berth-cash-collection-cpu-high']);
    expect(owners.get('cash')?.map((a) => a.name)).toEqual(['berth-cash-cpu-high']);
    expect(owners.get('')?.map((a) => a.name)).toEqual(['berth-api-5xx-rate']);
  });
});
