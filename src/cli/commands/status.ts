import type { Command } from '../context';
import { usageError } from '../errors';
import { EXECUTIONS_SHOWN, collectStatus, statusClients } from '../status/collect';
import { renderStatus } from '../status/render';

const USAGE = 'berth status [<project>]';

/** `berth status [<project>]`: what the deployed account says about each project, read-only. */
export const statusCommand: Command = {
  name: 'status',
  usage: USAGE,
  summary: 'Show pipeline executions, tasks, target health and alarms of the deployed projects',
  description: [
    `Reads, for every project in the config (or only <project>): the last ${EXECUTIONS_SHOWN} executions of its pipeline`,
    '<prefix>-<project> (state, commit, start time, and the stage that failed), its ECS service in the cluster',
    "<prefix> (running/desired/pending tasks, rollout state, task definition and, when it is not settled, ECS's",
    'latest event), the health of its target group <prefix>-<project> (targets per state, with the reason of',
    'each that is not healthy), and the CloudWatch alarms in ALARM named <prefix>-<project>-...; alarms of the',
    'platform are listed last. A resource that is not deployed yet is shown as such. It changes nothing.',
    '',
    'It needs read access: codepipeline:ListPipelineExecutions, GetPipelineExecution, ListActionExecutions;',
    'ecs:DescribeServices; elasticloadbalancing:DescribeTargetGroups, DescribeTargetHealth;',
    'cloudwatch:DescribeAlarms.',
    '',
    'Examples:',
    '  berth status',
    '  berth status cash-collection --json',
  ].join('\n'),

  async run(ctx, positionals) {
    if (positionals.length > 1) {
      throw usageError(
        `Too many arguments (${positionals.length}): run \`${USAGE}\` with one project or none.`,
      );
    }
    const config = ctx.config();
    const projects = positionals[0] === undefined ? config.projects : [ctx.project(positionals[0], USAGE)];
    const { region, clients } = ctx.aws();

    const report = await ctx.out.withProgress(
      `Reading the status of ${projects.length} project(s) in ${region}`,
      () => collectStatus(config, projects, statusClients(clients, region), region),
    );
    const branches = new Map(config.projects.map((p) => [p.name, p.repository.branch]));
    ctx.out.result(renderStatus(report, branches), report);
  },
};
