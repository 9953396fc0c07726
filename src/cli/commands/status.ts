import { PAT_ENV, type Command } from '../context';
import { usageError } from '../errors';
import { EXECUTIONS_SHOWN, collectStatus, type StatusReport } from '../status/collect';
import { renderStatus } from '../status/render';
import { serviceHookStatuses } from '../status/service-hooks';

const USAGE = 'berth status [<project>]';

/** `berth status [<project>]`: what the deployed account says about each project, read-only. */
export const statusCommand: Command = {
  name: 'status',
  usage: USAGE,
  summary: 'Show the live release, pipeline executions, tasks, target health and alarms of the projects',
  description: [
    'Reads, for every project in the config (or only <project>): the live release (the ImageTag parameter of',
    `the stack <prefix>-<project>; "not released yet" before the first release), the last ${EXECUTIONS_SHOWN} executions of`,
    'its pipeline <prefix>-<project> (state, mode, commit, start time, and the stage that failed), its ECS',
    'service in the cluster <prefix> (running/desired/pending tasks, rollout state, task definition and, when it',
    "is not settled, ECS's latest event), for a routed project the health of its target group (targets per",
    'state, with the reason of each that is not healthy; a worker has none), and the CloudWatch alarms in ALARM',
    'named <prefix>-<project>-...; alarms of the platform are listed last, with a warning when alarms reach',
    'nobody (alerts.emails and alerts.chat both empty). A resource that is not deployed yet is shown as such.',
    '',
    `With ${PAT_ENV} set (scope Service Hooks: Read) it also shows each project's Azure DevOps service hook:`,
    'enabled, on probation or disabled (Azure DevOps does that after failed deliveries; pushes then start',
    'nothing), with the command that re-enables it. It changes nothing.',
    '',
    'It needs read access: cloudformation:DescribeStacks; codepipeline:ListPipelineExecutions,',
    'GetPipelineExecution, ListActionExecutions; ecs:DescribeServices; elasticloadbalancing:DescribeTargetGroups,',
    'DescribeTargetHealth; cloudwatch:DescribeAlarms.',
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
    const pat = ctx.io.env[PAT_ENV];
    if (pat) ctx.out.addSecret(pat);

    const report: StatusReport = await ctx.out.withProgress(
      `Reading the status of ${projects.length} project(s) in ${region}`,
      async () => {
        const [aws, hooks] = await Promise.all([
          collectStatus(config, projects, clients, region),
          serviceHookStatuses(config, projects, {
            pat,
            fetch: ctx.fetch,
            timeoutMs: ctx.azureDevOpsTimeoutMs,
          }),
        ]);
        return {
          ...aws,
          projects: aws.projects.map((p) => {
            const hook = 'projects' in hooks ? hooks.projects.get(p.name) : undefined;
            return hook ? { ...p, serviceHook: hook } : p;
          }),
          serviceHooks: 'error' in hooks ? { checked: hooks.checked, error: hooks.error } : { checked: true },
        };
      },
    );
    const branches = new Map(config.projects.map((p) => [p.name, p.repository.branch]));
    ctx.out.result(renderStatus(report, branches), report);
  },
};
