import { CloudFormationClient, type StackEvent, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { encodeContinuation } from '../../../src/functions/release/continuation';
import {
  clientRequestToken,
  createDeployStage,
  firstFailure,
  stackCondition,
} from '../../../src/functions/release/deploy';
import { deploySettings } from '../../../src/functions/release/settings';
import { CIRCUIT_BREAKER, FakeCloudFormation, STACK_ID, STACK_NAME } from './fake-cloudformation';
import {
  ACCOUNT,
  awsError,
  COMMIT,
  EXECUTION_ID,
  failureMessage,
  FakeClock,
  harness,
  JOB_ID,
  jobEvent,
  lambdaContext,
  OTHER_COMMIT,
  PROJECT,
  REGION,
  reports,
  successSummary,
} from './helpers';

const cfn = new FakeCloudFormation();
const ecs = mockClient(ECSClient);
const ssm = mockClient(SSMClient);
const codePipeline = mockClient(CodePipelineClient);

const ROLE = 'arn:aws:iam::123456789012:role/berth-cash-collection-release';
const LOG_PARAMETER = '/berth/cash-collection/release';
const ENV = {
  BERTH_PROJECT: PROJECT,
  AWS_REGION: REGION,
  STACK_NAME,
  RELEASE_ROLE_ARN: ROLE,
  RELEASE_LOG_PARAMETER: LOG_PARAMETER,
  CLUSTER_NAME: 'berth',
  SERVICE_NAME: 'cash-collection',
};
const TOKEN = `berth-release-${JOB_ID}`;

let releaseLog: string | undefined;

function world(env: Record<string, string> = {}, clock = new FakeClock()) {
  const stage = createDeployStage(deploySettings({ ...ENV, ...env }), {
    cfn: new CloudFormationClient({ region: REGION }),
    ecs: new ECSClient({ region: REGION }),
    ssm: new SSMClient({ region: REGION }),
  });
  return harness(stage, clock);
}

const updates = () => cfn.mock.commandCalls(UpdateStackCommand).map((c) => c.args[0].input);
const logWrites = () => ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input);

beforeEach(() => {
  cfn.reset();
  ecs.reset();
  ssm.reset();
  codePipeline.reset();
  codePipeline.on(PutJobSuccessResultCommand).resolves({});
  codePipeline.on(PutJobFailureResultCommand).resolves({});
  releaseLog = 'none';
  ssm.on(GetParameterCommand).callsFake(() => {
    if (releaseLog === undefined) throw awsError('ParameterNotFound');
    return { Parameter: { Name: LOG_PARAMETER, Value: releaseLog, Version: 1 } };
  });
  ssm.on(PutParameterCommand).callsFake((input) => {
    releaseLog = input.Value;
    return { Version: 2 };
  });
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: 'cash-collection',
        status: 'ACTIVE',
        desiredCount: 2,
        runningCount: 1,
        deployments: [
          {
            id: 'ecs-svc/1',
            status: 'PRIMARY',
            rolloutState: 'IN_PROGRESS',
            rolloutStateReason: 'ECS deployment ecs-svc/1 in progress.',
            desiredCount: 2,
            runningCount: 1,
            pendingCount: 1,
            failedTasks: 0,
          },
          { id: 'ecs-svc/0', status: 'ACTIVE', desiredCount: 0, runningCount: 1 },
        ],
      },
    ],
  });
});

