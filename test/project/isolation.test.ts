import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectNames } from '../../src/config/names';
import { buildApp, seedConfig } from '../support/app';
import { ACCOUNT, REGION, TemplateResolver } from '../support/resolve';

/**
 * Project isolation, evaluated on the synthesized policies with an IAM simulator: for every ordered pair of
 * projects (A, B) and every role of A, the actions that would touch B's repository, secrets, bucket, logs,
 * service, pipeline or release pointer are denied, while A's roles keep what they need on A's own resources.
 * The project list comes from the config, so the test grows with it.
 */

type Policy = { Version?: string; Statement: unknown[] };
interface Role {
  readonly logicalId: string;
  readonly arn: string;
  readonly policies: Policy[];
  readonly managedPolicyArns: unknown[];
}

const config = seedConfig();
let roles: Map<string, Role[]>;
let resources: Map<string, ReturnType<typeof projectResources>>;

function projectResources(name: string, bucketName: string) {
  const n = projectNames(config, { name });
  return {
    repository: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${n.ecrRepository}`,
    patSecret: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${n.patSecret}-AbCdEf`,
    webhookSecret: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${n.webhookSecret}-AbCdEf`,
    appSecret: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${n.appSecret}-AbCdEf`,
    artifact: `arn:aws:s3:::${bucketName}/${n.pipeline}/Source/abc.zip`,
    logStream: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${n.logGroup}:log-stream:app/app/0123`,
    service: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${config.prefix}/${n.service}`,
    pointer: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${n.imageTagParameter}`,
    pipeline: `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${n.pipeline}`,
  };
}

/** Actions a role might use against another project's resources; each must be denied across projects. */
function crossProjectRequests(r: ReturnType<typeof projectResources>): [string, string][] {
  return [
    ['ecr:BatchGetImage', r.repository],
    ['ecr:PutImage', r.repository],
    ['ecr:InitiateLayerUpload', r.repository],
    ['ecr:BatchDeleteImage', r.repository],
    ['secretsmanager:GetSecretValue', r.patSecret],
    ['secretsmanager:GetSecretValue', r.webhookSecret],
    ['secretsmanager:GetSecretValue', r.appSecret],
    ['secretsmanager:PutSecretValue', r.patSecret],
    ['s3:GetObject', r.artifact],
    ['s3:PutObject', r.artifact],
    ['logs:PutLogEvents', r.logStream],
    ['ecs:UpdateService', r.service],
    ['ssm:PutParameter', r.pointer],
    ['ssm:GetParameter', r.pointer],
    ['codepipeline:StartPipelineExecution', r.pipeline],
  ];
}

async function decide(role: Role, action: string, resource: string): Promise<string> {
  const simulation: Simulation = {
    identityPolicies: role.policies.map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: undefined,
    request: {
      action,
      principal: role.arn,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: { 'aws:SecureTransport': 'true' },
    },
  } as Simulation;
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error')
    throw new Error(`${action} ${resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

beforeAll(() => {
  const assembly = buildApp(config).app.synth();
  const templates = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.template]));
  const resolver = new TemplateResolver(templates);
  roles = new Map();
  resources = new Map();
  for (const p of config.projects) {
    const stackName = projectNames(config, p).stack;
    const t = templates[stackName] as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const entries = Object.entries(t.Resources);
    const bucketId = entries.find(([, r]) => r.Type === 'AWS::S3::Bucket')![0];
    resources.set(p.name, projectResources(p.name, String(resolver.resolve(stackName, { Ref: bucketId }))));
    const projectRoles: Role[] = entries
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .map(([id, r]) => {
        const attached = entries
          .filter(
            ([, pr]) =>
              pr.Type === 'AWS::IAM::Policy' &&
              (pr.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === id),
          )
          .map(([, pr]) => resolver.resolve(stackName, pr.Properties.PolicyDocument) as Policy);
        const inline = ((r.Properties.Policies ?? []) as { PolicyDocument: unknown }[]).map(
          (ip) => resolver.resolve(stackName, ip.PolicyDocument) as Policy,
        );
        return {
          logicalId: id,
          arn: `arn:aws:iam::${ACCOUNT}:role/${stackName}-${id}`,
          policies: [...attached, ...inline].map((pol) => ({ Version: '2012-10-17', ...pol })),
          managedPolicyArns: (r.Properties.ManagedPolicyArns ?? []) as unknown[],
        };
      });
    roles.set(p.name, projectRoles);
  }
});

