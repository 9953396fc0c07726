import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { CliError } from './errors';

/**
 * The AWS side of the CLI: the clients (made by a factory the tests replace), the few calls several commands
 * make, and the translation of SDK errors into sentences that say what to do. The region is always the config's
 * (see `region.ts`).
 */

export interface AwsClients {
  readonly cloudFormation: CloudFormationClient;
  readonly secretsManager: SecretsManagerClient;
  /** The other commands' clients; a factory may leave them out, and the context then makes default ones. */
  readonly codePipeline?: CodePipelineClient;
  readonly ecs?: ECSClient;
  readonly elbv2?: ElasticLoadBalancingV2Client;
  readonly cloudWatch?: CloudWatchClient;
  readonly cloudWatchLogs?: CloudWatchLogsClient;
  readonly ssm?: SSMClient;
  readonly ecr?: ECRClient;
  /** `berth alerts test` publishes to the alarm topic. */
  readonly sns?: SNSClient;
}

export type AllAwsClients = { readonly [K in keyof AwsClients]-?: NonNullable<AwsClients[K]> };

export type AwsClientFactory = (region: string) => AwsClients;

export const defaultAwsClients: AwsClientFactory = (region) => withDefaultClients({}, region);

/**
 * `clients`, with a default SDK client (default credential chain) for each one it lacks. A default client is made,
 * and its SDK package loaded, when a command first uses it: a command starts without loading the packages of the
 * services it never calls (each costs a tenth of a second or more to load).
 */