describe('stack conditions and tokens', () => {
  it.each([
    ['UPDATE_COMPLETE', 'ready'],
    ['UPDATE_ROLLBACK_COMPLETE', 'ready'],
    ['CREATE_COMPLETE', 'ready'],
    ['UPDATE_IN_PROGRESS', 'busy'],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'busy'],
    ['UPDATE_ROLLBACK_IN_PROGRESS', 'busy'],
    ['UPDATE_ROLLBACK_FAILED', 'rollback-failed'],
    ['ROLLBACK_COMPLETE', 'unusable'],
    ['REVIEW_IN_PROGRESS', 'unusable'],
    ['DELETE_FAILED', 'unusable'],
  ])('given a stack in %s, when classified, then it is %s', (status, condition) => {
    expect(stackCondition(status)).toBe(condition);
  });

  it('given job ids, when a ClientRequestToken is derived, then it is stable, at most 128 characters of [a-zA-Z0-9-]', () => {
    expect(clientRequestToken(JOB_ID)).toBe(TOKEN);
    expect(clientRequestToken('a_b.c')).toBe('berth-release-a-b-c');
    const long = clientRequestToken('x'.repeat(200));
    expect(long).toMatch(/^[a-zA-Z0-9-]{1,128}$/);
    expect(clientRequestToken('x'.repeat(200))).toBe(long);
  });

  it('given events where a cancelled resource precedes the failed one, when the first failure is picked, then it is the failed resource of this update only', () => {
    const ev = (
      LogicalResourceId: string,
      ResourceStatus: string,
      ResourceStatusReason?: string,
      ClientRequestToken = TOKEN,
    ): StackEvent => ({
      StackId: STACK_ID,
      StackName: STACK_NAME,
      EventId: LogicalResourceId + ResourceStatus,
      Timestamp: new Date(),
      LogicalResourceId,
      ResourceType: LogicalResourceId === STACK_NAME ? 'AWS::CloudFormation::Stack' : 'AWS::ECS::Service',
      PhysicalResourceId: LogicalResourceId === STACK_NAME ? STACK_ID : 'x',
      ResourceStatus: ResourceStatus as StackEvent['ResourceStatus'],
      ClientRequestToken,
      ...(ResourceStatusReason ? { ResourceStatusReason } : {}),
    });
    const newestFirst = [
      ev(STACK_NAME, 'UPDATE_ROLLBACK_COMPLETE'),
      ev('Service', 'UPDATE_FAILED', 'the real reason'),
      ev('Scaling', 'UPDATE_FAILED', 'Resource update cancelled'),
      ev(STACK_NAME, 'UPDATE_IN_PROGRESS', 'User Initiated'),
      ev('Old', 'UPDATE_FAILED', 'an older update', 'other-token'),
    ];
    expect(firstFailure(newestFirst, STACK_NAME, TOKEN)).toEqual({
      logicalId: 'Service',
      type: 'AWS::ECS::Service',
      status: 'UPDATE_FAILED',
      reason: 'the real reason',
    });
  });
});

describe('Deploy of a release', () => {
  it('given the first release, when deployed, then UpdateStack uses the previous template, the release role, ImageTag=commit and previous values for the rest', async () => {
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(updates()).toEqual([
      {
        StackName: STACK_NAME,
        UsePreviousTemplate: true,
        Parameters: [
          { ParameterKey: 'BootstrapVersion', UsePreviousValue: true },
          { ParameterKey: 'ImageTag', ParameterValue: COMMIT },
          { ParameterKey: 'RestartNonce', UsePreviousValue: true },
        ],
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        RoleARN: ROLE,
        ClientRequestToken: TOKEN,
      },
    ]);
    expect(successSummary(codePipeline)).toBe(
      `Released 3f5e2c1 to ${PROJECT}: stack ${STACK_NAME} is UPDATE_COMPLETE; release log ${LOG_PARAMETER} updated`,
    );
    expect(logWrites()).toEqual([{ Name: LOG_PARAMETER, Value: COMMIT, Type: 'String', Overwrite: true }]);
  });

  it('given the update takes a few polls, when waiting, then each poll logs the PRIMARY deployment counts and rolloutState', async () => {
    cfn.outcome = { kind: 'complete', polls: 3 };
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    const waits = w.log.lines.filter((l) => l.message === 'Waiting for CloudFormation');
    expect(waits.length).toBeGreaterThanOrEqual(3);
    expect(waits[0].attributes).toMatchObject({
      stackStatus: 'UPDATE_IN_PROGRESS',
      primaryDeployment: 'ecs-svc/1',
      rolloutState: 'IN_PROGRESS',
      runningCount: 1,
      desiredCount: 2,
      pendingCount: 1,
      failedTasks: 0,
    });
    expect(w.clock.sleeps.every((s) => s === 5000)).toBe(true);
    expect(successSummary(codePipeline)).toMatch(/^Released/);
  });

  it('given the commit is already live, when deployed, then nothing is updated and the release log is written only if it differs', async () => {
    cfn.params.ImageTag = COMMIT;
    releaseLog = OTHER_COMMIT;
    const first = world();
    await first.handle(jobEvent(), lambdaContext(first.clock));

    expect(updates()).toEqual([]);
    expect(successSummary(codePipeline)).toBe(
      `3f5e2c1 is already live in stack ${STACK_NAME}: nothing to update; release log ${LOG_PARAMETER} updated`,
    );
    expect(logWrites()).toHaveLength(1);

    codePipeline.resetHistory();
    const again = world();
    await again.handle(jobEvent(), lambdaContext(again.clock));

    expect(logWrites()).toHaveLength(1);
    expect(successSummary(codePipeline)).toMatch(/release log .* already up to date$/);
  });

  it('given CloudFormation says there is nothing to update, when deployed, then it is a success', async () => {
    cfn.mock.on(UpdateStackCommand).rejects(awsError('ValidationError', 'No updates are to be performed.'));
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(successSummary(codePipeline)).toBe(
      `stack ${STACK_NAME} already has ImageTag=${COMMIT}: nothing to update; release log ${LOG_PARAMETER} updated`,
    );
  });

  it('given a rollback to an earlier commit, when deployed, then ImageTag is set to it the same way', async () => {
    cfn.params.ImageTag = OTHER_COMMIT;
    const w = world();

    await w.handle(jobEvent({ mode: 'rollback' }), lambdaContext(w.clock));

    expect(updates()[0].Parameters).toContainEqual({ ParameterKey: 'ImageTag', ParameterValue: COMMIT });
    expect(releaseLog).toBe(COMMIT);
  });
});

