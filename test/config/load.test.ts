import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE_PLATFORMS, SEVERITIES } from '../../src/contracts';
import { instanceFacts, taskMemoryMiB } from '../../src/config/instance-types';
import { MAX_QUALIFIED_NAME_LENGTH } from '../../src/config/limits';
import {
  ConfigError,
  configPath,
  formatPath,
  loadConfig,
  parseConfigText,
  validateConfig,
} from '../../src/config/load';
import { projectNames } from '../../src/config/names';
import { WILDCARD_RESOURCE_ACTIONS } from '../../src/config/permissions';
import { SUPPORTED_REGIONS, VPC_LINK_ZONE_IDS, defaultZoneIds } from '../../src/config/regions';
import {
  ALERT_CHANNEL_TYPES,
  AZURE_DEVOPS_API_VERSIONS,
  LOG_RETENTION_DAYS,
  RESERVED_ENVIRONMENT,
  RESERVED_ENVIRONMENT_PREFIXES,
  TEST_COMPUTE,
  TEST_IMAGES,
} from '../../src/config/schema';

const SEED_FILE = path.resolve(__dirname, '../../berth.yaml');
const SEED_TEXT = readFileSync(SEED_FILE, 'utf8');

// ---------------------------------------------------------------------------------------------------------------
// Helpers: YAML texts with marked positions, and loads that must fail
// ---------------------------------------------------------------------------------------------------------------

/** Marks, in a test's YAML, the character a problem must point at; it is removed before parsing. */
const MARK = '»';

/** Removes the common indentation (and a leading newline) of a template literal. */
function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}

const indent = (text: string, spaces: number) =>
  text
    .split('\n')
    .map((l) => (l.trim() === '' ? l : `${' '.repeat(spaces)}${l}`))
    .join('\n');

/**
 * Strips the `»` marks from a YAML text and returns, for each mark in reading order, its position as the loader
 * prints it: `berth.yaml:<line>:<column>`, both counted from 1. The expected positions are thus derived from the
 * test's own text, not from the YAML parser under test.
 */
function marked(source: string, label = 'berth.yaml'): { text: string; at: string[] } {
  const at: string[] = [];
  const lines = source.split('\n').map((line, i) => {
    let clean = line;
    for (let col = clean.indexOf(MARK); col >= 0; col = clean.indexOf(MARK)) {
      at.push(`${label}:${i + 1}:${col + 1}`);
      clean = clean.slice(0, col) + clean.slice(col + MARK.length);
    }
    return clean;
  });
  return { text: lines.join('\n'), at };
}

