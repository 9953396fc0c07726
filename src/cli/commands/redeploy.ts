import { NO_RELEASE } from '../../contracts';
import type { Command } from '../context';
import { usageError } from '../errors';
import { liveState, notReleased, shortCommit } from '../release/history';
import { rollout } from '../release/rollout';

const USAGE = 'berth redeploy <project> [--no-wait]';

/** `berth redeploy <project>`: new tasks on the live image (after an app secret changed), through the pipeline. */
export const redeployCommand: Command = {
  name: 'redeploy',
  usage: USAGE,
  summary: 'Start new tasks of <project> on the live image (after changing an app secret)',
  description: [
    "Starts the project's pipeline with RELEASE_MODE=redeploy and COMMIT_ID = the live commit (the stack's",
    "ImageTag): every stage but Deploy and Verify is skipped, and Deploy changes the stack's RestartNonce, so ECS",
    'replaces every task with a new one on the same image, which reads the app secret again. Refused before the',
    'first release (there are no tasks).',
    '',
    '--no-wait  return once the execution has started; otherwise follow it and exit 0 only if it succeeded.',
    '',
    'It needs cloudformation:DescribeStacks, codepipeline:StartPipelineExecution, GetPipelineExecution and',
    'ListActionExecutions.',
    '',
    'Examples:',
    '  berth redeploy cash-collection',
    '  berth redeploy cash-collection --no-wait --json',
  ].join('\n'),
  options: { 'no-wait': { type: 'boolean' } },

  async run(ctx, positionals, values) {
    if (positionals.length > 1) {
      throw usageError(`Too many arguments (${positionals.length}): run \`${USAGE}\` with one project.`);
    }
    const config = ctx.config();
    const project = ctx.project(positionals[0], USAGE);
    const { region, clients } = ctx.aws();
    const live = await ctx.out.withProgress(`Reading the live release of ${project.name} in ${region}`, () =>
      liveState(clients.cloudFormation, config, project, region),
    );
    if (live.imageTag === NO_RELEASE) throw notReleased(project, 'redeploy');
    const outcome = await rollout(ctx, config, project, {
      mode: 'redeploy',
      commit: live.imageTag,
      previous: live.imageTag,
      wait: values['no-wait'] !== true,
      what: `The redeploy of ${project.name} (${shortCommit(live.imageTag)})`,
      done: `Redeployed ${project.name}: new tasks run ${shortCommit(live.imageTag)}.`,
    });
    ctx.out.result(outcome.text, outcome.data);
  },
};