describe('Deploy when the stack is not ready', () => {
  it('given a cdk deploy in progress, when deployed, then it waits for the stack and then updates it', async () => {
    cfn.busy(3);
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(w.log.messages('info')).toContain('The stack is busy with another operation: waiting for it');
    expect(updates()).toHaveLength(1);
    expect(successSummary(codePipeline)).toMatch(/^Released/);
  });

  it('given a stack that stays busy, when the deadline passes, then the job fails saying what it waited for', async () => {
    cfn.busy(10_000);
    const w = world({ DEPLOY_TIMEOUT_SECONDS: '60' });

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toBe(
      `Deploy gave up after 60 s waiting for stack ${STACK_NAME} to finish UPDATE_IN_PROGRESS (another deployment, such as npx cdk deploy, is running). Run the pipeline again once the stack has settled.`,
    );
    expect(updates()).toEqual([]);
  });

  it('given a stack in UPDATE_ROLLBACK_FAILED, when deployed, then the job fails with the continue-update-rollback command', async () => {
    cfn.status = 'UPDATE_ROLLBACK_FAILED';
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toContain(
      `aws cloudformation continue-update-rollback --stack-name ${STACK_NAME} --role-arn arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`,
    );
    expect(updates()).toEqual([]);
  });

  it.each(['ROLLBACK_COMPLETE', 'DELETE_FAILED'])(
    'given a stack in %s, when deployed, then the job fails asking for npx cdk deploy',
    async (status) => {
      cfn.status = status;
      const w = world();

      await w.handle(jobEvent(), lambdaContext(w.clock));

      expect(failureMessage(codePipeline)).toBe(
        `stack ${STACK_NAME} is ${status} and cannot be updated: run npx cdk deploy for the project, then run the pipeline again`,
      );
    },
  );

  it('given no stack, when deployed, then the job fails asking for npx cdk deploy', async () => {
    cfn.exists = false;
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toMatch(
      /^stack berth-cash-collection does not exist: deploy the project with npx cdk deploy/,
    );
  });

  it('given a stack without the ImageTag parameter, when deployed, then the job fails asking for a deploy with this Berth', async () => {
    cfn.params = { BootstrapVersion: 'x' };
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toMatch(/has no ImageTag parameter/);
  });
});

