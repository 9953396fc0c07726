import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';
import {
  DescribeTasksCommand,
  ExecuteCommandCommand,
  ListTasksCommand,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import { platformNames, projectNames } from '../../config/names';
import type { ParsedProject } from '../../config/schema';
import { errorName, errorMessage, translateAwsError } from '../aws';
import type { Command } from '../context';
import { CliError, usageError } from '../errors';
import { notReleased } from '../release/history';

const USAGE = 'berth exec <project> [--task <id>] [-- <command>...]';
const PLUGIN = 'session-manager-plugin';
const CONTAINER = 'app';
export const PLUGIN_DOCS =
  'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html';

/** `berth exec <project>`: an interactive command in a running task, through ECS Exec and the Session Manager plugin. */
export const execCommand: Command = {
  name: 'exec',
  usage: USAGE,
  summary: 'Open a shell (or run a command) in a running task of <project> with ECS Exec',
  description: [
    'Picks a running task of the service (or --task <id>), calls ECS ExecuteCommand on its container "app"',
    '(interactive) and hands the session to session-manager-plugin, as `aws ecs execute-command` does; your',
    'terminal talks to the task until the command ends. The command is what follows `--` (default /bin/sh).',
    '',
    'It works only for projects with service.exec: true in the config (then deployed, and tasks started since),',
    'and needs the Session Manager plugin for the AWS CLI on PATH (AWS docs: "Install the Session Manager',
    `plugin for the AWS CLI", ${PLUGIN_DOCS}). Sessions are logged to the platform's exec log group.`,
    '',
    "It needs ecs:ListTasks, ecs:DescribeTasks and ecs:ExecuteCommand on the cluster's tasks.",
    '',
    'Examples:',
    '  berth exec cash-collection',
    '  berth exec cash-collection --task 0123456789abcdef0 -- ls -la /app',
  ].join('\n'),
  options: { task: { type: 'string' } },

  async run(ctx, positionals, values) {
    if (positionals.length > 1) {
      throw usageError(
        `Too many arguments (${positionals.length}): put the command after --, as in \`berth exec ${positionals[0]} -- ${positionals.slice(1).join(' ')}\`.`,
      );
    }
    const config = ctx.config();
    const project = ctx.project(positionals[0], USAGE);
    if (!project.service.exec) throw execOff(project, ctx.configFile, projectNames(config, project).stack);
    const plugin = findOnPath(PLUGIN, ctx.io.env);
    if (!plugin) {
      throw usageError(
        `${PLUGIN} is not on PATH: ECS Exec sessions need the Session Manager plugin for the AWS CLI. Install it (AWS docs: "Install the Session Manager plugin for the AWS CLI", ${PLUGIN_DOCS}), check that \`${PLUGIN} --version\` runs in this shell, then try again.`,
        'plugin-missing',
      );
    }
    if (ctx.hasRest && ctx.rest.length === 0) {
      throw usageError(
        `Nothing after --: give the command to run, as in \`berth exec ${project.name} -- ls -la\`.`,
      );
    }
    const command = ctx.rest.length > 0 ? ctx.rest.map(quote).join(' ') : '/bin/sh';
    const { region, clients } = ctx.aws();
    const cluster = platformNames(config).clusterName;
    const service = projectNames(config, project).service;

    const task = await ctx.out.withProgress(`Finding a running task of ${service} in ${region}`, () =>
      chooseTask(clients.ecs, { cluster, service, region, project, taskId: optionalString(values.task) }),
    );
    const taskArn = task.taskArn ?? '';
    const taskId = taskArn.split('/').pop() ?? '';
    const runtimeId = task.containers?.find((c) => c.name === CONTAINER)?.runtimeId;
    if (!runtimeId) {
      throw new CliError(
        `Task ${taskId} has no running container "${CONTAINER}" yet: wait until it runs (\`npx --no-install berth status ${project.name}\`), then try again.`,
        'no-running-task',
      );
    }

    let session;
    let clusterArn;
    try {
      const res = await clients.ecs.send(
        new ExecuteCommandCommand({
          cluster,
          task: taskArn,
          container: CONTAINER,
          interactive: true,
          command,
        }),
      );
      session = res.session;
      clusterArn = res.clusterArn;
    } catch (e) {
      if (errorName(e) === 'TargetNotConnectedException') {
        throw new CliError(
          `The ECS Exec agent of task ${taskId} is not connected (${errorMessage(e)}): the task may have started before exec was turned on, or cannot reach Systems Manager; run \`npx --no-install berth redeploy ${project.name}\` for new tasks, then try again.`,
          'session-failed',
        );
      }
      throw translateAwsError(e, { action: 'ecs:ExecuteCommand', resource: `the task ${taskId}`, region });
    }
    if (!session?.sessionId || !session.streamUrl || !session.tokenValue) {
      throw new CliError(
        `ECS answered ExecuteCommand for task ${taskId} without a session: try again.`,
        'session-failed',
      );
    }
    ctx.out.addSecret(session.tokenValue);
    const clusterName = (clusterArn ?? cluster).split('/').pop() ?? cluster;
    // The same arguments `aws ecs execute-command` gives the plugin (awscli/customizations/ecs/executecommand.py).
    const args = [
      JSON.stringify({
        sessionId: session.sessionId,
        streamUrl: session.streamUrl,
        tokenValue: session.tokenValue,
      }),
      region,
      'StartSession',
      ctx.io.env.AWS_PROFILE ?? '',
      JSON.stringify({ Target: `ecs:${clusterName}_${taskId}_${runtimeId}` }),
      `https://ssm.${region}.amazonaws.com`,
    ];
    if (!ctx.out.json)
      ctx.out.info(`Starting ${command} in task ${taskId} of ${service} (container ${CONTAINER}).`);
    const exitCode = await runPlugin(plugin, args, ctx.io.env);
    if (exitCode !== 0) {
      throw new CliError(
        `${PLUGIN} ended with exit code ${exitCode} for the session to task ${taskId}: its own message above says why.`,
        'session-failed',
      );
    }
    ctx.out.result(`Session to task ${taskId} ended.`, {
      project: project.name,
      cluster: clusterName,
      task: taskId,
      container: CONTAINER,
      command,
      sessionId: session.sessionId,
      exitCode,
    });
  },
};

function execOff(project: ParsedProject, configFile: string, stack: string): CliError {
  return usageError(
    [
      `ECS Exec is off for ${project.name}. To turn it on, set service.exec in ${configFile}:`,
      '',
      '  projects:',
      `    - name: ${project.name}`,
      '      service:',
      '        exec: true',
      '',
      `then run \`npx cdk deploy ${stack}\` and \`npx --no-install berth redeploy ${project.name}\` (only tasks started after the change accept sessions), and try again.`,
    ].join('\n'),
    'exec-disabled',
  );
}

async function chooseTask(
  ecs: ECSClient,
  args: {
    cluster: string;
    service: string;
    region: string;
    project: ParsedProject;
    taskId: string | undefined;
  },
): Promise<Task> {
  const { cluster, service, region, project } = args;
  let arns: string[];
  if (args.taskId) {
    arns = [args.taskId];
  } else {
    try {
      const res = await ecs.send(
        new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'RUNNING' }),
      );
      arns = res.taskArns ?? [];
    } catch (e) {
      if (errorName(e) === 'ServiceNotFoundException' || errorName(e) === 'ClusterNotFoundException') {
        throw notReleased(project, 'open a session in');
      }
      throw translateAwsError(e, { action: 'ecs:ListTasks', resource: `the service ${service}`, region });
    }
    if (arns.length === 0) {
      throw new CliError(
        `${service} has no running task in cluster ${cluster}: see why with \`npx --no-install berth status ${project.name}\`.`,
        'no-running-task',
      );
    }
  }
  let tasks: Task[];
  try {
    tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(0, 100) }))).tasks ?? [];
  } catch (e) {
    throw translateAwsError(e, { action: 'ecs:DescribeTasks', resource: `the tasks of ${service}`, region });
  }
  const ours = tasks.filter((t) => t.group === `service:${service}`);
  if (args.taskId) {
    const t = ours[0];
    if (!t) {
      throw usageError(
        `Task ${args.taskId} is not a task of ${service} in cluster ${cluster}: leave out --task to pick one, or see the tasks with \`aws ecs list-tasks --cluster ${cluster} --service-name ${service}\`.`,
        'no-running-task',
      );
    }
    if (t.lastStatus !== 'RUNNING') {
      throw new CliError(
        `Task ${args.taskId} is ${t.lastStatus ?? 'not running'}, not RUNNING: leave out --task to pick a running one.`,
        'no-running-task',
      );
    }
    if (!t.enableExecuteCommand) throw startedBeforeExec(args.taskId, project);
    return t;
  }
  const running = ours.filter((t) => t.lastStatus === 'RUNNING');
  const usable = running.find((t) => t.enableExecuteCommand);
  if (usable) return usable;
  if (running.length > 0) throw startedBeforeExec(running[0].taskArn?.split('/').pop() ?? '', project);
  throw new CliError(
    `${service} has no task in RUNNING state in cluster ${cluster} yet: see why with \`npx --no-install berth status ${project.name}\`.`,
    'no-running-task',
  );
}

