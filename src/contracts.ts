/**
 * The vocabulary Berth's three sides share: the infrastructure (CDK), the Lambda functions and the `berth` CLI.
 * Environment variable names, metric names and namespace, pipeline variables, stack parameters, image tags and
 * severities live here and nowhere else. This module is pure (no CDK, no SDK), so every side may import it;
 * the infrastructure and the CLI never import a function's internals, and functions never import CDK code.
 */

// ---------------------------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------------------------

/** The CloudWatch namespace of every metric Berth's functions emit (Powertools `POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'Berth';

/** Powertools' own dimension, from `POWERTOOLS_SERVICE_NAME`. */
export const SERVICE_DIMENSION = 'service';

/** The dimension project-scoped metrics carry: the Berth project name. */
export const PROJECT_DIMENSION = 'Project';

/** The webhook's outcomes and the metric each one counts; every request ends in exactly one outcome. */
export const WEBHOOK_METRICS = {
  started: 'WebhookStarted',
  ignored: 'WebhookIgnored',
  unauthorized: 'WebhookUnauthorized',
  forbidden: 'WebhookForbidden',
  badRequest: 'WebhookBadRequest',
  notFound: 'WebhookNotFound',
  tooLarge: 'WebhookTooLarge',
  retryable: 'WebhookRetryable',
} as const;
export type WebhookOutcome = keyof typeof WEBHOOK_METRICS;

/** Metrics of the pipeline-events function; each a Count of 1 with the `service` and `Project` dimensions. */
export const PIPELINE_EVENTS_METRICS = {
  /** An execution of a project's pipeline succeeded. */
  pipelineSucceeded: 'PipelineSucceeded',
  /** An execution of a project's pipeline failed (STOPPED is not counted: it is a deliberate act). */
  pipelineFailed: 'PipelineFailed',
  /** A commit status was accepted by Azure DevOps. */
  commitStatusPosted: 'CommitStatusPosted',
  /** A commit status could not be posted (after bounded retries, or a lookup or secret failed). */
  commitStatusFailed: 'CommitStatusFailed',
  /** No commit status was posted because the project's PAT secret still holds an empty `pat`. */
  commitStatusSkipped: 'CommitStatusSkipped',
} as const;
export type PipelineEventsMetricName = (typeof PIPELINE_EVENTS_METRICS)[keyof typeof PIPELINE_EVENTS_METRICS];

/** Metrics of the release functions (Scan, Push, Deploy, Verify), with the `service` and `Project` dimensions. */
export const RELEASE_METRICS = {
  /** A release stage finished its work (Count); `ReleaseStageSeconds` says how long it took. */
  stageSucceeded: 'ReleaseStageSucceeded',
  /** A release stage failed the action (Count). */
  stageFailed: 'ReleaseStageFailed',
  /** Seconds a release stage spent from its first invocation to its result (Seconds). */
  stageSeconds: 'ReleaseStageSeconds',
} as const;

/** The dimension of the release metrics that names the stage (`Scan`, `Push`, `Deploy`, `Verify`). */
export const STAGE_DIMENSION = 'Stage';

// ---------------------------------------------------------------------------------------------------------------
// Pipeline
// ---------------------------------------------------------------------------------------------------------------

/** The pipeline's stages, in order; names are what operators see in the console and in `berth logs --stage`. */
export const STAGES = ['Source', 'Checkout', 'Test', 'Build', 'Scan', 'Push', 'Deploy', 'Verify'] as const;
export type StageName = (typeof STAGES)[number];

/** The pipeline-level variables (CodePipeline V2) the webhook and the CLI set when they start an execution. */
export const PIPELINE_VARIABLES = {
  /** The commit to release, 40 hex digits; `none` when an execution was started without one. */
  commit: 'COMMIT_ID',
  /** What the execution does: see {@link RELEASE_MODES}. */
  mode: 'RELEASE_MODE',
} as const;

/** The default of `COMMIT_ID`: an execution started without a commit (CodePipeline's run on creation). */
export const NO_COMMIT = 'none';

