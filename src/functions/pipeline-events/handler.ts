import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import {
  AzureDevOpsClient,
  AzureDevOpsError,
  listScopes,
  PIPELINE_PAT_SCOPES,
  type HttpDeps,
  type RetryPolicy,
} from '../../shared/azure-devops';
import { COMMIT_STATUS_RETRY_POLICY, commitStatusBody, commitStatusFor } from './commit-status';
import { consoleExecutionUrl } from './console-url';
import { parsePipelineEvent, type PipelineExecutionChange } from './event';
import { type ExecutionLookup, lookupExecution, timedOut } from './execution';
import { PIPELINE_EVENTS_METRICS, type PipelineEventsMetricName } from './metrics';
import { formatFailureNotification } from './notification';
import type { ProjectSecrets } from './secrets';
import type { PipelineEventsProjectSettings, PipelineEventsSettings } from './settings';
import type { CountMetrics, Log } from './telemetry';
import { describeError, isCommitId, shortCommit } from './text';

/** Time limits, chosen to fit a 30 s Lambda timeout with room to spare. */
export interface PipelineEventsBudget {
  /** Each CodePipeline lookup and each secret read give up after this long. @default 8000 */
  readonly lookupTimeoutMs: number;
  /** The commit status job ends its retries this long after the invocation started. @default 20000 */
  readonly statusBudgetMs: number;
  /** Kept free before the Lambda's own deadline when the context tells it. @default 3000 */
  readonly safetyMarginMs: number;
}

export const DEFAULT_BUDGET: PipelineEventsBudget = {
  lookupTimeoutMs: 8000,
  statusBudgetMs: 20000,
  safetyMarginMs: 3000,
};

export interface PipelineEventsDeps extends HttpDeps {
  readonly settings: PipelineEventsSettings;
  readonly codePipeline: CodePipelineClient;
  readonly sns: SNSClient;
  /** The PAT and webhook secrets (Powertools Parameters in production). */
  readonly secrets: ProjectSecrets;
  readonly logger: Log;
  readonly metrics: CountMetrics;
  readonly retry?: Partial<RetryPolicy>;
  readonly budget?: Partial<PipelineEventsBudget>;
}

export type NotificationOutcome = 'published' | 'not-needed';

export type CommitStatusOutcome =
  | { readonly outcome: 'posted'; readonly attempts: number }
  | { readonly outcome: 'failed'; readonly reason: string; readonly attempts?: number }
  | { readonly outcome: 'skipped'; readonly reason: 'empty-pat' | 'no-commit' | 'invalid-commit' }
  | { readonly outcome: 'not-needed' };

export type PipelineEventsResult =
  | {
      readonly outcome: 'ignored';
      readonly reason: 'unrecognized-event' | 'unknown-pipeline' | 'pipeline-creation';
    }
  | {
      readonly outcome: 'handled';
      readonly notification: NotificationOutcome;
      readonly commitStatus: CommitStatusOutcome;
    };

