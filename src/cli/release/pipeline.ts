import { randomUUID } from 'node:crypto';
import {
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  StartPipelineExecutionCommand,
  type ActionExecutionDetail,
  type CodePipelineClient,
} from '@aws-sdk/client-codepipeline';
import { PIPELINE_VARIABLES, type ReleaseMode } from '../../contracts';
import { findFailedAction } from '../../shared/pipeline-execution';
import { DEPLOY_HINT, errorName, translateAwsError } from '../aws';
import type { CommandContext } from '../context';
import { CliError } from '../errors';

/**
 * Starting a rollback or a redeploy the way a release starts (StartPipelineExecution on the project's pipeline,
 * with COMMIT_ID and RELEASE_MODE), and following the execution until it ends.
 */

/** Seconds between two looks at a running execution. */
export const FOLLOW_POLL_MS = 5_000;
/** How long the CLI follows an execution before it gives up (the execution goes on). */
export const FOLLOW_TIMEOUT_MS = 60 * 60_000;

/** Starts the pipeline with the commit and mode; resolves with the execution id. */
export async function startExecution(
  cp: CodePipelineClient,
  args: { pipeline: string; commit: string; mode: ReleaseMode; region: string },
): Promise<string> {
  try {
    const res = await cp.send(
      new StartPipelineExecutionCommand({
        name: args.pipeline,
        variables: [
          { name: PIPELINE_VARIABLES.commit, value: args.commit },
          { name: PIPELINE_VARIABLES.mode, value: args.mode },
        ],
        // Unique per command run: a retried request never starts two executions, two runs start two.
        clientRequestToken: randomUUID(),
      }),
    );
    if (!res.pipelineExecutionId) throw new Error('no execution id in the answer');
    return res.pipelineExecutionId;
  } catch (e) {
    if (errorName(e) === 'PipelineNotFoundException') {
      throw new CliError(
        `The pipeline ${args.pipeline} does not exist in ${args.region}: ${DEPLOY_HINT}.`,
        'stack-not-deployed',
      );
    }
    throw translateAwsError(e, {
      action: 'codepipeline:StartPipelineExecution',
      resource: `the pipeline ${args.pipeline}`,
      region: args.region,
    });
  }
}

export interface StageProgress {
  readonly stage: string;
  readonly action: string;
  readonly status: string;
  readonly summary?: string;
}

export interface FollowResult {
  readonly status: string;
  readonly actions: readonly StageProgress[];
  readonly failed?: { readonly stage: string; readonly action: string; readonly summary?: string };
}

/**
 * Polls the execution until it is no longer InProgress or Stopping, printing each action's new state on stderr.
 * Resolves with how it ended; a CliError only when AWS cannot be read or the wait runs out.
 */
export async function followExecution(
  ctx: CommandContext,
  cp: CodePipelineClient,
  args: { pipeline: string; executionId: string; region: string; what: string },
): Promise<FollowResult> {
  const { pipeline, executionId, region } = args;
  const fail = (action: string) => (e: unknown) =>
    translateAwsError(e, { action: `codepipeline:${action}`, resource: `the pipeline ${pipeline}`, region });
  const printed = new Map<string, string>();
  const deadline = ctx.now() + FOLLOW_TIMEOUT_MS;
  let details: ActionExecutionDetail[] = [];

  const readActions = async () => {
    try {
      const res = await cp.send(
        new ListActionExecutionsCommand({
          pipelineName: pipeline,
          filter: { pipelineExecutionId: executionId },
        }),
      );
      details = res.actionExecutionDetails ?? [];
    } catch (e) {
      throw fail('ListActionExecutions')(e);
    }
    const ordered = [...details].sort((a, b) => time(a.startTime) - time(b.startTime));
    for (const d of ordered) {
      const key = `${d.stageName}/${d.actionName}`;
      const status = d.status ?? 'Unknown';
      if (printed.get(key) === status) continue;
      printed.set(key, status);
      const summary =
        d.output?.executionResult?.externalExecutionSummary ??
        d.output?.executionResult?.errorDetails?.message;
      const label =
        d.actionName && d.actionName !== d.stageName ? `${d.stageName} (${d.actionName})` : d.stageName;
      ctx.out.info(`  ${label}: ${status}${status === 'Failed' && summary ? `: ${firstLine(summary)}` : ''}`);
    }
  };

  let status = 'InProgress';
  const progress = ctx.out.progress(`Following ${args.what} (execution ${executionId})`);
  try {
    for (;;) {
      try {
        const res = await cp.send(
          new GetPipelineExecutionCommand({ pipelineName: pipeline, pipelineExecutionId: executionId }),
        );
        status = res.pipelineExecution?.status ?? 'InProgress';
      } catch (e) {
        // Just started: the execution may not be readable for a moment.
        if (errorName(e) !== 'PipelineExecutionNotFoundException') throw fail('GetPipelineExecution')(e);
      }
      await readActions();
      if (status !== 'InProgress' && status !== 'Stopping') break;
      if (ctx.now() >= deadline) {
        throw new CliError(
          `${args.what} is still running after ${Math.round(FOLLOW_TIMEOUT_MS / 60_000)} minutes (execution ${executionId} of ${pipeline}); it goes on without the CLI: follow it with \`npx --no-install berth status\`.`,
          'pipeline-timeout',
        );
      }
      await ctx.sleep(FOLLOW_POLL_MS);
    }
  } finally {
    progress.stop();
  }
  const actions = details.map((d) => ({
    stage: d.stageName ?? '',
    action: d.actionName ?? '',
    status: d.status ?? 'Unknown',
    summary: d.output?.executionResult?.externalExecutionSummary,
  }));
  if (status === 'Succeeded') return { status, actions };
  const failed = findFailedAction(details);
  return {
    status,
    actions,
    failed: failed
      ? { stage: failed.stage, action: failed.action, summary: firstLine(failed.summary) }
      : undefined,
  };
}

/** The CliError of an execution that ended other than Succeeded. */
export function executionFailure(
  what: string,
  result: FollowResult,
  args: { pipeline: string; executionId: string; project: string },
): CliError {
  const where = result.failed
    ? ` at ${result.failed.stage}${result.failed.action !== result.failed.stage ? ` (${result.failed.action})` : ''}${result.failed.summary ? `: ${result.failed.summary}` : ''}`
    : '';
  const stage = result.failed?.stage.toLowerCase();
  const logs =
    stage && ['scan', 'push', 'deploy', 'verify'].includes(stage)
      ? ` Read the stage's log with \`npx --no-install berth logs ${args.project} --stage ${stage} --since 1h\`.`
      : '';
  return new CliError(
    `${what} ${result.status === 'Failed' ? 'failed' : `ended ${result.status}`}${where} (execution ${args.executionId} of ${args.pipeline}); the previous release keeps serving.${logs}`,
    'pipeline-failed',
  );
}

function time(d: Date | undefined): number {
  return d?.getTime() ?? 0;
}

function firstLine(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const line = s.split('\n')[0].trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
