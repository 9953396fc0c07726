import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, vi } from 'vitest';

/**
 * Runs before every test file. Test files of one worker share loaded modules (vitest `isolate: false`, for speed),
 * so what a file changes globally must not outlive it: `mockClient(SomeClient)` (aws-sdk-client-mock) stubs the
 * class's `send` on its prototype, and a file that uses the real client after it would talk to the stub.
 */
const CLIENTS = [
  CloudFormationClient,
  CloudWatchClient,
  CloudWatchLogsClient,
  CodePipelineClient,
  DynamoDBClient,
  ECRClient,
  ECSClient,
  ElasticLoadBalancingV2Client,
  SecretsManagerClient,
  SNSClient,
  SSMClient,
];

afterAll(() => {
  for (const client of CLIENTS) {
    (client.prototype.send as { restore?: () => void }).restore?.();
  }
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.useRealTimers();
});