describe('Deploy when ECS fails', () => {
  it('given the circuit breaker trips, when CloudFormation rolls back, then the message quotes the failed resource and says the previous release keeps serving', async () => {
    cfn.params.ImageTag = OTHER_COMMIT;
    releaseLog = OTHER_COMMIT;
    // An older failed update of the stack, which must not be quoted.
    cfn.event(cfn.stackEvent('UPDATE_IN_PROGRESS', 'older', 'User Initiated'));
    cfn.event({
      LogicalResourceId: 'Old',
      ResourceType: 'AWS::ECS::Service',
      ResourceStatus: 'UPDATE_FAILED',
      ResourceStatusReason: 'old reason',
      ClientRequestToken: 'older',
    });
    cfn.outcome = { kind: 'rollback', reason: CIRCUIT_BREAKER };
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toBe(
      [
        `CloudFormation could not release 3f5e2c1 (${COMMIT}) to ${PROJECT}: stack ${STACK_NAME} is UPDATE_ROLLBACK_COMPLETE.`,
        `First failure: Service (AWS::ECS::Service) UPDATE_FAILED: ${CIRCUIT_BREAKER}`,
        'CloudFormation rolled the stack back: the previous release (0a1b2c3) keeps serving.',
        `The service's logs: npx --no-install berth logs ${PROJECT}`,
      ].join('\n'),
    );
    expect(logWrites()).toEqual([]);
    expect(cfn.params.ImageTag).toBe(OTHER_COMMIT);
  });

  it('given the first release fails, when rolled back, then the message says the project still runs no service', async () => {
    cfn.outcome = { kind: 'rollback', reason: CIRCUIT_BREAKER };
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toContain(
      'nothing was released before, so the project still runs no service',
    );
  });

  it('given the rollback itself fails, when deployed, then the message gives the continue-update-rollback command', async () => {
    cfn.outcome = { kind: 'rollback', reason: CIRCUIT_BREAKER, rollbackStatus: 'UPDATE_ROLLBACK_FAILED' };
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    const message = failureMessage(codePipeline);
    expect(message).toContain(`stack ${STACK_NAME} is UPDATE_ROLLBACK_FAILED`);
    expect(message).toContain('CloudFormation could not roll the stack back either');
    expect(message).toContain(`continue-update-rollback --stack-name ${STACK_NAME}`);
  });

  it('given an update that never settles, when the deadline passes, then the job fails saying CloudFormation goes on', async () => {
    cfn.outcome = { kind: 'hang' };
    const w = world({ DEPLOY_TIMEOUT_SECONDS: '120' });

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toMatch(
      /^Deploy gave up after 120 s waiting for CloudFormation to update stack berth-cash-collection \(UPDATE_IN_PROGRESS; ECS: 1 of 2 tasks running, rolloutState IN_PROGRESS, 2 deployments\)\. CloudFormation goes on with the update: if ECS fails, it rolls the stack back/,
    );
    expect(updates()).toHaveLength(1);
  });

  it('given the release log cannot be written, when the update completed, then the job fails asking to run the stage again', async () => {
    ssm
      .on(PutParameterCommand)
      .rejects(awsError('AccessDeniedException', 'not authorized to perform ssm:PutParameter'));
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toBe(
      `Released 3f5e2c1 to ${PROJECT}: stack ${STACK_NAME} is UPDATE_COMPLETE, but the release could not be recorded in ${LOG_PARAMETER}: ` +
        'AccessDeniedException: not authorized to perform ssm:PutParameter. Run the stage again to record it.',
    );
  });
});