/** berth.yaml with one routed project, cash-collection at /api/cash; `project` lines go into it, `root` lines first. */
function routed(project = '', root = ''): string {
  return [
    dedent(root),
    'azureDevOps:',
    '  organization: my-org',
    'projects:',
    '  - name: cash-collection',
    '    path: /api/cash',
    '    priority: 10',
    '    repository: { project: Finance, name: cash-collection }',
    indent(dedent(project), 4),
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/** berth.yaml with one worker (no path), mailer; `project` lines go into it, `root` lines first. */
function worker(project = '', root = ''): string {
  return [
    dedent(root),
    'azureDevOps: { organization: my-org }',
    'projects:',
    '  - name: mailer',
    '    repository: { project: Finance, name: mailer }',
    indent(dedent(project), 4),
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/** The seed text with each `[anchor, replacement]` applied; every anchor must occur exactly once. */
function seedWith(...edits: [anchor: string, replacement: string][]): string {
  let text = SEED_TEXT;
  for (const [anchor, replacement] of edits) {
    expect(text.split(anchor), `"${anchor}" occurs once in berth.yaml`).toHaveLength(2);
    text = text.replace(anchor, replacement);
  }
  return text;
}

/** `<file>:<line>:<column>: <field path>: <what was given> — <what is expected>`. */
const LOCATED_PROBLEM = /^[\w.-]+\.yaml:\d+:\d+: (\(file\)|\(root\)|[A-Za-z][^:]*): \S.* — \S.*$/;

/**
 * Runs a load that must fail: asserts it threw a ConfigError (so no config was returned, nothing half-made)
 * whose every problem is one located `<path>: <given> — <expected>` line, and returns the problems.
 */
function problemsOf(load: () => unknown, line = LOCATED_PROBLEM): string[] {
  let returned: unknown;
  try {
    returned = load();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const problems = [...(e as ConfigError).problems];
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(line);
    return problems;
  }
  throw new Error(`expected a ConfigError, but a config was returned: ${JSON.stringify(returned)}`);
}

/** The problems of a marked YAML text, and the marks' positions. */
function refused(source: string): { problems: string[]; at: string[] } {
  const { text, at } = marked(source);
  return { problems: problemsOf(() => parseConfigText(text)), at };
}

/** The config of a marked YAML text that must be valid (marks are removed). */
const accepted = (source: string) => parseConfigText(marked(source).text);

/** Compares problems without regard to order, one for one. */
function expectProblems(problems: readonly string[], expected: readonly string[]): void {
  expect(problems).toHaveLength(expected.length);
  expect(problems).toEqual(expect.arrayContaining([...expected]));
}

/** How a problem shows a long value: its JSON cut to 77 characters and "...", so a line stays readable. */
const cut = (value: string) => `${JSON.stringify(value).slice(0, 77)}...`;

const MIGRATION =
  'no longer a setting: a service starts at minCount at its first release and auto scaling keeps it between minCount and maxCount (CloudFormation never resets the count); remove desiredCount and set minCount';

const STEPS =
  'To move hosts between x86 and Graviton: 1) list both platforms for every project and release each; 2) change cluster.instanceType and deploy (the hosts are replaced one by one); 3) then drop the old platform if you like';

/** n routed projects that are valid on their own: unique names, paths and priorities. */
function manyProjects(n: number): string {
  return [
    'azureDevOps: { organization: my-org }',
    'projects:',
    ...Array.from(
      { length: n },
      (_, i) =>
        `  - { name: svc-${i}, path: /api/svc-${i}, priority: ${i + 1}, repository: { project: Shop, name: svc-${i} } }`,
    ),
  ].join('\n');
}

const tmp = mkdtempSync(path.join(tmpdir(), 'berth-config-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOST = 'c5.large';
const HOST_FACTS = instanceFacts(HOST)!;

// ---------------------------------------------------------------------------------------------------------------
// Valid configs
// ---------------------------------------------------------------------------------------------------------------

describe('the seed berth.yaml', () => {
  it('given the seed, when loaded, then it parses to its own values with every default filled in', () => {
    const config = loadConfig(SEED_FILE);

    const seedProject = (name: string, p: string, priority: number, team: string) => ({
      name,
      path: p,
      priority,
      repository: { project: team, name, branch: 'main' },
      service: {
        port: 8080,
        cpu: 256,
        memory: 512,
        memoryReservation: undefined,
        minCount: 2,
        maxCount: 6,
        healthCheckPath: `${p}/health`,
        healthCheck: {
          intervalSeconds: 10,
          timeoutSeconds: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
          gracePeriodSeconds: 60,
          command: undefined,
        },
        scaling: { cpuPercent: 60, requestsPerTarget: 1000 },
        stopTimeoutSeconds: 30,
        environment: {},
        secrets: {},
        permissions: [],
        exec: false,
      },
      build: { dockerfile: 'Dockerfile', context: '.', args: {}, platforms: ['linux/amd64', 'linux/arm64'] },
      pipeline: {
        testCommand: 'npm test',
        testImage: 'standard:7.0',
        testCompute: 'small',
        approval: false,
        scanSeverity: 'CRITICAL',
      },
      alarms: {},
    });
    expect(config).toEqual({
      prefix: 'berth',
      region: 'us-east-1',
      logRetentionDays: 30,
      network: {
        cidr: '10.0.0.0/16',
        availabilityZoneIds: ['use1-az1', 'use1-az2'],
        publicSubnets: ['10.0.1.0/24', '10.0.2.0/24'],
        privateSubnets: ['10.0.10.0/24', '10.0.11.0/24'],
      },
      cluster: {
        instanceType: 'c5.large',
        minCapacity: 2,
        maxCapacity: 4,
        targetCapacityPercent: 100,
        rootVolumeGiB: 30,
      },
      api: {
        throttle: { rateLimit: 500, burstLimit: 1000 },
        webhookThrottle: { rateLimit: 10, burstLimit: 20 },
      },
      alerts: { emails: [], chat: [] },
      azureDevOps: { organization: 'my-org', apiVersion: '7.0', allowInsecureHttp: false },
      projects: [
        seedProject('cash-collection', '/api/cash', 10, 'Finance'),
        seedProject('poultry-sale', '/api/poultry', 20, 'Sales'),
      ],
    });
  });

  it('given the seed reduced to its required keys, when parsed, then the defaults reproduce every value the seed spells out', () => {
    const reduced = dedent(`
      azureDevOps: { organization: my-org }
      projects:
        - { name: cash-collection, path: /api/cash, priority: 10, repository: { project: Finance, name: cash-collection } }
        - { name: poultry-sale, path: /api/poultry, priority: 20, repository: { project: Sales, name: poultry-sale } }
    `);

    expect(parseConfigText(reduced)).toEqual(loadConfig(SEED_FILE));
  });
});

describe('defaults', () => {
  it('given a minimal routed project (name, path, priority, repository), when parsed, then it gets every project default', () => {
    const [project] = accepted(routed()).projects;

    expect(project).toEqual({
      name: 'cash-collection',
      path: '/api/cash',
      priority: 10,
      repository: { project: 'Finance', name: 'cash-collection', branch: 'main' },
      service: {
        port: 8080,
        cpu: 256,
        memory: 512,
        minCount: 2,
        maxCount: 6,
        healthCheckPath: '/api/cash/health',
        healthCheck: {
          intervalSeconds: 10,
          timeoutSeconds: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
          gracePeriodSeconds: 60,
        },
        scaling: { cpuPercent: 60, requestsPerTarget: 1000 },
        stopTimeoutSeconds: 30,
        environment: {},
        secrets: {},
        permissions: [],
        exec: false,
      },
      build: { dockerfile: 'Dockerfile', context: '.', args: {}, platforms: ['linux/amd64', 'linux/arm64'] },
      pipeline: {
        testCommand: 'npm test',
        testImage: 'standard:7.0',
        testCompute: 'small',
        approval: false,
        scanSeverity: 'CRITICAL',
      },
      alarms: {},
    });
    expect(project.service.memoryReservation).toBeUndefined();
    expect(project.service.healthCheck.command).toBeUndefined();
  });

  it('given a minimal config, when parsed, then it gets every platform default', () => {
    const config = accepted(routed());

    expect({ ...config, projects: [] }).toEqual({
      prefix: 'berth',
      region: 'us-east-1',
      logRetentionDays: 30,
      network: {
        cidr: '10.0.0.0/16',
        availabilityZoneIds: ['use1-az1', 'use1-az2'],
        publicSubnets: ['10.0.1.0/24', '10.0.2.0/24'],
        privateSubnets: ['10.0.10.0/24', '10.0.11.0/24'],
      },
      cluster: {
        instanceType: 'c5.large',
        minCapacity: 2,
        maxCapacity: 4,
        targetCapacityPercent: 100,
        rootVolumeGiB: 30,
      },
      api: {
        throttle: { rateLimit: 500, burstLimit: 1000 },
        webhookThrottle: { rateLimit: 10, burstLimit: 20 },
      },
      alerts: { emails: [], chat: [] },
      azureDevOps: { organization: 'my-org', apiVersion: '7.0', allowInsecureHttp: false },
      projects: [],
    });
    expect(config.api.domain).toBeUndefined();
    expect(config.azureDevOps.url).toBeUndefined();
    expect(config.azureDevOps.caCertificateParameter).toBeUndefined();
  });

  it('given a worker (no path), when parsed, then it gets the worker defaults: no port, priority, HTTP health check or request scaling', () => {
    const [project] = accepted(worker()).projects;

    expect(project.path).toBeUndefined();
    expect(project.priority).toBeUndefined();
    expect(project.service.port).toBeUndefined();
    expect(project.service.healthCheckPath).toBeUndefined();
    expect(project.service.scaling).toEqual({ cpuPercent: 60 });
    expect(project.service.scaling.requestsPerTarget).toBeUndefined();
    // Everything else is as for a routed project
    const { path: _p, priority: _r, service, ...rest } = accepted(routed()).projects[0];
    expect(project).toMatchObject({
      ...rest,
      name: 'mailer',
      repository: { ...rest.repository, name: 'mailer' },
    });
    expect(project.service).toMatchObject({
      ...service,
      port: undefined,
      healthCheckPath: undefined,
      scaling: { cpuPercent: 60 },
    });
  });

  it('given values for every project default, when parsed, then they are kept instead of the defaults', () => {
    const [project] = accepted(
      routed(`
        service:
          port: 3000
          cpu: 512
          memory: 2048
          memoryReservation: 1024
          minCount: 1
          maxCount: 3
          healthCheckPath: /api/cash/ping
          healthCheck: { intervalSeconds: 30, timeoutSeconds: 10, healthyThreshold: 3, unhealthyThreshold: 4, gracePeriodSeconds: 120, command: "curl -f http://127.0.0.1:3000/api/cash/ping" }
          scaling: { cpuPercent: 50, requestsPerTarget: 500 }
          stopTimeoutSeconds: 60
          environment: { LOG_LEVEL: debug, FEATURE_X: "true" }
          secrets: { DB_PASSWORD: db-password }
          permissions: [{ actions: [s3:GetObject], resources: ["arn:aws:s3:::cash-reports/*"], conditions: { Bool: { "aws:SecureTransport": "true" } } }]
          exec: true
        build: { dockerfile: services/api/Dockerfile, context: services/api, args: { NODE_ENV: production }, platforms: [linux/amd64] }
        pipeline: { testCommand: npm run test:ci, testImage: node:22, testCompute: medium, approval: true, scanSeverity: HIGH }
        alarms: { target5xxPerMinute: 0, targetResponseTimeP99Seconds: 1.5, cpuPercent: 90, memoryPercent: 85 }
      `),
    ).projects;

    expect(project.service).toEqual({
      port: 3000,
      cpu: 512,
      memory: 2048,
      memoryReservation: 1024,
      minCount: 1,
      maxCount: 3,
      healthCheckPath: '/api/cash/ping',
      healthCheck: {
        intervalSeconds: 30,
        timeoutSeconds: 10,
        healthyThreshold: 3,
        unhealthyThreshold: 4,
        gracePeriodSeconds: 120,
        command: 'curl -f http://127.0.0.1:3000/api/cash/ping',
      },
      scaling: { cpuPercent: 50, requestsPerTarget: 500 },
      stopTimeoutSeconds: 60,
      environment: { LOG_LEVEL: 'debug', FEATURE_X: 'true' },
      secrets: { DB_PASSWORD: 'db-password' },
      permissions: [
        {
          actions: ['s3:GetObject'],
          resources: ['arn:aws:s3:::cash-reports/*'],
          conditions: { Bool: { 'aws:SecureTransport': 'true' } },
        },
      ],
      exec: true,
    });
    expect(project.build).toEqual({
      dockerfile: 'services/api/Dockerfile',
      context: 'services/api',
      args: { NODE_ENV: 'production' },
      platforms: ['linux/amd64'],
    });
    expect(project.pipeline).toEqual({
      testCommand: 'npm run test:ci',
      testImage: 'node:22',
      testCompute: 'medium',
      approval: true,
      scanSeverity: 'HIGH',
    });
    expect(project.alarms).toEqual({
      target5xxPerMinute: 0,
      targetResponseTimeP99Seconds: 1.5,
      cpuPercent: 90,
      memoryPercent: 85,
    });
  });

  it('given part of the health check, when parsed, then the other health-check settings keep their defaults', () => {
    const [project] = accepted(
      routed('service: { healthCheck: { intervalSeconds: 15, healthyThreshold: 3 } }'),
    ).projects;

    expect(project.service.healthCheck).toEqual({
      intervalSeconds: 15,
      timeoutSeconds: 5,
      healthyThreshold: 3,
      unhealthyThreshold: 3,
      gracePeriodSeconds: 60,
    });
  });

  it('given values for every platform default, when parsed, then they are kept', () => {
    const config = accepted(
      routed(
        '',
        `
        prefix: acme
        region: eu-west-1
        logRetentionDays: 90
        network: { cidr: 10.1.0.0/16, availabilityZoneIds: [euw1-az3, euw1-az1], publicSubnets: [10.1.1.0/24, 10.1.2.0/24], privateSubnets: [10.1.10.0/24, 10.1.11.0/24] }
        cluster: { instanceType: m5.large, minCapacity: 3, maxCapacity: 6, targetCapacityPercent: 80, rootVolumeGiB: 50 }
        api:
          throttle: { rateLimit: 800, burstLimit: 1600 }
          webhookThrottle: { rateLimit: 20, burstLimit: 40 }
          domain: { name: api.example.com, certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012" }
        alerts: { emails: [ops@example.com], chat: [{ name: ops, type: slack }, { name: dev-team, type: teams }] }
        `,
      ).replace(
        'organization: my-org',
        'organization: my-org\n  url: https://tfs.example.com/tfs/Coll\n  apiVersion: "6.0"\n  caCertificateParameter: /acme/azure-devops-ca',
      ),
    );

    expect({ ...config, projects: [] }).toEqual({
      prefix: 'acme',
      region: 'eu-west-1',
      logRetentionDays: 90,
      network: {
        cidr: '10.1.0.0/16',
        availabilityZoneIds: ['euw1-az3', 'euw1-az1'],
        publicSubnets: ['10.1.1.0/24', '10.1.2.0/24'],
        privateSubnets: ['10.1.10.0/24', '10.1.11.0/24'],
      },
      cluster: {
        instanceType: 'm5.large',
        minCapacity: 3,
        maxCapacity: 6,
        targetCapacityPercent: 80,
        rootVolumeGiB: 50,
      },
      api: {
        throttle: { rateLimit: 800, burstLimit: 1600 },
        webhookThrottle: { rateLimit: 20, burstLimit: 40 },
        domain: {
          name: 'api.example.com',
          certificateArn:
            'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012',
        },
      },
      alerts: {
        emails: ['ops@example.com'],
        chat: [
          { name: 'ops', type: 'slack' },
          { name: 'dev-team', type: 'teams' },
        ],
      },
      azureDevOps: {
        organization: 'my-org',
        url: 'https://tfs.example.com/tfs/Coll',
        apiVersion: '6.0',
        allowInsecureHttp: false,
        caCertificateParameter: '/acme/azure-devops-ca',
      },
      projects: [],
    });
  });

  it('given exactly 100 projects, the most one ALB can hold, when parsed, then all are accepted', () => {
    expect(parseConfigText(manyProjects(100)).projects).toHaveLength(100);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Where the config comes from
// ---------------------------------------------------------------------------------------------------------------

describe('configPath and loadConfig', () => {
  it('given no BERTH_CONFIG (or an empty one), when the path is resolved, then it is berth.yaml in the working directory', () => {
    expect(configPath({}, '/srv/app')).toBe(path.resolve('/srv/app', 'berth.yaml'));
    expect(configPath({ BERTH_CONFIG: '' }, '/srv/app')).toBe(path.resolve('/srv/app', 'berth.yaml'));
  });

  it('given no arguments, when the path is resolved, then the process environment and working directory are used', () => {
    const saved = process.env.BERTH_CONFIG;
    delete process.env.BERTH_CONFIG;
    try {
      expect(configPath()).toBe(path.resolve(process.cwd(), 'berth.yaml'));
    } finally {
      if (saved !== undefined) process.env.BERTH_CONFIG = saved;
    }
  });

  it('given a relative BERTH_CONFIG, when the path is resolved, then it is relative to the working directory', () => {
    expect(configPath({ BERTH_CONFIG: 'configs/staging.yaml' }, '/srv/app')).toBe(
      path.resolve('/srv/app', 'configs/staging.yaml'),
    );
  });

  it('given an absolute BERTH_CONFIG, when the path is resolved, then it is taken as is', () => {
    const file = path.resolve('/etc/berth/prod.yaml');
    expect(configPath({ BERTH_CONFIG: file }, '/srv/app')).toBe(file);
  });

  it('given BERTH_CONFIG naming another file, when the app loads its config, then it reads that file', () => {
    mkdirSync(path.join(tmp, 'configs'), { recursive: true });
    writeFileSync(path.join(tmp, 'configs', 'other.yaml'), routed('', 'prefix: other'), 'utf8');

    const config = loadConfig(configPath({ BERTH_CONFIG: 'configs/other.yaml' }, tmp));

    expect(config.prefix).toBe('other');
  });

  it('given a file other than berth.yaml, when it has a problem, then the problem is located in that file by its name', () => {
    const { text, at } = marked(routed('service: { memory: »100 }'), 'staging.yaml');
    const file = path.join(tmp, 'staging.yaml');
    writeFileSync(file, text, 'utf8');

    expect(problemsOf(() => loadConfig(file))).toEqual([
      `${at[0]}: projects[0].service.memory: 100 — the hard memory limit in MiB: an integer from 128 to 122880`,
    ]);
  });

  it('given a missing file, when loaded, then it is refused naming the file and BERTH_CONFIG', () => {
    const file = path.join(tmp, 'does-not-exist.yaml');

    expect(problemsOf(() => loadConfig(file), /^\(file\): .* — .*$/)).toEqual([
      `(file): cannot read ${file} (no such file) — a readable YAML file; set BERTH_CONFIG to choose another`,
    ]);
  });

  it('given a directory, when loaded, then it is refused naming it and the reason', () => {
    const dir = path.join(tmp, 'a-directory');
    mkdirSync(dir, { recursive: true });

    const [problem] = problemsOf(() => loadConfig(dir), /^\(file\): .* — .*$/);

    expect(problem).toMatch(
      /^\(file\): cannot read .* \(EISDIR[^)]*\) — a readable YAML file; set BERTH_CONFIG/,
    );
    expect(problem).toContain(dir);
  });

  it('given an already-parsed object (no file), when validated, then problems carry no location', () => {
    const problems = problemsOf(
      () => validateConfig({ azureDevOps: { organization: 'my-org' }, projects: 5 }),
      /^[A-Za-z(][^:]*: \S.* — \S.*$/,
    );

    expect(problems).toEqual(['projects: 5 — a list of projects']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Problems: format, location, all at once
// ---------------------------------------------------------------------------------------------------------------

describe('every problem at once', () => {
  it('given a seed file with several mistakes in values, when loaded, then each is one located line, all are reported, and the message names the file', () => {
    const { text, at } = marked(
      seedWith(
        ['prefix: berth', 'prefix: berth\nregoin: »us-east-1'],
        [
          '      healthCheckPath: /api/cash/health',
          '      healthCheckPath: /api/cash/health\n      desiredCount: »3',
        ],
        ['    priority: 20\n', '    priority: 20\n    alarms: { cpuPercent: »200 }\n'],
        [
          '      memory: 512\n      minCount: 2\n      maxCount: 6\n      healthCheckPath: /api/poultry',
          '      memory: »100\n      minCount: 2\n      maxCount: 6\n      healthCheckPath: /api/poultry',
        ],
        ['emails: []', 'emails: [ops@example.com, »not-an-email]'],
      ),
    );
    const file = path.join(tmp, 'berth.yaml');
    writeFileSync(file, text, 'utf8');

    let error: unknown;
    try {
      loadConfig(file);
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expectProblems(problems, [
      `${at[0]}: regoin: "us-east-1" — no such key; expected one of: prefix, region, logRetentionDays, network, cluster, api, alerts, azureDevOps, projects`,
      `${at[1]}: alerts.emails[1]: "not-an-email" — an e-mail address`,
      `${at[2]}: projects[0].service.desiredCount: 3 — ${MIGRATION}`,
      `${at[3]}: projects[1].alarms.cpuPercent: 200 — a percentage from 1 to 100`,
      `${at[4]}: projects[1].service.memory: 100 — the hard memory limit in MiB: an integer from 128 to 122880`,
    ]);
    expect(message.split('\n')[0]).toBe(`${file} is not a valid Berth config:`);
    for (const p of problems) expect(message).toContain(`\n  - ${p}`);
  });

  it('given mistakes that span fields in several places, when parsed, then every one is reported, each where it is', () => {
    const { problems, at } = refused(`
      network: { publicSubnets: [»10.1.1.0/24, 10.0.2.0/24] }
      cluster: { minCapacity: »5 }
      azureDevOps: { organization: my-org, url: »"http://ado.internal/tfs" }
      projects:
        - name: cash-collection
          path: /api/cash
          priority: 10
          repository: { project: Finance, name: cash-collection }
          service: { minCount: »7, environment: { PORT: »"9000" }, cpu: »4096 }
        - name: poultry-sale
          path: /api/poultry
          priority: »10
          repository: { project: Sales, name: poultry-sale }
          build: { platforms: »[linux/arm64] }
        - name: mailer
          priority: »30
          repository: { project: Sales, name: mailer }
    `);

    expectProblems(problems, [
      `${at[0]}: network.publicSubnets[0]: "10.1.1.0/24" — a subnet inside the VPC CIDR 10.0.0.0/16`,
      `${at[1]}: cluster.minCapacity: 5 — at most maxCapacity (4)`,
      `${at[2]}: azureDevOps.url: "http://ado.internal/tfs" — an https:// URL; an http:// Azure DevOps Server URL sends the PAT in clear, so it also needs azureDevOps.allowInsecureHttp: true`,
      `${at[3]}: projects[0].service.minCount: 7 — at most maxCount (6)`,
      `${at[4]}: projects[0].service.environment.PORT: "PORT" — a name Berth does not set itself (PORT, BASE_PATH, BERTH_PROJECT, AWS_*, ECS_*)`,
      `${at[5]}: projects[0].service.cpu: 4096 — at most ${HOST_FACTS.vcpus * 1024} CPU units: a task must fit on one ${HOST} host (${HOST_FACTS.vcpus} vCPUs); choose a larger cluster.instanceType`,
      `${at[6]}: projects[1].priority: 10 — a priority unique among projects (projects[0] has it already)`,
      `${at[7]}: projects[1].build.platforms: ["linux/arm64"] — a list that includes linux/amd64, the architecture of the ${HOST} hosts. ${STEPS}`,
      `${at[8]}: projects[2].priority: 30 — no priority: a project without a path is a worker and has no listener rule`,
    ]);
  });

  it('given an unknown key and a removed key beside mistakes across fields, when parsed, then all are reported together', () => {
    const { problems, at } = refused(
      routed(
        `
        service: { desiredCount: »2, maxCount: 6, minCount: »8 }
        `,
        'prefx: »acme',
      ),
    );

    expectProblems(problems, [
      `${at[0]}: prefx: "acme" — no such key; expected one of: prefix, region, logRetentionDays, network, cluster, api, alerts, azureDevOps, projects`,
      `${at[1]}: projects[0].service.desiredCount: 2 — ${MIGRATION}`,
      `${at[2]}: projects[0].service.minCount: 8 — at most maxCount (6)`,
    ]);
  });
});

describe('locations', () => {
  it('given a value in a block mapping, when refused, then the location is the first character of the value', () => {
    const { problems, at } = refused(routed('service:\n  port: »70000'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.port: 70000 — a container port: an integer from 1 to 65535`,
    ]);
  });

  it('given a value inside flow mappings and lists, when refused, then the location is that value on its line', () => {
    const { problems, at } = refused(
      routed('', 'network: { privateSubnets: [10.0.10.0/24, »10.0.11.5/24] }'),
    );

    expect(problems).toEqual([
      `${at[0]}: network.privateSubnets[1]: "10.0.11.5/24" — an IPv4 CIDR such as 10.0.0.0/16, with no host bits set`,
    ]);
  });

  it('given a key with no value, when refused, then the location is just after the key, on its line', () => {
    const { problems, at } = refused(routed('service:\n  memory:»'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.memory: null — the hard memory limit in MiB: an integer from 128 to 122880`,
    ]);
  });

  it('given a missing required key, when refused, then the location is the mapping that lacks it', () => {
    const { problems, at } = refused(`
      azureDevOps: { organization: my-org }
      projects:
        - »name: cash-collection
          path: /api/cash
          priority: 10
    `);

    expect(problems).toEqual([`${at[0]}: projects[0].repository: (missing) — required: a mapping`]);
  });

  it('given a missing top-level key, when refused, then the location is the start of the file', () => {
    const { problems, at } = refused(`
      »projects:
        - { name: cash-collection, path: /api/cash, priority: 10, repository: { project: Finance, name: cash-collection } }
    `);

    expect(problems).toEqual([`${at[0]}: azureDevOps: (missing) — required: a mapping`]);
  });

  it('given an unknown key, when refused, then the location is its value', () => {
    const { problems, at } = refused(routed('service:\n  memroy: »1024'));

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(`^${at[0]}: projects\\[0\\]\\.service\\.memroy: 1024 — no such key`),
    );
  });

  it('given a default that a given value contradicts, when refused, then the location is the given value and the default is named', () => {
    const { problems, at } = refused(routed('service:\n  memoryReservation: »1024'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.memoryReservation: 1024 — at most the hard limit memory (512)`,
    ]);
  });

  it('given a cross-field check on a default the file does not spell out, when refused, then the default is what was given and the location is its mapping', () => {
    const { problems, at } = refused(routed('', 'cluster: »{ maxCapacity: 1 }'));

    expect(problems).toEqual([`${at[0]}: cluster.minCapacity: 2 — at most maxCapacity (1)`]);
  });
});

describe('formatPath', () => {
  it.each([
    [[], '(root)'],
    [['prefix'], 'prefix'],
    [['projects', 0, 'service', 'memory'], 'projects[0].service.memory'],
    [['network', 'publicSubnets', 1], 'network.publicSubnets[1]'],
    [
      ['projects', 2, 'service', 'permissions', 0, 'resources', 3],
      'projects[2].service.permissions[0].resources[3]',
    ],
  ])('given the field path %j, when printed, then it reads %s', (p, shown) => {
    expect(formatPath(p)).toBe(shown);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// YAML and the document itself
// ---------------------------------------------------------------------------------------------------------------

describe('text that is not valid YAML', () => {
  it.each([
    [
      'an unclosed flow list',
      'prefix: berth\nprojects: [unclosed\n',
      3,
      1,
      'Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    ['a duplicate key', 'prefix: a\nregion: us-east-1\nprefix: b\n', 3, 1, 'Map keys must be unique'],
    ['a tab for indentation', 'network:\n\tcidr: 10.0.0.0/16\n', 2, 1, 'Tabs are not allowed as indentation'],
  ])(
    'given %s, when parsed, then one message says where and what is wrong in YAML terms',
    (_, text, line, column, what) => {
      expect(problemsOf(() => parseConfigText(text))).toEqual([
        `berth.yaml:${line}:${column}: (file): not valid YAML (${what}) — fix the YAML syntax at that line`,
      ]);
    },
  );

  it('given a YAML error in a named file, when loaded, then the error names the file and nothing is returned', () => {
    const file = path.join(tmp, 'broken.yaml');
    writeFileSync(file, 'projects: [unclosed\n');

    let error: unknown;
    try {
      loadConfig(file);
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe(file);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(
        /^broken\.yaml:2:1: \(file\): not valid YAML \(.*\) — fix the YAML syntax at that line$/,
      ),
    ]);
    expect(
      (error as ConfigError).message.startsWith(`${file} is not a valid Berth config:\n  - broken.yaml:2:1:`),
    ).toBe(true);
  });

  it.each([
    ['a list', '- a\n- b\n', '["a","b"]'],
    ['a scalar', 'hello\n', '"hello"'],
    ['an empty file', '', 'null'],
    ['only a comment', '# nothing here\n', 'null'],
  ])(
    'given YAML that is %s rather than a mapping, when parsed, then it is refused at the start of the file',
    (_, text, given) => {
      expect(problemsOf(() => parseConfigText(text))).toEqual([
        `berth.yaml:1:1: (root): ${given} — a YAML mapping with prefix, azureDevOps, projects, ...`,
      ]);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Keys: unknown, removed, missing, wrong type
// ---------------------------------------------------------------------------------------------------------------

describe('unknown keys (typos)', () => {
  it('given a typo at the root, when parsed, then it is refused listing the keys allowed there', () => {
    const { problems, at } = refused(routed('', 'prefx: »berth'));

    expect(problems).toEqual([
      `${at[0]}: prefx: "berth" — no such key; expected one of: prefix, region, logRetentionDays, network, cluster, api, alerts, azureDevOps, projects`,
    ]);
  });

  it('given a typo in a project, when parsed, then it is refused listing the project keys', () => {
    const { problems, at } = refused(routed('pipline: »{ approval: true }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].pipline: {"approval":true} — no such key; expected one of: name, path, priority, repository, service, build, pipeline, alarms`,
    ]);
  });

  it('given a typo in a service, when parsed, then it is refused listing the service keys', () => {
    const { problems, at } = refused(routed('service: { memroy: »1024 }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.memroy: 1024 — no such key; expected one of: port, cpu, memory, memoryReservation, minCount, maxCount, healthCheckPath, healthCheck, scaling, stopTimeoutSeconds, environment, secrets, permissions, exec`,
    ]);
  });

  it.each([
    [
      'network',
      'network: { publicSubnet: »[10.0.1.0/24] }',
      '',
      'network.publicSubnet: ["10.0.1.0/24"]',
      'cidr, availabilityZoneIds, publicSubnets, privateSubnets',
    ],
    [
      'cluster',
      'cluster: { instancetype: »t3.small }',
      '',
      'cluster.instancetype: "t3.small"',
      'instanceType, minCapacity, maxCapacity, targetCapacityPercent, rootVolumeGiB',
    ],
    ['alerts', 'alerts: { email: »[a@example.com] }', '', 'alerts.email: ["a@example.com"]', 'emails, chat'],
    [
      'build',
      '',
      'build: { platform: »[linux/amd64] }',
      'projects[0].build.platform: ["linux/amd64"]',
      'dockerfile, context, args, platforms',
    ],
    [
      'pipeline',
      '',
      'pipeline: { testcommand: »make }',
      'projects[0].pipeline.testcommand: "make"',
      'testCommand, testImage, testCompute, approval, scanSeverity',
    ],
    [
      'healthCheck',
      '',
      'service: { healthCheck: { interval: »5 } }',
      'projects[0].service.healthCheck.interval: 5',
      'intervalSeconds, timeoutSeconds, healthyThreshold, unhealthyThreshold, gracePeriodSeconds, command',
    ],
    [
      'scaling',
      '',
      'service: { scaling: { cpu: »50 } }',
      'projects[0].service.scaling.cpu: 50',
      'cpuPercent, requestsPerTarget',
    ],
    [
      'alarms',
      '',
      'alarms: { cpu: »90 }',
      'projects[0].alarms.cpu: 90',
      'target5xxPerMinute, targetResponseTimeP99Seconds, cpuPercent, memoryPercent',
    ],
    ['api', 'api: { throttling: »{} }', '', 'api.throttling: {}', 'throttle, webhookThrottle, domain'],
  ])(
    'given a typo in %s, when parsed, then the allowed keys there are listed',
    (_, root, project, shown, allowed) => {
      const { problems, at } = refused(routed(project, root));

      expect(problems).toEqual([`${at[0]}: ${shown} — no such key; expected one of: ${allowed}`]);
    },
  );

  it('given a typo in the repository, when parsed, then the repository keys are listed', () => {
    const { problems, at } = refused(
      routed().replace('name: cash-collection }', 'name: cash-collection, brach: »release }'),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].repository.brach: "release" — no such key; expected one of: project, name, branch, id`,
    ]);
  });

  it('given a typo in the Azure DevOps settings, when parsed, then the allowed keys there are listed', () => {
    const { problems, at } = refused(
      routed().replace('organization: my-org', 'organization: my-org\n  apiversion: »"7.0"'),
    );

    expect(problems).toEqual([
      `${at[0]}: azureDevOps.apiversion: "7.0" — no such key; expected one of: organization, url, apiVersion, allowInsecureHttp, caCertificateParameter`,
    ]);
  });
});

describe('desiredCount (removed)', () => {
  it('given desiredCount in a seed project, when loaded, then it is refused with what to do instead', () => {
    const { problems, at } = refused(
      seedWith([
        '      minCount: 2\n      maxCount: 6\n      healthCheckPath: /api/poultry',
        '      minCount: 2\n      desiredCount: »4\n      maxCount: 6\n      healthCheckPath: /api/poultry',
      ]),
    );

    expect(problems).toEqual([`${at[0]}: projects[1].service.desiredCount: 4 — ${MIGRATION}`]);
  });

  it.each([1, 2, 6, 9])(
    'given desiredCount %i, in range or not, when parsed, then the same migration message is given (no range check)',
    (n) => {
      const { problems, at } = refused(routed(`service: { desiredCount: »${n} }`));

      expect(problems).toEqual([`${at[0]}: projects[0].service.desiredCount: ${n} — ${MIGRATION}`]);
    },
  );
});

describe('missing required keys', () => {
  it('given no azureDevOps.organization, when parsed, then it is required', () => {
    const { problems, at } = refused(`
      azureDevOps: »{}
      projects:
        - { name: cash-collection, path: /api/cash, priority: 10, repository: { project: Finance, name: cash-collection } }
    `);

    expect(problems).toEqual([
      `${at[0]}: azureDevOps.organization: (missing) — required: the Azure DevOps organization name`,
    ]);
  });

  it('given no projects, when parsed, then they are required', () => {
    const { problems, at } = refused('»azureDevOps: { organization: my-org }\n');

    expect(problems).toEqual([`${at[0]}: projects: (missing) — required: a list of projects`]);
  });

  it('given a project without a name, when parsed, then the name is required and what a name is is said', () => {
    const { problems, at } = refused(`
      azureDevOps: { organization: my-org }
      projects:
        - »path: /api/cash
          priority: 10
          repository: { project: Finance, name: cash-collection }
    `);

    expect(problems).toEqual([
      `${at[0]}: projects[0].name: (missing) — required: a DNS-safe project name: lower-case letters, digits and hyphens`,
    ]);
  });

  it('given a repository without its name, when parsed, then it is required', () => {
    const { problems, at } = refused(`
      azureDevOps: { organization: my-org }
      projects:
        - name: cash-collection
          path: /api/cash
          priority: 10
          repository: »{ project: Finance }
    `);

    expect(problems).toEqual([
      `${at[0]}: projects[0].repository.name: (missing) — required: the Azure DevOps repository name`,
    ]);
  });

  it('given a routed project without a priority, when parsed, then the priority is required', () => {
    const { problems, at } = refused(`
      azureDevOps: { organization: my-org }
      projects:
        - »name: cash-collection
          path: /api/cash
          repository: { project: Finance, name: cash-collection }
    `);

    expect(problems).toEqual([
      `${at[0]}: projects[0].priority: (missing) — required for a project with a path: the listener rule priority (1-50000), unique`,
    ]);
  });

  it('given a domain without its certificate, when parsed, then the certificate ARN is required', () => {
    const { problems, at } = refused(routed('', 'api: { domain: »{ name: api.example.com } }'));

    expect(problems).toEqual([
      `${at[0]}: api.domain.certificateArn: (missing) — required: an ACM certificate ARN`,
    ]);
  });
});

describe('wrong types', () => {
  it.each([
    [
      'a string for an integer',
      ['priority: 10', 'priority: »"10"'],
      'projects[0].priority: "10" — a listener rule priority: an integer from 1 to 50000',
    ],
    [
      'a string for a mapping',
      ['repository: { project: Finance, name: cash-collection }', 'repository: »cash-collection'],
      'projects[0].repository: "cash-collection" — a mapping',
    ],
    [
      'a fraction for an integer',
      ['', 'service: { cpu: »256.5 }'],
      'projects[0].service.cpu: 256.5 — CPU units (1024 = one vCPU): an integer from 128 to 16384',
    ],
    [
      'a string for true or false',
      ['', 'pipeline: { approval: »yes }'],
      'projects[0].pipeline.approval: "yes" — true or false',
    ],
    [
      'a number for a list',
      ['', 'service: { permissions: »5 }'],
      'projects[0].service.permissions: 5 — a list of IAM statements',
    ],
    [
      'a list for a mapping',
      ['', 'service: { environment: »[A, B] }'],
      'projects[0].service.environment: ["A","B"] — a mapping of environment variables (name: value)',
    ],
  ])(
    'given %s, when parsed, then what was given and what is expected are said',
    (_, [from, to], expected) => {
      const source = from === '' ? routed(to) : routed().replace(from, to);
      const { problems, at } = refused(source);

      expect(problems).toEqual([`${at[0]}: ${expected}`]);
    },
  );

  it('given a number where a list of projects is expected, when parsed, then it is refused', () => {
    const { problems, at } = refused('azureDevOps: { organization: my-org }\nprojects: »5\n');

    expect(problems).toEqual([`${at[0]}: projects: 5 — a list of projects`]);
  });

  it('given an empty list item where a project is expected, when parsed, then it is refused', () => {
    const { problems, at } = refused('azureDevOps: { organization: my-org }\nprojects:\n  -»\n');

    expect(problems).toEqual([`${at[0]}: projects[0]: null — a mapping`]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Projects: names, paths, uniqueness, count, workers
// ---------------------------------------------------------------------------------------------------------------

describe('project names', () => {
  it.each(['Cash', 'cash_collection', '-cash', 'cash-', '1cash', 'cash collection'])(
    'given the name %j, which is not DNS-safe, when parsed, then it is refused',
    (bad) => {
      const { problems, at } = refused(
        routed().replace('name: cash-collection\n', `name: »${JSON.stringify(bad)}\n`),
      );

      expect(problems).toEqual([
        `${at[0]}: projects[0].name: ${JSON.stringify(bad)} — a DNS-safe project name: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
      ]);
    },
  );

  it(`given a name that makes <prefix>-<name> longer than ${MAX_QUALIFIED_NAME_LENGTH} characters, when parsed, then it is refused with the length`, () => {
    const name = 'a'.repeat(MAX_QUALIFIED_NAME_LENGTH - 'berth-'.length + 1);
    const { problems, at } = refused(routed().replace('name: cash-collection\n', `name: »${name}\n`));

    expect(problems).toEqual([
      `${at[0]}: projects[0].name: "${name}" — a shorter name: "berth-${name}" is ${MAX_QUALIFIED_NAME_LENGTH + 1} characters and names built from <prefix>-<project> must fit in ${MAX_QUALIFIED_NAME_LENGTH}`,
    ]);
  });

  it(`given a name that makes <prefix>-<name> exactly ${MAX_QUALIFIED_NAME_LENGTH} characters, when parsed, then it is accepted`, () => {
    const name = 'a'.repeat(MAX_QUALIFIED_NAME_LENGTH - 'berth-'.length);
    expect(accepted(routed().replace('name: cash-collection\n', `name: ${name}\n`)).projects[0].name).toBe(
      name,
    );
  });

  it('given a longer prefix, when parsed, then it counts against the name', () => {
    const prefix = 'acme-platfrm';
    const name = 'a'.repeat(MAX_QUALIFIED_NAME_LENGTH - prefix.length);
    const { problems, at } = refused(
      routed('', `prefix: ${prefix}`).replace('name: cash-collection\n', `name: »${name}\n`),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].name: "${name}" — a shorter name: "${prefix}-${name}" is ${MAX_QUALIFIED_NAME_LENGTH + 1} characters and names built from <prefix>-<project> must fit in ${MAX_QUALIFIED_NAME_LENGTH}`,
    ]);
  });

  it.each([
    'network',
    'platform',
    'api',
    'alb',
    'webhook',
    'cluster',
    'nat',
    'nat-1',
    'nat-12',
    'pipeline-events',
    'alerts',
  ])(
    'given the reserved name %j (a shared stack or platform alarm), when parsed, then it is refused',
    (reserved) => {
      const { problems, at } = refused(routed().replace('name: cash-collection\n', `name: »${reserved}\n`));

      expect(problems).toEqual([
        `${at[0]}: projects[0].name: "${reserved}" — a name other than network, platform, api, alb, webhook, cluster, nat, pipeline-events, alerts or nat-<n> (used by the shared stacks and platform alarms)`,
      ]);
    },
  );

  it('given names that only contain reserved words (natural, api-gateway), when parsed, then they are accepted', () => {
    for (const name of ['natural', 'api-gateway', 'nat-x']) {
      expect(accepted(routed().replace('name: cash-collection\n', `name: ${name}\n`)).projects[0].name).toBe(
        name,
      );
    }
  });

  it('given a prefix longer than 12 characters, when parsed, then it is refused', () => {
    const { problems, at } = refused(routed('', 'prefix: »a-long-prefix'));

    expect(problems).toEqual([
      `${at[0]}: prefix: "a-long-prefix" — a DNS-safe prefix: at most 12 characters`,
    ]);
  });
});

describe('project paths', () => {
  it.each([
    ['a wildcard', '/api/cash/*'],
    ['an upper-case letter', '/api/Cash'],
    ['no /api prefix', '/cash'],
    ['two segments', '/api/a/b'],
    ['no segment', '/api/'],
    ['a trailing slash', '/api/cash/'],
  ])('given a path with %s (%s), when parsed, then only the path is reported', (_, bad) => {
    const { problems, at } = refused(routed().replace('path: /api/cash', `path: »${bad}`));

    expect(problems).toEqual([
      `${at[0]}: projects[0].path: "${bad}" — a path /api/<segment> with one lower-case segment (letters, digits, hyphens) and no wildcard`,
    ]);
  });
});

describe('uniqueness among projects', () => {
  const two = (second: string) => `
    azureDevOps: { organization: my-org }
    projects:
      - { name: cash-collection, path: /api/cash, priority: 10, repository: { project: Finance, name: cash-collection } }
      - ${second}
  `;

  it('given two projects with one name, when parsed, then the second is refused naming the first', () => {
    const { problems, at } = refused(
      two(
        '{ name: »cash-collection, path: /api/other, priority: 20, repository: { project: Sales, name: x } }',
      ),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[1].name: "cash-collection" — a name unique among projects (projects[0] has it already)`,
    ]);
  });

  it('given two projects with one path, when parsed, then the second is refused naming the first', () => {
    const { problems, at } = refused(
      two('{ name: other, path: »/api/cash, priority: 20, repository: { project: Sales, name: x } }'),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[1].path: "/api/cash" — a path unique among projects (projects[0] has it already)`,
    ]);
  });

  it('given two projects with one priority, when parsed, then the second is refused naming the first', () => {
    const { problems, at } = refused(
      two('{ name: other, path: /api/other, priority: »10, repository: { project: Sales, name: x } }'),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[1].priority: 10 — a priority unique among projects (projects[0] has it already)`,
    ]);
  });

  it('given a third project repeating the first, when parsed, then it is reported against the first', () => {
    const { problems, at } = refused(`
      azureDevOps: { organization: my-org }
      projects:
        - { name: a, path: /api/a, priority: 10, repository: { project: P, name: a } }
        - { name: b, path: /api/b, priority: 20, repository: { project: P, name: b } }
        - { name: c, path: /api/c, priority: »10, repository: { project: P, name: c } }
    `);

    expect(problems).toEqual([
      `${at[0]}: projects[2].priority: 10 — a priority unique among projects (projects[0] has it already)`,
    ]);
  });
});

describe('project count', () => {
  it('given 101 projects, more than one ALB can hold, when parsed, then the list is refused saying how many it has', () => {
    const { problems, at } = refused(manyProjects(101).replace('projects:\n  ', 'projects:\n  »'));

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `^${at[0]}: projects: 101 items \\[.*\\.\\.\\. — at most 100 projects: one ALB listener holds 100 rules and target groups$`,
      ),
    );
  });

  it('given an empty project list, when parsed, then at least one is asked for', () => {
    const { problems, at } = refused('azureDevOps: { organization: my-org }\nprojects: »[]\n');

    expect(problems).toEqual([`${at[0]}: projects: [] — at least one project`]);
  });
});

describe('workers (projects without a path)', () => {
  it('given a worker with a container health-check command and a port, when parsed, then they are kept', () => {
    const [project] = accepted(
      worker('service: { port: 9000, healthCheck: { command: "test -f /tmp/alive" } }'),
    ).projects;

    expect(project.service.port).toBe(9000);
    expect(project.service.healthCheck.command).toBe('test -f /tmp/alive');
  });

  it('given a worker with a priority, an HTTP health-check path and request scaling, when parsed, then each is refused saying workers have none', () => {
    const { problems, at } = refused(
      worker(`
        priority: »5
        service: { healthCheckPath: »/health, scaling: { cpuPercent: 50, requestsPerTarget: »100 } }
      `),
    );

    expectProblems(problems, [
      `${at[0]}: projects[0].priority: 5 — no priority: a project without a path is a worker and has no listener rule`,
      `${at[1]}: projects[0].service.healthCheckPath: "/health" — no HTTP health check path on a worker (no path); use service.healthCheck.command`,
      `${at[2]}: projects[0].service.scaling.requestsPerTarget: 100 — no request-count scaling on a worker: it gets no requests; scale on cpuPercent`,
    ]);
  });

  it('given a worker beside routed projects, when parsed, then path and priority uniqueness ignore it', () => {
    const config = accepted(`
      azureDevOps: { organization: my-org }
      projects:
        - { name: cash-collection, path: /api/cash, priority: 10, repository: { project: Finance, name: cash-collection } }
        - { name: mailer, repository: { project: Finance, name: mailer } }
        - { name: indexer, repository: { project: Finance, name: indexer } }
    `);

    expect(config.projects.map((p) => [p.name, p.path, p.priority])).toEqual([
      ['cash-collection', '/api/cash', 10],
      ['mailer', undefined, undefined],
      ['indexer', undefined, undefined],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Region, zones, network
// ---------------------------------------------------------------------------------------------------------------

describe('region', () => {
  it.each(['us-gov-west-1', 'us-gov-east-1', 'cn-north-1'])(
    'given %s, outside the aws partition, when parsed, then it is refused naming its partition and the regions to choose from',
    (region) => {
      const { problems, at } = refused(routed('', `region: »${region}`));
      const partition = region.startsWith('cn-') ? 'aws-cn' : 'aws-us-gov';

      expect(problems).toEqual([
        `${at[0]}: region: "${region}" — a region of the standard aws partition: ${region} is in ${partition}, where Berth's policies and prices do not apply; choose one of ${SUPPORTED_REGIONS.join(', ')}`,
      ]);
    },
  );

  it.each(['US-East-1', 'useast1', 'us-east-3', 'eu-south-1', 'af-south-1'])(
    'given %j, not a region where HTTP API VPC links work, when parsed, then it is refused listing the supported regions',
    (region) => {
      const { problems, at } = refused(routed('', `region: »${region}`));

      expect(problems).toEqual([
        `${at[0]}: region: "${region}" — a region where Berth runs (HTTP API VPC links in the aws partition): ${SUPPORTED_REGIONS.join(', ')}`,
      ]);
    },
  );

  it('given a region that is not a string, when parsed, then an AWS region is asked for', () => {
    const { problems, at } = refused(routed('', 'region: »1'));

    expect(problems).toEqual([`${at[0]}: region: 1 — an AWS region such as us-east-1`]);
  });
});

describe('network.availabilityZoneIds', () => {
  it.each(SUPPORTED_REGIONS)(
    'given region %s and no zone IDs, when parsed, then the zones are the first two the guide lists there',
    (region) => {
      const config = accepted(routed('', `region: ${region}`));

      expect(config.network.availabilityZoneIds).toEqual(VPC_LINK_ZONE_IDS[region].slice(0, 2));
      expect(config.network.availabilityZoneIds).toEqual(defaultZoneIds(region));
    },
  );

  it('given two supported zone IDs in either order, when parsed, then they are kept as AZ-a and AZ-b', () => {
    const [, second, , fourth] = VPC_LINK_ZONE_IDS['us-east-1'];
    const config = accepted(routed('', `network: { availabilityZoneIds: [${fourth}, ${second}] }`));

    expect(config.network.availabilityZoneIds).toEqual([fourth, second]);
  });

  it('given a zone of the region where HTTP API VPC links do not work, when parsed, then it is refused listing the ones that do', () => {
    const { problems, at } = refused(routed('', 'network: { availabilityZoneIds: [»use1-az3, use1-az1] }'));

    expect(problems).toEqual([
      `${at[0]}: network.availabilityZoneIds[0]: "use1-az3" — an Availability Zone ID of us-east-1 where HTTP API VPC links work: ${VPC_LINK_ZONE_IDS['us-east-1'].join(', ')}`,
    ]);
  });

  it("given a new region with the old region's zone IDs, when parsed, then both are refused for the new region", () => {
    const { problems, at } = refused(
      routed('', 'region: eu-west-1\nnetwork: { availabilityZoneIds: [»use1-az1, »use1-az2] }'),
    );
    const expected = `an Availability Zone ID of eu-west-1 where HTTP API VPC links work: ${VPC_LINK_ZONE_IDS['eu-west-1'].join(', ')}`;

    expect(problems).toEqual([
      `${at[0]}: network.availabilityZoneIds[0]: "use1-az1" — ${expected}`,
      `${at[1]}: network.availabilityZoneIds[1]: "use1-az2" — ${expected}`,
    ]);
  });

  it('given a zone name instead of a zone ID, when parsed, then it is refused', () => {
    const { problems, at } = refused(routed('', 'network: { availabilityZoneIds: [»us-east-1a, use1-az2] }'));

    expect(problems).toEqual([
      `${at[0]}: network.availabilityZoneIds[0]: "us-east-1a" — an Availability Zone ID of us-east-1 where HTTP API VPC links work: ${VPC_LINK_ZONE_IDS['us-east-1'].join(', ')}`,
    ]);
  });

  it('given the same zone twice, when parsed, then the second is refused (two zones)', () => {
    const { problems, at } = refused(routed('', 'network: { availabilityZoneIds: [use1-az1, »use1-az1] }'));

    expect(problems).toEqual([
      `${at[0]}: network.availabilityZoneIds[1]: "use1-az1" — a zone other than use1-az1: the two must differ`,
    ]);
  });

  it.each([
    ['one zone', '[use1-az1]', '["use1-az1"]'],
    ['three zones', '[use1-az1, use1-az2, use1-az4]', '["use1-az1","use1-az2","use1-az4"]'],
  ])('given %s, when parsed, then exactly two are asked for', (_, list, given) => {
    const { problems, at } = refused(routed('', `network: { availabilityZoneIds: »${list} }`));

    expect(problems).toEqual([
      `${at[0]}: network.availabilityZoneIds: ${given} — exactly two Availability Zone IDs, AZ-a then AZ-b`,
    ]);
  });

  it('given a zone that is not a string, when parsed, then a zone ID is asked for', () => {
    const { problems, at } = refused(routed('', 'network: { availabilityZoneIds: [»1, use1-az2] }'));

    expect(problems).toEqual([
      `${at[0]}: network.availabilityZoneIds[0]: 1 — an Availability Zone ID such as use1-az1`,
    ]);
  });
});

describe('network subnets', () => {
  it('given a subnet outside the VPC, when parsed, then it is refused naming the VPC CIDR', () => {
    const { problems, at } = refused(routed('', 'network: { publicSubnets: [»10.1.1.0/24, 10.0.2.0/24] }'));

    expect(problems).toEqual([
      `${at[0]}: network.publicSubnets[0]: "10.1.1.0/24" — a subnet inside the VPC CIDR 10.0.0.0/16`,
    ]);
  });

  it('given a private subnet overlapping a public one, when parsed, then it is refused naming the one it overlaps', () => {
    const { problems, at } = refused(routed('', 'network: { privateSubnets: [»10.0.1.0/24, 10.0.11.0/24] }'));

    expect(problems).toEqual([
      `${at[0]}: network.privateSubnets[0]: "10.0.1.0/24" — a subnet that does not overlap 10.0.1.0/24 (network.publicSubnets.0)`,
    ]);
  });

  it('given overlapping subnets in one tier, when parsed, then the second is refused', () => {
    const { problems, at } = refused(routed('', 'network: { publicSubnets: [10.0.1.0/24, »10.0.1.128/25] }'));

    expect(problems).toEqual([
      `${at[0]}: network.publicSubnets[1]: "10.0.1.128/25" — a subnet that does not overlap 10.0.1.0/24 (network.publicSubnets.0)`,
    ]);
  });

  it('given another VPC CIDR with the default subnets, when parsed, then every default subnet outside it is refused', () => {
    const { problems, at } = refused(routed('', 'network: »{ cidr: 10.1.0.0/16 }'));

    expect(problems).toEqual(
      [
        'publicSubnets[0]: "10.0.1.0/24"',
        'publicSubnets[1]: "10.0.2.0/24"',
        'privateSubnets[0]: "10.0.10.0/24"',
        'privateSubnets[1]: "10.0.11.0/24"',
      ].map((s) => `${at[0]}: network.${s} — a subnet inside the VPC CIDR 10.1.0.0/16`),
    );
  });

  it.each([
    ['one subnet', 'publicSubnets', '[10.0.1.0/24]', '["10.0.1.0/24"]'],
    [
      'three subnets',
      'privateSubnets',
      '[10.0.10.0/24, 10.0.11.0/24, 10.0.12.0/24]',
      '["10.0.10.0/24","10.0.11.0/24","10.0.12.0/24"]',
    ],
  ])('given %s in a tier, when parsed, then exactly two are asked for', (_, tier, list, given) => {
    const { problems, at } = refused(routed('', `network: { ${tier}: »${list} }`));

    expect(problems).toEqual([
      `${at[0]}: network.${tier}: ${given} — exactly two subnets, one per Availability Zone (AZ-a, AZ-b)`,
    ]);
  });

  it.each([
    [
      'host bits set',
      'publicSubnets: [»10.0.1.5/24, 10.0.2.0/24]',
      'network.publicSubnets[0]',
      '10.0.1.5/24',
    ],
    ['three octets', 'cidr: »10.0.0/16', 'network.cidr', '10.0.0/16'],
    ['an octet above 255', 'cidr: »300.0.0.0/16', 'network.cidr', '300.0.0.0/16'],
    [
      'no prefix length',
      'privateSubnets: [10.0.10.0/24, »10.0.11.0]',
      'network.privateSubnets[1]',
      '10.0.11.0',
    ],
  ])(
    'given a CIDR with %s, when parsed, then only that is reported (the checks that would read it are skipped)',
    (_, line, shown, bad) => {
      const { problems, at } = refused(routed('', `network: { ${line} }`));

      expect(problems).toEqual([
        `${at[0]}: ${shown}: "${bad}" — an IPv4 CIDR such as 10.0.0.0/16, with no host bits set`,
      ]);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Cluster: instance type, capacity, task fit, architecture
// ---------------------------------------------------------------------------------------------------------------

describe('cluster', () => {
  it.each(['C5.large', 'c5', 'c5.', 'large'])(
    'given the instance type %j, when parsed, then an EC2 instance type is asked for',
    (bad) => {
      const { problems, at } = refused(routed('', `cluster: { instanceType: »${bad} }`));

      expect(problems).toEqual([
        `${at[0]}: cluster.instanceType: "${bad}" — an EC2 instance type such as c5.large`,
      ]);
    },
  );

  it('given minCapacity above maxCapacity, when parsed, then minCapacity is refused naming the maximum', () => {
    const { problems, at } = refused(routed('', 'cluster: { minCapacity: »5 }'));

    expect(problems).toEqual([`${at[0]}: cluster.minCapacity: 5 — at most maxCapacity (4)`]);
  });

  it('given a root volume below what the ECS AMI needs, when parsed, then it is refused', () => {
    const { problems, at } = refused(routed('', 'cluster: { rootVolumeGiB: »20 }'));

    expect(problems).toEqual([
      `${at[0]}: cluster.rootVolumeGiB: 20 — a root volume size in GiB (the ECS AMI needs 30): an integer from 30 to 1024`,
    ]);
  });
});

describe('a task must fit on one host', () => {
  const hostCpu = HOST_FACTS.vcpus * 1024;
  const hostMemory = taskMemoryMiB(HOST_FACTS);

  it(`given a task of exactly one ${HOST} host (cpu ${hostCpu}, memory ${hostMemory}), when parsed, then it is accepted`, () => {
    const [project] = accepted(routed(`service: { cpu: ${hostCpu}, memory: ${hostMemory} }`)).projects;

    expect(project.service).toMatchObject({ cpu: hostCpu, memory: hostMemory });
  });

  it(`given a task one unit larger than a ${HOST} host, when parsed, then cpu and memory are refused naming the limits and the fix`, () => {
    const { problems, at } = refused(routed(`service: { cpu: »${hostCpu + 1}, memory: »${hostMemory + 1} }`));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.cpu: ${hostCpu + 1} — at most ${hostCpu} CPU units: a task must fit on one ${HOST} host (${HOST_FACTS.vcpus} vCPUs); choose a larger cluster.instanceType`,
      `${at[1]}: projects[0].service.memory: ${hostMemory + 1} — at most ${hostMemory} MiB: a task must fit on one ${HOST} host (about ${hostMemory} MiB for tasks); choose a larger cluster.instanceType`,
    ]);
  });

  it("given the docs' example memory 8192 on the default host, when parsed, then it is refused", () => {
    const { problems, at } = refused(routed('service: { memory: »8192 }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.memory: 8192 — at most ${hostMemory} MiB: a task must fit on one ${HOST} host (about ${hostMemory} MiB for tasks); choose a larger cluster.instanceType`,
    ]);
  });

  it('given a larger instance type, when parsed, then the larger task fits', () => {
    const big = instanceFacts('m5.xlarge')!;
    const config = accepted(
      routed(
        `service: { cpu: ${big.vcpus * 1024}, memory: ${taskMemoryMiB(big)} }`,
        'cluster: { instanceType: m5.xlarge }',
      ),
    );

    expect(config.projects[0].service.cpu).toBe(big.vcpus * 1024);
  });

  it('given an instance type Berth has no facts for, when parsed, then it is accepted without a fit check', () => {
    expect(instanceFacts('x9.huge')).toBeUndefined();
    const config = accepted(
      routed('service: { cpu: 16384, memory: 100000 }', 'cluster: { instanceType: x9.huge }'),
    );

    expect(config.cluster.instanceType).toBe('x9.huge');
  });
});

describe('host architecture and build.platforms', () => {
  it('given the default platforms (both), when the hosts move to Graviton, then the config is accepted', () => {
    const config = accepted(routed('', 'cluster: { instanceType: c6g.large }'));

    expect(config.projects[0].build.platforms).toEqual(Object.keys(IMAGE_PLATFORMS));
  });

  it('given a project built only for linux/amd64, when the hosts are Graviton, then its platforms are refused with the steps to move', () => {
    const { problems, at } = refused(
      routed('build: { platforms: »[linux/amd64] }', 'cluster: { instanceType: c6g.large }'),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].build.platforms: ["linux/amd64"] — a list that includes linux/arm64, the architecture of the c6g.large hosts. ${STEPS}`,
    ]);
  });

  it('given a project built only for linux/arm64, when the hosts are x86, then its platforms are refused', () => {
    const { problems, at } = refused(routed('build: { platforms: »[linux/arm64] }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].build.platforms: ["linux/arm64"] — a list that includes linux/amd64, the architecture of the ${HOST} hosts. ${STEPS}`,
    ]);
  });

  it('given a project built only for the hosts’ own platform, when parsed, then it is accepted', () => {
    expect(
      accepted(routed('build: { platforms: [linux/arm64] }', 'cluster: { instanceType: t4g.medium }'))
        .projects[0].build.platforms,
    ).toEqual(['linux/arm64']);
  });

  it('given a platform twice, when parsed, then repeats are refused', () => {
    const { problems, at } = refused(routed('build: { platforms: »[linux/amd64, linux/amd64] }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].build.platforms: ["linux/amd64","linux/amd64"] — a list without repeats`,
    ]);
  });

  it('given an unknown platform, when parsed, then the known ones are listed', () => {
    const { problems, at } = refused(routed('build: { platforms: [»linux/386] }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].build.platforms[0]: "linux/386" — one of ${Object.keys(IMAGE_PLATFORMS).join(', ')}`,
    ]);
  });

  it('given no platform, when parsed, then at least one is asked for', () => {
    const { problems, at } = refused(routed('build: { platforms: »[] }'));

    expect(problems).toEqual([`${at[0]}: projects[0].build.platforms: [] — at least one platform`]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------------------------

describe('service counts, memory and timing', () => {
  it('given minCount above maxCount, when parsed, then minCount is refused naming the maximum', () => {
    const { problems, at } = refused(routed('service: { minCount: »7, maxCount: 6 }'));

    expect(problems).toEqual([`${at[0]}: projects[0].service.minCount: 7 — at most maxCount (6)`]);
  });

  it('given minCount above the default maxCount, when parsed, then the default is checked too', () => {
    const { problems, at } = refused(routed('service: { minCount: »8 }'));

    expect(problems).toEqual([`${at[0]}: projects[0].service.minCount: 8 — at most maxCount (6)`]);
  });

  it('given minCount 0, when parsed, then it is accepted (a service may scale to nothing)', () => {
    expect(accepted(routed('service: { minCount: 0 }')).projects[0].service.minCount).toBe(0);
  });

  it('given a memory reservation above the hard limit, when parsed, then it is refused naming the limit', () => {
    const { problems, at } = refused(routed('service: { memory: 1024, memoryReservation: »2048 }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.memoryReservation: 2048 — at most the hard limit memory (1024)`,
    ]);
  });

  it('given a memory reservation equal to the hard limit, when parsed, then it is accepted', () => {
    expect(
      accepted(routed('service: { memory: 1024, memoryReservation: 1024 }')).projects[0].service
        .memoryReservation,
    ).toBe(1024);
  });

  it.each([
    [1, false],
    [2, true],
    [120, true],
    [121, false],
  ])('given stopTimeoutSeconds %i, when parsed, then it is accepted only from 2 to 120', (seconds, ok) => {
    const source = routed(`service: { stopTimeoutSeconds: »${seconds} }`);
    if (ok) {
      expect(accepted(source).projects[0].service.stopTimeoutSeconds).toBe(seconds);
    } else {
      const { problems, at } = refused(source);
      expect(problems).toEqual([
        `${at[0]}: projects[0].service.stopTimeoutSeconds: ${seconds} — seconds between SIGTERM and SIGKILL: an integer from 2 to 120`,
      ]);
    }
  });

  it('given exec that is not true or false, when parsed, then it is refused', () => {
    const { problems, at } = refused(routed('service: { exec: »"yes" }'));

    expect(problems).toEqual([`${at[0]}: projects[0].service.exec: "yes" — true or false`]);
  });
});

describe('service health checks', () => {
  it.each(['/health', '/api/cashier/health'])(
    'given the health-check path %j outside the project path, when parsed, then it is refused',
    (bad) => {
      const { problems, at } = refused(routed(`service: { healthCheckPath: »${bad} }`));

      expect(problems).toEqual([
        `${at[0]}: projects[0].service.healthCheckPath: "${bad}" — a path under /api/cash/: the app serves under BASE_PATH (/api/cash), and Verify reaches it through the load balancer`,
      ]);
    },
  );

  it.each(['/api/cash', '/api/cash/ready', '/api/cash/v1/health'])(
    'given the health-check path %j at or under the project path, when parsed, then it is accepted',
    (ok) => {
      expect(
        accepted(routed(`service: { healthCheckPath: ${ok} }`)).projects[0].service.healthCheckPath,
      ).toBe(ok);
    },
  );

  it('given a health-check timeout not below the interval, when parsed, then the timeout is refused naming the interval', () => {
    const { problems, at } = refused(
      routed('service: { healthCheck: { intervalSeconds: 10, timeoutSeconds: »10 } }'),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.healthCheck.timeoutSeconds: 10 — less than intervalSeconds (10)`,
    ]);
  });

  it('given a health-check timeout above the default interval, when parsed, then the default interval is named', () => {
    const { problems, at } = refused(routed('service: { healthCheck: { timeoutSeconds: »20 } }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.healthCheck.timeoutSeconds: 20 — less than intervalSeconds (10)`,
    ]);
  });

  it.each([
    ['intervalSeconds', 4, 'seconds between health checks: an integer from 5 to 300'],
    ['intervalSeconds', 301, 'seconds between health checks: an integer from 5 to 300'],
    ['timeoutSeconds', 1, 'seconds a health check may take: an integer from 2 to 120'],
    ['healthyThreshold', 1, 'passed checks before a task is healthy: an integer from 2 to 10'],
    ['unhealthyThreshold', 11, 'failed checks before a task is unhealthy: an integer from 2 to 10'],
    [
      'gracePeriodSeconds',
      -1,
      'seconds a new task is not judged by health checks: an integer from 0 to 2147483647',
    ],
  ])('given healthCheck.%s %i, when parsed, then the range is said', (key, value, expected) => {
    const { problems, at } = refused(routed(`service: { healthCheck: { ${key}: »${value} } }`));

    expect(problems).toEqual([`${at[0]}: projects[0].service.healthCheck.${key}: ${value} — ${expected}`]);
  });

  it('given an empty health-check command, when parsed, then a non-empty command is asked for', () => {
    const { problems, at } = refused(routed('service: { healthCheck: { command: »"" } }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.healthCheck.command: "" — a non-empty shell command`,
    ]);
  });
});

describe('service scaling', () => {
  it.each([
    ['cpuPercent', 0, 'a percentage from 1 to 100'],
    ['cpuPercent', 101, 'a percentage from 1 to 100'],
    ['requestsPerTarget', 0, 'requests per task per minute: an integer from 1 to 1000000'],
    ['requestsPerTarget', 1.5, 'requests per task per minute: an integer from 1 to 1000000'],
  ])('given scaling.%s %d, when parsed, then the range is said', (key, value, expected) => {
    const { problems, at } = refused(routed(`service: { scaling: { ${key}: »${value} } }`));

    expect(problems).toEqual([`${at[0]}: projects[0].service.scaling.${key}: ${value} — ${expected}`]);
  });

  it('given only a CPU target, when parsed, then request scaling keeps its default', () => {
    expect(accepted(routed('service: { scaling: { cpuPercent: 50 } }')).projects[0].service.scaling).toEqual({
      cpuPercent: 50,
      requestsPerTarget: 1000,
    });
  });
});

describe('service environment', () => {
  const RESERVED = `a name Berth does not set itself (${RESERVED_ENVIRONMENT.join(', ')}, ${RESERVED_ENVIRONMENT_PREFIXES.map((x) => `${x}*`).join(', ')})`;

  it.each([...RESERVED_ENVIRONMENT, ...RESERVED_ENVIRONMENT_PREFIXES.map((x) => `${x}REGION`)])(
    'given the variable %s, which Berth or AWS sets, when parsed, then it is refused',
    (name) => {
      const { problems, at } = refused(routed(`service: { environment: { ${name}: »"x" } }`));

      expect(problems).toEqual([
        `${at[0]}: projects[0].service.environment.${name}: "${name}" — ${RESERVED}`,
      ]);
    },
  );

  it('given the reserved names, when listed, then they include what the container is told about itself', () => {
    expect(RESERVED_ENVIRONMENT).toEqual(expect.arrayContaining(['PORT', 'BASE_PATH']));
    expect(RESERVED_ENVIRONMENT_PREFIXES).toEqual(expect.arrayContaining(['AWS_', 'ECS_']));
  });

  it.each(['1X', 'MY-VAR', 'MY VAR'])(
    'given the variable name %j, when parsed, then a variable name is asked for',
    (name) => {
      const { problems, at } = refused(routed(`service: { environment: { "${name}": »x } }`));

      expect(problems).toEqual([
        `${at[0]}: projects[0].service.environment.${name}: "${name}" — a variable name of letters, digits and _ that does not start with a digit`,
      ]);
    },
  );

  it('given a number or a boolean as a value, when parsed, then quoting is asked for', () => {
    const { problems, at } = refused(routed('service: { environment: { WORKERS: »4, DEBUG: »true } }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.environment.WORKERS: 4 — environment variables (name: value): a string (quote numbers and booleans)`,
      `${at[1]}: projects[0].service.environment.DEBUG: true — environment variables (name: value): a string (quote numbers and booleans)`,
    ]);
  });

  it('given one name both plain and secret, when parsed, then the plain one is refused', () => {
    const { problems, at } = refused(
      routed('service: { environment: { DB_PASSWORD: »x }, secrets: { DB_PASSWORD: db-password } }'),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.environment.DB_PASSWORD: "DB_PASSWORD" — a name that is not also in service.secrets (a variable is either plain or secret)`,
    ]);
  });
});

describe('service secrets', () => {
  const appSecret = projectNames({ prefix: 'berth' }, { name: 'cash-collection' }).appSecret;

  it('given keys of the app secret, when parsed, then they are kept by variable name', () => {
    expect(
      accepted(routed('service: { secrets: { DB_PASSWORD: db-password, API_KEY: stripe.api_key-2 } }'))
        .projects[0].service.secrets,
    ).toEqual({
      DB_PASSWORD: 'db-password',
      API_KEY: 'stripe.api_key-2',
    });
  });

  it.each([
    [
      "another secret's ARN (the docs' example)",
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:other',
    ],
    ["another project's secret by name", 'berth/poultry-sale/app'],
    ['a key of a JSON secret with a colon', 'other:password'],
  ])('given %s, when parsed, then it is refused: only keys of the project’s own app secret', (_, key) => {
    const { problems, at } = refused(routed(`service: { secrets: { DB: »"${key}" } }`));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.secrets.DB: "${key}" — a key of the project's own app secret (${appSecret}), such as db-password; a secret outside the project cannot be referenced`,
    ]);
  });

  it.each(['db password', '', 'k'.repeat(129), 'pässword'])(
    'given the key %j, when parsed, then the allowed characters are said',
    (key) => {
      const { problems, at } = refused(routed(`service: { secrets: { DB: »"${key}" } }`));
      const given = key.length > 78 ? cut(key) : JSON.stringify(key);

      expect(problems).toEqual([
        `${at[0]}: projects[0].service.secrets.DB: ${given} — a key of the project's app secret: letters, digits, _, - and . (at most 128)`,
      ]);
    },
  );

  it('given a key of 128 characters, when parsed, then it is accepted', () => {
    const key = 'k'.repeat(128);
    expect(accepted(routed(`service: { secrets: { DB: ${key} } }`)).projects[0].service.secrets.DB).toBe(key);
  });

  it('given a reserved variable name for a secret, when parsed, then it is refused', () => {
    const { problems, at } = refused(routed('service: { secrets: { AWS_SECRET_ACCESS_KEY: »aws-key } }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.secrets.AWS_SECRET_ACCESS_KEY: "AWS_SECRET_ACCESS_KEY" — a name Berth does not set itself (PORT, BASE_PATH, BERTH_PROJECT, AWS_*, ECS_*)`,
    ]);
  });
});

describe('service permissions', () => {
  const OUTSIDE_BERTH =
    "a resource outside Berth's own (berth/..., /berth/..., berth-...): the platform and other projects are off limits, and the app secret reaches the task through service.secrets";

  it("given another project's app secret (the docs' example), when parsed, then the resource is refused where it is", () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:berth/poultry-sale/app-AbCdEf';
    const { problems, at } = refused(
      routed(
        `service:\n  permissions:\n    - actions: [secretsmanager:GetSecretValue]\n      resources: [»"${arn}"]`,
      ),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.permissions[0].resources[0]: ${cut(arn)} — ${OUTSIDE_BERTH}`,
    ]);
  });

  it('given a project added in the same file, when another project asks for its repository, then it is refused', () => {
    const arn = 'arn:aws:ecr:us-east-1:123456789012:repository/berth/mailer';
    const { problems, at } = refused(`
      azureDevOps: { organization: my-org }
      projects:
        - name: cash-collection
          path: /api/cash
          priority: 10
          repository: { project: Finance, name: cash-collection }
          service: { permissions: [{ actions: [ecr:BatchGetImage], resources: [»"${arn}"] }] }
        - { name: mailer, repository: { project: Finance, name: mailer } }
    `);

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.permissions[0].resources[0]: "${arn}" — ${OUTSIDE_BERTH}`,
    ]);
  });

  it('given another prefix, when the same ARN is asked for, then it is not Berth’s and is accepted', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:berth/poultry-sale/app-AbCdEf';
    const config = accepted(
      routed(
        `service: { permissions: [{ actions: [secretsmanager:GetSecretValue], resources: ["${arn}"] }] }`,
        'prefix: acme',
      ),
    );

    expect(config.projects[0].service.permissions[0].resources).toEqual([arn]);
  });

  it('given problems in two statements, when parsed, then each is reported at its action or resource', () => {
    const { problems, at } = refused(
      routed(`
        service:
          permissions:
            - actions: [s3:GetObject, »iam:PassRole]
              resources: ["arn:aws:s3:::cash-reports/*"]
            - actions: [dynamodb:Query]
              resources: [»"*", »ledger]
      `),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.permissions[0].actions[1]: "iam:PassRole" — an action outside iam:, organizations:, sso:, identitystore: and not "*": identities and policies are managed by Berth`,
      `${at[1]}: projects[0].service.permissions[1].resources[0]: "*" — the ARNs of the resources the service needs: "*" is allowed only for ${WILDCARD_RESOURCE_ACTIONS.join(', ')}`,
      `${at[2]}: projects[0].service.permissions[1].resources[1]: "ledger" — a resource ARN (arn:aws:<service>:<region>:<account>:<resource>)`,
    ]);
  });

  it('given metrics on "*", when parsed, then it is accepted', () => {
    const config = accepted(
      routed('service: { permissions: [{ actions: [cloudwatch:PutMetricData], resources: ["*"] }] }'),
    );

    expect(config.projects[0].service.permissions).toEqual([
      { actions: ['cloudwatch:PutMetricData'], resources: ['*'] },
    ]);
  });

  it('given a malformed action and empty resources, when parsed, then each is refused', () => {
    const { problems, at } = refused(
      routed('service: { permissions: [{ actions: [»GetObject], resources: »[] }] }'),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.permissions[0].actions[0]: "GetObject" — an IAM action such as s3:GetObject`,
      `${at[1]}: projects[0].service.permissions[0].resources: [] — at least one resource ARN`,
    ]);
  });

  it('given a command on the hosts and a role assumption, when parsed, then each action is refused where it is, saying what is allowed', () => {
    const { problems, at } = refused(
      routed(`
        service:
          permissions:
            - actions: [s3:GetObject, »ssm:SendCommand]
              resources: ["arn:aws:ec2:*:*:instance/i-*"]
            - actions: [»sts:AssumeRole]
              resources: ["arn:aws:iam::123456789012:role/cdk-hnb659fds-*"]
      `),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.permissions[0].actions[1]: "ssm:SendCommand" — an ssm parameter action (ssm:GetParameter*, ssm:DescribeParameters, ssm:PutParameter, ssm:DeleteParameter*, ssm:LabelParameterVersion or ssm:UnlabelParameterVersion) on a parameter outside Berth's: other ssm actions run commands, sessions or automations on Berth's hosts (ssm:SendCommand, ssm:StartSession, ssm:StartAutomationExecution, ssm:CreateAssociation, ...) or manage them`,
      `${at[1]}: projects[0].service.permissions[1].actions[0]: "sts:AssumeRole" — an sts action that only reads the task's own identity (sts:GetCallerIdentity, sts:GetAccessKeyInfo, sts:GetSessionToken, sts:DecodeAuthorizationMessage, sts:GetServiceBearerToken, sts:GetWebIdentityToken or sts:TagGetWebIdentityToken): assuming a role (sts:AssumeRole*) or federating takes on another identity, and CDK's bootstrap roles trust the whole account`,
    ]);
  });

  it('given ecs:* and a key named by a wildcard, when parsed, then the action and the key are refused where they are', () => {
    const { problems, at } = refused(
      routed(`
        service:
          permissions:
            - actions: [»"ecs:*"]
              resources: ["arn:aws:ecs:*:*:task-definition/evil:*"]
            - actions: [kms:Decrypt]
              resources: [»"arn:aws:kms:us-east-1:123456789012:key/1*"]
      `),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.permissions[0].actions[0]: "ecs:*" — an action outside the platform's services (ecs:, ec2-instance-connect:, ssmmessages:, ec2messages:, ssm-guiconnect:, ssm-quicksetup:, cloudformation:, codebuild:, codepipeline:): Berth's cluster, hosts, stacks and pipelines are the platform's (a task on the shared hosts, a shell on them or a deploy reaches every project)`,
      `${at[1]}: projects[0].service.permissions[1].resources[0]: "arn:aws:kms:us-east-1:123456789012:key/1*" — a full key ARN with its key id (arn:aws:kms:<region>:<account>:key/<key-id>, no wildcard) or an alias ARN outside alias/aws/: Berth's keys have random ids, so a key wildcard can reach them`,
    ]);
  });

  it('given app statements (a key by its full ARN, the caller identity on "*", a function outside Berth), when parsed, then they are accepted', () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:tax-rates';
    const config = accepted(
      routed(`
        service:
          permissions:
            - { actions: [kms:Decrypt, kms:GenerateDataKey], resources: ["${key}"] }
            - { actions: [sts:GetCallerIdentity], resources: ["*"] }
            - { actions: [lambda:InvokeFunction], resources: ["${fn}"] }
      `),
    );

    expect(config.projects[0].service.permissions).toEqual([
      { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key] },
      { actions: ['sts:GetCallerIdentity'], resources: ['*'] },
      { actions: ['lambda:InvokeFunction'], resources: [fn] },
    ]);
  });

  it('given a statement with an unknown key, when parsed, then the statement keys are listed', () => {
    const { problems, at } = refused(
      routed(
        'service: { permissions: [{ actions: [s3:GetObject], resources: ["arn:aws:s3:::r/*"], effect: »Deny }] }',
      ),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].service.permissions[0].effect: "Deny" — no such key; expected one of: actions, resources, conditions`,
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Build and pipeline
// ---------------------------------------------------------------------------------------------------------------

describe('build', () => {
  it.each([
    ['dockerfile', '../Dockerfile', 'the Dockerfile'],
    ['dockerfile', '/Dockerfile', 'the Dockerfile'],
    ['context', 'services/../..', 'the build context'],
    ['context', 'my app', 'the build context'],
  ])(
    'given build.%s %j, when parsed, then a path relative to the repository root is asked for',
    (key, bad, what) => {
      const { problems, at } = refused(routed(`build: { ${key}: »"${bad}" }`));

      expect(problems).toEqual([
        `${at[0]}: projects[0].build.${key}: "${bad}" — ${what}: a path relative to the repository root, without "..", a leading "/" or spaces`,
      ]);
    },
  );

  it.each([
    'NPM_TOKEN',
    'DB_PASSWORD',
    'AWS_SECRET_ACCESS_KEY',
    'STRIPE_API_KEY',
    'AZURE_DEVOPS_PAT',
    'PAT',
    'GIT_CREDENTIALS',
    'ssh_private_key',
  ])(
    'given the secret-looking build argument %s, when parsed, then it is refused without printing its value',
    (name) => {
      const { problems, at } = refused(routed(`build: { args: { ${name}: »s3cr3t-value } }`));

      expect(problems).toEqual([
        `${at[0]}: projects[0].build.args.${name}: "(value hidden)" — no secrets in build arguments: they stay in the image history and the build log; give the running service its secrets with service.secrets`,
      ]);
      expect(problems.join('\n')).not.toContain('s3cr3t-value');
    },
  );

  it.each(['NODE_ENV', 'PATH_PREFIX', 'COMPAT_MODE', 'KEYBOARD_LAYOUT'])(
    'given the build argument %s, when parsed, then it is accepted',
    (name) => {
      expect(accepted(routed(`build: { args: { ${name}: x } }`)).projects[0].build.args).toEqual({
        [name]: 'x',
      });
    },
  );

  it('given a build argument name with a hyphen, when parsed, then a name of letters, digits and _ is asked for', () => {
    const { problems, at } = refused(routed('build: { args: { node-env: »x } }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].build.args.node-env: "node-env" — a build argument name of letters, digits and _`,
    ]);
  });
});

describe('pipeline', () => {
  it.each([
    ...Object.keys(TEST_IMAGES),
    'node:22',
    'public.ecr.aws/docker/library/python:3.12',
    'ghcr.io/acme/test-runner:1.2',
  ])('given the test image %s, when parsed, then it is accepted', (image) => {
    expect(accepted(routed(`pipeline: { testImage: "${image}" }`)).projects[0].pipeline.testImage).toBe(
      image,
    );
  });

  it.each(['123456789012.dkr.ecr.us-east-1.amazonaws.com/runner:1', 'node 22'])(
    'given the test image %j, when parsed, then it is refused',
    (image) => {
      const { problems, at } = refused(routed(`pipeline: { testImage: »"${image}" }`));

      expect(problems).toEqual([
        `${at[0]}: projects[0].pipeline.testImage: "${image}" — one of ${Object.keys(TEST_IMAGES).join(', ')}, or a public image (docker.io, public.ecr.aws, ghcr.io) such as node:22 or public.ecr.aws/docker/library/python:3.12`,
      ]);
    },
  );

  it.each(Object.keys(TEST_COMPUTE))(
    'given the test compute %s, when parsed, then it is accepted',
    (size) => {
      expect(accepted(routed(`pipeline: { testCompute: ${size} }`)).projects[0].pipeline.testCompute).toBe(
        size,
      );
    },
  );

  it('given an unknown test compute, when parsed, then the sizes are listed', () => {
    const { problems, at } = refused(routed('pipeline: { testCompute: »huge }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].pipeline.testCompute: "huge" — one of ${Object.keys(TEST_COMPUTE).join(', ')}`,
    ]);
  });

  it('given an unknown scan severity, when parsed, then the severities are listed', () => {
    const { problems, at } = refused(routed('pipeline: { scanSeverity: »SEVERE }'));

    expect(problems).toEqual([
      `${at[0]}: projects[0].pipeline.scanSeverity: "SEVERE" — one of ${SEVERITIES.join(', ')}`,
    ]);
  });

  it('given an empty test command, when parsed, then a non-empty one is asked for', () => {
    const { problems, at } = refused(routed('pipeline: { testCommand: »"" }'));

    expect(problems).toEqual([`${at[0]}: projects[0].pipeline.testCommand: "" — a non-empty shell command`]);
  });

  it('given a branch given as a ref, when parsed, then the plain branch name is asked for', () => {
    const { problems, at } = refused(
      routed().replace('name: cash-collection }', 'name: cash-collection, branch: »refs/heads/main }'),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].repository.branch: "refs/heads/main" — a branch name such as main, without refs/heads/`,
    ]);
  });

  it('given a repository id that is not a GUID, when parsed, then the GUID is asked for', () => {
    const { problems, at } = refused(
      routed().replace('name: cash-collection }', 'name: cash-collection, id: »not-a-guid }'),
    );

    expect(problems).toEqual([
      `${at[0]}: projects[0].repository.id: "not-a-guid" — the repository GUID from Azure DevOps`,
    ]);
  });

  it('given an alarm threshold out of range, when parsed, then the range is said', () => {
    const { problems, at } = refused(
      routed('alarms: { memoryPercent: »0, targetResponseTimeP99Seconds: »0 }'),
    );

    expect(problems).toEqual([
      `${at[1]}: projects[0].alarms.targetResponseTimeP99Seconds: 0 — seconds, a positive number`,
      `${at[0]}: projects[0].alarms.memoryPercent: 0 — a percentage from 1 to 100`,
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Platform settings: API, alerts, logs, Azure DevOps
// ---------------------------------------------------------------------------------------------------------------

describe('API', () => {
  it('given a burst below the rate, when parsed, then the burst is refused naming the rate', () => {
    const { problems, at } = refused(routed('', 'api: { throttle: { rateLimit: 500, burstLimit: »100 } }'));

    expect(problems).toEqual([
      `${at[0]}: api.throttle.burstLimit: 100 — a burst limit at least the rate limit (500)`,
    ]);
  });

  it('given a webhook burst below its rate, when parsed, then it is refused the same way', () => {
    const { problems, at } = refused(
      routed('', 'api: { webhookThrottle: { rateLimit: 50, burstLimit: »10 } }'),
    );

    expect(problems).toEqual([
      `${at[0]}: api.webhookThrottle.burstLimit: 10 — a burst limit at least the rate limit (50)`,
    ]);
  });

  it('given a rate that is not positive, when parsed, then it is refused', () => {
    const { problems, at } = refused(routed('', 'api: { throttle: { rateLimit: »0, burstLimit: 10 } }'));

    expect(problems).toEqual([
      `${at[0]}: api.throttle.rateLimit: 0 — requests per second, a positive number`,
    ]);
  });

  it('given a bad domain name and certificate ARN, when parsed, then both are refused', () => {
    const { problems, at } = refused(
      routed(
        '',
        'api: { domain: { name: »API.example, certificateArn: »"arn:aws:acm:us-east-1:123:certificate/abc" } }',
      ),
    );

    expect(problems).toEqual([
      `${at[0]}: api.domain.name: "API.example" — a lower-case domain name such as api.example.com`,
      `${at[1]}: api.domain.certificateArn: "arn:aws:acm:us-east-1:123:certificate/abc" — an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)`,
    ]);
  });
});

describe('alerts', () => {
  it('given an invalid e-mail address, when parsed, then it is refused where it is', () => {
    const { problems, at } = refused(routed('', 'alerts: { emails: [ops@example.com, »not-an-email] }'));

    expect(problems).toEqual([`${at[0]}: alerts.emails[1]: "not-an-email" — an e-mail address`]);
  });

  it('given a chat channel with a bad name and an unknown type, when parsed, then both are refused and the types listed', () => {
    const { problems, at } = refused(
      routed('', 'alerts: { chat: [{ name: ops, type: slack }, { name: »Ops Room, type: »discord }] }'),
    );

    expect(problems).toEqual([
      `${at[0]}: alerts.chat[1].name: "Ops Room" — a channel name: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
      `${at[1]}: alerts.chat[1].type: "discord" — one of ${ALERT_CHANNEL_TYPES.join(', ')}`,
    ]);
  });

  it('given a chat channel without a type, when parsed, then the type is required', () => {
    const { problems, at } = refused(routed('', 'alerts: { chat: [»{ name: ops }] }'));

    expect(problems).toEqual([
      `${at[0]}: alerts.chat[0].type: (missing) — required: one of ${ALERT_CHANNEL_TYPES.join(', ')}`,
    ]);
  });
});

describe('logRetentionDays', () => {
  it('given a retention CloudWatch Logs does not offer, when parsed, then the offered ones are listed', () => {
    const { problems, at } = refused(routed('', 'logRetentionDays: »10'));

    expect(problems).toEqual([
      `${at[0]}: logRetentionDays: 10 — one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')} (days)`,
    ]);
  });

  it.each([1, 3653])('given %i days, when parsed, then it is accepted', (days) => {
    expect(accepted(routed('', `logRetentionDays: ${days}`)).logRetentionDays).toBe(days);
  });
});

describe('azureDevOps', () => {
  const azureDevOps = (lines: string) =>
    routed().replace('organization: my-org', `organization: my-org\n${indent(dedent(lines), 2)}`);

  it('given an http:// server URL, when parsed, then it is refused: it needs allowInsecureHttp', () => {
    const { problems, at } = refused(azureDevOps('url: »http://ado.internal/tfs/Default'));

    expect(problems).toEqual([
      `${at[0]}: azureDevOps.url: "http://ado.internal/tfs/Default" — an https:// URL; an http:// Azure DevOps Server URL sends the PAT in clear, so it also needs azureDevOps.allowInsecureHttp: true`,
    ]);
  });

  it('given an http:// server URL and allowInsecureHttp, when parsed, then it is accepted', () => {
    const config = accepted(azureDevOps('url: http://ado.internal/tfs/Default/\nallowInsecureHttp: true'));

    expect(config.azureDevOps).toMatchObject({
      url: 'http://ado.internal/tfs/Default',
      allowInsecureHttp: true,
    });
  });

  it.each(['ftp://ado.internal/tfs', 'dev.azure.com/my-org'])(
    'given the URL %j, when parsed, then an https:// URL is asked for',
    (url) => {
      const { problems, at } = refused(azureDevOps(`url: »${url}`));

      expect(problems).toEqual([
        `${at[0]}: azureDevOps.url: "${url}" — an https:// URL such as https://dev.azure.com/my-org`,
      ]);
    },
  );

  it.each(AZURE_DEVOPS_API_VERSIONS)(
    'given the API version "%s" quoted, when parsed, then it is kept',
    (version) => {
      expect(accepted(azureDevOps(`apiVersion: "${version}"`)).azureDevOps.apiVersion).toBe(version);
    },
  );

  it.each(AZURE_DEVOPS_API_VERSIONS)(
    'given the API version %s unquoted (a YAML number), when parsed, then it is read as the version',
    (version) => {
      expect(accepted(azureDevOps(`apiVersion: ${version}`)).azureDevOps.apiVersion).toBe(version);
    },
  );

  it.each([
    ['5.0', '5'],
    ['"7.2"', '"7.2"'],
  ])(
    'given the API version %s, when parsed, then the versions are listed with the servers that need them',
    (written, given) => {
      const { problems, at } = refused(azureDevOps(`apiVersion: »${written}`));

      expect(problems).toEqual([
        `${at[0]}: azureDevOps.apiVersion: ${given} — one of ${AZURE_DEVOPS_API_VERSIONS.join(', ')} (Azure DevOps Server 2020: 6.0, Server 2022: 7.0, Services: 7.0 or 7.1)`,
      ]);
    },
  );

  it('given allowInsecureHttp that is not true or false, when parsed, then it is refused', () => {
    const { problems, at } = refused(azureDevOps('allowInsecureHttp: »"yes"'));

    expect(problems).toEqual([`${at[0]}: azureDevOps.allowInsecureHttp: "yes" — true or false`]);
  });

  it('given a CA certificate parameter that is not an SSM parameter name, when parsed, then the form is said', () => {
    const { problems, at } = refused(azureDevOps('caCertificateParameter: »berth/azure-devops-ca'));

    expect(problems).toEqual([
      `${at[0]}: azureDevOps.caCertificateParameter: "berth/azure-devops-ca" — the name of an SSM parameter holding PEM certificates, such as /berth/azure-devops-ca`,
    ]);
  });

  it('given an organization name with a space, when parsed, then it is refused', () => {
    const { problems, at } = refused(routed().replace('organization: my-org', 'organization: »my org'));

    expect(problems).toEqual([
      `${at[0]}: azureDevOps.organization: "my org" — the Azure DevOps organization name (letters, digits, hyphens)`,
    ]);
  });
});
