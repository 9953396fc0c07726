import { createHash } from 'node:crypto';
import {
  type Capability,
  type CloudFormationClient,
  DescribeStacksCommand,
  paginateDescribeStackEvents,
  type Parameter,
  type Stack,
  type StackEvent,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod/mini';
import { NO_RELEASE, STACK_PARAMETERS } from '../../contracts';
import { errorMessage, isError, isTransient } from './aws-errors';
import { describeService, progressText } from './ecs';
import type { ReleaseParameters } from './params';
import type { StageRun, StageSetup, StepResult } from './runner';
import type { DeploySettings, SettingsResult } from './settings';
import type { Log } from './telemetry';
import { describeError, shortCommit } from './text';

/**
 * Deploy: CloudFormation owns the running image. A release (or rollback) updates the project stack with its
 * previous template and `ImageTag=<commit>`; a redeploy changes only `RestartNonce`. CloudFormation registers
 * the task definition, updates the ECS service and waits for it; when ECS fails, CloudFormation rolls the stack
 * back and the previous release keeps serving. A stack busy with another operation (a `cdk deploy`) is waited
 * for. Once the update is complete, a release's commit is written to the release log parameter.
 */

export const DEPLOY_POLL_MS = 5000;
export const CAPABILITIES: Capability[] = [
  'CAPABILITY_IAM',
  'CAPABILITY_NAMED_IAM',
  'CAPABILITY_AUTO_EXPAND',
];
/** How far back (before this job started) the stack's events are searched for this job's own update. */
const OWN_UPDATE_LOOKBACK_MS = 2 * 60 * 60 * 1000;
/** Pages of stack events read at most (100 events each). */
const MAX_EVENT_PAGES = 10;

export const deployStateSchema = z.object({
  /** `busy`: waiting for another operation on the stack; `updating`: this job's update was started. */
  phase: z.enum(['busy', 'updating']),
  /** The stack's ImageTag before this job (messages). */
  previousImageTag: z.optional(z.string()),
});
export type DeployState = z.infer<typeof deployStateSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Pure
// ---------------------------------------------------------------------------------------------------------------

/** The update's `ClientRequestToken`: stable for one action (continuations keep the first job's id). */
export function clientRequestToken(firstJobId: string): string {
  const token = `berth-release-${firstJobId}`.replace(/[^a-zA-Z0-9-]/g, '-');
  return token.length <= 128
    ? token
    : `berth-release-${createHash('sha256').update(firstJobId, 'utf8').digest('hex')}`;
}

export type StackCondition = 'ready' | 'busy' | 'rollback-failed' | 'unusable';

const READY = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
]);

/** Whether a stack in `status` can be updated now, later, or only after someone repairs it. */
export function stackCondition(status: string): StackCondition {
  if (READY.has(status)) return 'ready';
  if (status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS') return 'busy';
  if (status === 'UPDATE_ROLLBACK_FAILED') return 'rollback-failed';
  return 'unusable';
}

/** The stack parameter a mode changes, and its new value. */
export function releaseTarget(params: ReleaseParameters): { readonly key: string; readonly value: string } {
  return params.mode === 'redeploy'
    ? { key: STACK_PARAMETERS.restartNonce, value: params.executionId }
    : { key: STACK_PARAMETERS.imageTag, value: params.commit };
}

/** The update's parameters: the target's new value, every other existing parameter's previous value. */
export function updateParameters(
  existing: readonly Parameter[],
  target: { readonly key: string; readonly value: string },
): Parameter[] {
  return existing
    .filter((p) => p.ParameterKey !== undefined)
    .map((p) =>
      p.ParameterKey === target.key
        ? { ParameterKey: p.ParameterKey, ParameterValue: target.value }
        : { ParameterKey: p.ParameterKey, UsePreviousValue: true },
    );
}

export function parameterValue(stack: Stack, key: string): string | undefined {
  return stack.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue;
}

/** The CDK bootstrap's CloudFormation execution role (default qualifier). */
export function cdkExecRoleArn(partition: string, account: string, region: string): string {
  return `arn:${partition}:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`;
}

export interface FailedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly status: string;
  readonly reason: string;
}

