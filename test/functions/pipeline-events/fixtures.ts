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
export const WEBHOOK_SECRET_ID = 'berth/cash-collection/webhook';
/** The cash-collection repository's GUID (as `berth connect` stores it in the webhook secret). */
export const REPO_ID = '0f1e2d3c-4b5a-4697-8877-665544332211';
export const POULTRY_REPO_ID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
/** An 84-character PAT, like those Azure DevOps issues since 2024. */
export const PAT = 'bERThPaT0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789zzzz';
export const CONSOLE_LINK =
  `https://${REGION}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${PIPELINE}` +
  `/executions/${EXECUTION_ID}/timeline?region=${REGION}`;

export function settingsFor(
  azureDevOpsUrl: string,
  azureDevOpsApiVersion: PipelineEventsSettings['azureDevOpsApiVersion'] = '7.0',
): PipelineEventsSettings {
  return {
    azureDevOpsUrl,
    azureDevOpsApiVersion,
    topicArn: TOPIC_ARN,
    pipelines: {
      [PIPELINE]: {
        project: PROJECT,
        branch: 'main',
        repository: { project: 'Finance', name: 'cash-collection' },
        patSecretId: PAT_SECRET_ID,
        webhookSecretId: WEBHOOK_SECRET_ID,
      },
      'berth-poultry-sale': {
        project: 'poultry-sale',
        branch: 'release',
        repository: { project: 'Farm Sales', name: 'poultry sale' },
        patSecretId: 'berth/poultry-sale/azure-devops-pat',
        webhookSecretId: 'berth/poultry-sale/webhook',
      },
    },
  };
}

/** The two secrets of each project as Secrets Manager holds them: the PAT, and the webhook secret with the GUID. */
export function secretValues(
  options: { pat?: string; repositoryId?: string | null } = {},
): Record<string, string> {
  const webhook = (repositoryId: string | null | undefined) =>
    JSON.stringify({
      username: 'azure-devops',
      password: 'hook-password-1234',
      ...(repositoryId === null || repositoryId === undefined ? {} : { repositoryId }),
    });
  return {
    [PAT_SECRET_ID]: JSON.stringify({ pat: options.pat ?? PAT }),
    [WEBHOOK_SECRET_ID]: webhook(options.repositoryId === undefined ? REPO_ID : options.repositoryId),
    'berth/poultry-sale/azure-devops-pat': JSON.stringify({ pat: options.pat ?? PAT }),
    'berth/poultry-sale/webhook': webhook(POULTRY_REPO_ID),
  };
}

/** Azure DevOps as these tests know it: the two repositories, by project. */
export const ADO_WORLD = {
  collection: 'my-org',
  pat: PAT,
  projects: {
    Finance: '1b7c9f0e-2d3a-4c5b-8e6f-7a8b9c0d1e2f',
    'Farm Sales': '6e5d4c3b-2a1f-4e0d-9c8b-7a6f5e4d3c2b',
  },
  repositories: [
    { project: 'Finance', name: 'cash-collection', id: REPO_ID },
    { project: 'Farm Sales', name: 'poultry sale', id: POULTRY_REPO_ID },
  ],
};

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
  variables: Record<string, string> = { COMMIT_ID: COMMIT, RELEASE_MODE: 'release' },
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
