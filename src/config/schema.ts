import { z } from 'zod';
import { IMAGE_PLATFORMS, SEVERITIES, type ImagePlatform } from '../contracts';
import { cidrContains, cidrsOverlap, parseCidr } from './cidr';
import { architectureOf, instanceFacts, platformOf, taskMemoryMiB } from './instance-types';
import { ALB_MAX_RULES, MAX_QUALIFIED_NAME_LENGTH } from './limits';
import { targetGroupName } from './names';
import { checkPermissions } from './permissions';
import { SUPPORTED_REGIONS, VPC_LINK_ZONE_IDS, defaultZoneIds, partitionOf } from './regions';

/**
 * The schema of `berth.yaml` and the one place Berth's defaults live. Every object is strict (a typo is an
 * error, not a silently ignored key), every tunable has a default, and every message says what is expected:
 * the loader prefixes it with `<file>:<line>:<column>`, the field path and the value that was given.
 * Constructs never default anything themselves: they take what this schema produced.
 */

const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
/**
 * Names a project cannot take: the shared stacks are `<prefix>-network` and `<prefix>-platform` (a project stack
 * is `<prefix>-<project>`), and platform alarms are named `<prefix>-<api|alb|webhook|cluster|nat-N>-...`, which
 * project alarms (`<prefix>-<project>-...`) must never shadow.
 */
const RESERVED_PROJECT_NAMES = [
  'network',
  'platform',
  'api',
  'alb',
  'webhook',
  'cluster',
  'nat',
  'pipeline-events',
  'alerts',
];

/** Environment variables Berth sets in every container; the config may not set them. */
export const RESERVED_ENVIRONMENT = ['PORT', 'BASE_PATH', 'BERTH_PROJECT'] as const;
/** Prefixes the ECS agent and the AWS SDKs own. */
export const RESERVED_ENVIRONMENT_PREFIXES = ['AWS_', 'ECS_'] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A key of the project's app secret (a JSON object): letters, digits, `_`, `-` and `.`. */
const SECRET_KEY = /^[A-Za-z0-9_.-]{1,128}$/;
/**
 * Build-arg names that say "secret": build args are stored in the image's history and the build log. `PAT` is a
 * word of the name (`AZURE_DEVOPS_PAT`, not `PATH`); `\b` would not see it, since `_` is a word character.
 */
const SECRET_LIKE =
  /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL|(?:^|_)PAT(?:_|$))/i;

/** CodeBuild images the Test stage may use by short name (the curated Linux images). */
export const TEST_IMAGES = {
  'standard:7.0': 'aws/codebuild/standard:7.0',
  'amazonlinux-x86_64-standard:5.0': 'aws/codebuild/amazonlinux-x86_64-standard:5.0',
} as const;
/** CodeBuild compute types by size. */
export const TEST_COMPUTE = {
  small: 'BUILD_GENERAL1_SMALL',
  medium: 'BUILD_GENERAL1_MEDIUM',
  large: 'BUILD_GENERAL1_LARGE',
} as const;
/** Azure DevOps REST versions: Services accepts all; Server 2022 at most 7.0; Server 2020 at most 6.0. */
export const AZURE_DEVOPS_API_VERSIONS = ['6.0', '7.0', '7.1'] as const;
export const ALERT_CHANNEL_TYPES = ['slack', 'teams'] as const;

const int = (min: number, max: number, what: string) =>
  z
    .number({ error: `${what}: an integer from ${min} to ${max}` })
    .int({ error: `${what}: an integer from ${min} to ${max}` })
    .min(min, { error: `${what}: an integer from ${min} to ${max}` })
    .max(max, { error: `${what}: an integer from ${min} to ${max}` });

const cidr = z
  .string({ error: 'an IPv4 CIDR such as 10.0.0.0/16' })
  .refine((v) => parseCidr(v) !== undefined, {
    error: 'an IPv4 CIDR such as 10.0.0.0/16, with no host bits set',
  });