export type PipelineEventsHandler = (
  event: unknown,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<PipelineEventsResult>;

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/**
 * The function's logic around injected clients: on FAILED it publishes a failure notification (and throws
 * only when Publish itself fails, so that the invocation is retried), and for every state that has one it
 * posts a commit status to Azure DevOps, which never throws. Both run side by side: a slow Azure DevOps
 * never delays the notification.
 */
export function createPipelineEventsHandler(deps: PipelineEventsDeps): PipelineEventsHandler {
  const { settings, logger } = deps;
  const retry: RetryPolicy = { ...COMMIT_STATUS_RETRY_POLICY, ...deps.retry };
  const budget: PipelineEventsBudget = { ...DEFAULT_BUDGET, ...deps.budget };

  const count = (name: PipelineEventsMetricName, project: string) => {
    try {
      deps.metrics.count(name, project);
    } catch (err) {
      logger.warn('Could not emit a metric', { metric: name, error: describeError(err) });
    }
  };

  async function notifyFailure(
    change: PipelineExecutionChange,
    project: PipelineEventsProjectSettings,
    lookup: Promise<ExecutionLookup>,
    log: Record<string, unknown>,
  ): Promise<NotificationOutcome> {
    // lookupExecution never rejects and is bounded by lookupTimeoutMs: the notification always goes out.
    const found = await lookup;
    const { subject, message } = formatFailureNotification({
      project: project.project,
      branch: project.branch,
      repository: project.repository,
      change,
      lookup: found,
    });
    try {
      await deps.sns.send(
        new PublishCommand({ TopicArn: settings.topicArn, Subject: subject, Message: message }),
      );
    } catch (err) {
      logger.error(
        'Could not publish the failure notification; failing the invocation so that it is retried',
        {
          ...log,
          error: describeError(err),
        },
      );
      throw err;
    }
    logger.info('Published the failure notification', {
      ...log,
      subject,
      ...(found.factsError || found.failedActionError
        ? { lookupErrors: [found.factsError, found.failedActionError].filter(Boolean) }
        : {}),
    });
    return 'published';
  }

  async function reportCommitStatus(
    change: PipelineExecutionChange,
    project: PipelineEventsProjectSettings,
    lookup: Promise<ExecutionLookup>,
    deadline: number,
    log: Record<string, unknown>,
  ): Promise<CommitStatusOutcome> {
    let redact = (text: string) => text;
    const failed = (reason: string, attempts?: number): CommitStatusOutcome => {
      const safe = redact(reason);
      logger.error('Could not post the commit status to Azure DevOps', {
        ...log,
        reason: safe,
        ...(attempts !== undefined ? { attempts } : {}),
      });
      count(PIPELINE_EVENTS_METRICS.commitStatusFailed, project.project);
      return { outcome: 'failed', reason: safe, ...(attempts !== undefined ? { attempts } : {}) };
    };
    try {
      // Read both secrets while the execution is looked up; all are bounded.
      const pat = settle(
        timedOut(deps.secrets.pat(project.patSecretId), budget.lookupTimeoutMs, 'GetSecretValue (PAT)'),
      );
      const repositoryId = settle(
        timedOut(
          deps.secrets.repositoryId(project.webhookSecretId),
          budget.lookupTimeoutMs,
          'GetSecretValue (webhook secret)',
        ),
      );
      const found = await lookup;
      if (!found.facts) {
        return failed(`could not look up the execution's commit: ${found.factsError ?? 'unknown error'}`);
      }
      const commit = found.facts.commit;
      if (commit === undefined) {
        logger.info('No commit status: the execution has no COMMIT_ID (started by hand?)', log);
        return { outcome: 'skipped', reason: 'no-commit' };
      }
      if (!isCommitId(commit)) {
        logger.warn('No commit status: COMMIT_ID is not a 40-hex commit id', { ...log, commit });
        return { outcome: 'skipped', reason: 'invalid-commit' };
      }
      const mode = found.facts.mode;
      const status = commitStatusFor(change.state, change.pipeline, found.failedAction, { mode, commit });
      if (!status) return { outcome: 'not-needed' };

      const secret = await pat;
      if (!secret.ok) {
        return failed(`could not read the PAT secret ${project.patSecretId}: ${describeError(secret.error)}`);
      }
      if (secret.value === '') {
        logger.warn('No commit status: the PAT secret has no PAT yet; set {"pat": "<token>"} in it', {
          ...log,
          secretId: project.patSecretId,
        });
        count(PIPELINE_EVENTS_METRICS.commitStatusSkipped, project.project);
        return { outcome: 'skipped', reason: 'empty-pat' };
      }
      const client = new AzureDevOpsClient({
        baseUrl: settings.azureDevOpsUrl,
        pat: secret.value,
        apiVersion: settings.azureDevOpsApiVersion,
        retry,
        fetch: deps.fetch,
        sleep: deps.sleep,
        random: deps.random,
        now: deps.now,
      });
      redact = (text) => client.redact(text);

      // The repository by GUID (a renamed repository or project keeps it); by name until `berth connect` stored it.
      const id = await repositoryId;
      let repository: string;
      let azureDevOpsProject: string | undefined;
      if (id.ok && id.value !== undefined) {
        repository = id.value;
      } else {
        repository = project.repository.name;
        azureDevOpsProject = project.repository.project;
        logger.warn(
          id.ok
            ? 'Posting the commit status by repository name: the webhook secret has no repositoryId yet (run berth connect)'
            : 'Posting the commit status by repository name: the webhook secret could not be read',
          {
            ...log,
            secretId: project.webhookSecretId,
            ...(id.ok ? {} : { error: describeError(id.error) }),
          },
        );
      }

      const targetUrl = consoleExecutionUrl(change.region, change.pipeline, change.executionId);
      const where = {
        ...log,
        commit: shortCommit(commit),
        commitState: status.state,
        repository,
        ...(mode ? { mode } : {}),
      };
      let attempts: number;
      try {
        ({ attempts } = await client.postCommitStatus(
          {
            ...(azureDevOpsProject === undefined ? {} : { project: azureDevOpsProject }),
            repository,
            commitId: commit,
          },
          commitStatusBody(status, targetUrl, project.project),
          { deadline },
        ));
      } catch (err) {
        if (!(err instanceof AzureDevOpsError)) throw err;
        const hint =
          err.kind === 'http' && (err.status === 401 || err.status === 403)
            ? ` (check the PAT in ${project.patSecretId} and its scopes ${listScopes(PIPELINE_PAT_SCOPES)})`
            : '';
        return failed(`${err.describe()}${hint}`, err.attempts);
      }
      logger.info('Posted the commit status to Azure DevOps', { ...where, attempts });
      count(PIPELINE_EVENTS_METRICS.commitStatusPosted, project.project);
      return { outcome: 'posted', attempts };
    } catch (err) {
      return failed(`unexpected error: ${describeError(err)}`);
    }
  }

  return async function handle(event, context) {
    const startedAt = deps.now();
    const parsed = parsePipelineEvent(event);
    if (!parsed.ok) {
      logger.warn('Ignoring an event that is not a pipeline execution state change', {
        reason: parsed.reason,
      });
      return { outcome: 'ignored', reason: 'unrecognized-event' };
    }
    const change = parsed.change;
    const project = Object.hasOwn(settings.pipelines, change.pipeline)
      ? settings.pipelines[change.pipeline]
      : undefined;
    if (!project) {
      logger.debug('Ignoring an event of a pipeline Berth does not report on', { pipeline: change.pipeline });
      return { outcome: 'ignored', reason: 'unknown-pipeline' };
    }
    const log = {
      project: project.project,
      pipeline: change.pipeline,
      executionId: change.executionId,
      state: change.state,
    };
    logger.info('Pipeline execution state change', log);

    const notify = change.state === 'FAILED';
    const postStatus = commitStatusFor(change.state, change.pipeline) !== undefined;
    if (!notify && !postStatus) {
      return { outcome: 'handled', notification: 'not-needed', commitStatus: { outcome: 'not-needed' } };
    }

    const remaining = context?.getRemainingTimeInMillis?.();
    const deadline =
      startedAt +
      (remaining === undefined
        ? budget.statusBudgetMs
        : Math.min(budget.statusBudgetMs, remaining - budget.safetyMarginMs));

    const lookup = lookupExecution(deps.codePipeline, change.pipeline, change.executionId, {
      failedAction: change.state === 'FAILED',
      timeoutMs: budget.lookupTimeoutMs,
    });
    // CodePipeline runs every new pipeline once on creation, with no commit: that run fails at Checkout by
    // design and is neither a release nor a failure anyone needs to hear about.
    if ((await lookup).facts?.triggerType === 'CreatePipeline') {
      logger.info('Ignoring the execution CodePipeline starts when it creates the pipeline', log);
      return { outcome: 'ignored', reason: 'pipeline-creation' };
    }
    if (change.state === 'SUCCEEDED') count(PIPELINE_EVENTS_METRICS.pipelineSucceeded, project.project);
    if (change.state === 'FAILED') count(PIPELINE_EVENTS_METRICS.pipelineFailed, project.project);

    // The notification is started first and waits on nothing from Azure DevOps.
    const notification = notify
      ? settle(notifyFailure(change, project, lookup, log))
      : Promise.resolve<Settled<NotificationOutcome>>({ ok: true, value: 'not-needed' });
    const commitStatus: Promise<CommitStatusOutcome> = postStatus
      ? reportCommitStatus(change, project, lookup, deadline, log).catch((err: unknown) => ({
          outcome: 'failed' as const,
          reason: describeError(err),
        }))
      : Promise.resolve({ outcome: 'not-needed' });

    const [n, s] = await Promise.all([notification, commitStatus]);
    if (!n.ok) throw n.error;
    return { outcome: 'handled', notification: n.value, commitStatus: s };
  };
}
