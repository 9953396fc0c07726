import { z } from 'zod';
import { cidrContains, cidrsOverlap, parseCidr } from './cidr';
import { ALB_MAX_RULES, MAX_QUALIFIED_NAME_LENGTH } from './limits';

/**
 * The schema of `berth.yaml`. Every object is strict (a typo is an error, not a silently ignored key),
 * every tunable has a default that reproduces the seed, and every message says what is expected:
 * the loader prefixes it with the field path and the value that was given.
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
];
const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

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

/** Alarm thresholds; platform defaults live in `thresholds.ts`, a project may override its own. */
const percent = z
  .number({ error: 'a percentage from 1 to 100' })
  .min(1, { error: 'a percentage from 1 to 100' })
  .max(100, { error: 'a percentage from 1 to 100' });
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

const project = z
  .strictObject({
    name: dnsName('a DNS-safe project name', MAX_QUALIFIED_NAME_LENGTH),
    path: z.string({ error: 'a path /api/<segment>' }).regex(/^\/api\/[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
      error: 'a path /api/<segment> with one lower-case segment (letters, digits, hyphens) and no wildcard',
    }),
    priority: int(1, 50000, 'a listener rule priority'),
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
        memory: int(128, 131072, 'memory in MiB'),
        desiredCount: int(0, 100, 'a task count'),
        minCount: int(0, 100, 'a task count'),
        maxCount: int(1, 100, 'a task count'),
        healthCheckPath: z
          .string({ error: 'an HTTP path starting with /' })
          .regex(/^\/[\w\-./~%]*$/, { error: 'an HTTP path starting with /' }),
      })
      .partial()
      .default({}),
    pipeline: z
      .strictObject({
        testCommand: z.string({ error: 'a shell command' }).min(1, { error: 'a non-empty shell command' }),
        approval: z.boolean({ error: 'true or false' }),
        scanSeverity: z.enum(SEVERITIES, { error: `one of ${SEVERITIES.join(', ')}` }),
      })
      .partial()
      .default({}),
    alarms: projectThresholds,
  })
  .transform((p) => {
    const service = {
      port: 8080,
      cpu: 256,
      memory: 512,
      desiredCount: 2,
      minCount: 2,
      maxCount: 6,
      healthCheckPath: `${p.path}/health`,
      ...p.service,
    };
    const pipeline = {
      testCommand: 'npm test',
      approval: false,
      scanSeverity: 'CRITICAL' as const,
      ...p.pipeline,
    };
    return { ...p, service, pipeline };
  });

export const configSchema = z
  .strictObject({
    prefix: dnsName('a DNS-safe prefix', 12).default('berth'),
    region: z
      .string({ error: 'an AWS region such as us-east-1' })
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: 'an AWS region such as us-east-1' })
      .default('us-east-1'),
    logRetentionDays: retention.default(30),
    network: z
      .strictObject({
        cidr: cidr.default('10.0.0.0/16'),
        publicSubnets: z
          .array(cidr, { error: 'a list of two CIDRs, AZ-a then AZ-b' })
          .length(2, { error: 'exactly two subnets, one per Availability Zone (AZ-a, AZ-b)' })
          .default(['10.0.1.0/24', '10.0.2.0/24']),
        privateSubnets: z
          .array(cidr, { error: 'a list of two CIDRs, AZ-a then AZ-b' })
          .length(2, { error: 'exactly two subnets, one per Availability Zone (AZ-a, AZ-b)' })
          .default(['10.0.10.0/24', '10.0.11.0/24']),
      })
      .default({
        cidr: '10.0.0.0/16',
        publicSubnets: ['10.0.1.0/24', '10.0.2.0/24'],
        privateSubnets: ['10.0.10.0/24', '10.0.11.0/24'],
      }),
    cluster: z
      .strictObject({
        instanceType: z
          .string({ error: 'an EC2 instance type such as t3.medium' })
          .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: 'an EC2 instance type such as t3.medium' })
          .default('t3.medium'),
        minCapacity: int(0, 100, 'an instance count').default(2),
        maxCapacity: int(1, 100, 'an instance count').default(4),
        targetCapacityPercent: int(1, 100, 'a percentage').default(100),
        rootVolumeGiB: int(30, 1024, 'a root volume size in GiB (the ECS AMI needs 30)').default(30),
      })
      .default({
        instanceType: 't3.medium',
        minCapacity: 2,
        maxCapacity: 4,
        targetCapacityPercent: 100,
        rootVolumeGiB: 30,
      }),
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
              .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/, {
                error: 'an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)',
              }),
          })
          .optional(),
      })
      .default({
        throttle: { rateLimit: 500, burstLimit: 1000 },
        webhookThrottle: { rateLimit: 10, burstLimit: 20 },
      }),
    alerts: z
      .strictObject({
        emails: z
          .array(z.email({ error: 'an e-mail address' }), { error: 'a list of e-mail addresses' })
          .default([]),
      })
      .default({ emails: [] }),
    azureDevOps: z.strictObject({
      organization: z
        .string({ error: 'the Azure DevOps organization name' })
        .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,48}[A-Za-z0-9]?$/, {
          error: 'the Azure DevOps organization name (letters, digits, hyphens)',
        }),
      url: z
        .url({ protocol: /^https$/, error: 'an https:// URL such as https://dev.azure.com/my-org' })
        .transform((u) => u.replace(/\/+$/, ''))
        .optional(),
    }),
    projects: z
      .array(project, { error: 'a list of projects' })
      .min(1, { error: 'at least one project' })
      .max(ALB_MAX_RULES, {
        error: `at most ${ALB_MAX_RULES} projects: one ALB listener holds ${ALB_MAX_RULES} rules and target groups`,
      }),
  })
  .check((ctx) => crossFieldChecks(ctx.value, ctx.issues));