const dnsName = (what: string, max: number) =>
  z
    .string({ error: `${what}: lower-case letters, digits and hyphens` })
    .regex(DNS_LABEL, {
      error: `${what}: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
    })
    .max(max, { error: `${what}: at most ${max} characters` });

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
const retention = z
  .number({ error: `one of ${LOG_RETENTION_DAYS.join(', ')} (days)` })
  .refine((v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v), {
    error: `one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')} (days)`,
  });

const throttle = (rate: number, burst: number) =>
  z
    .strictObject({
      rateLimit: z.number({ error: 'requests per second, a positive number' }).positive({
        error: 'requests per second, a positive number',
      }),
      burstLimit: int(1, 5000, 'burst size'),
    })
    .default({ rateLimit: rate, burstLimit: burst })
    .check((ctx) => {
      if (ctx.value.burstLimit < ctx.value.rateLimit) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value.burstLimit,
          path: ['burstLimit'],
          message: `a burst limit at least the rate limit (${ctx.value.rateLimit})`,
        });
      }
    });

const percent = z
  .number({ error: 'a percentage from 1 to 100' })
  .min(1, { error: 'a percentage from 1 to 100' })
  .max(100, { error: 'a percentage from 1 to 100' });

/** Alarm thresholds; platform defaults live in `monitoring/thresholds.ts`, a project may override its own. */
const projectThresholds = z
  .strictObject({
    target5xxPerMinute: z
      .number({ error: '5xx responses per minute, 0 or more' })
      .nonnegative({ error: '5xx responses per minute, 0 or more' })
      .optional(),
    targetResponseTimeP99Seconds: z
      .number({ error: 'seconds, a positive number' })
      .positive({ error: 'seconds, a positive number' })
      .optional(),
    cpuPercent: percent.optional(),
    memoryPercent: percent.optional(),
  })
  .default({});

const stringMap = (what: string) =>
  z.record(z.string(), z.string({ error: `${what}: a string (quote numbers and booleans)` }), {
    error: `a mapping of ${what}`,
  });

const relativePath = (what: string) =>
  z
    .string({ error: `${what}: a path relative to the repository root` })
    .min(1, { error: `${what}: a path relative to the repository root` })
    .refine((v) => !v.startsWith('/') && !v.split('/').includes('..') && !/[\s\\]/.test(v), {
      error: `${what}: a path relative to the repository root, without "..", a leading "/" or spaces`,
    });

const permissionStatement = z.strictObject({
  actions: z
    .array(
      z
        .string({ error: 'an IAM action such as s3:GetObject' })
        .regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/, { error: 'an IAM action such as s3:GetObject' }),
      { error: 'a list of IAM actions' },
    )
    .min(1, { error: 'at least one IAM action' }),
  resources: z
    .array(z.string({ error: 'a resource ARN, or *' }).min(1, { error: 'a resource ARN, or *' }), {
      error: 'a list of resource ARNs',
    })
    .min(1, { error: 'at least one resource ARN' }),
  conditions: z
    .record(z.string(), z.record(z.string(), z.union([z.string(), z.array(z.string())])), {
      error: 'IAM conditions: { <operator>: { <key>: <value or list> } }',
    })
    .optional(),
});

const healthCheck = z
  .strictObject({
    intervalSeconds: int(5, 300, 'seconds between health checks'),
    timeoutSeconds: int(2, 120, 'seconds a health check may take'),
    healthyThreshold: int(2, 10, 'passed checks before a task is healthy'),
    unhealthyThreshold: int(2, 10, 'failed checks before a task is unhealthy'),
    gracePeriodSeconds: int(0, 2147483647, 'seconds a new task is not judged by health checks'),
    command: z
      .string({ error: 'a shell command the container runs to report its health (exit 0 = healthy)' })
      .min(1, { error: 'a non-empty shell command' })
      .optional(),
  })
  .partial()
  .default({});

