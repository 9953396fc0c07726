import { GetLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  RunTaskCommand,
  type ECSClient,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { platformNames, projectNames } from '../../config/names';
import type { ParsedProject } from '../../config/schema';
import { DEPLOY_HINT, errorName, translateAwsError } from '../aws';
import type { Command, CommandContext } from '../context';
import { CliError, usageError } from '../errors';
import { notReleased } from '../release/history';

const USAGE = 'berth run <project> [--no-wait] -- <command>...';
const CONTAINER = 'app';
/** Wait between two looks at the task and its log stream. */
export const RUN_POLL_MS = 2_000;
/** Extra looks at the log stream after the task stopped: its last lines can arrive a moment later. */
const DRAIN_POLLS = 3;

/** `berth run <project> -- <command>`: a one-off task (a migration) like the service's, with its output. */
export const runCommand: Command = {
  name: 'run',
  usage: USAGE,
  summary: "Run a one-off task of <project> (a migration) with the service's image, settings and secrets",
  description: [
    'Reads the service (DescribeServices) and starts one task (RunTask) from its current task definition, so',
    'with the live image, its environment and secrets, on its subnets and security group and its capacity',
    "provider, with the command after -- instead of the image's (exec form: `-- npm run migrate`; for a shell,",
    '`-- sh -c "..."`). It prints the task\'s log stream (app/app/<task-id> in /<prefix>/<project>/service) as',
    "the task runs and exits with the container's exit code. A task ECS could not start or that stopped without",
    'an exit code (no host with room, image pull failure) ends with exit 1 and the reason. Ctrl-C stops',
    'following, not the task.',
    '',
    '--no-wait  print the task id and its log stream, and return once ECS accepted the task.',
    '',
    'Refused before the first release (no service, no task definition to run).',
    'It needs ecs:DescribeServices, ecs:RunTask, ecs:DescribeTasks, iam:PassRole for the task and execution',
    'roles of the project, and logs:GetLogEvents on the service log group.',
    '',
    'Examples:',
    '  berth run cash-collection -- npm run migrate',
    '  berth run cash-collection --no-wait --json -- ./bin/reindex --all',
  ].join('\n'),
  options: { 'no-wait': { type: 'boolean' } },

  async run(ctx, positionals, values) {
    if (positionals.length > 1) {
      throw usageError(
        `Too many arguments before --: put the command after --, as in \`berth run ${positionals[0]} -- ${positionals.slice(1).join(' ')}\`.`,
      );
    }
    const config = ctx.config();
    const project = ctx.project(positionals[0], USAGE);
    if (ctx.rest.length === 0) {
      throw usageError(
        `Give the command to run after --, as in \`berth run ${project.name} -- npm run migrate\`.`,
      );
    }
    const command = [...ctx.rest];
    const { region, clients } = ctx.aws();
    const cluster = platformNames(config).clusterName;
    const names = projectNames(config, project);

    const service = await ctx.out.withProgress(`Reading the service ${names.service} in ${region}`, () =>
      describeService(clients.ecs, cluster, names.service, project, region),
    );
    const task = await startTask(clients.ecs, service, { cluster, command, region, project });
    const taskArn = task.taskArn ?? '';
    const taskId = taskArn.split('/').pop() ?? '';
    const logStream = `app/${CONTAINER}/${taskId}`;
    const base = {
      project: project.name,
      cluster,
      task: taskId,
      taskArn,
      taskDefinition: service.taskDefinition,
      command,
      logGroup: names.logGroup,
      logStream,
    };
    if (values['no-wait'] === true) {
      ctx.out.result(
        `Started task ${taskId} of ${project.name} (${command.join(' ')}). Its output goes to ${names.logGroup}, stream ${logStream}; \`npx --no-install berth logs ${project.name} --since 15m\` shows it with the service's.`,
        { ...base, status: task.lastStatus ?? 'PROVISIONING' },
      );
      return;
    }

    if (!ctx.out.json) {
      ctx.out.info(
        `Started task ${taskId} of ${project.name}: ${command.join(' ')} (Ctrl-C stops following, not the task).`,
      );
    }
    const outcome = await follow(ctx, clients.ecs, clients.cloudWatchLogs, {
      cluster,
      taskArn,
      logGroup: names.logGroup,
      logStream,
      region,
    });
    const container = outcome.task.containers?.find((c) => c.name === CONTAINER);
    const exitCode = container?.exitCode;
    const result = {
      ...base,
      status: outcome.task.lastStatus,
      exitCode: exitCode ?? null,
      stopCode: outcome.task.stopCode,
      stoppedReason: outcome.task.stoppedReason,
      output: outcome.lines,
    };
    if (exitCode === undefined) {
      throw new CliError(
        `Task ${taskId} stopped before its command finished (${[outcome.task.stopCode, outcome.task.stoppedReason, container?.reason].filter(Boolean).join(': ') || 'no reason given'}).`,
        'task-failed',
      );
    }
    if (ctx.out.json) ctx.out.result('', result);
    else ctx.out.info(`Task ${taskId} exited with code ${exitCode}.`);
    return exitCode;
  },
};

async function describeService(
  ecs: ECSClient,
  cluster: string,
  name: string,
  project: ParsedProject,
  region: string,
): Promise<Service> {
  let services: Service[];
  try {
    services = (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services ?? [];
  } catch (e) {
    if (errorName(e) === 'ClusterNotFoundException') {
      throw new CliError(
        `The cluster ${cluster} does not exist in ${region}: ${DEPLOY_HINT}.`,
        'stack-not-deployed',
      );
    }
    throw translateAwsError(e, { action: 'ecs:DescribeServices', resource: `the service ${name}`, region });
  }
  const s = services.find((x) => x.serviceName === name && x.status !== 'INACTIVE');
  if (!s || !s.taskDefinition) throw notReleased(project, 'run a task of');
  return s;
}

async function startTask(
  ecs: ECSClient,
  service: Service,
  args: { cluster: string; command: string[]; region: string; project: ParsedProject },
): Promise<Task> {
  const strategy = service.capacityProviderStrategy ?? [];
  let res;
  try {
    res = await ecs.send(
      new RunTaskCommand({
        cluster: args.cluster,
        taskDefinition: service.taskDefinition,
        count: 1,
        networkConfiguration: service.networkConfiguration,
        ...(strategy.length > 0 ? { capacityProviderStrategy: strategy } : { launchType: 'EC2' }),
        overrides: { containerOverrides: [{ name: CONTAINER, command: args.command }] },
        startedBy: 'berth-run',
        propagateTags: 'TASK_DEFINITION',
      }),
    );
  } catch (e) {
    throw translateAwsError(e, {
      action: 'ecs:RunTask',
      resource: `a task of ${args.project.name} in the cluster ${args.cluster}`,
      region: args.region,
    });
  }
  const task = res.tasks?.[0];
  if (!task?.taskArn) {
    const reasons = (res.failures ?? [])
      .map((f) => [f.reason, f.detail].filter(Boolean).join(': '))
      .join('; ');
    throw new CliError(
      `ECS could not start the task (${reasons || 'no reason given'})${/RESOURCE/i.test(reasons) ? ': no container host has the CPU, memory or network interfaces left; wait for scaling or see `npx --no-install berth plan`' : ''}.`,
      'task-failed',
    );
  }
  return task;
}

async function follow(
  ctx: CommandContext,
  ecs: ECSClient,
  logs: CloudWatchLogsClient,
  args: { cluster: string; taskArn: string; logGroup: string; logStream: string; region: string },
): Promise<{ task: Task; lines: string[] }> {
  const lines: string[] = [];
  // Not a paginator: this tails a stream that is still being written. GetLogEvents' forward token is kept across
  // polls (at the end it returns the token it was given), so each poll prints only what is new.
  let token: string | undefined;
  const readLogs = async (): Promise<number> => {
    let printed = 0;
    for (let page = 0; page < 10; page++) {
      let res;
      try {
        res = await logs.send(
          new GetLogEventsCommand({
            logGroupName: args.logGroup,
            logStreamName: args.logStream,
            startFromHead: true,
            nextToken: token,
          }),
        );
      } catch (e) {
        // The stream exists once the container has written something.
        if (errorName(e) === 'ResourceNotFoundException') return printed;
        throw translateAwsError(e, {
          action: 'logs:GetLogEvents',
          resource: `the log stream ${args.logStream}`,
          region: args.region,
        });
      }
      const events = res.events ?? [];
      for (const e of events) {
        const message = (e.message ?? '').replace(/\r?\n$/, '');
        lines.push(message);
        if (!ctx.out.json) ctx.out.line(message);
      }
      printed += events.length;
      const same = res.nextForwardToken === token;
      token = res.nextForwardToken ?? token;
      if (events.length === 0 || same) return printed;
    }
    return printed;
  };

  for (;;) {
    let task: Task | undefined;
    try {
      task = (await ecs.send(new DescribeTasksCommand({ cluster: args.cluster, tasks: [args.taskArn] })))
        .tasks?.[0];
    } catch (e) {
      throw translateAwsError(e, {
        action: 'ecs:DescribeTasks',
        resource: `the task ${args.taskArn}`,
        region: args.region,
      });
    }
    if (!task) {
      throw new CliError(
        `ECS no longer describes the task ${args.taskArn}: look for its output in ${args.logGroup}, stream ${args.logStream}.`,
        'task-failed',
      );
    }
    await readLogs();
    if (task.lastStatus === 'STOPPED') {
      for (let i = 0; i < DRAIN_POLLS; i++) {
        await ctx.sleep(RUN_POLL_MS);
        if ((await readLogs()) === 0) break;
      }
      return { task, lines };
    }
    await ctx.sleep(RUN_POLL_MS);
  }
}
