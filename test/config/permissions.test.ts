import { describe, expect, it } from 'vitest';
import {
  WILDCARD_RESOURCE_ACTIONS,
  checkPermissions,
  reachesBerthResource,
} from '../../src/config/permissions';

const ACCOUNT = '123456789012';
/** The seed: prefix berth, projects cash-collection and poultry-sale; the statement is cash-collection's. */
const SEED = { prefix: 'berth', project: 'cash-collection', projects: ['cash-collection', 'poultry-sale'] };

const IDENTITY_MESSAGE =
  'an action outside iam:, organizations:, sso:, identitystore: and not "*": identities and policies are managed by Berth';
const WILDCARD_MESSAGE = `the ARNs of the resources the service needs: "*" is allowed only for ${WILDCARD_RESOURCE_ACTIONS.join(', ')}`;
const ARN_MESSAGE = 'a resource ARN (arn:aws:<service>:<region>:<account>:<resource>)';
const outsideBerth = (prefix: string) =>
  `a resource outside Berth's own (${prefix}/..., /${prefix}/..., ${prefix}-...): the platform and other projects are off limits, and the app secret reaches the task through service.secrets`;

const check = (actions: string[], resources: string[], where = SEED) =>
  checkPermissions({ actions, resources }, where);

describe('checkPermissions: what a project may have', () => {
  it("given read access to the team's own bucket (the docs' example), when checked, then there is no problem", () => {
    expect(check(['s3:GetObject'], ['arn:aws:s3:::cash-reports/*'])).toEqual([]);
  });

  it('given access to resources of its own outside Berth (a queue, a table, a parameter), when checked, then there is no problem', () => {
    expect(
      check(
        ['sqs:SendMessage', 'dynamodb:GetItem', 'ssm:GetParameter'],
        [
          `arn:aws:sqs:us-east-1:${ACCOUNT}:invoices`,
          `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/ledger`,
          `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/finance/rates`,
        ],
      ),
    ).toEqual([]);
  });

  it('given only the actions without resource-level permissions (metrics and traces), when checked on "*", then there is no problem', () => {
    expect(check([...WILDCARD_RESOURCE_ACTIONS], ['*'])).toEqual([]);
    expect(check(['cloudwatch:PutMetricData'], ['*'])).toEqual([]);
  });

  it('given the actions allowed on "*", when listed, then they publish metrics and traces and read nothing of anyone', () => {
    expect(WILDCARD_RESOURCE_ACTIONS).toContain('cloudwatch:PutMetricData');
    expect(
      WILDCARD_RESOURCE_ACTIONS.every((a) => a.startsWith('cloudwatch:Put') || a.startsWith('xray:')),
    ).toBe(true);
  });
});

describe('checkPermissions: identities and policies', () => {
  it.each([
    'iam:PassRole',
    'iam:CreateUser',
    'organizations:ListAccounts',
    'sso:CreatePermissionSet',
    'identitystore:ListUsers',
    'IAM:AttachRolePolicy',
  ])(
    'given the action %s, when checked, then it is refused at that action (identities are Berth’s to manage)',
    (action) => {
      expect(check(['s3:GetObject', action], ['arn:aws:s3:::cash-reports/*'])).toEqual([
        { field: ['actions', 1], given: action, expected: IDENTITY_MESSAGE },
      ]);
    },
  );

  it('given the action "*", when checked, then it is refused', () => {
    expect(check(['*'], ['arn:aws:s3:::cash-reports/*'])).toEqual([
      { field: ['actions', 0], given: '*', expected: IDENTITY_MESSAGE },
    ]);
  });
});