type Raw = z.output<typeof configSchema>;
type Issues = { code: 'custom'; input: unknown; path: PropertyKey[]; message: string }[];

function crossFieldChecks(c: Raw, issues: z.core.$ZodRawIssue[]): void {
  const push = (path: PropertyKey[], input: unknown, message: string) =>
    (issues as Issues).push({ code: 'custom', input, path, message });
  // These checks also run after a field failed a refinement (zod lets those continue): that part of the value
  // is then unchecked (a malformed CIDR) or untransformed (a project without its defaults), so skip what reads it.
  const earlier = [...issues];
  const invalid = (...prefix: PropertyKey[]) =>
    earlier.some((i) => i.code !== 'unrecognized_keys' && prefix.every((k, n) => i.path?.[n] === k));

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

  const byKey = new Map<string, number>();
  c.projects.forEach((p, i) => {
    const qualified = `${c.prefix}-${p.name}`;
    if (
      !invalid('prefix') &&
      !invalid('projects', i, 'name') &&
      qualified.length > MAX_QUALIFIED_NAME_LENGTH
    ) {
      push(
        ['projects', i, 'name'],
        p.name,
        `a shorter name: "${qualified}" is ${qualified.length} characters and names built from <prefix>-<project> must fit in ${MAX_QUALIFIED_NAME_LENGTH}`,
      );
    }
    if (RESERVED_PROJECT_NAMES.includes(p.name) || /^nat-\d+$/.test(p.name)) {
      push(
        ['projects', i, 'name'],
        p.name,
        `a name other than ${RESERVED_PROJECT_NAMES.join(', ')} or nat-<n> (used by the shared stacks and platform alarms)`,
      );
    }
    for (const key of ['name', 'path', 'priority'] as const) {
      const id = `${key}:${p[key]}`;
      const first = byKey.get(id);
      if (first !== undefined) {
        push(
          ['projects', i, key],
          p[key],
          `a ${key} unique among projects (projects[${first}] has it already)`,
        );
      } else byKey.set(id, i);
    }
    if (invalid('projects', i)) return;
    const s = p.service;
    if (s.memory < s.cpu * 2) {
      push(
        ['projects', i, 'service', 'memory'],
        s.memory,
        `at least ${s.cpu * 2} MiB for ${s.cpu} CPU units (2 MiB per CPU unit)`,
      );
    }
    if (s.minCount > s.maxCount) {
      push(['projects', i, 'service', 'minCount'], s.minCount, `at most maxCount (${s.maxCount})`);
    }
    if (s.desiredCount < s.minCount || s.desiredCount > s.maxCount) {
      push(
        ['projects', i, 'service', 'desiredCount'],
        s.desiredCount,
        `between minCount (${s.minCount}) and maxCount (${s.maxCount})`,
      );
    }
    if (!s.healthCheckPath.startsWith(`${p.path}/`) && s.healthCheckPath !== p.path) {
      push(
        ['projects', i, 'service', 'healthCheckPath'],
        s.healthCheckPath,
        `a path under ${p.path}/ so the ALB routes the health check to this project`,
      );
    }
  });
}

export type BerthConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ParsedProject = ParsedConfig['projects'][number];
