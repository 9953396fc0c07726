import { projectNames } from '../../config/names';
import type { ParsedConfig, ParsedProject } from '../../config/schema';
import type { CommandContext } from '../context';
import { shortCommit } from './history';
import { executionFailure, followExecution, startExecution } from './pipeline';

export interface RolloutOutcome {
  readonly text: string;
  readonly data: Record<string, unknown>;
}

/**
 * Starts a rollback or redeploy and, unless told not to wait, follows it to the end; resolves with what to print,
 * throws a CliError (exit 1) when the execution did not succeed.
 */
export async function rollout(
  ctx: CommandContext,
  config: ParsedConfig,
  project: ParsedProject,
  args: {
    mode: 'rollback' | 'redeploy';
    commit: string;
    previous: string;
    wait: boolean;
    what: string;
    done: string;
  },
): Promise<RolloutOutcome> {
  const { region, clients } = ctx.aws();
  const pipeline = projectNames(config, project).pipeline;
  const executionId = await startExecution(clients.codePipeline, {
    pipeline,
    commit: args.commit,
    mode: args.mode,
    region,
  });
  const base = {
    project: project.name,
    mode: args.mode,
    commit: args.commit,
    previous: args.previous,
    pipeline,
    executionId,
  };
  if (!args.wait) {
    return {
      text: `Started ${args.mode} of ${project.name} at ${shortCommit(args.commit)}: execution ${executionId} of ${pipeline}. Follow it with \`npx --no-install berth status ${project.name}\`.`,
      data: { ...base, status: 'InProgress' },
    };
  }
  ctx.out.info(
    `Started ${args.mode} of ${project.name} at ${shortCommit(args.commit)}: execution ${executionId} of ${pipeline} (Ctrl-C stops following, not the ${args.mode}).`,
  );
  const result = await followExecution(ctx, clients.codePipeline, {
    pipeline,
    executionId,
    region,
    what: args.what,
  });
  if (result.status !== 'Succeeded') {
    throw executionFailure(args.what, result, { pipeline, executionId, project: project.name });
  }
  return { text: args.done, data: { ...base, status: result.status, actions: result.actions } };
}
