/**
 * Checks the IAM statements a project may add to its task role (`service.permissions`). Pure and CDK-free, run
 * by the config schema. A statement is refused when it could reach what the platform runs on or another
 * project owns, or when it grants a sensitive action on every resource:
 *
 * - any `iam:` action (roles and policies are Berth's to manage), and CloudFormation, CodePipeline, CodeBuild
 *   and Lambda actions on Berth's stacks, pipelines, builds and functions;
 * - any resource ARN that can match a Berth-managed name: secrets, repositories and parameters under
 *   `<prefix>/`, log groups under `/<prefix>/`, `/aws/codebuild/<prefix>-` and `/aws/lambda/<prefix>-`, buckets,
 *   pipelines, stacks, functions, task definitions, services and topics named `<prefix>-...`, the cluster;
 * - `*` (or an ARN whose resource is a bare wildcard, such as `arn:aws:s3:::*`) for anything but the few
 *   actions that have no resource-level permissions and touch nothing of anyone's (publishing metrics and traces).
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

/** Actions that may have `*`: no resource-level permission exists for them and they reach no one's data. */
export const WILDCARD_RESOURCE_ACTIONS = [
  'cloudwatch:PutMetricData',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:GetSamplingStatisticSummaries',
] as const;

/** Services whose every action is refused: they manage identities. */
const REFUSED_SERVICES = ['iam', 'organizations', 'sso', 'identitystore'];

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
  logs: ['log-group:/{p}/*', 'log-group:/aws/codebuild/{p}-*', 'log-group:/aws/lambda/{p}-*'],
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
};

const ARN = /^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)$/s;

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** The service of an action (`s3:GetObject` -> `s3`) and the action name, lower-cased. */
function splitAction(action: string): [string, string] {
  const i = action.indexOf(':');
  return [action.slice(0, i).toLowerCase(), action.slice(i + 1)];
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

/** Whether `resource` (maybe with wildcards) can match a resource Berth manages for this prefix. */
export function reachesBerthResource(
  resource: string,
  prefix: string,
  projectNames: readonly string[],
): boolean {
  if (resource === '*') return true;
  const m = ARN.exec(resource);
  if (!m) return false;
  const service = m[2].toLowerCase();
  const candidates =
    service === '*' ? Object.values(BERTH_RESOURCES).flat() : (BERTH_RESOURCES[service] ?? []);
  // A name inside Berth's namespace (its own wildcards read as plain characters): another project's real ARN.
  const namespaces =
    service === '*' ? Object.values(BERTH_NAMESPACES).flat() : (BERTH_NAMESPACES[service] ?? []);
  if (namespaces.some((ns) => globToRegExp(ns.replaceAll('{p}', prefix)).test(m[5]))) return true;
  const pattern = globToRegExp(m[5]);
  // A name that no config uses yet stands for a project added later.
  for (const name of [...projectNames, 'zz-future-project']) {
    for (const sample of candidates) {
      if (pattern.test(sample.replaceAll('{p}', prefix).replaceAll('{n}', name))) return true;
    }
  }
  return false;
}

/** The problems of one statement; empty when it may be attached to the project's task role. */
export function checkPermissions(
  statement: PermissionStatementInput,
  where: { readonly prefix: string; readonly project: string; readonly projects?: readonly string[] },
): PermissionProblem[] {
  const problems: PermissionProblem[] = [];
  const names = where.projects ?? [where.project];
  statement.actions.forEach((action, i) => {
    const [service] = splitAction(action);
    if (action === '*' || REFUSED_SERVICES.includes(service)) {
      problems.push({
        field: ['actions', i],
        given: action,
        expected: `an action outside ${REFUSED_SERVICES.map((s) => `${s}:`).join(', ')} and not "*": identities and policies are managed by Berth`,
      });
    }
  });
  const wildcardOk = statement.actions.every((a) =>
    (WILDCARD_RESOURCE_ACTIONS as readonly string[]).includes(a),
  );
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
    }
  });
  return problems;
}
