import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { errorName, isTransient } from './aws-errors';
import { type Continuation, decodeContinuation, encodeContinuation } from './continuation';
import { isFinishedJobError, type Job, type JobReporter, readJob } from './job';
import { parseActionParameters, type ReleaseParameters } from './params';
import type { Clock, Log, ReleaseStageName, StageMetrics } from './telemetry';
import { withFields } from './telemetry';
import { describeError } from './text';

/**
 * The job loop every release function shares. A stage is a `step` that advances as far as it can without
 * waiting and says whether it succeeded, failed or waits for something; the runner polls it every `pollMs`
 * until it has a result, and reports that result to CodePipeline. An invocation works for at most its remaining
 * time minus {@link INVOCATION_MARGIN_MS}, then hands over: it reports success with a continuation token that
 * carries the stage's state, and CodePipeline invokes the function again (with a new job id). Every wait is
 * bounded by the stage's timeout, counted from the first invocation.
 *
 * The handler never throws once it has reported; it throws only when reporting itself fails, so that Lambda
 * retries the invocation (every step is idempotent).
 */

/** What one step of a stage found. */
export type StepResult<S> =
  | { readonly kind: 'succeeded'; readonly summary: string }
  | { readonly kind: 'failed'; readonly message: string }
  | {
      readonly kind: 'waiting';
      /** The state the next step starts from (and that a continuation token carries). */
      readonly state: S | null;
      /** What the stage waits for, in words: the deadline's failure message and the hand-over summary quote it. */
      readonly waitingFor: string;
      /** Advice appended to the deadline's failure message. */
      readonly onTimeout?: string;
    };

/** What a step sees. */
export interface StageRun<S> {
  readonly params: ReleaseParameters;
  /** Null on the first step of a job. */
  readonly state: S | null;
  readonly job: Pick<Job, 'id' | 'accountId'>;
  /** The id of the action's first job: stable across continuations (not across Lambda retries of a first job). */
  readonly firstJobId: string;
  /** When the first invocation started (ms since the epoch). */
  readonly startedAt: number;
  readonly deadline: number;
  readonly log: Log;
}

export interface ReleaseStage<S> {
  readonly name: ReleaseStageName;
  /** The Berth project (metrics dimension, messages). */
  readonly project: string;
  /** The bound of every wait, from the first invocation. */
  readonly timeoutSeconds: number;
  /** Pause between two steps while waiting. */
  readonly pollMs: number;
  /** Checks the state read back from a continuation token. */
  readonly stateSchema: z.ZodMiniType<S>;
  step(run: StageRun<S>): Promise<StepResult<S>>;
}

/** A stage, or why it cannot run (its environment is invalid): the job is then failed with that reason. */
export type StageSetup<S> =
  | { readonly ok: true; readonly stage: ReleaseStage<S> }
  | { readonly ok: false; readonly name: ReleaseStageName; readonly project: string; readonly error: string };

export interface RunnerDeps {
  readonly reporter: JobReporter;
  readonly logger: Log;
  readonly metrics: StageMetrics;
  readonly clock: Clock;
}

/** Kept free before the Lambda's own timeout. */
export const INVOCATION_MARGIN_MS = 30_000;
/** The remaining time assumed when there is no Lambda context (scripts). */
export const DEFAULT_REMAINING_MS = 90_000;
/** Transient errors in a row after which a stage gives up. */
export const MAX_CONSECUTIVE_ERRORS = 5;

/** What an invocation did (CodePipeline ignores it; tests, the rehearsal and the bench read it). */
export type ReleaseResult =
  | { readonly outcome: 'succeeded'; readonly summary: string }
  | { readonly outcome: 'failed'; readonly message: string }
  | { readonly outcome: 'continued'; readonly summary: string; readonly continuationToken: string }
  | { readonly outcome: 'ignored'; readonly reason: string };

