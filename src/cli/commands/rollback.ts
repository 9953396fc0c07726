import { projectNames } from '../../config/names';
import type { ParsedProject } from '../../config/schema';
import { NO_RELEASE } from '../../contracts';
import type { Command } from '../context';
import { usageError } from '../errors';
import {
  imageDigests,
  liveState,
  notReleased,
  releaseHistory,
  shortCommit,
  type ReleaseEntry,
} from '../release/history';
import { rollout } from '../release/rollout';

const USAGE = 'berth rollback <project> [--to <commit>] [--no-wait]';

/**
 * `berth rollback <project>`: puts a previously released image back, through the pipeline (RELEASE_MODE=rollback:
 * no checkout, test or build; Scan re-evaluates the image's findings; Deploy sets the stack's ImageTag).
 */
export const rollbackCommand: Command = {
  name: 'rollback',
  usage: USAGE,
  summary: 'Put a previously released image of <project> back, without a rebuild',
  description: [
    "Starts the project's pipeline with COMMIT_ID=<commit> and RELEASE_MODE=rollback, the same path a release",
    "takes: Checkout, Test, Build and Push are skipped, Scan checks the image's current findings, Deploy changes",
    "the stack's ImageTag through CloudFormation (which rolls back by itself if the tasks do not become healthy)",
    'and Verify checks the health path. A release that was queued before it runs first.',
    '',
    '--to <commit>  the commit to put back: full or at least 7 hex digits, and it must be in the release log',
    '               (`berth releases <project>`). Default: the newest release whose commit is not the live one.',
    '--no-wait      return once the execution has started; otherwise follow it stage by stage and exit 0 only',
    '               if it succeeded (1, with the stage that failed and its message, if not). Ctrl-C stops',
    '               following, not the rollback.',
    '',
    'It needs ssm:GetParameterHistory, cloudformation:DescribeStacks, ecr:DescribeImages,',
    'codepipeline:StartPipelineExecution, GetPipelineExecution and ListActionExecutions.',
    '',
    'Examples:',
    '  berth rollback cash-collection',
    '  berth rollback cash-collection --to 1a2b3c4 --no-wait --json',
  ].join('\n'),
  options: { to: { type: 'string' }, 'no-wait': { type: 'boolean' } },

  async run(ctx, positionals, values) {
    if (positionals.length > 1) {
      throw usageError(`Too many arguments (${positionals.length}): run \`${USAGE}\`.`);
    }
    const config = ctx.config();
    const project = ctx.project(positionals[0], USAGE);
    const to = values.to === undefined ? undefined : String(values.to).trim().toLowerCase();
    if (to !== undefined && !/^[0-9a-f]{7,40}$/.test(to)) {
      throw usageError(
        `--to takes a commit id of 7 to 40 hex digits (got "${String(values.to)}"): run \`berth releases ${project.name}\` to see the released commits.`,
        'unknown-commit',
      );
    }
    const { region, clients } = ctx.aws();
    const names = projectNames(config, project);

    const { history, live } = await ctx.out.withProgress(
      `Reading the releases of ${project.name} in ${region}`,
      async () => {
        const [history, live] = await Promise.all([
          releaseHistory(clients.ssm, config, project, region),
          liveState(clients.cloudFormation, config, project, region),
        ]);
        return { history, live };
      },
    );
    if (live.imageTag === NO_RELEASE) throw notReleased(project, 'roll back');
    const target = chooseTarget(history, live.imageTag, to, project);

    const digests = await imageDigests(clients.ecr, names.ecrRepository, [target], region);
    if (!digests.has(target)) {
      throw usageError(
        `The image of ${shortCommit(target)} is no longer in ${names.ecrRepository} (its lifecycle policy or someone removed it), so it cannot be put back: choose another release with --to (\`berth releases ${project.name}\` marks the ones whose image is gone).`,
        'image-missing',
      );
    }

    const outcome = await rollout(ctx, config, project, {
      mode: 'rollback',
      commit: target,
      previous: live.imageTag,
      wait: values['no-wait'] !== true,
      what: `The rollback of ${project.name} to ${shortCommit(target)}`,
      done: `Rolled back ${project.name} to ${shortCommit(target)} (was ${shortCommit(live.imageTag)}).`,
    });
    ctx.out.result(outcome.text, outcome.data);
  },
};

/** The commit `--to` names (unique prefix of a released commit), or the newest release that is not live. */
export function chooseTarget(
  history: readonly ReleaseEntry[],
  live: string,
  to: string | undefined,
  project: Pick<ParsedProject, 'name'>,
): string {
  const commits = [...new Set(history.map((h) => h.commit.toLowerCase()))];
  if (to === undefined) {
    const previous = history.find((h) => h.commit.toLowerCase() !== live.toLowerCase());
    if (!previous) {
      throw usageError(
        `Nothing to roll back to: ${project.name} has released only ${shortCommit(live)}, which is live. To start new tasks on it, run \`npx --no-install berth redeploy ${project.name}\`.`,
        'nothing-to-roll-back',
      );
    }
    return previous.commit;
  }
  const matches = commits.filter((c) => c.startsWith(to));
  if (matches.length === 0) {
    throw usageError(
      `${to} is not in ${project.name}'s release log, so it was never released and has no release image: run \`berth releases ${project.name}\` to see the commits you can roll back to.`,
      'unknown-commit',
    );
  }
  if (matches.length > 1) {
    throw usageError(
      `${to} matches ${matches.length} released commits (${matches.map(shortCommit).join(', ')}): give more digits.`,
      'unknown-commit',
    );
  }
  if (matches[0] === live.toLowerCase()) {
    throw usageError(
      `${shortCommit(matches[0])} is already live for ${project.name}. To start new tasks on it, run \`npx --no-install berth redeploy ${project.name}\`.`,
      'nothing-to-roll-back',
    );
  }
  return matches[0];
}
