import type {
  PipelineExecutionStateChangeEvent,
  PipelineExecutionState,
} from '../../../src/functions/pipeline-events/event';
import type { PipelineEventsSettings } from '../../../src/functions/pipeline-events/settings';

export const PIPELINE = 'berth-cash-collection';
export const PROJECT = 'cash-collection';
export const EXECUTION_ID = '3137f7cb-7cf7-4c31-9f4e-1d5b1a2f3c4d';
export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const COMMIT = '9fceb02d0ae598e95dc970b74767f19372d61af8';
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:berth-alarms`;
export const PAT_SECRET_ID = 'berth/cash-collection/azure-devops-pat';
/** An 84-character PAT, like those Azure DevOps issues since 2024. */
export const PAT = 'bERThPaT0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789zzzz';
export const CONSOLE_LINK =
  `https://${REGION}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${PIPELINE}` +
  `/executions/${EXECUTION_ID}/timeline?region=${REGION}`;

export function settingsFor(azureDevOpsUrl: string): PipelineEventsSettings {
  return {
    azureDevOpsUrl,
    topicArn: TOPIC_ARN,
    pipelines: {
      [PIPELINE]: {
        project: PROJECT,
        repository: { project: 'Finance', name: 'cash-collection' },
        patSecretId: PAT_SECRET_ID,
      },
      'berth-poultry-sale': {
        project: 'poultry-sale',
        repository: { project: 'Farm Sales', name: 'poultry sale' },
        patSecretId: 'berth/poultry-sale/azure-devops-pat',
      },
    },
  };
}

/** A "CodePipeline Pipeline Execution State Change" event as EventBridge delivers it. */
export function stateChange(
  state: PipelineExecutionState,
  overrides: { pipeline?: string; executionId?: string } = {},
): PipelineExecutionStateChangeEvent {
  const pipeline = overrides.pipeline ?? PIPELINE;
  return {
    version: '0',
    id: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
    'detail-type': 'CodePipeline Pipeline Execution State Change',
    source: 'aws.codepipeline',
    account: ACCOUNT,
    time: '2025-06-02T09:30:00Z',
    region: REGION,
    resources: [`arn:aws:codepipeline:${REGION}:${ACCOUNT}:${pipeline}`],
    detail: {
      pipeline,
      'execution-id': overrides.executionId ?? EXECUTION_ID,
      'start-time': '2025-06-02T09:20:00.000Z',
      'execution-trigger': { 'trigger-type': 'StartPipelineExecution', 'trigger-detail': 'arn:aws:sts::x' },
      state,
      version: 4,
      'pipeline-execution-attempt': 1,
    },
  };
}

/** GetPipelineExecution's answer for an execution the webhook started. */
export function pipelineExecution(
  variables: Record<string, string> = { COMMIT_ID: COMMIT, BRANCH: 'main', REPOSITORY: 'cash-collection' },
) {
  return {
    pipelineExecution: {
      pipelineName: PIPELINE,
      pipelineExecutionId: EXECUTION_ID,
      pipelineVersion: 4,
      status: 'Failed' as const,
      variables: Object.entries(variables).map(([name, resolvedValue]) => ({ name, resolvedValue })),
    },
  };
}

/** ListActionExecutions' answer: the source and tests passed, the image scan failed. */
export function scanFailedActions() {
  return {
    actionExecutionDetails: [
      {
        pipelineExecutionId: EXECUTION_ID,
        stageName: 'Source',
        actionName: 'Checkout',
        status: 'Succeeded' as const,
        startTime: new Date('2025-06-02T09:20:00Z'),
        lastUpdateTime: new Date('2025-06-02T09:21:00Z'),
      },
      {
        pipelineExecutionId: EXECUTION_ID,
        stageName: 'Scan',
        actionName: 'ImageScan',
        status: 'Failed' as const,
        startTime: new Date('2025-06-02T09:27:00Z'),
        lastUpdateTime: new Date('2025-06-02T09:29:00Z'),
        output: {
          executionResult: {
            externalExecutionId: 'berth-cash-collection-scan:1',
            externalExecutionSummary: '3 CRITICAL vulnerabilities found in the image',
            externalExecutionUrl: 'https://console.aws.amazon.com/codebuild/home#/builds/x/view/new',
            errorDetails: { code: 'JobFailed', message: 'Build terminated with state: FAILED' },
          },
        },
      },
    ],
  };
}
