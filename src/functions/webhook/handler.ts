import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { credentialsMatch, headerValue, parseBasicAuth, UNKNOWN_PROJECT_CREDENTIALS } from './auth';
import { describeAwsError, type PipelineStarter } from './aws';
import type { WebhookCredentials } from './credentials';
import { decide } from './decide';
import { WEBHOOK_METRICS } from './metrics';
import { decodeBody, MAX_BODY_BYTES, parseWebhookBody, serviceFromPath } from './parse';
import type { PushOrder } from './push-order';
import { STATUS_CODES, toResponse, type Answer } from './responses';
import type { SettingsResult } from './settings';

/**
 * The request flow around the pure parts: settings (503) -> project in the path (404 when the path names none) ->
 * credentials (401) -> size (413) -> payload (400) -> decision (2xx ignored, with the reason) -> push order
 * (2xx ignored when an older push) -> StartPipelineExecution (202 started). Nothing is thrown out of it: any error
 * becomes a 503. One log line and one metric per request.
 *
 * What Azure DevOps does with the answers (test/fixtures and the service hooks troubleshooting page):
 * - 2xx: delivered. Every authenticated, well-formed delivery gets one, started or not: events for another
 *   repository or branch, branch deletions, other event types, `git.pullrequest.merged`, the "Test" delivery and
 *   pushes older than the one already started are acknowledged with the reason in the body.
 * - 401, 400, 413, 404 (and any other failure but 408/502/503/504): the subscription goes on probation, and new
 *   events are dropped while it is; answered only where the caller really is wrong.
 * - 503 (our problems: settings, Secrets Manager, DynamoDB, CodePipeline): Azure DevOps resends the same
 *   notification up to 8 times with backoff, over about 3 minutes. Its documentation counts 503 among the transient
 *   answers and names only the other failures as putting a subscription on probation; it does not say what a
 *   notification that exhausts its retries counts as. During an outage longer than those ~3 minutes, a push's
 *   delivery is dropped after its last retry: nothing releases that commit. When the outage is over, the operator
 *   re-runs the pipeline for it (CodePipeline "Release change" with the variables COMMIT_ID=<sha> and
 *   RELEASE_MODE=release), or the next push releases the branch's newer head.
 *
 * Callers without valid credentials learn nothing about which projects exist: a project that is not configured
 * gets exactly the 401 (status, headers, body) that wrong credentials for a configured one get, after a comparison
 * against dummy credentials of the same cost.
 */

export interface WebhookDeps {
  readonly settings: SettingsResult;
  readonly credentials: WebhookCredentials;
  readonly pushOrder: PushOrder;
  readonly startPipeline: PipelineStarter;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => number;
  /**
   * Time allowed for all AWS calls of one request, ms. Default 8000, and always 1 s less than the
   * invocation's remaining time, so the answer is a 503 rather than a Lambda timeout.
   */
  readonly deadlineMs?: number;
}

export type WebhookHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** The fields of the request's one log line; never headers, credentials, secrets or the body. */
interface RequestLog {
  project?: string;
  /** True when the path named a project that is not configured (answered like wrong credentials). */
  unknownProject?: boolean;
  eventId?: string;
  eventType?: string;
  /** The payload's repository name and id (an ignored repository says which one knocked). */
  repository?: string;
  repositoryId?: string;
  commit?: string;
  branch?: string;
  pushId?: number;
  lastPushId?: number;
  executionId?: string;
  dependency?: 'secretsmanager' | 'dynamodb' | 'codepipeline';
  errorName?: string;
  throttled?: boolean;
  bodyBytes?: number;
}

interface Result {
  readonly answer: Answer;
  readonly error?: unknown;
}

const DEFAULT_DEADLINE_MS = 8000;
const MAX_LOGGED_TEXT = 200;
const BASIC_REQUIRED: Answer = { outcome: 'unauthorized', reason: 'basic authentication required' };
const INVALID_CREDENTIALS: Answer = { outcome: 'unauthorized', reason: 'invalid credentials' };

function clip(value: string): string {
  return value.length > MAX_LOGGED_TEXT ? `${value.slice(0, MAX_LOGGED_TEXT)}...` : value;
}