export function withDefaultClients(clients: Partial<AwsClients>, region: string): AllAwsClients {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
  const makers: { readonly [K in keyof AllAwsClients]: () => AllAwsClients[K] } = {
    cloudFormation: () => new CloudFormationClient({ region }),
    secretsManager: () => new SecretsManagerClient({ region }),
    codePipeline: () =>
      new (
        require('@aws-sdk/client-codepipeline') as typeof import('@aws-sdk/client-codepipeline')
      ).CodePipelineClient({ region }),
    ecs: () =>
      new (require('@aws-sdk/client-ecs') as typeof import('@aws-sdk/client-ecs')).ECSClient({ region }),
    elbv2: () =>
      new (
        require('@aws-sdk/client-elastic-load-balancing-v2') as typeof import('@aws-sdk/client-elastic-load-balancing-v2')
      ).ElasticLoadBalancingV2Client({ region }),
    cloudWatch: () =>
      new (
        require('@aws-sdk/client-cloudwatch') as typeof import('@aws-sdk/client-cloudwatch')
      ).CloudWatchClient({ region }),
    cloudWatchLogs: () =>
      new (
        require('@aws-sdk/client-cloudwatch-logs') as typeof import('@aws-sdk/client-cloudwatch-logs')
      ).CloudWatchLogsClient({ region }),
    ssm: () =>
      new (require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm')).SSMClient({ region }),
    ecr: () =>
      new (require('@aws-sdk/client-ecr') as typeof import('@aws-sdk/client-ecr')).ECRClient({ region }),
    sns: () =>
      new (require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns')).SNSClient({ region }),
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const made: Partial<Record<keyof AllAwsClients, unknown>> = {};
  const all = {} as AllAwsClients;
  for (const key of Object.keys(makers) as (keyof AllAwsClients)[]) {
    Object.defineProperty(all, key, {
      enumerable: true,
      get: () => (made[key] ??= clients[key] ?? makers[key]()),
    });
  }
  return all;
}

/** A stack parameter's current value (`ImageTag`, `RestartNonce`); undefined when the stack has no such parameter. */
export function stackParameter(stack: Stack, key: string): string | undefined {
  return stack.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue;
}

export const DEPLOY_HINT = 'run `npx cdk deploy --all` first';

/** Statuses in which a stack's resources cannot be relied on (first create running or failed, deleting). */
const NOT_READY = new Set([
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'REVIEW_IN_PROGRESS',
]);

/** DescribeStacks for one stack; a missing or unusable stack is a CliError saying to deploy. */
export async function describeStack(
  cfn: CloudFormationClient,
  stackName: string,
  region: string,
): Promise<Stack> {
  let stack: Stack | undefined;
  try {
    const res = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    stack = res.Stacks?.[0];
  } catch (e) {
    if (errorName(e) === 'ValidationError' && /does not exist/i.test(errorMessage(e))) {
      throw notDeployed(stackName, region);
    }
    throw translateAwsError(e, {
      action: 'cloudformation:DescribeStacks',
      resource: `the stack ${stackName}`,
      region,
    });
  }
  if (!stack) throw notDeployed(stackName, region);
  const status = stack.StackStatus ?? '';
  if (NOT_READY.has(status)) {
    throw new CliError(
      `The stack ${stackName} is not ready in ${region} (status ${status}): wait for the running operation to end, or run \`npx cdk deploy --all\` again, then try again.`,
      'stack-not-ready',
    );
  }
  return stack;
}

/** A stack output's value; a missing output means the deploy predates it or failed. */
export function stackOutput(stack: Stack, key: string, region: string): string {
  const value = stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  if (!value) {
    throw new CliError(
      `The stack ${stack.StackName ?? '(unknown)'} in ${region} has no output ${key}: run \`npx cdk deploy --all\` to bring it up to date, then try again.`,
      'stack-not-ready',
    );
  }
  return value;
}

/** The secret's current string value. */
export async function getSecretString(
  sm: SecretsManagerClient,
  secretName: string,
  where: { region: string; stack: string },
): Promise<string> {
  try {
    const res = await sm.send(new GetSecretValueCommand({ SecretId: secretName }));
    if (res.SecretString === undefined) throw secretMissing(secretName, where);
    return res.SecretString;
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (errorName(e) === 'ResourceNotFoundException') throw secretMissing(secretName, where);
    throw translateAwsError(e, {
      action: 'secretsmanager:GetSecretValue',
      resource: `the secret ${secretName}`,
      region: where.region,
    });
  }
}

/** Stores a new current version of the secret; returns its version id. */
export async function putSecretString(
  sm: SecretsManagerClient,
  secretName: string,
  value: string,
  where: { region: string; stack: string },
): Promise<string> {
  try {
    const res = await sm.send(new PutSecretValueCommand({ SecretId: secretName, SecretString: value }));
    return res.VersionId ?? '(unknown)';
  } catch (e) {
    if (errorName(e) === 'ResourceNotFoundException') throw secretMissing(secretName, where);
    throw translateAwsError(e, {
      action: 'secretsmanager:PutSecretValue',
      resource: `the secret ${secretName}`,
      region: where.region,
    });
  }
}

const CREDENTIALS_MISSING = new Set(['CredentialsProviderError', 'TokenProviderError']);
const CREDENTIALS_REFUSED = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'AuthFailure',
]);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

/** Any SDK failure as a sentence; the SDK's own message is kept only where it helps (it never holds a secret value). */
export function translateAwsError(
  e: unknown,
  ctx: { action: string; resource: string; region: string },
): CliError {
  if (e instanceof CliError) return e;
  const name = errorName(e);
  if (CREDENTIALS_MISSING.has(name)) {
    return new CliError(
      'No AWS credentials found: set AWS_PROFILE or run `aws sso login`, then try again.',
      'no-aws-credentials',
    );
  }
  if (CREDENTIALS_REFUSED.has(name)) {
    return new CliError(
      `AWS refused the credentials (${name}): they have probably expired; run \`aws sso login\` or refresh the keys of your AWS_PROFILE, then try again.`,
      'aws-credentials-refused',
    );
  }
  if (ACCESS_DENIED.has(name)) {
    return new CliError(
      `Your AWS identity may not call ${ctx.action} on ${ctx.resource} in ${ctx.region}: use a profile or role that may (AWS_PROFILE), then try again.`,
      'aws-access-denied',
    );
  }
  const detail = errorMessage(e) || name || 'unknown error';
  return new CliError(
    `The AWS call ${ctx.action} on ${ctx.resource} in ${ctx.region} failed (${name && name !== detail ? `${name}: ` : ''}${detail}): check that the platform is deployed in ${ctx.region} (region in berth.yaml) and your network, then try again.`,
    'aws-error',
  );
}

function notDeployed(stackName: string, region: string): CliError {
  return new CliError(
    `The stack ${stackName} is not deployed in ${region}: ${DEPLOY_HINT}.`,
    'stack-not-deployed',
  );
}

function secretMissing(secretName: string, where: { region: string; stack: string }): CliError {
  return new CliError(
    `The secret ${secretName} does not exist in ${where.region}, so the stack ${where.stack} is not deployed: ${DEPLOY_HINT}.`,
    'secret-missing',
  );
}

export function errorName(e: unknown): string {
  return typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string'
    ? (e as { name: string }).name
    : '';
}

export function errorMessage(e: unknown): string {
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string'
    ? (e as { message: string }).message
    : '';
}