/**
 * What an execution does:
 * - `release`: check out, test, build, scan and release the pushed commit (the webhook's only mode);
 * - `rollback`: put back an image that was released before (no checkout, test or build; its current scan
 *   findings are still evaluated);
 * - `redeploy`: start new tasks on the running image (after an application secret changed).
 */
export const RELEASE_MODES = ['release', 'rollback', 'redeploy'] as const;
export type ReleaseMode = (typeof RELEASE_MODES)[number];

/**
 * The `UserParameters` every release function receives from its CodePipeline action: the execution's commit and
 * mode (resolved by CodePipeline from the pipeline variables) and the execution id.
 */
export interface ReleaseActionParameters {
  readonly commit: string;
  readonly mode: string;
  readonly executionId: string;
}

/** The `UserParameters` JSON the infrastructure gives each release action; CodePipeline resolves the `#{...}`. */
export function releaseUserParameters(): Record<keyof ReleaseActionParameters, string> {
  return {
    commit: `#{variables.${PIPELINE_VARIABLES.commit}}`,
    mode: `#{variables.${PIPELINE_VARIABLES.mode}}`,
    executionId: '#{codepipeline.PipelineExecutionId}',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Releases: stack parameters, image tags, platforms, severities
// ---------------------------------------------------------------------------------------------------------------

/**
 * Parameters of a project stack that only the release path changes (Deploy: `UpdateStack` with the previous
 * template); `cdk deploy` keeps their previous values.
 */
export const STACK_PARAMETERS = {
  /** The released image tag (a commit SHA), or {@link NO_RELEASE} before the first release. */
  imageTag: 'ImageTag',
  /** Changed by a redeploy: new tasks on the same image. */
  restartNonce: 'RestartNonce',
} as const;

/** `ImageTag` before the first release: the service does not exist yet. */
export const NO_RELEASE = 'none';
/** `RestartNonce` until the first redeploy. */
export const INITIAL_RESTART_NONCE = 'initial';

/** Prefix of the per-platform image tags Build pushes; only Push gives an image its release tag. */
export const CANDIDATE_TAG_PREFIX = 'candidate-';

/** The image platforms Berth builds, as Docker names them, and the architecture suffix of their tags. */
export const IMAGE_PLATFORMS = {
  'linux/amd64': 'amd64',
  'linux/arm64': 'arm64',
} as const;
export type ImagePlatform = keyof typeof IMAGE_PLATFORMS;
export type ImageArchitecture = (typeof IMAGE_PLATFORMS)[ImagePlatform];

/** `candidate-<commit>-<arch>`: what Build pushes for one platform. */
export function candidateTag(commit: string, arch: ImageArchitecture): string {
  return `${CANDIDATE_TAG_PREFIX}${commit}-${arch}`;
}

/** `<commit>-<arch>`: the released image of one platform (the image index tagged `<commit>` lists them). */
export function releasePlatformTag(commit: string, arch: ImageArchitecture): string {
  return `${commit}-${arch}`;
}

/** Finding severities in increasing order, as ECR reports them (basic and enhanced scanning). */
export const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

// ---------------------------------------------------------------------------------------------------------------
// Environment variables
// ---------------------------------------------------------------------------------------------------------------

/** Environment of the release functions; the infrastructure sets them per project and function. */
export const RELEASE_ENV = {
  /** Berth project name (metrics dimension, messages). */
  project: 'BERTH_PROJECT',
  /** The project's ECR repository name (Scan, Push). */
  repositoryName: 'REPOSITORY_NAME',
  /** Architectures built, comma-separated (`amd64,arm64`) (Scan, Push). */
  architectures: 'IMAGE_ARCHITECTURES',
  /** Lowest severity that blocks a release (Scan). */
  scanSeverity: 'SCAN_SEVERITY',
  /** The project stack's name (Deploy). */
  stackName: 'STACK_NAME',
  /** The role CloudFormation uses for releases (Deploy). */
  releaseRoleArn: 'RELEASE_ROLE_ARN',
  /** SSM parameter that logs each release (Deploy writes, `berth releases` and Build read). */
  releaseLogParameter: 'RELEASE_LOG_PARAMETER',
  /** ECS cluster and service of the project (Deploy, Verify). */
  clusterName: 'CLUSTER_NAME',
  serviceName: 'SERVICE_NAME',
  /** `http://<internal ALB><health path>`; unset for a worker (Verify). */
  healthUrl: 'HEALTH_URL',
  /** Bounded waits, in seconds (optional; defaults in the functions' own settings). */
  scanTimeoutSeconds: 'SCAN_TIMEOUT_SECONDS',
  deployTimeoutSeconds: 'DEPLOY_TIMEOUT_SECONDS',
  verifyTimeoutSeconds: 'VERIFY_TIMEOUT_SECONDS',
} as const;

/** Environment of the CodeBuild stages (Checkout, Test, Build), read by their shell scripts. */
export const BUILD_ENV = {
  /** Every stage: the commit to build (pipeline variable `COMMIT_ID`). */
  commit: 'COMMIT_ID',
  /** Checkout: HTTPS clone URL. */
  repositoryUrl: 'REPOSITORY_URL',
  /** Checkout: the configured branch (from berth.yaml, never from an execution variable). */
  branch: 'BRANCH',
  /** Checkout: the Azure DevOps PAT (Code: Read), from Secrets Manager. Secret: never printed. */
  pat: 'AZURE_DEVOPS_PAT',
  /** Checkout: `true` to allow an `http://` Azure DevOps Server URL (the PAT then travels in clear). */
  allowInsecureHttp: 'ALLOW_INSECURE_HTTP',
  /** Checkout: PEM certificates of a private certificate authority to trust for the Azure DevOps Server URL. */
  caBundle: 'AZURE_DEVOPS_CA_PEM',
  /** Test: the shell command that runs the tests. */
  testCommand: 'TEST_COMMAND',
  /** Build: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>`. */
  imageRepoUri: 'IMAGE_REPO_URI',
  /** Build: the ECR repository name. */
  imageRepoName: 'IMAGE_REPO_NAME',
  /** Build: the architecture this build produces (`amd64` or `arm64`). */
  imageArchitecture: 'IMAGE_ARCHITECTURE',
  /** Build: the Dockerfile and the build context, relative to the repository root. */
  dockerfile: 'DOCKERFILE',
  buildContext: 'BUILD_CONTEXT',
  /** Build: build arguments as a JSON object of strings (not for secrets). */
  buildArgs: 'BUILD_ARGS',
  /**
   * Build: the last released commit (`none` before the first release), resolved by CodeBuild from the release
   * log parameter when the build starts; its image is the layer cache source.
   */
  lastRelease: 'LAST_RELEASE',
} as const;

/** The environment variable holding the webhook's per-project settings (JSON, see {@link WebhookProjectSettings}). */
export const WEBHOOK_PROJECTS_ENV = 'WEBHOOK_PROJECTS';

/** What the webhook knows about one project, keyed by project name in {@link WEBHOOK_PROJECTS_ENV}. */
export interface WebhookProjectSettings {
  /** The project's CodePipeline (V2) name. */
  readonly pipelineName: string;
  /** Name or ARN of the secret holding `{"username", "password"}` for Basic auth (and `repositoryId` once connected). */
  readonly secretId: string;
  /** The Azure DevOps repository pushes must come from; names compare case-insensitively, the id as a GUID. */
  readonly repository: { readonly project: string; readonly name: string; readonly id?: string };
  /** The branch that starts the pipeline, short form (`main`). */
  readonly branch: string;
}
export type WebhookProjects = Readonly<Record<string, WebhookProjectSettings>>;

/**
 * The environment variable naming the webhook's DynamoDB table, where it keeps, per project and branch, the highest
 * Azure DevOps `pushId` it started a release for (so an older push delivered late never releases over a newer one).
 */
export const WEBHOOK_STATE_TABLE_ENV = 'WEBHOOK_STATE_TABLE';
/**
 * The table's partition key (type String), valued `<project>#<repository>#<branch>`; no sort key. The webhook
 * writes the attributes `lastPushId` (Number), `lastCommit` and `updatedAt` (String) with a conditional UpdateItem.
 */
export const WEBHOOK_STATE_KEY = 'pk';

/** Environment of the pipeline-events function. */
export const PIPELINE_EVENTS_ENV = {
  pipelines: 'PIPELINE_EVENTS_PIPELINES',
  azureDevOpsUrl: 'AZURE_DEVOPS_URL',
  azureDevOpsApiVersion: 'AZURE_DEVOPS_API_VERSION',
  topicArn: 'ALARM_TOPIC_ARN',
} as const;

/** What the pipeline-events function knows about one Berth pipeline, keyed by pipeline name. */
export interface PipelineEventsProjectSettings {
  /** The Berth project name (the `Project` metric dimension and the commit status context name). */
  readonly project: string;
  /** The configured branch (shown in failure messages). */
  readonly branch: string;
  /** The Azure DevOps repository the pipeline builds; commit statuses are posted to it. */
  readonly repository: { readonly project: string; readonly name: string };
  /** Name or ARN of the project's PAT secret; its value is JSON `{"pat": "<token>"}`. */
  readonly patSecretId: string;
  /** Name or ARN of the project's webhook secret; `repositoryId` in it (written by `berth connect`) names the repository by GUID. */
  readonly webhookSecretId: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets and tags
// ---------------------------------------------------------------------------------------------------------------

/** Key of the PAT inside its secret's JSON value. */
export const PAT_JSON_KEY = 'pat';
/** Key of the repository GUID `berth connect` stores in the webhook secret. */
export const REPOSITORY_ID_JSON_KEY = 'repositoryId';

/** Tag every Berth resource carries, valued with the config's prefix. */
export const PLATFORM_TAG = 'berth:platform';
/** Tag every project resource carries, valued with the project's name. */
export const PROJECT_TAG = 'berth:project';

// ---------------------------------------------------------------------------------------------------------------
// Alerts (chat channels)
// ---------------------------------------------------------------------------------------------------------------

/**
 * The alerts function's contract with the infrastructure and the CLI (`berth alerts`):
 * - `channelsEnv`: the environment variable listing the chat channels, JSON `[{"name", "type", "secretId"}]`
 *   ({@link AlertChannelSettings}); each secret's value is `{"url": "<incoming webhook URL>"}` (`""` until set);
 * - `channelAttribute`: the SNS message attribute (String) that addresses one channel by name: the function then
 *   posts to that channel only and e-mail subscriptions filter the message out (`berth alerts test <channel>`);
 * - `metrics`: a Count of 1 per channel and message, in {@link METRICS_NAMESPACE}, emitted twice: with the dimensions
 *   `service` (the function name) and `channelDimension` (the channel name), and with `service` alone (the sum over
 *   all channels, which the alerts-undelivered alarm watches).
 */
export const ALERTS = {
  channelsEnv: 'ALERT_CHANNELS',
  channelAttribute: 'berth-channel',
  channelDimension: 'Channel',
  metrics: {
    /** The chat service accepted the message. */
    delivered: 'AlertDelivered',
    /** The message was not delivered: refused, failed after bounded retries, or the URL was unreadable or invalid. */
    failed: 'AlertDeliveryFailed',
    /** Not sent: the channel's secret still holds an empty URL (`berth alerts set-webhook` was not run). */
    notSet: 'AlertChannelNotSet',
  },
} as const;

/** One chat channel as the alerts function knows it (an element of `ALERTS.channelsEnv`). */
export interface AlertChannelSettings {
  /** The channel's name in berth.yaml (`alerts.chat[].name`). */
  readonly name: string;
  readonly type: 'slack' | 'teams';
  /** Name or ARN of the secret `<prefix>/alerts/<name>` holding `{"url": "..."}`. */
  readonly secretId: string;
}