/** An abort signal that fires when the request's AWS budget is spent; `dispose` clears its timer. */
function deadline(
  deps: WebhookDeps,
  context: Context | undefined,
): { signal: AbortSignal; dispose: () => void } {
  let budget = deps.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const remaining =
    typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : NaN;
  if (Number.isFinite(remaining)) budget = Math.min(budget, remaining - 1000);
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        Object.assign(new Error(`request deadline of ${budget} ms passed`), { name: 'TimeoutError' }),
      ),
    Math.max(1, budget),
  );
  return { signal: controller.signal, dispose: () => clearTimeout(timer) };
}

async function handleRequest(
  event: APIGatewayProxyEventV2,
  context: Context | undefined,
  deps: WebhookDeps,
  log: RequestLog,
): Promise<Result> {
  if (!deps.settings.ok) {
    return {
      answer: { outcome: 'retryable', reason: 'webhook is not configured; retry later' },
      error: new Error(deps.settings.error),
    };
  }
  const service = serviceFromPath(event.pathParameters, event.rawPath);
  if (service === undefined) return { answer: { outcome: 'notFound', reason: 'no project in the path' } };
  log.project = clip(service);
  const project = deps.settings.projects.get(service);

  const given = parseBasicAuth(headerValue(event.headers, 'authorization'));
  if (given === undefined) {
    if (project === undefined) log.unknownProject = true;
    return { answer: BASIC_REQUIRED };
  }
  if (project === undefined) {
    // The same work and the same answer as wrong credentials for a configured project.
    credentialsMatch(given, UNKNOWN_PROJECT_CREDENTIALS);
    log.unknownProject = true;
    return { answer: INVALID_CREDENTIALS };
  }

  const { signal, dispose } = deadline(deps, context);
  try {
    let verified: Awaited<ReturnType<WebhookCredentials['verify']>>;
    try {
      verified = await deps.credentials.verify(project.secretId, given, signal);
    } catch (error) {
      Object.assign(
        log,
        { dependency: 'secretsmanager' },
        describeAwsError((error as Error)?.cause ?? error),
      );
      return {
        answer: { outcome: 'retryable', reason: 'credentials could not be checked; retry later' },
        error,
      };
    }
    if (!verified.ok) return { answer: INVALID_CREDENTIALS };

    const body = decodeBody(event.body, event.isBase64Encoded);
    if (!body.ok) {
      if (body.tooLarge) {
        log.bodyBytes = body.bytes;
        return { answer: { outcome: 'tooLarge', reason: `body is over ${MAX_BODY_BYTES} bytes` } };
      }
      return { answer: { outcome: 'badRequest', reason: body.reason } };
    }
    const parsed = parseWebhookBody(body.text);
    const id = parsed.ok ? parsed.event.id : parsed.id;
    const eventType = parsed.ok ? parsed.event.eventType : parsed.eventType;
    if (id !== undefined) log.eventId = clip(id);
    if (eventType !== undefined) log.eventType = clip(eventType);
    if (!parsed.ok) {
      return {
        answer: { outcome: 'badRequest', reason: `missing or invalid: ${parsed.problems.join(', ')}` },
      };
    }

    if (parsed.event.kind === 'push') {
      log.repository = clip(parsed.event.repository.name);
      if (parsed.event.repository.id !== undefined) log.repositoryId = clip(parsed.event.repository.id);
      if (parsed.event.pushId !== undefined) log.pushId = parsed.event.pushId;
    }
    const decision = decide(service, project, parsed.event, verified.stored.repositoryId);
    if (decision.action === 'ignore') {
      if (decision.branch !== undefined) log.branch = clip(decision.branch);
      return { answer: { outcome: 'ignored', reason: decision.reason } };
    }
    const { request } = decision;
    log.commit = request.commit;
    log.branch = request.branch;

    if (request.pushId !== undefined) {
      let claim: Awaited<ReturnType<PushOrder>>;
      try {
        claim = await deps.pushOrder(
          {
            project: service,
            repository: request.repository,
            branch: request.branch,
            pushId: request.pushId,
            commit: request.commit,
          },
          signal,
        );
      } catch (error) {
        Object.assign(log, { dependency: 'dynamodb' }, describeAwsError(error));
        return {
          answer: { outcome: 'retryable', reason: 'push order could not be checked; retry later' },
          error,
        };
      }
      if (!claim.claimed) {
        if (claim.lastPushId !== undefined) log.lastPushId = claim.lastPushId;
        const newer = claim.lastPushId === undefined ? 'a newer push' : `push ${claim.lastPushId}`;
        return {
          answer: {
            outcome: 'ignored',
            reason: `push ${request.pushId} is older than ${newer}, already started on branch ${JSON.stringify(request.branch)}`,
          },
        };
      }
    }

    try {
      log.executionId = await deps.startPipeline(request, signal);
    } catch (error) {
      Object.assign(log, { dependency: 'codepipeline' }, describeAwsError(error));
      return {
        answer: { outcome: 'retryable', reason: 'pipeline could not be started; retry later' },
        error,
      };
    }
    return { answer: { outcome: 'started', executionId: log.executionId, commit: request.commit } };
  } finally {
    dispose();
  }
}