const isStackEvent = (e: StackEvent, stackName: string) =>
  e.ResourceType === 'AWS::CloudFormation::Stack' &&
  (e.LogicalResourceId === stackName || e.PhysicalResourceId === e.StackId);

/** True for the event that starts the update `token` made: the stack's own UPDATE_IN_PROGRESS. */
export function isUpdateStart(e: StackEvent, stackName: string, token: string): boolean {
  return (
    isStackEvent(e, stackName) && e.ResourceStatus === 'UPDATE_IN_PROGRESS' && e.ClientRequestToken === token
  );
}

/**
 * The first resource that failed in the update `token` made, from the stack's events newest first up to the
 * update's start. A resource "cancelled" because another failed is passed over for the one that failed.
 */
export function firstFailure(
  eventsNewestFirst: readonly StackEvent[],
  stackName: string,
  token: string,
): FailedResource | undefined {
  const failed: StackEvent[] = [];
  for (const e of eventsNewestFirst) {
    if (isUpdateStart(e, stackName, token)) break;
    if (e.ClientRequestToken !== undefined && e.ClientRequestToken !== token) continue;
    if (!e.ResourceStatus?.endsWith('_FAILED') || isStackEvent(e, stackName)) continue;
    failed.push(e);
  }
  const oldestFirst = failed.reverse();
  const pick = oldestFirst.find((e) => !/cancel/i.test(e.ResourceStatusReason ?? '')) ?? oldestFirst[0];
  if (pick === undefined) return undefined;
  return {
    logicalId: pick.LogicalResourceId ?? 'unknown resource',
    type: pick.ResourceType ?? 'unknown type',
    status: pick.ResourceStatus ?? 'FAILED',
    reason: pick.ResourceStatusReason ?? 'no reason given',
  };
}

interface FailureContext {
  readonly project: string;
  readonly stackName: string;
  readonly status: string;
  readonly params: ReleaseParameters;
  readonly previousImageTag?: string;
  readonly failure?: FailedResource;
  readonly continueRollback: string;
}