const project = z
  .strictObject({
    name: dnsName('a DNS-safe project name', MAX_QUALIFIED_NAME_LENGTH),
    path: z
      .string({ error: 'a path /api/<segment>' })
      .regex(/^\/api\/[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
        error: 'a path /api/<segment> with one lower-case segment (letters, digits, hyphens) and no wildcard',
      })
      .optional(),
    priority: int(1, 50000, 'a listener rule priority').optional(),
    repository: z.strictObject({
      project: z.string({ error: 'the Azure DevOps project name' }).min(1, { error: 'a non-empty name' }),
      name: z.string({ error: 'the Azure DevOps repository name' }).min(1, { error: 'a non-empty name' }),
      branch: z
        .string({ error: 'a branch name such as main' })
        .regex(/^(?!refs\/)[^\s~^:?*[\\]+$/, { error: 'a branch name such as main, without refs/heads/' })
        .default('main'),
      id: z
        .string()
        .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
          error: 'the repository GUID from Azure DevOps',
        })
        .optional(),
    }),
    service: z
      .strictObject({
        port: int(1, 65535, 'a container port'),
        cpu: int(128, 16384, 'CPU units (1024 = one vCPU)'),
        memory: int(128, 122880, 'the hard memory limit in MiB'),
        memoryReservation: int(128, 122880, 'the soft memory limit in MiB').optional(),
        minCount: int(0, 100, 'a task count'),
        maxCount: int(1, 100, 'a task count'),
        healthCheckPath: z
          .string({ error: 'an HTTP path starting with /' })
          .regex(/^\/[\w\-./~%]*$/, { error: 'an HTTP path starting with /' }),
        healthCheck,
        scaling: z
          .strictObject({
            cpuPercent: percent,
            requestsPerTarget: int(1, 1_000_000, 'requests per task per minute'),
          })
          .partial()
          .default({}),
        stopTimeoutSeconds: int(2, 120, 'seconds between SIGTERM and SIGKILL'),
        environment: stringMap('environment variables (name: value)'),
        secrets: stringMap('secrets (variable name: key in the project app secret)'),
        permissions: z.array(permissionStatement, { error: 'a list of IAM statements' }),
        exec: z.boolean({ error: 'true or false' }),
      })
      .partial()
      .default({}),
    build: z
      .strictObject({
        dockerfile: relativePath('the Dockerfile'),
        context: relativePath('the build context'),
        args: stringMap('build arguments (name: value)'),
        platforms: z
          .array(
            z.enum(Object.keys(IMAGE_PLATFORMS) as [ImagePlatform, ...ImagePlatform[]], {
              error: `one of ${Object.keys(IMAGE_PLATFORMS).join(', ')}`,
            }),
            { error: 'a list of platforms' },
          )
          .min(1, { error: 'at least one platform' }),
      })
      .partial()
      .default({}),
    pipeline: z
      .strictObject({
        testCommand: z.string({ error: 'a shell command' }).min(1, { error: 'a non-empty shell command' }),
        testImage: z
          .string({ error: 'a CodeBuild image name or a public image such as node:22' })
          .refine(
            (v) => Object.hasOwn(TEST_IMAGES, v) || /^(?![a-z0-9.-]*\.amazonaws\.com)[\w./:@-]+$/.test(v),
            {
              error: `one of ${Object.keys(TEST_IMAGES).join(', ')}, or a public image (docker.io, public.ecr.aws, ghcr.io) such as node:22 or public.ecr.aws/docker/library/python:3.12`,
            },
          ),
        testCompute: z.enum(Object.keys(TEST_COMPUTE) as ['small', 'medium', 'large'], {
          error: `one of ${Object.keys(TEST_COMPUTE).join(', ')}`,
        }),
        approval: z.boolean({ error: 'true or false' }),
        scanSeverity: z.enum(SEVERITIES, { error: `one of ${SEVERITIES.join(', ')}` }),
      })
      .partial()
      .default({}),
    alarms: projectThresholds,
  })
  .transform((p) => {
    const web = p.path !== undefined;
    const hc = p.service.healthCheck ?? {};
    const service = {
      port: p.service.port ?? (web ? 8080 : undefined),
      cpu: p.service.cpu ?? 256,
      memory: p.service.memory ?? 512,
      memoryReservation: p.service.memoryReservation,
      minCount: p.service.minCount ?? 2,
      maxCount: p.service.maxCount ?? 6,
      // A worker keeps what it was given, so the cross-field check below refuses it instead of dropping it.
      healthCheckPath: web ? (p.service.healthCheckPath ?? `${p.path}/health`) : p.service.healthCheckPath,
      healthCheck: {
        intervalSeconds: hc.intervalSeconds ?? 10,
        timeoutSeconds: hc.timeoutSeconds ?? 5,
        healthyThreshold: hc.healthyThreshold ?? 2,
        unhealthyThreshold: hc.unhealthyThreshold ?? 3,
        gracePeriodSeconds: hc.gracePeriodSeconds ?? 60,
        command: hc.command,
      },
      scaling: {
        cpuPercent: p.service.scaling?.cpuPercent ?? 60,
        requestsPerTarget: web
          ? (p.service.scaling?.requestsPerTarget ?? 1000)
          : p.service.scaling?.requestsPerTarget,
      },
      stopTimeoutSeconds: p.service.stopTimeoutSeconds ?? 30,
      environment: p.service.environment ?? {},
      secrets: p.service.secrets ?? {},
      permissions: p.service.permissions ?? [],
      exec: p.service.exec ?? false,
    };
    const build = {
      dockerfile: p.build.dockerfile ?? 'Dockerfile',
      context: p.build.context ?? '.',
      args: p.build.args ?? {},
      platforms: p.build.platforms ?? (['linux/amd64', 'linux/arm64'] as ImagePlatform[]),
    };
    const pipeline = {
      testCommand: p.pipeline.testCommand ?? 'npm test',
      testImage: p.pipeline.testImage ?? 'standard:7.0',
      testCompute: p.pipeline.testCompute ?? ('small' as const),
      approval: p.pipeline.approval ?? false,
      scanSeverity: p.pipeline.scanSeverity ?? ('CRITICAL' as const),
    };
    return { ...p, service, build, pipeline };
  });