function startedBeforeExec(taskId: string, project: ParsedProject): CliError {
  return new CliError(
    `Task ${taskId} was started before ECS Exec was turned on for ${project.name}, so it accepts no session: run \`npx --no-install berth redeploy ${project.name}\` to replace the tasks, then try again.`,
    'exec-disabled',
  );
}

/** The plugin runs in this terminal; Ctrl-C goes to the remote command, not to berth (as the AWS CLI does). */
function runPlugin(file: string, args: string[], env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    const child = spawn(file, args, { stdio: 'inherit', env: env as NodeJS.ProcessEnv });
    child.on('error', (e) => {
      process.off('SIGINT', ignore);
      reject(
        new CliError(
          `Could not start ${file} (${e.message}): reinstall the Session Manager plugin, then try again.`,
          'plugin-missing',
        ),
      );
    });
    child.on('close', (code, sig) => {
      process.off('SIGINT', ignore);
      resolve(code ?? (sig ? 1 : 0));
    });
  });
}

/** The executable `name` in env.PATH (with PATHEXT on Windows), or undefined. */
export function findOnPath(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const file = path.join(dir, name + ext);
      try {
        if (!statSync(file).isFile()) continue;
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** One argument for the remote command line: quoted when it holds spaces or quotes. */
function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}