describe('Deploy never starts a second update for one job', () => {
  it('given the update outlasts an invocation, when CodePipeline re-invokes with the token, then it only watches and completes', async () => {
    cfn.outcome = { kind: 'complete', polls: 20 };
    const clock = new FakeClock();
    const first = world({}, clock);

    const r1 = await first.handle(jobEvent(), lambdaContext(clock, 60_000));

    expect(r1.outcome).toBe('continued');
    const token = reports(codePipeline).successes[0].continuationToken!;
    expect(JSON.parse(token).d).toEqual({ phase: 'updating', previousImageTag: 'none' });
    codePipeline.resetHistory();

    const second = world({}, clock);
    await second.handle(
      jobEvent({ jobId: 'job-2', continuationToken: token }),
      lambdaContext(clock, 15 * 60_000),
    );

    expect(updates()).toHaveLength(1);
    expect(successSummary(codePipeline)).toMatch(/^Released/);
  });

  it('given Lambda retries the first invocation while the update runs, when invoked again, then it finds its own update by token and watches it', async () => {
    cfn.outcome = { kind: 'complete', polls: 3 };
    const w = world();
    // The first attempt started the update and died before reporting.
    await new CloudFormationClient({ region: REGION }).send(
      new UpdateStackCommand({
        StackName: STACK_NAME,
        UsePreviousTemplate: true,
        Parameters: [
          { ParameterKey: 'BootstrapVersion', UsePreviousValue: true },
          { ParameterKey: 'ImageTag', ParameterValue: COMMIT },
          { ParameterKey: 'RestartNonce', UsePreviousValue: true },
        ],
        ClientRequestToken: TOKEN,
      }),
    );
    cfn.mock.resetHistory();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(updates()).toEqual([]);
    expect(w.log.messages('info')).toContain('An earlier invocation of this job already started the update');
    expect(successSummary(codePipeline)).toMatch(/^Released/);
  });

  it('given Lambda retries after its update was rolled back, when invoked again, then it reports the failure instead of updating again', async () => {
    cfn.outcome = { kind: 'rollback', reason: CIRCUIT_BREAKER };
    const first = world();
    await first.handle(jobEvent(), lambdaContext(first.clock));
    codePipeline.resetHistory();
    cfn.mock.resetHistory();

    const retry = world();
    await retry.handle(jobEvent(), lambdaContext(retry.clock));

    expect(updates()).toEqual([]);
    expect(failureMessage(codePipeline)).toContain(
      `First failure: Service (AWS::ECS::Service) UPDATE_FAILED: ${CIRCUIT_BREAKER}`,
    );
  });

  it('given a continuation that already started the update, when the stack looks ready again, then no UpdateStack is sent', async () => {
    const clock = new FakeClock();
    const token = encodeContinuation({
      stage: 'Deploy',
      startedAt: clock.now() - 30_000,
      firstJobId: 'first-job',
      errors: 0,
      state: { phase: 'updating', previousImageTag: 'none' },
    });
    cfn.params.ImageTag = COMMIT;
    const w = world({}, clock);

    await w.handle(jobEvent({ jobId: 'job-3', continuationToken: token }), lambdaContext(clock));

    expect(updates()).toEqual([]);
    expect(successSummary(codePipeline)).toMatch(/^Released/);
  });
});

describe('Deploy of a redeploy', () => {
  it('given a released project, when redeployed, then only RestartNonce changes, to the execution id, and the release log is untouched', async () => {
    cfn.params.ImageTag = COMMIT;
    const w = world();

    await w.handle(jobEvent({ mode: 'redeploy', commit: 'none' }), lambdaContext(w.clock));

    expect(updates()[0].Parameters).toEqual([
      { ParameterKey: 'BootstrapVersion', UsePreviousValue: true },
      { ParameterKey: 'ImageTag', UsePreviousValue: true },
      { ParameterKey: 'RestartNonce', ParameterValue: EXECUTION_ID },
    ]);
    expect(cfn.params).toMatchObject({ ImageTag: COMMIT, RestartNonce: EXECUTION_ID });
    expect(ssm.calls()).toHaveLength(0);
    expect(successSummary(codePipeline)).toBe(
      `Redeployed ${PROJECT}: stack ${STACK_NAME} restarted its tasks (RestartNonce=${EXECUTION_ID})`,
    );
  });

  it('given this execution already redeployed, when run again, then nothing is updated', async () => {
    cfn.params = { ...cfn.params, ImageTag: COMMIT, RestartNonce: EXECUTION_ID };
    const w = world();

    await w.handle(jobEvent({ mode: 'redeploy' }), lambdaContext(w.clock));

    expect(updates()).toEqual([]);
    expect(successSummary(codePipeline)).toMatch(/already redeployed/);
  });

  it('given nothing was ever released, when redeployed, then the job fails saying there is nothing to redeploy', async () => {
    const w = world();

    await w.handle(jobEvent({ mode: 'redeploy' }), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toMatch(/has no release yet .* nothing to redeploy/);
  });

  it('given a redeploy that fails, when CloudFormation rolls back, then the running tasks keep serving', async () => {
    cfn.params.ImageTag = COMMIT;
    cfn.outcome = { kind: 'rollback', reason: CIRCUIT_BREAKER };
    const w = world();

    await w.handle(jobEvent({ mode: 'redeploy' }), lambdaContext(w.clock));

    const message = failureMessage(codePipeline);
    expect(message).toMatch(/^CloudFormation could not redeploy cash-collection/);
    expect(message).toContain('the running tasks keep serving');
  });
});