const pairs = config.projects.flatMap((a) =>
  config.projects.filter((b) => b.name !== a.name).map((b) => [a.name, b.name] as const),
);

describe('isolation between projects', () => {
  it('finds the roles it must check, none with managed policies', () => {
    for (const p of config.projects) {
      const ids = roles
        .get(p.name)!
        .map((r) => r.logicalId)
        .join(' ');
      for (const expected of [
        'ExecutionRole',
        'TaskRole',
        'CheckoutRole',
        'BuildRole',
        'DeployRole',
        'PipelineRole',
      ]) {
        expect(ids).toContain(expected);
      }
      for (const r of roles.get(p.name)!) expect(r.managedPolicyArns, r.logicalId).toEqual([]);
    }
  });

  it.each(pairs)("denies every role of %s any action on %s's resources", async (a, b) => {
    const denied: string[] = [];
    for (const role of roles.get(a)!) {
      for (const [action, resource] of crossProjectRequests(resources.get(b)!)) {
        const decision = await decide(role, action, resource);
        if (decision === 'Allowed') denied.push(`${role.logicalId} may ${action} on ${resource}`);
      }
    }
    expect(denied).toEqual([]);
  });

  it.each(config.projects.map((p) => p.name))(
    "lets %s's roles do what they need on its own resources",
    async (a) => {
      const own = resources.get(a)!;
      const role = (part: string) => roles.get(a)!.find((r) => r.logicalId.includes(part))!;
      const expectations: [Role, string, string][] = [
        [role('ExecutionRole'), 'ecr:BatchGetImage', own.repository],
        [role('ExecutionRole'), 'logs:PutLogEvents', own.logStream],
        [role('ExecutionRole'), 'secretsmanager:GetSecretValue', own.appSecret],
        [role('CheckoutRole'), 'secretsmanager:GetSecretValue', own.patSecret],
        [role('CheckoutRole'), 's3:PutObject', own.artifact],
        [role('BuildRole'), 'ecr:PutImage', own.repository],
        [role('PushRole'), 'ecr:PutImage', own.repository],
        [role('PushRole'), 'ecr:BatchDeleteImage', own.repository],
        [role('DeployRole'), 'ecs:UpdateService', own.service],
        [role('DeployRole'), 'ssm:PutParameter', own.pointer],
        [role('BuildRole'), 'ssm:GetParameter', own.pointer],
        [role('PipelineRole'), 's3:PutObject', own.artifact],
      ];
      for (const [r, action, resource] of expectations) {
        expect(await decide(r, action, resource), `${r.logicalId} ${action} ${resource}`).toBe('Allowed');
      }
    },
  );

  it.each(config.projects.map((p) => p.name))(
    "keeps %s's task role empty of access to its own repository, secrets, bucket and service",
    async (a) => {
      const own = resources.get(a)!;
      const taskRole = roles.get(a)!.find((r) => r.logicalId.includes('TaskRole'))!;
      for (const [action, resource] of crossProjectRequests(own)) {
        expect(await decide(taskRole, action, resource), `${action} ${resource}`).not.toBe('Allowed');
      }
    },
  );

  it('would catch a wildcard: a policy allowing secretsmanager:GetSecretValue on * is reported', async () => {
    const [a, b] = pairs[0];
    const careless: Role = {
      ...roles.get(a)![0],
      policies: [
        {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
        },
      ],
    };
    expect(await decide(careless, 'secretsmanager:GetSecretValue', resources.get(b)!.patSecret)).toBe(
      'Allowed',
    );
  });
});