const DEFAULT_REGION = 'us-east-1';

export const configSchema = z
  .strictObject({
    prefix: dnsName('a DNS-safe prefix', 12).default('berth'),
    region: z
      .string({ error: 'an AWS region such as us-east-1' })
      .refine((r) => SUPPORTED_REGIONS.includes(r), {
        error: (issue) =>
          partitionOf(String(issue.input)) !== 'aws'
            ? `a region of the standard aws partition: ${String(issue.input)} is in ${partitionOf(String(issue.input))}, where Berth's policies and prices do not apply; choose one of ${SUPPORTED_REGIONS.join(', ')}`
            : `a region where Berth runs (HTTP API VPC links in the aws partition): ${SUPPORTED_REGIONS.join(', ')}`,
      })
      .default(DEFAULT_REGION),
    logRetentionDays: retention.default(30),
    network: z
      .strictObject({
        cidr: cidr.default('10.0.0.0/16'),
        availabilityZoneIds: z
          .array(z.string({ error: 'an Availability Zone ID such as use1-az1' }), {
            error: 'a list of two Availability Zone IDs such as [use1-az1, use1-az2]',
          })
          .length(2, { error: 'exactly two Availability Zone IDs, AZ-a then AZ-b' })
          .optional(),
        publicSubnets: z
          .array(cidr, { error: 'a list of two CIDRs, AZ-a then AZ-b' })
          .length(2, { error: 'exactly two subnets, one per Availability Zone (AZ-a, AZ-b)' })
          .default(['10.0.1.0/24', '10.0.2.0/24']),
        privateSubnets: z
          .array(cidr, { error: 'a list of two CIDRs, AZ-a then AZ-b' })
          .length(2, { error: 'exactly two subnets, one per Availability Zone (AZ-a, AZ-b)' })
          .default(['10.0.10.0/24', '10.0.11.0/24']),
      })
      .prefault({}),
    cluster: z
      .strictObject({
        instanceType: z
          .string({ error: 'an EC2 instance type such as c5.large' })
          .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: 'an EC2 instance type such as c5.large' })
          .default('c5.large'),
        minCapacity: int(0, 100, 'an instance count').default(2),
        maxCapacity: int(1, 100, 'an instance count').default(4),
        targetCapacityPercent: int(1, 100, 'a percentage').default(100),
        rootVolumeGiB: int(30, 1024, 'a root volume size in GiB (the ECS AMI needs 30)').default(30),
      })
      .prefault({}),
    api: z
      .strictObject({
        throttle: throttle(500, 1000),
        webhookThrottle: throttle(10, 20),
        domain: z
          .strictObject({
            name: z
              .string({ error: 'a domain name such as api.example.com' })
              .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
                error: 'a lower-case domain name such as api.example.com',
              }),
            certificateArn: z
              .string({ error: 'an ACM certificate ARN' })
              .regex(/^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/, {
                error: 'an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)',
              }),
          })
          .optional(),
      })
      .prefault({}),
    alerts: z
      .strictObject({
        emails: z
          .array(z.email({ error: 'an e-mail address' }), { error: 'a list of e-mail addresses' })
          .default([]),
        chat: z
          .array(
            z.strictObject({
              name: dnsName('a channel name', 32),
              type: z.enum(ALERT_CHANNEL_TYPES, { error: `one of ${ALERT_CHANNEL_TYPES.join(', ')}` }),
            }),
            { error: 'a list of chat channels: { name, type: slack | teams }' },
          )
          .default([]),
      })
      .prefault({}),
    azureDevOps: z.strictObject({
      organization: z
        .string({ error: 'the Azure DevOps organization name' })
        .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,48}[A-Za-z0-9]?$/, {
          error: 'the Azure DevOps organization name (letters, digits, hyphens)',
        }),
      url: z
        .url({ protocol: /^https?$/, error: 'an https:// URL such as https://dev.azure.com/my-org' })
        .transform((u) => u.replace(/\/+$/, ''))
        .optional(),
      // YAML reads an unquoted 7.0 as the number 7 and 7.1 as 7.1: take the version as written either way.
      apiVersion: z
        .preprocess(
          (v) => (typeof v === 'number' ? v.toFixed(1) : v),
          z.enum(AZURE_DEVOPS_API_VERSIONS, {
            error: `one of ${AZURE_DEVOPS_API_VERSIONS.join(', ')} (Azure DevOps Server 2020: 6.0, Server 2022: 7.0, Services: 7.0 or 7.1)`,
          }),
        )
        .default('7.0'),
      allowInsecureHttp: z.boolean({ error: 'true or false' }).default(false),
      caCertificateParameter: z
        .string({
          error: 'the name of an SSM parameter holding PEM certificates, such as /berth/azure-devops-ca',
        })
        .regex(/^\/[A-Za-z0-9_.\-/]+$/, {
          error: 'the name of an SSM parameter holding PEM certificates, such as /berth/azure-devops-ca',
        })
        .optional(),
    }),
    projects: z
      .array(project, { error: 'a list of projects' })
      .min(1, { error: 'at least one project' })
      .max(ALB_MAX_RULES, {
        error: `at most ${ALB_MAX_RULES} projects: one ALB listener holds ${ALB_MAX_RULES} rules and target groups`,
      }),
  })
  .transform((c) => ({
    ...c,
    network: {
      ...c.network,
      availabilityZoneIds: (c.network.availabilityZoneIds ??
        defaultZoneIds(c.region) ??
        defaultZoneIds(DEFAULT_REGION)!) as unknown as readonly [string, string],
    },
  }))
  .check((ctx) => crossFieldChecks(ctx.value, ctx.issues));