/**
 * A copy of an error for the log: name, message, stack, AWS request metadata and the cause, and nothing else
 * (an SDK error also carries the raw HTTP response, which is noise at best).
 */
export function loggableError(error: unknown, depth = 0): Error {
  if (!(error instanceof Error)) return new Error(`non-error thrown: ${clip(String(error))}`);
  const copy = new Error(error.message);
  copy.name = error.name;
  copy.stack = error.stack;
  const { $fault, $metadata } = error as { $fault?: unknown; $metadata?: Record<string, unknown> };
  const extra: Record<string, unknown> = {};
  if (typeof $fault === 'string') extra.fault = $fault;
  if ($metadata) {
    for (const key of ['httpStatusCode', 'requestId', 'attempts', 'totalRetryDelay']) {
      if ($metadata[key] !== undefined) extra[key] = $metadata[key];
    }
  }
  if (error.cause !== undefined && depth < 2) extra.cause = loggableError(error.cause, depth + 1);
  return Object.assign(copy, extra);
}

function report(
  deps: WebhookDeps,
  result: Result,
  log: RequestLog,
  durationMs: number,
  event: APIGatewayProxyEventV2,
  context: Context | undefined,
): void {
  const { answer, error } = result;
  const statusCode = STATUS_CODES[answer.outcome];
  try {
    if (context) deps.logger.addContext(context);
    const requestId = event?.requestContext?.requestId;
    const line = {
      ...log,
      outcome: answer.outcome,
      statusCode,
      ...(answer.outcome === 'started' ? {} : { reason: answer.reason }),
      durationMs: Math.round(durationMs * 100) / 100,
      ...(typeof requestId === 'string' ? { requestId } : {}),
      ...(error === undefined ? {} : { error: loggableError(error) }),
    };
    if (answer.outcome === 'retryable') deps.logger.error('webhook request', line);
    else if (answer.outcome === 'started' || answer.outcome === 'ignored')
      deps.logger.info('webhook request', line);
    else deps.logger.warn('webhook request', line);
  } catch {
    // Logging must never change the answer.
  }
  try {
    deps.metrics.addMetric(WEBHOOK_METRICS[answer.outcome], MetricUnit.Count, 1);
    deps.metrics.publishStoredMetrics();
  } catch {
    // Neither must metrics.
  }
}

/** Builds the Lambda handler around its dependencies (index.ts wires the real ones). */
export function createHandler(deps: WebhookDeps): WebhookHandler {
  const now = deps.now ?? (() => performance.now());
  return async (event, context) => {
    const startedAt = now();
    const log: RequestLog = {};
    let result: Result;
    try {
      result = await handleRequest(event, context, deps, log);
    } catch (error) {
      result = { answer: { outcome: 'retryable', reason: 'internal error; retry later' }, error };
    }
    report(deps, result, log, now() - startedAt, event, context);
    return toResponse(result.answer);
  };
}