export type ReleaseHandler = (
  event: unknown,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<ReleaseResult>;

type Final =
  | { readonly kind: 'succeeded'; readonly summary: string }
  | { readonly kind: 'failed'; readonly message: string };

export function createReleaseHandler<S>(setup: StageSetup<S>, deps: RunnerDeps): ReleaseHandler {
  const { reporter, logger, metrics, clock } = deps;
  const name = setup.ok ? setup.stage.name : setup.name;
  const project = setup.ok ? setup.stage.project : setup.project;

  return async function handle(event, context) {
    const invokedAt = clock.now();
    const job = readJob(event);
    if (job === undefined) {
      logger.error('The event is not a CodePipeline job: there is no job to report to', {
        stage: name,
        project,
      });
      return { outcome: 'ignored', reason: 'not a CodePipeline job event' };
    }
    let log = withFields(logger, { stage: name, project, jobId: job.id });

    /** Reports the result, then counts it; throws only when CodePipeline could not be told. */
    const finish = async (result: Final, startedAt: number): Promise<ReleaseResult> => {
      if (result.kind === 'succeeded') log.info(`${name} succeeded`, { summary: result.summary });
      else log.error(`${name} failed`, { reason: result.message });
      try {
        if (result.kind === 'succeeded') await reporter.succeed(job.id, result.summary);
        else await reporter.fail(job.id, result.message);
      } catch (err) {
        if (!isFinishedJobError(err)) {
          log.error(
            'Could not report the result to CodePipeline; failing the invocation so that Lambda retries it',
            {
              error: describeError(err),
            },
          );
          throw err;
        }
        log.warn('CodePipeline no longer accepts a result for this job (already reported, or expired)', {
          error: errorName(err),
        });
      }
      try {
        metrics.result(name, project, result.kind, (clock.now() - startedAt) / 1000);
      } catch (err) {
        log.warn('Could not emit the stage metrics', { error: describeError(err) });
      }
      return result.kind === 'succeeded'
        ? { outcome: 'succeeded', summary: result.summary }
        : { outcome: 'failed', message: result.message };
    };

    if (!setup.ok)
      return finish({ kind: 'failed', message: `${name} cannot run: ${setup.error}` }, invokedAt);
    const stage = setup.stage;

    const parsed = parseActionParameters(job.userParameters);
    if (!parsed.ok)
      return finish({ kind: 'failed', message: `${name} cannot run: ${parsed.problem}` }, invokedAt);
    const params = parsed.params;
    log = withFields(logger, {
      stage: name,
      project,
      jobId: job.id,
      commit: params.commit,
      mode: params.mode,
      executionId: params.executionId,
    });

    let continuation: Continuation<S> = {
      stage: name,
      startedAt: invokedAt,
      firstJobId: job.id,
      errors: 0,
      state: null,
    };
    if (job.continuationToken !== undefined) {
      const decoded = decodeContinuation(job.continuationToken, name, stage.stateSchema);
      if (!decoded.ok)
        return finish({ kind: 'failed', message: `${name} cannot continue: ${decoded.problem}` }, invokedAt);
      continuation = decoded.continuation;
      log.info(`${name} continues`, {
        firstJobId: continuation.firstJobId,
        elapsedSeconds: Math.round((invokedAt - continuation.startedAt) / 1000),
      });
    } else {
      log.info(`${name} starts`);
    }
    const { startedAt, firstJobId } = continuation;
    let { state, errors } = continuation;
    const deadline = startedAt + stage.timeoutSeconds * 1000;
    const remaining = context?.getRemainingTimeInMillis?.();
    const budgetEnd =
      invokedAt +
      Math.max(0, (typeof remaining === 'number' ? remaining : DEFAULT_REMAINING_MS) - INVOCATION_MARGIN_MS);

    for (;;) {
      let result: StepResult<S>;
      try {
        result = await stage.step({ params, state, job, firstJobId, startedAt, deadline, log });
        errors = 0;
      } catch (err) {
        errors += 1;
        if (isTransient(err) && errors < MAX_CONSECUTIVE_ERRORS) {
          log.warn('A transient AWS error; trying again at the next poll', {
            error: describeError(err),
            errors,
          });
          result = {
            kind: 'waiting',
            state,
            waitingFor: `a transient AWS error to clear (${describeError(err)})`,
          };
        } else {
          const times = errors > 1 ? ` (${errors} errors in a row)` : '';
          result = { kind: 'failed', message: `${name} failed: ${describeError(err)}${times}` };
        }
      }
      if (result.kind !== 'waiting') return finish(result, startedAt);

      state = result.state;
      const now = clock.now();
      if (now >= deadline) {
        const advice = result.onTimeout !== undefined ? ` ${result.onTimeout}` : '';
        return finish(
          {
            kind: 'failed',
            message: `${name} gave up after ${stage.timeoutSeconds} s waiting for ${result.waitingFor}.${advice}`,
          },
          startedAt,
        );
      }
      if (now + stage.pollMs > budgetEnd) {
        const elapsed = Math.round((now - startedAt) / 1000);
        const summary = `Waiting for ${result.waitingFor} (${elapsed} s of at most ${stage.timeoutSeconds} s)`;
        const token = encodeContinuation<S>({ stage: name, startedAt, firstJobId, errors, state });
        log.info(`${name} hands over to its next invocation`, {
          waitingFor: result.waitingFor,
          elapsedSeconds: elapsed,
        });
        try {
          await reporter.succeed(job.id, summary, token);
        } catch (err) {
          if (!isFinishedJobError(err)) {
            log.error(
              'Could not hand over to CodePipeline; failing the invocation so that Lambda retries it',
              {
                error: describeError(err),
              },
            );
            throw err;
          }
          log.warn('CodePipeline no longer accepts a result for this job (already reported, or expired)', {
            error: errorName(err),
          });
        }
        return { outcome: 'continued', summary, continuationToken: token };
      }
      await clock.sleep(Math.max(0, Math.min(stage.pollMs, deadline - now)));
    }
  };
}
