import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AUTH_REALM } from './auth';
import type { WebhookOutcome } from './metrics';

/**
 * HTTP answers. Azure DevOps retries 408/502/503/504, puts the subscription on probation for any other failure
 * (and then drops new events) and disables it on 410: so 2xx for every authenticated, well-formed delivery (started
 * or deliberately ignored, with the reason), 503 for our problems, 4xx only where the caller is wrong (bad
 * credentials, malformed body, body too large, no project in the path). `forbidden` (403) is no longer answered:
 * a delivery for another repository is ignored with a 2xx.
 */

export const STATUS_CODES: Readonly<Record<WebhookOutcome, number>> = {
  started: 202,
  ignored: 202,
  unauthorized: 401,
  forbidden: 403,
  badRequest: 400,
  notFound: 404,
  tooLarge: 413,
  retryable: 503,
};

/** The `status` field of each answer's JSON body. */
export const STATUS_TEXT: Readonly<Record<WebhookOutcome, string>> = {
  started: 'started',
  ignored: 'ignored',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  badRequest: 'bad_request',
  notFound: 'not_found',
  tooLarge: 'too_large',
  retryable: 'retry_later',
};

export type Answer =
  | { readonly outcome: 'started'; readonly executionId: string; readonly commit: string }
  | { readonly outcome: Exclude<WebhookOutcome, 'started'>; readonly reason: string };

export function toResponse(answer: Answer): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (answer.outcome === 'unauthorized') headers['WWW-Authenticate'] = `Basic realm="${AUTH_REALM}"`;
  const body =
    answer.outcome === 'started'
      ? { status: STATUS_TEXT.started, executionId: answer.executionId, commit: answer.commit }
      : { status: STATUS_TEXT[answer.outcome], reason: answer.reason };
  return { statusCode: STATUS_CODES[answer.outcome], headers, body: JSON.stringify(body) };
}