/** The failure message of an update CloudFormation did not complete. */
export function updateFailureMessage(c: FailureContext): string {
  const what =
    c.params.mode === 'redeploy'
      ? `redeploy ${c.project}`
      : `${c.params.mode === 'rollback' ? 'roll back' : 'release'} ${shortCommit(c.params.commit)} (${c.params.commit}) to ${c.project}`;
  const lines = [`CloudFormation could not ${what}: stack ${c.stackName} is ${c.status}.`];
  lines.push(
    c.failure
      ? `First failure: ${c.failure.logicalId} (${c.failure.type}) ${c.failure.status}: ${c.failure.reason}`
      : 'No failed resource was found in the stack events of this update.',
  );
  const previous = c.previousImageTag;
  if (c.status === 'UPDATE_ROLLBACK_COMPLETE') {
    if (c.params.mode === 'redeploy')
      lines.push('CloudFormation rolled the stack back: the running tasks keep serving.');
    else if (previous === undefined || previous === NO_RELEASE) {
      lines.push(
        'CloudFormation rolled the stack back: nothing was released before, so the project still runs no service.',
      );
    } else {
      lines.push(
        `CloudFormation rolled the stack back: the previous release (${shortCommit(previous)}) keeps serving.`,
      );
    }
  } else if (c.status === 'UPDATE_ROLLBACK_FAILED') {
    lines.push(
      `CloudFormation could not roll the stack back either. Fix the cause, then run: ${c.continueRollback}` +
        ' (until then the stack cannot be updated).',
    );
  } else {
    lines.push(
      'The stack was not rolled back (its rollback is disabled): run npx cdk deploy to put it right.',
    );
  }
  lines.push(`The service's logs: npx --no-install berth logs ${c.project}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// AWS
// ---------------------------------------------------------------------------------------------------------------

export interface DeployDeps {
  readonly cfn: CloudFormationClient;
  readonly ecs: ECSClient;
  readonly ssm: SSMClient;
}

async function describeStack(cfn: CloudFormationClient, stackName: string): Promise<Stack | undefined> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return out.Stacks?.[0];
  } catch (err) {
    if (isError(err, 'ValidationError') && /does not exist/i.test(errorMessage(err))) return undefined;
    throw err;
  }
}

/** The stack's events newest first, until `stop` says so or the pages run out (bounded). */
async function readEvents(
  cfn: CloudFormationClient,
  stackName: string,
  stop: (e: StackEvent) => boolean,
): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  let pages = 0;
  for await (const page of paginateDescribeStackEvents({ client: cfn }, { StackName: stackName })) {
    for (const e of page.StackEvents ?? []) {
      events.push(e);
      if (stop(e)) return events;
    }
    if (++pages >= MAX_EVENT_PAGES) break;
  }
  return events;
}

/** True when the stack's recent events show an operation with this job's token (a retried invocation). */
async function ownUpdateStarted(
  cfn: CloudFormationClient,
  stackName: string,
  token: string,
  since: number,
): Promise<boolean> {
  const events = await readEvents(
    cfn,
    stackName,
    (e) => e.ClientRequestToken === token || (e.Timestamp !== undefined && e.Timestamp.getTime() < since),
  );
  return events.some((e) => e.ClientRequestToken === token);
}

export function createDeployStage(
  setup: SettingsResult<DeploySettings>,
  deps: DeployDeps,
): StageSetup<DeployState> {
  if (!setup.ok) return { ok: false, name: 'Deploy', project: setup.project, error: setup.error };
  const settings = setup.settings;
  const { cfn, ecs, ssm } = deps;
  const partition = /^arn:([a-z-]+):/.exec(settings.releaseRoleArn)?.[1] ?? 'aws';

  const continueRollback = (stackName: string, account: string) =>
    `aws cloudformation continue-update-rollback --stack-name ${stackName} --role-arn ${cdkExecRoleArn(partition, account || '<account>', settings.region)}`;

  /** Writes the commit to the release log unless it already holds it. */
  async function recordRelease(commit: string, log: Log): Promise<'written' | 'unchanged'> {
    const name = settings.releaseLogParameter;
    let current: string | undefined;
    try {
      current = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (err) {
      if (!isError(err, 'ParameterNotFound')) throw err;
    }
    if (current?.trim() === commit) {
      log.info('The release log already holds the commit', { parameter: name });
      return 'unchanged';
    }
    await ssm.send(new PutParameterCommand({ Name: name, Value: commit, Type: 'String', Overwrite: true }));
    log.info('Wrote the commit to the release log', { parameter: name, previous: current });
    return 'written';
  }

  /** A success, with the release log written for a release or a rollback. */
  async function succeed(
    params: ReleaseParameters,
    summary: string,
    log: Log,
  ): Promise<StepResult<DeployState>> {
    if (params.mode === 'redeploy') return { kind: 'succeeded', summary };
    try {
      const logged = await recordRelease(params.commit, log);
      return {
        kind: 'succeeded',
        summary: `${summary}; release log ${settings.releaseLogParameter} ${logged === 'written' ? 'updated' : 'already up to date'}`,
      };
    } catch (err) {
      if (isTransient(err)) throw err;
      return {
        kind: 'failed',
        message:
          `${summary}, but the release could not be recorded in ${settings.releaseLogParameter}: ${describeError(err)}. ` +
          'Run the stage again to record it.',
      };
    }
  }

  async function logService(log: Log, stackStatus: string): Promise<string> {
    try {
      const view = await describeService(ecs, settings.clusterName, settings.serviceName);
      const progress = view ? progressText(view) : 'service not created yet';
      log.info('Waiting for CloudFormation', {
        stackStatus,
        service: settings.serviceName,
        ...(view?.primary
          ? {
              primaryDeployment: view.primary.id,
              rolloutState: view.primary.rolloutState,
              rolloutStateReason: view.primary.rolloutStateReason,
              runningCount: view.primary.runningCount,
              desiredCount: view.primary.desiredCount,
              pendingCount: view.primary.pendingCount,
              failedTasks: view.primary.failedTasks,
            }
          : { progress }),
      });
      return progress;
    } catch (err) {
      log.warn('Waiting for CloudFormation; could not read the ECS service', {
        stackStatus,
        error: describeError(err),
      });
      return 'service not readable';
    }
  }

  async function watchUpdate(
    run: StageRun<DeployState>,
    stack: Stack,
    state: DeployState,
    token: string,
  ): Promise<StepResult<DeployState>> {
    const { params, log } = run;
    const status = stack.StackStatus ?? 'UNKNOWN';
    const stackName = stack.StackName ?? settings.stackName;
    const target = releaseTarget(params);
    if (status === 'UPDATE_COMPLETE') {
      const value = parameterValue(stack, target.key);
      if (value !== target.value) {
        return {
          kind: 'failed',
          message:
            `stack ${stackName} completed an update, but its ${target.key} is ${value ?? 'unset'}, not ${target.value}: ` +
            'another deployment changed the stack meanwhile; run the pipeline again',
        };
      }
      log.info('CloudFormation completed the update', { stack: stackName });
      const summary =
        params.mode === 'redeploy'
          ? `Redeployed ${settings.project}: stack ${stackName} restarted its tasks (${target.key}=${target.value})`
          : `Released ${shortCommit(params.commit)} to ${settings.project}: stack ${stackName} is UPDATE_COMPLETE`;
      return succeed(params, summary, log);
    }
    if (
      status === 'UPDATE_ROLLBACK_COMPLETE' ||
      status === 'UPDATE_ROLLBACK_FAILED' ||
      status === 'UPDATE_FAILED'
    ) {
      const events = await readEvents(cfn, stackName, (e) => isUpdateStart(e, stackName, token));
      const failure = firstFailure(events, stackName, token);
      log.warn('CloudFormation did not complete the update', { stack: stackName, status, failure });
      return {
        kind: 'failed',
        message: updateFailureMessage({
          project: settings.project,
          stackName,
          status,
          params,
          ...(state.previousImageTag !== undefined ? { previousImageTag: state.previousImageTag } : {}),
          ...(failure !== undefined ? { failure } : {}),
          continueRollback: continueRollback(stackName, run.job.accountId),
        }),
      };
    }
    if (stackCondition(status) === 'busy') {
      const progress = await logService(log, status);
      return {
        kind: 'waiting',
        state,
        waitingFor: `CloudFormation to update stack ${stackName} (${status}; ECS: ${progress})`,
        onTimeout:
          'CloudFormation goes on with the update: if ECS fails, it rolls the stack back and the previous release keeps ' +
          'serving. Watch the stack in the CloudFormation console, and run the pipeline again once it has settled.',
      };
    }
    return {
      kind: 'failed',
      message: `stack ${stackName} is ${status} after this release's update started: see its events in the CloudFormation console`,
    };
  }

  async function step(run: StageRun<DeployState>): Promise<StepResult<DeployState>> {
    const { params, log } = run;
    const token = clientRequestToken(run.firstJobId);
    const stack = await describeStack(cfn, settings.stackName);
    if (stack === undefined) {
      return {
        kind: 'failed',
        message: `stack ${settings.stackName} does not exist: deploy the project with npx cdk deploy, then run the pipeline again`,
      };
    }
    const stackName = stack.StackName ?? settings.stackName;
    const status = stack.StackStatus ?? 'UNKNOWN';
    if (run.state?.phase === 'updating') return watchUpdate(run, stack, run.state, token);

    const imageTag = parameterValue(stack, STACK_PARAMETERS.imageTag);
    const restartNonce = parameterValue(stack, STACK_PARAMETERS.restartNonce);
    const target = releaseTarget(params);
    if (parameterValue(stack, target.key) === undefined || imageTag === undefined) {
      return {
        kind: 'failed',
        message:
          `stack ${stackName} has no ${imageTag === undefined ? STACK_PARAMETERS.imageTag : target.key} parameter: ` +
          'deploy the project with this version of Berth first (npx cdk deploy)',
      };
    }
    const updating: DeployState = { phase: 'updating', previousImageTag: imageTag };
    const since = run.startedAt - OWN_UPDATE_LOOKBACK_MS;

    switch (stackCondition(status)) {
      case 'busy': {
        if (await ownUpdateStarted(cfn, stackName, token, since)) {
          log.info('An earlier invocation of this job already started the update', {
            stack: stackName,
            status,
          });
          return watchUpdate(run, stack, updating, token);
        }
        log.info('The stack is busy with another operation: waiting for it', { stack: stackName, status });
        return {
          kind: 'waiting',
          state: { phase: 'busy', previousImageTag: imageTag },
          waitingFor: `stack ${stackName} to finish ${status} (another deployment, such as npx cdk deploy, is running)`,
          onTimeout: 'Run the pipeline again once the stack has settled.',
        };
      }
      case 'rollback-failed':
        return {
          kind: 'failed',
          message:
            `stack ${stackName} is UPDATE_ROLLBACK_FAILED: CloudFormation could not roll back an earlier update, and the ` +
            `stack cannot be updated until it does. Fix the cause (see the stack's events), then run: ` +
            `${continueRollback(stackName, run.job.accountId)}, and run the pipeline again`,
        };
      case 'unusable':
        return {
          kind: 'failed',
          message: `stack ${stackName} is ${status} and cannot be updated: run npx cdk deploy for the project, then run the pipeline again`,
        };
      case 'ready':
        break;
    }

    if (params.mode === 'redeploy') {
      if (imageTag === NO_RELEASE) {
        return {
          kind: 'failed',
          message: `${settings.project} has no release yet (stack ${stackName} has ${STACK_PARAMETERS.imageTag}=${NO_RELEASE}): there is nothing to redeploy; release a commit first`,
        };
      }
      if (restartNonce === params.executionId) {
        return {
          kind: 'succeeded',
          summary: `This execution already redeployed ${settings.project} (stack ${stackName})`,
        };
      }
    } else if (imageTag === params.commit) {
      log.info('The commit is already live: nothing to update', { stack: stackName });
      return succeed(
        params,
        `${shortCommit(params.commit)} is already live in stack ${stackName}: nothing to update`,
        log,
      );
    }

    if (await ownUpdateStarted(cfn, stackName, token, since)) {
      log.info('An earlier invocation of this job already started the update', { stack: stackName, status });
      return watchUpdate(run, stack, updating, token);
    }

    try {
      await cfn.send(
        new UpdateStackCommand({
          StackName: stackName,
          UsePreviousTemplate: true,
          Parameters: updateParameters(stack.Parameters ?? [], target),
          Capabilities: CAPABILITIES,
          RoleARN: settings.releaseRoleArn,
          ClientRequestToken: token,
        }),
      );
    } catch (err) {
      if (isError(err, 'ValidationError') && /No updates are to be performed/i.test(errorMessage(err))) {
        log.info('CloudFormation has no update to perform', { stack: stackName });
        return succeed(
          params,
          `stack ${stackName} already has ${target.key}=${target.value}: nothing to update`,
          log,
        );
      }
      if (isError(err, 'ValidationError') && /_IN_PROGRESS state/i.test(errorMessage(err))) {
        log.info('Another operation started on the stack first: waiting for it', { stack: stackName });
        return {
          kind: 'waiting',
          state: { phase: 'busy', previousImageTag: imageTag },
          waitingFor: `stack ${stackName} to finish another operation`,
          onTimeout: 'Run the pipeline again once the stack has settled.',
        };
      }
      throw err;
    }
    log.info('Started the stack update', {
      stack: stackName,
      parameter: target.key,
      value: target.value,
      previousImageTag: imageTag,
      clientRequestToken: token,
    });
    return {
      kind: 'waiting',
      state: updating,
      waitingFor: `CloudFormation to update stack ${stackName}`,
      onTimeout: 'CloudFormation goes on with the update; run the pipeline again once the stack has settled.',
    };
  }

  return {
    ok: true,
    stage: {
      name: 'Deploy',
      project: settings.project,
      timeoutSeconds: settings.timeoutSeconds,
      pollMs: DEPLOY_POLL_MS,
      stateSchema: deployStateSchema,
      step,
    },
  };
}
