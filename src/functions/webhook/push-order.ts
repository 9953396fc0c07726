import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { WEBHOOK_STATE_KEY } from '../../contracts';

/**
 * Releases follow push order. Azure DevOps may deliver the pushes of one branch out of order (a delivery that got
 * a 503 is retried minutes later, after newer pushes went through), so the webhook keeps, per project and branch,
 * the highest `resource.pushId` it started a release for, in a DynamoDB table keyed
 * `pk = <project>#<repository>#<branch>` (push ids count per repository):
 *
 * - a push whose pushId is higher than, or equal to, the stored one claims the branch (a conditional UpdateItem,
 *   `attribute_not_exists(lastPushId) OR lastPushId <= :pushId`) before its pipeline is started; equal is a
 *   redelivery of the same push, which may start again (StartPipelineExecution's clientRequestToken makes that
 *   idempotent, e.g. after the start itself failed);
 * - a lower pushId fails the condition: nothing is started, and the answer is still 2xx (a deliberate ignore).
 */

export interface PushClaim {
  /** The Berth project (the webhook's `{service}`). */
  readonly project: string;
  /** The pushed repository: its GUID, or `<project>/<name>` (see StartRequest). */
  readonly repository: string;
  /** The configured branch, short form. */
  readonly branch: string;
  readonly pushId: number;
  readonly commit: string;
}

export type ClaimResult =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly lastPushId?: number; readonly lastCommit?: string };

/** Claims the branch for a push; rejects on any DynamoDB problem (the handler answers 503). */
export type PushOrder = (claim: PushClaim, signal: AbortSignal) => Promise<ClaimResult>;

/** The item key of a project's branch in one repository. */
export function pushOrderKey(project: string, repository: string, branch: string): string {
  return `${project}#${repository}#${branch}`;
}

export function dynamoPushOrder(
  client: DynamoDBClient,
  tableName: string,
  now: () => number = Date.now,
): PushOrder {
  return async (claim, signal) => {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { [WEBHOOK_STATE_KEY]: { S: pushOrderKey(claim.project, claim.repository, claim.branch) } },
          UpdateExpression: 'SET lastPushId = :pushId, lastCommit = :commit, updatedAt = :now',
          ConditionExpression: 'attribute_not_exists(lastPushId) OR lastPushId <= :pushId',
          ExpressionAttributeValues: {
            ':pushId': { N: String(claim.pushId) },
            ':commit': { S: claim.commit },
            ':now': { S: new Date(now()).toISOString() },
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: signal },
      );
      return { claimed: true };
    } catch (error) {
      const e = error as { name?: unknown; Item?: Record<string, { N?: string; S?: string }> };
      if (e?.name !== 'ConditionalCheckFailedException') throw error;
      const last = Number(e.Item?.lastPushId?.N);
      const lastCommit = e.Item?.lastCommit?.S;
      return {
        claimed: false,
        ...(Number.isFinite(last) ? { lastPushId: last } : {}),
        ...(lastCommit === undefined ? {} : { lastCommit }),
      };
    }
  };
}
