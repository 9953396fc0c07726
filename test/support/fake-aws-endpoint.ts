import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fake AWS endpoint on 127.0.0.1 for tests that run the `berth` CLI as a user does (a child process, real SDK
 * clients): set `AWS_ENDPOINT_URL` to its `url` and every client sends its requests here. It answers the
 * operations the CLI calls, from a state object the test builds (see `berthFixture`), in the wire formats the SDK
 * expects:
 *
 * - JSON protocols (`X-Amz-Target`): CloudWatch Logs FilterLogEvents, GetLogEvents; SSM GetParameterHistory; ECR
 *   DescribeImages; ECS DescribeServices, ListTasks, DescribeTasks, RunTask, ExecuteCommand; CodePipeline
 *   ListPipelineExecutions, GetPipelineExecution, ListActionExecutions, StartPipelineExecution; Secrets Manager
 *   GetSecretValue, PutSecretValue; CloudWatch DescribeAlarms (JSON 1.0).
 * - Query protocol (form body, XML answers): CloudFormation DescribeStacks; ELBv2 DescribeTargetGroups,
 *   DescribeTargetHealth; SNS Publish (to a topic of the state's `topics`).
 *
 * Anything else answers 400 `UnknownOperationException` naming the operation, so a test fails loudly when the CLI
 * starts calling something new. Every request is recorded (service, operation, input). Started pipeline executions
 * succeed at once; a task started with RunTask is STOPPED with exit code 0 at once and has two log lines.
 */

export interface FakeStack {
  readonly status?: string;
  readonly parameters?: Record<string, string>;
  readonly outputs?: Record<string, string>;
}

export interface FakeExecution {
  readonly id: string;
  readonly status: string;
  readonly commit: string;
  readonly mode: string;
  /** Seconds since the epoch. */
  readonly startTime: number;
  readonly failedStage?: string;
  readonly summary?: string;
}

export interface FakeService {
  readonly taskDefinition: string;
  readonly running: number;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly capacityProvider: string;
  /** Task ids of its running tasks. */
  readonly tasks: readonly string[];
  readonly execEnabled: boolean;
}

export interface FakeLogEvent {
  readonly stream: string;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly message: string;
}

export interface FakeAwsState {
  readonly account: string;
  readonly region: string;
  readonly cluster: string;
  readonly stacks: Record<string, FakeStack>;
  readonly secrets: Record<string, string>;
  /** SSM parameter name -> values, oldest first (version = index + 1), with their time in epoch seconds. */
  readonly parameters: Record<string, { value: string; at: number }[]>;
  /** ECR repository -> tag -> digest. */
  readonly images: Record<string, Record<string, string>>;
  readonly pipelines: Record<string, FakeExecution[]>;
  readonly services: Record<string, FakeService>;
  /** Target group name -> target states. */
  readonly targetGroups: Record<string, string[]>;
  readonly logGroups: Record<string, FakeLogEvent[]>;
  readonly alarmsInAlarm: { name: string; reason: string }[];
  /** SNS topic names that exist. */
  readonly topics: readonly string[];
}

export interface RecordedAwsRequest {
  readonly service: string;
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export class FakeAwsEndpoint {
  readonly requests: RecordedAwsRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private executions = 0;

  private constructor(
    private readonly server: http.Server,
    readonly state: FakeAwsState,
  ) {}

  static async start(state: FakeAwsState): Promise<FakeAwsEndpoint> {
    const server = http.createServer();
    const fake = new FakeAwsEndpoint(server, state);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void fake.handle(req, res));
    server.on('connection', (s: Socket) => {
      fake.sockets.add(s);
      s.on('close', () => fake.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The operations called, as `service:Operation`. */
  operations(): string[] {
    return this.requests.map((r) => `${r.service}:${r.operation}`);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    // The signing name in the Authorization header's scope: .../<region>/<service>/aws4_request.
    const service =
      /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const target = req.headers['x-amz-target'];
    try {
      if (typeof target === 'string') {
        const operation = target.split('.').pop() ?? '';
        const input = (body ? JSON.parse(body) : {}) as Record<string, unknown>;
        this.requests.push({ service, operation, input });
        const output = this.json(service, operation, input);
        const type = String(req.headers['content-type'] ?? 'application/x-amz-json-1.1');
        res.writeHead(200, { 'Content-Type': type, 'x-amzn-RequestId': randomUUID() });
        res.end(JSON.stringify(output));
        return;
      }
      const form = new URLSearchParams(body);
      const operation = form.get('Action') ?? '';
      const input = Object.fromEntries(form);
      this.requests.push({ service, operation, input });
      const xml = this.query(service, operation, form);
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(xml);
    } catch (e) {
      const err =
        e instanceof AwsError
          ? e
          : new AwsError('InternalFailure', e instanceof Error ? e.message : String(e), 500);
      if (typeof target === 'string') {
        res.writeHead(err.status, {
          'Content-Type': 'application/x-amz-json-1.1',
          'x-amzn-ErrorType': err.code,
        });
        res.end(JSON.stringify({ __type: err.code, message: err.message }));
      } else {
        res.writeHead(err.status, { 'Content-Type': 'text/xml' });
        res.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>${esc(err.code)}</Code><Message>${esc(err.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // JSON protocols
  // ---------------------------------------------------------------------------------------------------------

  private json(service: string, op: string, input: Record<string, unknown>): unknown {
    const s = this.state;
    const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : '');
    switch (`${service}:${op}`) {
      case 'secretsmanager:GetSecretValue': {
        const id = str('SecretId');
        if (!Object.hasOwn(s.secrets, id))
          throw new AwsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret.`);
        return {
          ARN: this.arn('secretsmanager', `secret:${id}-AbCdEf`),
          Name: id,
          VersionId: randomUUID(),
          SecretString: s.secrets[id],
        };
      }
      case 'secretsmanager:PutSecretValue': {
        const id = str('SecretId');
        if (!Object.hasOwn(s.secrets, id))
          throw new AwsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret.`);
        return { ARN: this.arn('secretsmanager', `secret:${id}-AbCdEf`), Name: id, VersionId: randomUUID() };
      }
      case 'ssm:GetParameterHistory': {
        const name = str('Name');
        const values = s.parameters[name];
        if (!values) throw new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
        const start = Number(str('NextToken') || '0');
        const size = Number(input.MaxResults ?? 50);
        const page = values.slice(start, start + size).map((v, i) => ({
          Name: name,
          Type: 'String',
          Value: v.value,
          Version: start + i + 1,
          LastModifiedDate: v.at,
          LastModifiedUser: this.arn('sts', 'assumed-role/berth-deploy/release', ''),
          DataType: 'text',
        }));
        return {
          Parameters: page,
          ...(start + size < values.length ? { NextToken: String(start + size) } : {}),
        };
      }
      case 'ecr:DescribeImages': {
        const repo = str('repositoryName');
        const tags = s.images[repo];
        if (!tags)
          throw new AwsError(
            'RepositoryNotFoundException',
            `The repository with name '${repo}' does not exist in the registry.`,
          );
        const ids = (input.imageIds as { imageTag?: string }[] | undefined) ?? [];
        const missing = ids.find((i) => !i.imageTag || !Object.hasOwn(tags, i.imageTag));
        if (missing)
          throw new AwsError(
            'ImageNotFoundException',
            `The image with imageId {imageTag:'${missing.imageTag}'} does not exist`,
          );
        return {
          imageDetails: ids.map((i) => ({
            registryId: s.account,
            repositoryName: repo,
            imageDigest: tags[i.imageTag ?? ''],
            imageTags: [i.imageTag],
            imageManifestMediaType: 'application/vnd.oci.image.index.v1+json',
          })),
        };
      }
      case 'ecs:DescribeServices': {
        if (str('cluster') !== s.cluster)
          throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
        const names = (input.services as string[]) ?? [];
        return {
          services: names.filter((n) => s.services[n]).map((n) => this.service(n)),
          failures: names
            .filter((n) => !s.services[n])
            .map((n) => ({ arn: this.arn('ecs', `service/${s.cluster}/${n}`), reason: 'MISSING' })),
        };
      }
      case 'ecs:ListTasks': {
        const svc = s.services[str('serviceName')];
        if (!svc) throw new AwsError('ServiceNotFoundException', 'Service not found.');
        return { taskArns: svc.tasks.map((t) => this.taskArn(t)) };
      }
      case 'ecs:DescribeTasks': {
        const ids = ((input.tasks as string[]) ?? []).map((t) => t.split('/').pop() ?? t);
        return { tasks: ids.map((id) => this.task(id)).filter(Boolean), failures: [] };
      }
      case 'ecs:RunTask': {
        const id = randomUUID().replace(/-/g, '');
        return {
          tasks: [
            {
              taskArn: this.taskArn(id),
              lastStatus: 'PROVISIONING',
              taskDefinitionArn: str('taskDefinition'),
            },
          ],
          failures: [],
        };
      }
      case 'ecs:ExecuteCommand': {
        const id = str('task').split('/').pop() ?? '';
        return {
          clusterArn: this.arn('ecs', `cluster/${s.cluster}`),
          taskArn: this.taskArn(id),
          containerName: 'app',
          interactive: true,
          session: {
            sessionId: `ecs-execute-command-${id.slice(0, 8)}`,
            streamUrl: 'wss://ssmmessages.example/v1/data-channel/x',
            tokenValue: 'fake-session-token',
          },
        };
      }
      case 'codepipeline:ListPipelineExecutions': {
        const runs = this.pipeline(str('pipelineName'));
        return {
          pipelineExecutionSummaries: runs.slice(0, Number(input.maxResults ?? 100)).map((e) => ({
            pipelineExecutionId: e.id,
            status: e.status,
            startTime: e.startTime,
            lastUpdateTime: e.startTime + 600,
            trigger: { triggerType: 'StartPipelineExecution' },
          })),
        };
      }
      case 'codepipeline:GetPipelineExecution': {
        const e = this.execution(str('pipelineName'), str('pipelineExecutionId'));
        return {
          pipelineExecution: {
            pipelineName: str('pipelineName'),
            pipelineExecutionId: e.id,
            status: e.status,
            variables: [
              { name: 'COMMIT_ID', resolvedValue: e.commit },
              { name: 'RELEASE_MODE', resolvedValue: e.mode },
            ],
          },
        };
      }
      case 'codepipeline:ListActionExecutions': {
        const filter = input.filter as { pipelineExecutionId?: string } | undefined;
        const e = this.execution(str('pipelineName'), filter?.pipelineExecutionId ?? '');
        const stages =
          e.mode === 'release'
            ? ['Source', 'Checkout', 'Test', 'Build', 'Scan', 'Push', 'Deploy', 'Verify']
            : e.mode === 'rollback'
              ? ['Source', 'Scan', 'Deploy', 'Verify']
              : ['Source', 'Deploy', 'Verify'];
        const upTo = e.failedStage ? stages.indexOf(e.failedStage) + 1 : stages.length;
        return {
          actionExecutionDetails: stages.slice(0, upTo).map((stage, i) => ({
            pipelineExecutionId: e.id,
            stageName: stage,
            actionName: stage,
            startTime: e.startTime + i * 30,
            lastUpdateTime: e.startTime + i * 30 + 20,
            status:
              stage === e.failedStage
                ? 'Failed'
                : e.status === 'InProgress' && i === upTo - 1
                  ? 'InProgress'
                  : 'Succeeded',
            ...(stage === e.failedStage && e.summary
              ? { output: { executionResult: { externalExecutionSummary: e.summary } } }
              : {}),
          })),
        };
      }
      case 'codepipeline:StartPipelineExecution': {
        const name = str('name');
        const vars = Object.fromEntries(
          ((input.variables as { name: string; value: string }[]) ?? []).map((v) => [v.name, v.value]),
        );
        const id = `docs-execution-${++this.executions}`;
        this.pipeline(name).unshift({
          id,
          status: 'Succeeded',
          commit: vars.COMMIT_ID ?? 'none',
          mode: vars.RELEASE_MODE ?? 'release',
          startTime: Date.now() / 1000,
        });
        return { pipelineExecutionId: id };
      }
      case 'monitoring:DescribeAlarms': {
        const prefix = str('AlarmNamePrefix');
        return {
          MetricAlarms: s.alarmsInAlarm
            .filter((a) => a.name.startsWith(prefix))
            .map((a) => ({
              AlarmName: a.name,
              StateValue: 'ALARM',
              StateReason: a.reason,
              StateUpdatedTimestamp: Date.now() / 1000 - 600,
            })),
          CompositeAlarms: [],
        };
      }
      case 'logs:FilterLogEvents': {
        const group = str('logGroupName');
        const events = s.logGroups[group];
        if (!events)
          throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
        const start = Number(input.startTime ?? 0);
        const pattern = str('filterPattern').replace(/^"|"$/g, '');
        return {
          events: events
            .filter((e) => e.timestamp >= start && (!pattern || e.message.includes(pattern)))
            .map((e, i) => ({
              logStreamName: e.stream,
              timestamp: e.timestamp,
              ingestionTime: e.timestamp + 500,
              message: e.message,
              eventId: `${group}-${i}`,
            })),
          searchedLogStreams: [],
        };
      }
      case 'logs:GetLogEvents': {
        const token = str('nextToken');
        if (token === 'f/2') return { events: [], nextForwardToken: 'f/2', nextBackwardToken: 'b/2' };
        const now = Date.now();
        return {
          events: [
            { timestamp: now - 2000, message: 'Running the one-off command...', ingestionTime: now },
            { timestamp: now - 1000, message: 'Done.', ingestionTime: now },
          ],
          nextForwardToken: 'f/2',
          nextBackwardToken: 'b/1',
        };
      }
      default:
        throw new AwsError(
          'UnknownOperationException',
          `The fake AWS endpoint does not implement ${service}:${op}: add it to test/support/fake-aws-endpoint.ts.`,
        );
    }
  }

  private pipeline(name: string): FakeExecution[] {
    const runs = this.state.pipelines[name];
    if (!runs)
      throw new AwsError(
        'PipelineNotFoundException',
        `Account '${this.state.account}' does not have a pipeline with name '${name}'`,
      );
    return runs;
  }

  private execution(pipeline: string, id: string): FakeExecution {
    const e = this.pipeline(pipeline).find((x) => x.id === id);
    if (!e) throw new AwsError('PipelineExecutionNotFoundException', `Pipeline execution ${id} not found`);
    return e;
  }

  private service(name: string) {
    const svc = this.state.services[name];
    return {
      serviceName: name,
      serviceArn: this.arn('ecs', `service/${this.state.cluster}/${name}`),
      clusterArn: this.arn('ecs', `cluster/${this.state.cluster}`),
      status: 'ACTIVE',
      desiredCount: svc.running,
      runningCount: svc.running,
      pendingCount: 0,
      taskDefinition: svc.taskDefinition,
      capacityProviderStrategy: [{ capacityProvider: svc.capacityProvider, weight: 1, base: 0 }],
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: svc.subnets,
          securityGroups: svc.securityGroups,
          assignPublicIp: 'DISABLED',
        },
      },
      deployments: [
        {
          id: 'ecs-svc/1',
          status: 'PRIMARY',
          taskDefinition: svc.taskDefinition,
          rolloutState: 'COMPLETED',
          runningCount: svc.running,
          desiredCount: svc.running,
        },
      ],
      events: [
        {
          id: 'e1',
          createdAt: Date.now() / 1000 - 300,
          message: `(service ${name}) has reached a steady state.`,
        },
      ],
      enableExecuteCommand: svc.execEnabled,
    };
  }

  private task(id: string) {
    const owner = Object.entries(this.state.services).find(([, svc]) => svc.tasks.includes(id));
    if (owner) {
      return {
        taskArn: this.taskArn(id),
        group: `service:${owner[0]}`,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        enableExecuteCommand: owner[1].execEnabled,
        containers: [
          {
            name: 'app',
            runtimeId: `${id}-0123456789`,
            lastStatus: 'RUNNING',
            managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }],
          },
        ],
      };
    }
    // A one-off task (RunTask): done at once.
    return {
      taskArn: this.taskArn(id),
      group: 'family:one-off',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 0 }],
    };
  }

  private taskArn(id: string): string {
    return this.arn('ecs', `task/${this.state.cluster}/${id}`);
  }

  private arn(service: string, resource: string, region = this.state.region): string {
    return `arn:aws:${service}:${region}:${this.state.account}:${resource}`;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Query protocol (CloudFormation, ELBv2)
  // ---------------------------------------------------------------------------------------------------------

  private query(service: string, op: string, form: URLSearchParams): string {
    const s = this.state;
    const respond = (ns: string, result: string) =>
      `<?xml version="1.0" encoding="UTF-8"?><${op}Response xmlns="${ns}"><${op}Result>${result}</${op}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${op}Response>`;
    switch (`${service}:${op}`) {
      case 'cloudformation:DescribeStacks': {
        const name = form.get('StackName') ?? '';
        const stack = s.stacks[name];
        if (!stack) throw new AwsError('ValidationError', `Stack with id ${name} does not exist`);
        const members = (m: Record<string, string> | undefined, k: string, v: string) =>
          Object.entries(m ?? {})
            .map(([key, value]) => `<member><${k}>${esc(key)}</${k}><${v}>${esc(value)}</${v}></member>`)
            .join('');
        return respond(
          'http://cloudformation.amazonaws.com/doc/2010-05-15/',
          `<Stacks><member><StackName>${esc(name)}</StackName><StackId>${esc(this.arn('cloudformation', `stack/${name}/0a1b2c3d`))}</StackId><CreationTime>2025-01-01T00:00:00.000Z</CreationTime><StackStatus>${esc(stack.status ?? 'UPDATE_COMPLETE')}</StackStatus><Parameters>${members(stack.parameters, 'ParameterKey', 'ParameterValue')}</Parameters><Outputs>${members(stack.outputs, 'OutputKey', 'OutputValue')}</Outputs></member></Stacks>`,
        );
      }
      case 'elasticloadbalancing:DescribeTargetGroups': {
        const name = form.get('Names.member.1') ?? '';
        if (!s.targetGroups[name])
          throw new AwsError('TargetGroupNotFound', 'One or more target groups not found');
        return respond(
          'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
          `<TargetGroups><member><TargetGroupName>${esc(name)}</TargetGroupName><TargetGroupArn>${esc(this.arn('elasticloadbalancing', `targetgroup/${name}/0123456789abcdef`))}</TargetGroupArn></member></TargetGroups>`,
        );
      }
      case 'elasticloadbalancing:DescribeTargetHealth': {
        const arn = form.get('TargetGroupArn') ?? '';
        const name = arn.split('/')[1] ?? '';
        const states = s.targetGroups[name] ?? [];
        return respond(
          'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
          `<TargetHealthDescriptions>${states
            .map(
              (state, i) =>
                `<member><Target><Id>10.0.10.${10 + i}</Id><Port>8080</Port></Target><TargetHealth><State>${esc(state)}</State></TargetHealth></member>`,
            )
            .join('')}</TargetHealthDescriptions>`,
        );
      }
      case 'sns:Publish': {
        const arn = form.get('TopicArn') ?? '';
        if (!s.topics.includes(arn.split(':').pop() ?? '')) {
          throw new AwsError('NotFound', 'Topic does not exist', 404);
        }
        return respond('http://sns.amazonaws.com/doc/2010-03-31/', `<MessageId>${randomUUID()}</MessageId>`);
      }
      default:
        throw new AwsError(
          'UnknownOperationException',
          `The fake AWS endpoint does not implement ${service}:${op}: add it to test/support/fake-aws-endpoint.ts.`,
        );
    }
  }
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// -------------------------------------------------------------------------------------------------------------
// The fixture: a deployed platform for a config's projects
// -------------------------------------------------------------------------------------------------------------

export interface FixtureProject {
  readonly name: string;
  /** Routed projects have a target group (by the name the project stack gives it). */
  readonly targetGroup?: string;
  /** Commits released, oldest first; empty: deployed but never released. */
  readonly releases: readonly string[];
  readonly exec?: boolean;
  /** The app secret's JSON value. */
  readonly appSecret?: Record<string, string>;
}

/** Commits the fixture uses (and the docs test substitutes for `<sha>` and the like). */
export const FIXTURE_COMMITS = {
  first: '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213',
  previous: '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432',
  live: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
} as const;

/** The task id of every running task's first task in the fixture (`<task-id>`). */
export const FIXTURE_TASK_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

/** The state of a deployed platform (prefix, region) with these projects. */
export function berthFixture(args: {
  prefix: string;
  region: string;
  apiUrl: string;
  projects: readonly FixtureProject[];
  /** Chat channels of alerts.chat: their webhook secrets exist. */
  alertChannels?: readonly string[];
}): FakeAwsState {
  const { prefix, region } = args;
  const account = '123456789012';
  const now = Date.now();
  const stacks: Record<string, FakeStack> = {
    [`${prefix}-network`]: {},
    [`${prefix}-platform`]: {
      outputs: { ApiUrl: args.apiUrl, AlarmTopicArn: `arn:aws:sns:${region}:${account}:${prefix}-alarms` },
    },
  };
  const secrets: Record<string, string> = Object.fromEntries(
    (args.alertChannels ?? []).map((c) => [`${prefix}/alerts/${c}`, JSON.stringify({ url: '' })]),
  );
  const parameters: FakeAwsState['parameters'] = {};
  const images: FakeAwsState['images'] = {};
  const pipelines: FakeAwsState['pipelines'] = {};
  const services: Record<string, FakeService> = {};
  const targetGroups: Record<string, string[]> = {};
  const logGroups: Record<string, FakeLogEvent[]> = {};
  for (const [i, p] of args.projects.entries()) {
    const q = `${prefix}-${p.name}`;
    const live = p.releases[p.releases.length - 1];
    stacks[q] = {
      parameters: { ImageTag: live ?? 'none', RestartNonce: 'initial' },
      outputs: {
        PipelineName: q,
        RepositoryUri: `${account}.dkr.ecr.${region}.amazonaws.com/${prefix}/${p.name}`,
        ServiceName: p.name,
      },
    };
    secrets[`${prefix}/${p.name}/webhook`] = JSON.stringify({
      username: q,
      password: `fake-webhook-password-${i}-Xy7`,
    });
    secrets[`${prefix}/${p.name}/azure-devops-pat`] = JSON.stringify({ pat: '' });
    secrets[`${prefix}/${p.name}/app`] = JSON.stringify(p.appSecret ?? {});
    parameters[`/${prefix}/${p.name}/release`] = ['none', ...p.releases].map((value, n) => ({
      value,
      at: Math.floor(now / 1000) - (p.releases.length + 1 - n) * 86_400,
    }));
    images[`${prefix}/${p.name}`] = Object.fromEntries(
      p.releases.map((c) => [c, `sha256:${c.slice(0, 12)}${'0'.repeat(52)}`]),
    );
    pipelines[q] = p.releases
      .map((commit, n) => ({
        id: `${p.name}-execution-${n + 1}`,
        status: 'Succeeded',
        commit,
        mode: 'release',
        startTime: Math.floor(now / 1000) - (p.releases.length - n) * 86_400,
      }))
      .reverse();
    if (live) {
      // The first project's first task is FIXTURE_TASK_ID; every other id is unique per project and task.
      const taskId = (n: number) =>
        i === 0 && n === 0
          ? FIXTURE_TASK_ID
          : `${FIXTURE_TASK_ID.slice(0, 28)}${String(i).padStart(2, '0')}${String(n).padStart(2, '0')}`;
      const taskIds = [taskId(0), taskId(1)];
      services[p.name] = {
        taskDefinition: `arn:aws:ecs:${region}:${account}:task-definition/${q}:${p.releases.length}`,
        running: 2,
        subnets: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1c2d3e4f5a60718'],
        securityGroups: [`sg-0${String(i).padStart(16, '0')}`],
        capacityProvider: `${prefix}-hosts`,
        tasks: taskIds,
        execEnabled: p.exec === true,
      };
      if (p.targetGroup) targetGroups[p.targetGroup] = ['healthy', 'healthy'];
    } else if (p.targetGroup) {
      targetGroups[p.targetGroup] = [];
    }
    logGroups[`/${prefix}/${p.name}/service`] = live
      ? [
          {
            stream: `app/app/${FIXTURE_TASK_ID}`,
            timestamp: now - 20 * 60_000,
            message: 'listening on 8080',
          },
          {
            stream: `app/app/${FIXTURE_TASK_ID}`,
            timestamp: now - 5 * 60_000,
            message: 'ERROR payment provider timed out',
          },
          { stream: `app/app/${FIXTURE_TASK_ID}`, timestamp: now - 60_000, message: 'GET /health 200' },
        ]
      : [];
    for (const stage of ['checkout', 'test', 'build-amd64', 'build-arm64']) {
      logGroups[`/${prefix}/${p.name}/pipeline/${stage}`] = [
        { stream: `${q}-${stage}/0a1b`, timestamp: now - 30 * 60_000, message: `[${stage}] done` },
      ];
    }
    for (const stage of ['scan', 'push', 'deploy', 'verify']) {
      logGroups[`/aws/lambda/${q}-${stage}`] = [
        {
          stream: '2025/06/01/[$LATEST]0a1b2c3d',
          timestamp: now - 25 * 60_000,
          message: `{"level":"INFO","message":"${stage} succeeded"}`,
        },
      ];
    }
  }
  return {
    account,
    region,
    cluster: prefix,
    stacks,
    secrets,
    parameters,
    images,
    pipelines,
    services,
    targetGroups,
    logGroups,
    alarmsInAlarm: [],
    topics: [`${prefix}-alarms`],
  };
}