type Raw = z.output<typeof configSchema>;
type Issues = { code: 'custom'; input: unknown; path: PropertyKey[]; message: string }[];

/** Checks that span fields; each pushes `<path>: <expected>` issues, never throws. */
function crossFieldChecks(c: Raw, issues: z.core.$ZodRawIssue[]): void {
  const push = (path: PropertyKey[], input: unknown, message: string) =>
    (issues as Issues).push({ code: 'custom', input, path, message });
  // These checks also run after a field failed a refinement (zod lets those continue): that part of the value
  // is then unchecked (a malformed CIDR) or untransformed (a project without its defaults), so skip what reads it.
  const earlier = [...issues];
  const invalid = (...prefix: PropertyKey[]) =>
    earlier.some((i) => i.code !== 'unrecognized_keys' && prefix.every((k, n) => i.path?.[n] === k));

  // Availability Zone IDs: in the region, supporting VPC links, distinct.
  const supported = VPC_LINK_ZONE_IDS[c.region] ?? [];
  if (!invalid('network') && !invalid('region')) {
    c.network.availabilityZoneIds.forEach((id, i) => {
      if (!supported.includes(id)) {
        push(
          ['network', 'availabilityZoneIds', i],
          id,
          `an Availability Zone ID of ${c.region} where HTTP API VPC links work: ${supported.join(', ')}`,
        );
      }
    });
    const [a, b] = c.network.availabilityZoneIds;
    if (a === b)
      push(['network', 'availabilityZoneIds', 1], b, `a zone other than ${a}: the two must differ`);
  }

  // Network: every subnet inside the VPC, none overlapping another.
  const tiers = [
    ['publicSubnets', c.network.publicSubnets],
    ['privateSubnets', c.network.privateSubnets],
  ] as const;
  const seen: { cidr: string; path: PropertyKey[] }[] = [];
  for (const [tier, subnets] of invalid('network') ? [] : tiers) {
    subnets.forEach((s, i) => {
      const path = ['network', tier, i];
      if (!cidrContains(c.network.cidr, s)) push(path, s, `a subnet inside the VPC CIDR ${c.network.cidr}`);
      const clash = seen.find((o) => cidrsOverlap(o.cidr, s));
      if (clash) push(path, s, `a subnet that does not overlap ${clash.cidr} (${clash.path.join('.')})`);
      seen.push({ cidr: s, path });
    });
  }

  if (!invalid('cluster') && c.cluster.minCapacity > c.cluster.maxCapacity) {
    push(['cluster', 'minCapacity'], c.cluster.minCapacity, `at most maxCapacity (${c.cluster.maxCapacity})`);
  }

  // Azure DevOps: http:// only when explicitly allowed.
  const url = c.azureDevOps?.url;
  if (typeof url === 'string' && url.startsWith('http://') && !c.azureDevOps.allowInsecureHttp) {
    push(
      ['azureDevOps', 'url'],
      url,
      'an https:// URL; an http:// Azure DevOps Server URL sends the PAT in clear, so it also needs azureDevOps.allowInsecureHttp: true',
    );
  }

  const host = invalid('cluster') ? undefined : c.cluster.instanceType;
  const hostArch = host === undefined ? undefined : architectureOf(host);
  const hostFacts = host === undefined ? undefined : instanceFacts(host);

  const byKey = new Map<string, number>();
  c.projects.forEach((p, i) => {
    const at = (...rest: PropertyKey[]) => ['projects', i, ...rest];
    const qualified = `${c.prefix}-${p.name}`;
    if (
      !invalid('prefix') &&
      !invalid('projects', i, 'name') &&
      qualified.length > MAX_QUALIFIED_NAME_LENGTH
    ) {
      push(
        at('name'),
        p.name,
        `a shorter name: "${qualified}" is ${qualified.length} characters and names built from <prefix>-<project> must fit in ${MAX_QUALIFIED_NAME_LENGTH}`,
      );
    }
    if (RESERVED_PROJECT_NAMES.includes(p.name) || /^nat-\d+$/.test(p.name)) {
      push(
        at('name'),
        p.name,
        `a name other than ${RESERVED_PROJECT_NAMES.join(', ')} or nat-<n> (used by the shared stacks and platform alarms)`,
      );
    }
    // Each project's roles are granted the names `<prefix>-<project>-*` (functions, build projects, alarms): a
    // project named like another's name and a hyphen would fall inside them.
    const within = c.projects.findIndex((o, j) => j !== i && p.name.startsWith(`${o.name}-`));
    if (within >= 0) {
      push(
        at('name'),
        p.name,
        `a name that does not start with another project's name and a hyphen ("${c.projects[within].name}-" of projects[${within}]): Berth grants each project the names ${c.prefix}-<project>-*`,
      );
    }
    // A routed project's target group is named from its name cut short (ELB allows 32 characters): two long
    // names alike at the start would share one.
    if (p.path !== undefined && !invalid('projects', i, 'name')) {
      const tg = targetGroupName(c, p);
      const twin = c.projects.findIndex(
        (o, j) => j < i && o.path !== undefined && o.name !== p.name && targetGroupName(c, o) === tg,
      );
      if (twin >= 0) {
        push(
          at('name'),
          p.name,
          `a name that differs from projects[${twin}]'s ("${c.projects[twin].name}") within its first ${tg.length - `${c.prefix}-`.length - 3} characters: both would name the target group ${tg} (<prefix>-<project> cut to 29 characters, then -ip)`,
        );
      }
    }
    for (const key of ['name', 'path', 'priority'] as const) {
      if (p[key] === undefined) continue;
      const id = `${key}:${p[key]}`;
      const first = byKey.get(id);
      if (first !== undefined) {
        push(at(key), p[key], `a ${key} unique among projects (projects[${first}] has it already)`);
      } else byKey.set(id, i);
    }
    if (invalid('projects', i)) return;

    const web = p.path !== undefined;
    const s = p.service;
    // Routed projects (web) and workers.
    if (web && p.priority === undefined) {
      push(
        at('priority'),
        undefined,
        `required for a project with a path: the listener rule priority (1-50000), unique`,
      );
    }
    if (!web) {
      if (p.priority !== undefined) {
        push(
          at('priority'),
          p.priority,
          'no priority: a project without a path is a worker and has no listener rule',
        );
      }
      if (s.healthCheckPath !== undefined) {
        push(
          at('service', 'healthCheckPath'),
          s.healthCheckPath,
          'no HTTP health check path on a worker (no path); use service.healthCheck.command',
        );
      }
      if (s.scaling.requestsPerTarget !== undefined) {
        push(
          at('service', 'scaling', 'requestsPerTarget'),
          s.scaling.requestsPerTarget,
          'no request-count scaling on a worker: it gets no requests; scale on cpuPercent',
        );
      }
    } else if (
      s.healthCheckPath !== undefined &&
      !s.healthCheckPath.startsWith(`${p.path}/`) &&
      s.healthCheckPath !== p.path
    ) {
      push(
        at('service', 'healthCheckPath'),
        s.healthCheckPath,
        `a path under ${p.path}/: the app serves under BASE_PATH (${p.path}), and Verify reaches it through the load balancer`,
      );
    }

    if (s.minCount > s.maxCount)
      push(at('service', 'minCount'), s.minCount, `at most maxCount (${s.maxCount})`);
    if (s.memoryReservation !== undefined && s.memoryReservation > s.memory) {
      push(
        at('service', 'memoryReservation'),
        s.memoryReservation,
        `at most the hard limit memory (${s.memory})`,
      );
    }
    const hc = s.healthCheck;
    if (hc.timeoutSeconds >= hc.intervalSeconds) {
      push(
        at('service', 'healthCheck', 'timeoutSeconds'),
        hc.timeoutSeconds,
        `less than intervalSeconds (${hc.intervalSeconds})`,
      );
    }

    // The task must fit on one host.
    if (hostFacts && host) {
      const hostCpu = hostFacts.vcpus * 1024;
      if (s.cpu > hostCpu) {
        push(
          at('service', 'cpu'),
          s.cpu,
          `at most ${hostCpu} CPU units: a task must fit on one ${host} host (${hostFacts.vcpus} vCPUs); choose a larger cluster.instanceType`,
        );
      }
      const hostMem = taskMemoryMiB(hostFacts);
      if (s.memory > hostMem) {
        push(
          at('service', 'memory'),
          s.memory,
          `at most ${hostMem} MiB: a task must fit on one ${host} host (about ${hostMem} MiB for tasks); choose a larger cluster.instanceType`,
        );
      }
    }

    // Environment and secrets.
    /** A variable's name: well-formed and not one Berth sets; false when a problem was pushed. */
    const variableName = (where: PropertyKey[], name: string): boolean => {
      if (!ENV_NAME.test(name)) {
        push(where, name, 'a variable name of letters, digits and _ that does not start with a digit');
        return false;
      }
      if (
        (RESERVED_ENVIRONMENT as readonly string[]).includes(name) ||
        RESERVED_ENVIRONMENT_PREFIXES.some((x) => name.startsWith(x))
      ) {
        push(
          where,
          name,
          `a name Berth does not set itself (${RESERVED_ENVIRONMENT.join(', ')}, ${RESERVED_ENVIRONMENT_PREFIXES.map((x) => `${x}*`).join(', ')})`,
        );
        return false;
      }
      return true;
    };
    const envNames = Object.keys(s.environment);
    for (const name of envNames) {
      const where = at('service', 'environment', name);
      if (variableName(where, name) && Object.hasOwn(s.secrets, name)) {
        push(
          where,
          name,
          'a name that is not also in service.secrets (a variable is either plain or secret)',
        );
      }
    }
    for (const [name, key] of Object.entries(s.secrets)) {
      const where = at('service', 'secrets', name);
      variableName(where, name);
      if (key.startsWith('arn:') || key.includes('/') || key.includes(':')) {
        push(
          where,
          key,
          `a key of the project's own app secret (${c.prefix}/${p.name}/app), such as db-password; a secret outside the project cannot be referenced`,
        );
      } else if (!SECRET_KEY.test(key)) {
        push(where, key, "a key of the project's app secret: letters, digits, _, - and . (at most 128)");
      }
    }

    // Task permissions: only the project's own business, no wildcards for sensitive actions.
    s.permissions.forEach((statement, j) => {
      for (const problem of checkPermissions(statement, {
        prefix: c.prefix,
        project: p.name,
        projects: c.projects.map((x) => x.name),
      })) {
        push(at('service', 'permissions', j, ...problem.field), problem.given, problem.expected);
      }
    });

    // Build.
    for (const [name, value] of Object.entries(p.build.args)) {
      const where = at('build', 'args', name);
      if (!ENV_NAME.test(name)) push(where, name, 'a build argument name of letters, digits and _');
      else if (SECRET_LIKE.test(name)) {
        push(
          where,
          value.length > 0 ? '(value hidden)' : value,
          'no secrets in build arguments: they stay in the image history and the build log; give the running service its secrets with service.secrets',
        );
      }
    }
    if (hostArch && !p.build.platforms.includes(platformOf(hostArch))) {
      push(
        at('build', 'platforms'),
        p.build.platforms,
        `a list that includes ${platformOf(hostArch)}, the architecture of the ${host} hosts. To move hosts between x86 and Graviton: 1) list both platforms for every project and release each; 2) change cluster.instanceType and deploy (the hosts are replaced one by one); 3) then drop the old platform if you like`,
      );
    }
    if (new Set(p.build.platforms).size !== p.build.platforms.length) {
      push(at('build', 'platforms'), p.build.platforms, 'a list without repeats');
    }
  });
}

export type BerthConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ParsedProject = ParsedConfig['projects'][number];

/** True when the project has a path (a routed HTTP service); false for a worker. */
export function isWeb(p: Pick<ParsedProject, 'path'>): p is Pick<ParsedProject, 'path'> & { path: string } {
  return p.path !== undefined;
}