describe('checkPermissions: wildcard resources', () => {
  it.each([
    '*',
    'arn:aws:s3:::*',
    'arn:aws:s3:::*/reports',
    `arn:aws:dynamodb:*:*:table/*`,
    `arn:aws:sqs:us-east-1:${ACCOUNT}:*`,
    `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/*`,
    `arn:aws:secretsmanager:*:*:secret:*`,
    'arn:aws:*:*:*:*',
  ])('given %s for a data action, when checked, then it is refused as a wildcard', (resource) => {
    expect(check(['s3:GetObject'], [resource])).toEqual([
      { field: ['resources', 0], given: resource, expected: WILDCARD_MESSAGE },
    ]);
  });

  it('given a metrics action together with a data action on "*", when checked, then "*" is refused (every action must be one that needs it)', () => {
    expect(check(['cloudwatch:PutMetricData', 's3:GetObject'], ['*'])).toEqual([
      { field: ['resources', 0], given: '*', expected: WILDCARD_MESSAGE },
    ]);
  });

  it('given the objects of one bucket (my-bucket/*), when checked, then it is not a wildcard: an S3 ARN names the bucket first', () => {
    expect(check(['s3:GetObject'], ['arn:aws:s3:::my-bucket/*'])).toEqual([]);
  });
});

describe('checkPermissions: resources that are not ARNs', () => {
  it.each(['cash-reports', 's3://cash-reports/x', 'arn:aws:s3'])(
    'given %j, when checked, then an ARN is asked for',
    (resource) => {
      expect(check(['s3:GetObject'], [resource])).toEqual([
        { field: ['resources', 0], given: resource, expected: ARN_MESSAGE },
      ]);
    },
  );
});

describe("checkPermissions: Berth's and other projects' resources", () => {
  it.each([
    [
      "another project's app secret (the docs' example)",
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:berth/poultry-sale/app-AbCdEf`,
    ],
    [
      "another project's app secret with its real random suffix",
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:berth/poultry-sale/app-Xy12Zq`,
    ],
    [
      "another project's Azure DevOps PAT",
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:berth/poultry-sale/azure-devops-pat-k3Lm9P`,
    ],
    [
      "the project's own app secret (it comes through service.secrets)",
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:berth/cash-collection/app-Q1w2E3`,
    ],
    [
      "an alert channel's webhook URL",
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:berth/alerts/ops-R4t5Y6`,
    ],
    ['every Berth secret by wildcard', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:berth/*`],
    ['secrets starting with b', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:b*`],
    ["another project's image repository", `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/berth/poultry-sale`],
    [
      'the repository of a project added later',
      `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/berth/egg-grading`,
    ],
    [
      "another project's release parameter",
      `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/berth/poultry-sale/release`,
    ],
    [
      "another project's service logs",
      `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/berth/poultry-sale/service:*`,
    ],
    ['the ECS Exec session logs', `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/berth/ecs-exec`],
    [
      "a project's build logs",
      `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/codebuild/berth-poultry-sale-checkout:*`,
    ],
    [
      "the pipeline-events function's logs",
      `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/berth-pipeline-events`,
    ],
    ["another project's artifacts bucket", 'arn:aws:s3:::berth-poultry-sale-artifactsbucket2a1b3c-9x8y7z6w'],
    [
      "objects of another project's artifacts bucket",
      'arn:aws:s3:::berth-poultry-sale-artifactsbucket2a1b3c-9x8y7z6w/*',
    ],
    ["another project's pipeline", `arn:aws:codepipeline:us-east-1:${ACCOUNT}:berth-poultry-sale`],
    [
      "another project's build",
      `arn:aws:codebuild:us-east-1:${ACCOUNT}:project/berth-poultry-sale-build-amd64`,
    ],
    [
      'the platform stack',
      `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/berth-platform/1b2c3d4e-aaaa-bbbb-cccc-123456789012`,
    ],
    ['the webhook function', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:berth-webhook`],
    ['the alerts function', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:berth-alerts`],
    [
      "another project's release function",
      `arn:aws:lambda:us-east-1:${ACCOUNT}:function:berth-poultry-sale-deploy`,
    ],
    ['the cluster', `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/berth`],
    ["another project's ECS service", `arn:aws:ecs:us-east-1:${ACCOUNT}:service/berth/poultry-sale`],
    [
      "another project's task definition",
      `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/berth-poultry-sale:7`,
    ],
    ['the alarm topic', `arn:aws:sns:us-east-1:${ACCOUNT}:berth-alarms`],
    ["the webhook's state table", `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/berth-webhook-state`],
    ["a platform key's alias", `arn:aws:kms:us-east-1:${ACCOUNT}:alias/berth-alarms`],
    [
      'a Berth secret through a service wildcard',
      `arn:aws:*:us-east-1:${ACCOUNT}:secret:berth/poultry-sale/app-Xy12Zq`,
    ],
  ])('given %s (%s), when checked, then it is refused as Berth’s own', (_, resource) => {
    expect(check(['s3:GetObject'], [resource])).toEqual([
      { field: ['resources', 0], given: resource, expected: outsideBerth('berth') },
    ]);
  });

  it('given the same ARNs under another prefix, when checked for prefix acme, then they are not Berth’s and pass, while acme’s own are refused', () => {
    const acme = { ...SEED, prefix: 'acme' };
    const berthSecret = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:berth/poultry-sale/app-Xy12Zq`;
    const acmeSecret = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:acme/poultry-sale/app-Xy12Zq`;

    expect(check(['secretsmanager:GetSecretValue'], [berthSecret], acme)).toEqual([]);
    expect(check(['secretsmanager:GetSecretValue'], [acmeSecret], acme)).toEqual([
      { field: ['resources', 0], given: acmeSecret, expected: outsideBerth('acme') },
    ]);
  });

  it('given a name that only starts like the prefix (berthold-...), when checked, then it is not Berth’s', () => {
    expect(check(['s3:GetObject'], ['arn:aws:s3:::berthold-reports/*'])).toEqual([]);
    expect(
      check(
        ['secretsmanager:GetSecretValue'],
        [`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:berthold/db-AbCdEf`],
      ),
    ).toEqual([]);
  });
});

describe('checkPermissions: several problems', () => {
  it('given a statement with several problems, when checked, then each is reported at its own field, actions first', () => {
    const resources = [
      'arn:aws:s3:::cash-reports/*',
      '*',
      'not-an-arn',
      `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/berth/poultry-sale`,
    ];

    expect(check(['s3:GetObject', 'iam:PassRole'], resources)).toEqual([
      { field: ['actions', 1], given: 'iam:PassRole', expected: IDENTITY_MESSAGE },
      { field: ['resources', 1], given: '*', expected: WILDCARD_MESSAGE },
      { field: ['resources', 2], given: 'not-an-arn', expected: ARN_MESSAGE },
      { field: ['resources', 3], given: resources[3], expected: outsideBerth('berth') },
    ]);
  });

  it('given no list of projects, when checked, then the project itself still counts as Berth’s', () => {
    const own = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/berth/cash-collection`;
    expect(
      checkPermissions(
        { actions: ['ecr:BatchGetImage'], resources: [own] },
        { prefix: 'berth', project: 'cash-collection' },
      ),
    ).toEqual([{ field: ['resources', 0], given: own, expected: outsideBerth('berth') }]);
  });
});

describe('reachesBerthResource', () => {
  const names = SEED.projects;

  it('given "*", when asked, then it reaches everything of Berth', () => {
    expect(reachesBerthResource('*', 'berth', names)).toBe(true);
  });

  it('given something that is not an ARN, when asked, then it reaches nothing (the ARN check reports it)', () => {
    expect(reachesBerthResource('poultry-sale', 'berth', names)).toBe(false);
  });

  it('given a wildcard over every project’s repositories, when asked, then it reaches them', () => {
    expect(reachesBerthResource(`arn:aws:ecr:*:*:repository/berth/*`, 'berth', names)).toBe(true);
    expect(reachesBerthResource(`arn:aws:ecr:*:*:repository/*/poultry-sale`, 'berth', names)).toBe(true);
  });

  it('given a wildcard that can only match names outside the prefix, when asked, then it reaches nothing', () => {
    expect(reachesBerthResource(`arn:aws:ecr:*:*:repository/team-a/*`, 'berth', names)).toBe(false);
    expect(reachesBerthResource(`arn:aws:sqs:us-east-1:${ACCOUNT}:invoices-*`, 'berth', names)).toBe(false);
  });

  it('given a service Berth keeps nothing in, when asked, then nothing is reached', () => {
    expect(
      reachesBerthResource(`arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/berth-poultry-sale`, 'berth', names),
    ).toBe(false);
  });
});
