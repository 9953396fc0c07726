import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError, configPath, loadConfig, parseConfigText, validateConfig } from '../../src/config/load';

const SEED_FILE = path.resolve(__dirname, '../../berth.yaml');
const SEED: Record<string, unknown> = parse(readFileSync(SEED_FILE, 'utf8'));

/** A config with only the required keys: one project with only name, path, priority and repository. */
const MINIMAL: Record<string, unknown> = {
  azureDevOps: { organization: 'my-org' },
  projects: [
    {
      name: 'cash-collection',
      path: '/api/cash',
      priority: 10,
      repository: { project: 'Finance', name: 'cash-collection' },
    },
  ],
};

/** Every problem line: `<field path>: <what was given> — <what is expected>`. */
const PROBLEM_LINE = /^(\(file\)|\(root\)|[A-Za-z]\w*(\[\d+\]|\.\w+)*): \S.* — \S.*$/;

/** A change to a config: the value at `path` becomes `value`; `undefined` deletes the key. */
type Change = [path: readonly PropertyKey[], value: unknown];

function edited(base: Record<string, unknown>, ...changes: Change[]): Record<string, unknown> {
  const copy = structuredClone(base);
  for (const [p, value] of changes) {
    let node = copy as Record<PropertyKey, unknown>;
    for (const key of p.slice(0, -1)) node = node[key] as Record<PropertyKey, unknown>;
    const last = p[p.length - 1];
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return copy;
}

const seedWith = (...changes: Change[]) => edited(SEED, ...changes);
const minimalWith = (...changes: Change[]) => edited(MINIMAL, ...changes);

/**
 * Runs a load that must fail: asserts it threw a ConfigError (so no config was returned) whose every problem
 * is one `<path>: <given> — <expected>` line, and returns the problems.
 */
function problemsOf(load: () => unknown): string[] {
  let returned: unknown;
  try {
    returned = load();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const problems = [...(e as ConfigError).problems];
    expect(problems.length).toBeGreaterThan(0);
    for (const line of problems) expect(line).toMatch(PROBLEM_LINE);
    return problems;
  }
  throw new Error(`expected a ConfigError, but a config was returned: ${JSON.stringify(returned)}`);
}

const problemsIn = (raw: unknown) => problemsOf(() => validateConfig(raw));
const textOf = (problems: string[]) => problems.join('\n');

/** n projects that are valid on their own: unique names, paths and priorities. */
const manyProjects = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    name: `svc-${i}`,
    path: `/api/svc-${i}`,
    priority: i + 1,
    repository: { project: 'Shop', name: `svc-${i}` },
  }));

const tmp = mkdtempSync(path.join(tmpdir(), 'berth-config-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loading a valid config', () => {
  it('parses the default berth.yaml to the seed', () => {
    const config = loadConfig(SEED_FILE);

    expect(config.prefix).toBe('berth');
    expect(config.region).toBe('us-east-1');
    expect(config.network).toEqual({
      cidr: '10.0.0.0/16',
      publicSubnets: ['10.0.1.0/24', '10.0.2.0/24'],
      privateSubnets: ['10.0.10.0/24', '10.0.11.0/24'],
    });
    expect(config.cluster).toMatchObject({
      instanceType: 't3.medium',
      minCapacity: 2,
      maxCapacity: 4,
      targetCapacityPercent: 100,
    });
    expect(config.api.throttle).toEqual({ rateLimit: 500, burstLimit: 1000 });
    expect(config.api.domain).toBeUndefined();
    expect(config.alerts.emails).toEqual([]);
    expect(config.azureDevOps).toEqual({ organization: 'my-org' });
    expect(config.projects.map((p) => [p.name, p.path, p.priority, p.repository.project])).toEqual([
      ['cash-collection', '/api/cash', 10, 'Finance'],
      ['poultry-sale', '/api/poultry', 20, 'Sales'],
    ]);
    expect(config.projects[0].repository).toEqual({
      project: 'Finance',
      name: 'cash-collection',
      branch: 'main',
    });
    expect(config.projects[1].service.healthCheckPath).toBe('/api/poultry/health');
  });

  it('fills every default for a minimal project (name, path, priority, repository only)', () => {
    const config = validateConfig(MINIMAL);
    const [project] = config.projects;

    expect(project.service).toEqual({
      port: 8080,
      cpu: 256,
      memory: 512,
      desiredCount: 2,
      minCount: 2,
      maxCount: 6,
      healthCheckPath: '/api/cash/health',
    });
    expect(project.pipeline).toEqual({ testCommand: 'npm test', approval: false, scanSeverity: 'CRITICAL' });
    expect(project.repository.branch).toBe('main');
    expect(project.alarms).toEqual({});
  });

  it('fills the platform defaults so a minimal config equals the seed for the same project', () => {
    // Given the seed reduced to its required keys
    const reduced = edited(MINIMAL, [
      ['projects'],
      [
        ...(MINIMAL.projects as unknown[]),
        {
          name: 'poultry-sale',
          path: '/api/poultry',
          priority: 20,
          repository: { project: 'Sales', name: 'poultry-sale' },
        },
      ],
    ]);

    // Then the defaults reproduce every value the seed spells out
    expect(validateConfig(reduced)).toEqual(loadConfig(SEED_FILE));
    expect(validateConfig(reduced)).toMatchObject({
      logRetentionDays: 30,
      cluster: { rootVolumeGiB: 30 },
      api: { webhookThrottle: { rateLimit: 10, burstLimit: 20 } },
    });
  });

  it('keeps overrides of the project defaults', () => {
    const config = validateConfig(
      minimalWith(
        [['projects', 0, 'service'], { cpu: 512, memory: 2048, healthCheckPath: '/api/cash/ping' }],
        [['projects', 0, 'pipeline'], { approval: true, scanSeverity: 'HIGH' }],
      ),
    );

    expect(config.projects[0].service).toMatchObject({
      cpu: 512,
      memory: 2048,
      port: 8080,
      healthCheckPath: '/api/cash/ping',
    });
    expect(config.projects[0].pipeline).toEqual({
      testCommand: 'npm test',
      approval: true,
      scanSeverity: 'HIGH',
    });
  });

  it('accepts exactly 100 projects, the most one ALB can hold', () => {
    expect(validateConfig(minimalWith([['projects'], manyProjects(100)])).projects).toHaveLength(100);
  });

  it('parses YAML text as well as files', () => {
    expect(parseConfigText(stringify(MINIMAL)).projects[0].name).toBe('cash-collection');
  });
});

describe('configPath', () => {
  it('defaults to berth.yaml in the working directory', () => {
    expect(configPath({}, '/srv/app')).toBe(path.resolve('/srv/app', 'berth.yaml'));
    expect(configPath({ BERTH_CONFIG: '' }, '/srv/app')).toBe(path.resolve('/srv/app', 'berth.yaml'));
  });

  it('uses the process environment and working directory when given none', () => {
    const saved = process.env.BERTH_CONFIG;
    delete process.env.BERTH_CONFIG;
    try {
      expect(configPath()).toBe(path.resolve(process.cwd(), 'berth.yaml'));
    } finally {
      if (saved !== undefined) process.env.BERTH_CONFIG = saved;
    }
  });

  it('honours BERTH_CONFIG relative to the working directory', () => {
    expect(configPath({ BERTH_CONFIG: 'configs/staging.yaml' }, '/srv/app')).toBe(
      path.resolve('/srv/app', 'configs/staging.yaml'),
    );
  });

  it('honours an absolute BERTH_CONFIG as is', () => {
    const file = path.resolve('/etc/berth/prod.yaml');
    expect(configPath({ BERTH_CONFIG: file }, '/srv/app')).toBe(file);
  });

  it('loads the file BERTH_CONFIG selects', () => {
    // Given another config file next to a working directory
    mkdirSync(path.join(tmp, 'configs'), { recursive: true });
    writeFileSync(
      path.join(tmp, 'configs', 'other.yaml'),
      stringify(minimalWith([['prefix'], 'other'])),
      'utf8',
    );

    // When the app resolves and loads its config
    const config = loadConfig(configPath({ BERTH_CONFIG: 'configs/other.yaml' }, tmp));

    // Then it read the selected file
    expect(config.prefix).toBe('other');
  });
});

describe('refusing a bad config', () => {
  it('reports every problem at once, each on its own line, and names the file in the message', () => {
    const file = path.join(tmp, 'three-mistakes.yaml');
    writeFileSync(
      file,
      stringify(
        seedWith(
          [['regoin'], 'us-east-1'],
          [['projects', 1, 'priority'], 10],
          [['projects', 0, 'service', 'memory'], 100],
        ),
      ),
    );

    let error: unknown;
    try {
      loadConfig(file);
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        'regoin: "us-east-1" — no such key; expected one of: prefix, region, logRetentionDays, network, cluster, api, alerts, azureDevOps, projects',
        'projects[0].service.memory: 100 — memory in MiB: an integer from 128 to 131072',
        'projects[1].priority: 10 — a priority unique among projects (projects[0] has it already)',
      ]),
    );
    expect(message).toContain(file);
    for (const p of problems) expect(message).toContain(`  - ${p}`);
  });

  describe('unknown key (a typo)', () => {
    it('at the root, listing the keys that are allowed', () => {
      const problems = problemsIn(seedWith([['prefx'], 'berth']));

      expect(problems).toEqual([
        'prefx: "berth" — no such key; expected one of: prefix, region, logRetentionDays, network, cluster, api, alerts, azureDevOps, projects',
      ]);
    });

    it('nested in a project, listing the keys allowed there', () => {
      const problems = problemsIn(seedWith([['projects', 0, 'service', 'memroy'], 1024]));

      expect(problems).toEqual([
        'projects[0].service.memroy: 1024 — no such key; expected one of: port, cpu, memory, desiredCount, minCount, maxCount, healthCheckPath',
      ]);
    });

    it('nested in network and repository', () => {
      const text = textOf(
        problemsIn(
          seedWith(
            [['network', 'publicSubnet'], ['10.0.1.0/24']],
            [['projects', 1, 'repository', 'nam'], 'x'],
          ),
        ),
      );

      expect(text).toMatch(
        /^network\.publicSubnet: \["10\.0\.1\.0\/24"\] — no such key; expected one of: cidr, publicSubnets, privateSubnets$/m,
      );
      expect(text).toMatch(
        /^projects\[1\]\.repository\.nam: "x" — no such key; expected one of: project, name, branch, id$/m,
      );
    });
  });

  describe('missing required key', () => {
    it('azureDevOps', () => {
      expect(problemsIn(seedWith([['azureDevOps'], undefined]))).toEqual([
        'azureDevOps: (missing) — required: a mapping',
      ]);
    });

    it('projects[0].repository', () => {
      expect(problemsIn(seedWith([['projects', 0, 'repository'], undefined]))).toEqual([
        'projects[0].repository: (missing) — required: a mapping',
      ]);
    });

    it('a project name, saying what a name must be', () => {
      expect(textOf(problemsIn(minimalWith([['projects', 0, 'name'], undefined])))).toMatch(
        /^projects\[0\]\.name: \(missing\) — required: a DNS-safe project name/m,
      );
    });

    it('a domain without its certificate ARN', () => {
      expect(problemsIn(seedWith([['api', 'domain'], { name: 'api.example.com' }]))).toEqual([
        'api.domain.certificateArn: (missing) — required: an ACM certificate ARN',
      ]);
    });
  });

  describe('wrong type', () => {
    it('a string where a number is expected', () => {
      expect(problemsIn(seedWith([['projects', 0, 'priority'], '10']))).toEqual([
        'projects[0].priority: "10" — a listener rule priority: an integer from 1 to 50000',
      ]);
    });

    it('a number where a list is expected', () => {
      expect(problemsIn(seedWith([['network', 'publicSubnets'], 5]))).toEqual([
        'network.publicSubnets: 5 — a list of two CIDRs, AZ-a then AZ-b',
      ]);
      expect(problemsIn(seedWith([['projects'], 5]))).toEqual(['projects: 5 — a list of projects']);
    });

    it('a string where true or false is expected', () => {
      expect(problemsIn(seedWith([['projects', 0, 'pipeline', 'approval'], 'yes']))).toEqual([
        'projects[0].pipeline.approval: "yes" — true or false',
      ]);
    });

    it('null where a project is expected', () => {
      expect(problemsIn(seedWith([['projects', 0], null]))).toEqual(['projects[0]: null — a mapping']);
    });

    it('a fraction where an integer is expected', () => {
      expect(textOf(problemsIn(seedWith([['projects', 0, 'service', 'cpu'], 256.5])))).toMatch(
        /^projects\[0\]\.service\.cpu: 256\.5 — CPU units \(1024 = one vCPU\): an integer from 128 to 16384$/m,
      );
    });

    it('an unknown scan severity', () => {
      expect(problemsIn(seedWith([['projects', 0, 'pipeline', 'scanSeverity'], 'SEVERE']))).toEqual([
        'projects[0].pipeline.scanSeverity: "SEVERE" — one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL',
      ]);
    });

    it('an alarm threshold out of range', () => {
      expect(problemsIn(seedWith([['projects', 0, 'alarms'], { cpuPercent: 200 }]))).toEqual([
        'projects[0].alarms.cpuPercent: 200 — a percentage from 1 to 100',
      ]);
    });
  });

  describe('duplicates among projects, naming the project that has the value first', () => {
    it('duplicate project name', () => {
      const problems = problemsIn(seedWith([['projects', 1, 'name'], 'cash-collection']));

      expect(problems).toHaveLength(1);
      expect(textOf(problems)).toMatch(
        /^projects\[1\]\.name: "cash-collection" — a name unique among projects \(projects\[0\] has it already\)$/m,
      );
    });

    it('duplicate path', () => {
      const problems = problemsIn(
        seedWith(
          [['projects', 1, 'path'], '/api/cash'],
          [['projects', 1, 'service', 'healthCheckPath'], '/api/cash/health'],
        ),
      );

      expect(problems).toEqual([
        'projects[1].path: "/api/cash" — a path unique among projects (projects[0] has it already)',
      ]);
    });

    it('duplicate priority', () => {
      expect(problemsIn(seedWith([['projects', 1, 'priority'], 10]))).toEqual([
        'projects[1].priority: 10 — a priority unique among projects (projects[0] has it already)',
      ]);
    });

    it('a third project repeating the first is reported against the first', () => {
      const third = { ...manyProjects(1)[0], priority: 10 };
      const text = textOf(problemsIn(seedWith([['projects', 2], third])));

      expect(text).toMatch(/^projects\[2\]\.priority: 10 — .*\(projects\[0\] has it already\)$/m);
    });
  });

  describe('path that is not /api/<segment>', () => {
    it.each([
      ['a wildcard', '/api/cash/*'],
      ['an upper-case letter', '/api/Cash'],
      ['no /api prefix', '/cash'],
      ['two segments', '/api/a/b'],
      ['no segment', '/api/'],
      ['a trailing slash', '/api/cash/'],
    ])('refuses a path with %s (%s)', (_, bad) => {
      // Given a minimal project whose health check path defaults from the bad path
      const problems = problemsIn(minimalWith([['projects', 0, 'path'], bad]));

      // Then the path is the one problem reported
      expect(problems).toEqual([
        `projects[0].path: ${JSON.stringify(bad)} — a path /api/<segment> with one lower-case segment (letters, digits, hyphens) and no wildcard`,
      ]);
    });
  });

  describe('project name', () => {
    it.each(['Cash', 'cash_collection', '-cash', 'cash-', '1cash', 'cash collection'])(
      'refuses %j, which is not DNS-safe',
      (bad) => {
        expect(problemsIn(minimalWith([['projects', 0, 'name'], bad]))).toEqual([
          `projects[0].name: ${JSON.stringify(bad)} — a DNS-safe project name: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
        ]);
      },
    );

    it('refuses a name that makes <prefix>-<name> longer than 32 characters', () => {
      // Given 'berth-' (6) + 27 characters = 33
      const name = 'a'.repeat(27);
      const text = textOf(problemsIn(minimalWith([['projects', 0, 'name'], name])));

      expect(text).toMatch(
        new RegExp(
          `^projects\\[0\\]\\.name: "${name}" — a shorter name: "berth-${name}" is 33 characters and names built from <prefix>-<project> must fit in 32$`,
          'm',
        ),
      );
    });

    it('accepts a name that makes <prefix>-<name> exactly 32 characters', () => {
      const name = 'a'.repeat(26);
      expect(validateConfig(minimalWith([['projects', 0, 'name'], name])).projects[0].name).toBe(name);
    });

    it('counts a longer prefix against the name', () => {
      const text = textOf(
        problemsIn(minimalWith([['prefix'], 'acme-platfrm'], [['projects', 0, 'name'], 'a'.repeat(20)])),
      );

      expect(text).toMatch(
        /^projects\[0\]\.name: "a{20}" — a shorter name: "acme-platfrm-a{20}" is 33 characters/m,
      );
    });

    it.each(['network', 'platform', 'api', 'alb', 'webhook', 'cluster', 'nat', 'nat-1', 'pipeline-events'])(
      'refuses the reserved name %j used by a shared stack or platform alarm',
      (reserved) => {
        expect(problemsIn(minimalWith([['projects', 0, 'name'], reserved]))).toEqual([
          `projects[0].name: "${reserved}" — a name other than network, platform, api, alb, webhook, cluster, nat, pipeline-events or nat-<n> (used by the shared stacks and platform alarms)`,
        ]);
      },
    );

    it('refuses a prefix longer than 12 characters', () => {
      expect(problemsIn(seedWith([['prefix'], 'a-long-prefix']))).toEqual([
        'prefix: "a-long-prefix" — a DNS-safe prefix: at most 12 characters',
      ]);
    });
  });

  describe('network', () => {
    it('refuses a subnet outside the VPC CIDR', () => {
      expect(problemsIn(seedWith([['network', 'publicSubnets', 0], '10.1.1.0/24']))).toEqual([
        'network.publicSubnets[0]: "10.1.1.0/24" — a subnet inside the VPC CIDR 10.0.0.0/16',
      ]);
    });

    it('refuses a private subnet overlapping a public one', () => {
      expect(problemsIn(seedWith([['network', 'privateSubnets', 0], '10.0.1.0/24']))).toEqual([
        'network.privateSubnets[0]: "10.0.1.0/24" — a subnet that does not overlap 10.0.1.0/24 (network.publicSubnets.0)',
      ]);
    });

    it('refuses overlapping subnets within one tier', () => {
      expect(problemsIn(seedWith([['network', 'publicSubnets', 1], '10.0.1.128/25']))).toEqual([
        'network.publicSubnets[1]: "10.0.1.128/25" — a subnet that does not overlap 10.0.1.0/24 (network.publicSubnets.0)',
      ]);
    });

    it('refuses one subnet in a tier', () => {
      expect(problemsIn(seedWith([['network', 'publicSubnets'], ['10.0.1.0/24']]))).toEqual([
        'network.publicSubnets: ["10.0.1.0/24"] — exactly two subnets, one per Availability Zone (AZ-a, AZ-b)',
      ]);
    });

    it('refuses three subnets in a tier', () => {
      const three = ['10.0.10.0/24', '10.0.11.0/24', '10.0.12.0/24'];
      expect(problemsIn(seedWith([['network', 'privateSubnets'], three]))).toEqual([
        `network.privateSubnets: ${JSON.stringify(three)} — exactly two subnets, one per Availability Zone (AZ-a, AZ-b)`,
      ]);
    });

    it.each([
      ['host bits set', 'network.publicSubnets[0]', ['network', 'publicSubnets', 0], '10.0.1.5/24'],
      ['three octets', 'network.cidr', ['network', 'cidr'], '10.0.0/16'],
      ['an octet above 255', 'network.cidr', ['network', 'cidr'], '300.0.0.0/16'],
      ['no prefix length', 'network.privateSubnets[1]', ['network', 'privateSubnets', 1], '10.0.11.0'],
    ])('refuses a CIDR with %s (%s), and only reports that', (_, shown, at, bad) => {
      // Given a malformed CIDR, the containment and overlap checks that would read it are skipped
      const problems = problemsIn(seedWith([at, bad]));

      expect(problems).toEqual([
        `${shown}: "${bad}" — an IPv4 CIDR such as 10.0.0.0/16, with no host bits set`,
      ]);
    });
  });

  describe('API throttling', () => {
    it('refuses api.throttle with a burst below the rate', () => {
      expect(problemsIn(seedWith([['api', 'throttle'], { rateLimit: 500, burstLimit: 100 }]))).toEqual([
        'api.throttle.burstLimit: 100 — a burst limit at least the rate limit (500)',
      ]);
    });

    it('refuses api.webhookThrottle with a burst below the rate', () => {
      expect(problemsIn(seedWith([['api', 'webhookThrottle'], { rateLimit: 50, burstLimit: 10 }]))).toEqual([
        'api.webhookThrottle.burstLimit: 10 — a burst limit at least the rate limit (50)',
      ]);
    });

    it('refuses a rate that is not positive', () => {
      expect(problemsIn(seedWith([['api', 'throttle', 'rateLimit'], 0]))).toEqual([
        'api.throttle.rateLimit: 0 — requests per second, a positive number',
      ]);
    });
  });

  describe('min above max', () => {
    it('refuses cluster minCapacity above maxCapacity', () => {
      expect(problemsIn(seedWith([['cluster', 'minCapacity'], 5]))).toEqual([
        'cluster.minCapacity: 5 — at most maxCapacity (4)',
      ]);
    });

    it('refuses service minCount above maxCount', () => {
      const problems = problemsIn(
        seedWith(
          [['projects', 0, 'service', 'minCount'], 7],
          [['projects', 0, 'service', 'desiredCount'], 7],
        ),
      );

      expect(textOf(problems)).toMatch(/^projects\[0\]\.service\.minCount: 7 — at most maxCount \(6\)$/m);
    });

    it.each([1, 9])('refuses desiredCount %i outside minCount..maxCount', (desired) => {
      expect(problemsIn(seedWith([['projects', 0, 'service', 'desiredCount'], desired]))).toEqual([
        `projects[0].service.desiredCount: ${desired} — between minCount (2) and maxCount (6)`,
      ]);
    });

    it('checks the defaults too: minCount above the default maxCount of 6', () => {
      const text = textOf(
        problemsIn(minimalWith([['projects', 0, 'service'], { minCount: 8, desiredCount: 8 }])),
      );

      expect(text).toMatch(/^projects\[0\]\.service\.minCount: 8 — at most maxCount \(6\)$/m);
    });
  });

  describe('service sizing and health check', () => {
    it('refuses memory below 2 MiB per CPU unit', () => {
      expect(problemsIn(seedWith([['projects', 0, 'service', 'cpu'], 512]))).toEqual([
        'projects[0].service.memory: 512 — at least 1024 MiB for 512 CPU units (2 MiB per CPU unit)',
      ]);
    });

    it.each(['/health', '/api/cashier/health'])(
      'refuses health check path %j outside the project path',
      (bad) => {
        expect(problemsIn(seedWith([['projects', 0, 'service', 'healthCheckPath'], bad]))).toEqual([
          `projects[0].service.healthCheckPath: "${bad}" — a path under /api/cash/ so the ALB routes the health check to this project`,
        ]);
      },
    );

    it('reports a bad field of a minimal project without crashing on the defaults it never got', () => {
      // Given a project without healthCheckPath whose cpu is out of range (so its defaults are not filled in)
      const problems = problemsIn(minimalWith([['projects', 0, 'service'], { cpu: 100 }]));

      // Then the cpu is reported as a ConfigError line, not a TypeError from the cross-field checks
      expect(problems).toEqual([
        'projects[0].service.cpu: 100 — CPU units (1024 = one vCPU): an integer from 128 to 16384',
      ]);
    });
  });

  describe('project count', () => {
    it('refuses 101 projects, more than one ALB can hold', () => {
      const problems = problemsIn(minimalWith([['projects'], manyProjects(101)]));

      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^projects: 101 items \[.*\.\.\. — at most 100 projects: one ALB listener holds 100 rules and target groups$/,
      );
    });

    it('refuses an empty project list', () => {
      expect(problemsIn(minimalWith([['projects'], []]))).toEqual(['projects: [] — at least one project']);
    });
  });

  describe('other fields', () => {
    it('refuses an invalid e-mail in alerts.emails', () => {
      expect(
        problemsIn(
          seedWith([
            ['alerts', 'emails'],
            ['ops@example.com', 'not-an-email'],
          ]),
        ),
      ).toEqual(['alerts.emails[1]: "not-an-email" — an e-mail address']);
    });

    it('refuses a non-https azureDevOps.url', () => {
      expect(problemsIn(seedWith([['azureDevOps', 'url'], 'http://dev.azure.com/my-org']))).toEqual([
        'azureDevOps.url: "http://dev.azure.com/my-org" — an https:// URL such as https://dev.azure.com/my-org',
      ]);
    });

    it('refuses an organization name with a space', () => {
      expect(problemsIn(seedWith([['azureDevOps', 'organization'], 'my org']))).toEqual([
        'azureDevOps.organization: "my org" — the Azure DevOps organization name (letters, digits, hyphens)',
      ]);
    });

    it('refuses a bad domain name and certificate ARN', () => {
      const problems = problemsIn(
        seedWith([
          ['api', 'domain'],
          { name: 'API.example', certificateArn: 'arn:aws:acm:us-east-1:123:certificate/abc' },
        ]),
      );

      expect(problems).toEqual([
        'api.domain.name: "API.example" — a lower-case domain name such as api.example.com',
        'api.domain.certificateArn: "arn:aws:acm:us-east-1:123:certificate/abc" — an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)',
      ]);
    });

    it('accepts a valid domain', () => {
      const domain = {
        name: 'api.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012',
      };
      expect(validateConfig(seedWith([['api', 'domain'], domain])).api.domain).toEqual(domain);
    });

    it.each(['US-East-1', 'useast1', 'us-east'])('refuses the region %j', (bad) => {
      expect(problemsIn(seedWith([['region'], bad]))).toEqual([
        `region: "${bad}" — an AWS region such as us-east-1`,
      ]);
    });

    it('refuses a logRetentionDays that CloudWatch Logs does not offer', () => {
      expect(textOf(problemsIn(seedWith([['logRetentionDays'], 10])))).toMatch(
        /^logRetentionDays: 10 — one of CloudWatch Logs' retention periods: 1, 3, 5, 7, 14, 30, .*3653 \(days\)$/m,
      );
    });

    it('refuses a branch given as a ref', () => {
      expect(problemsIn(seedWith([['projects', 0, 'repository', 'branch'], 'refs/heads/main']))).toEqual([
        'projects[0].repository.branch: "refs/heads/main" — a branch name such as main, without refs/heads/',
      ]);
    });
  });

  describe('unreadable or non-YAML file', () => {
    it('refuses a missing file, naming it', () => {
      const file = path.join(tmp, 'does-not-exist.yaml');

      expect(problemsOf(() => loadConfig(file))).toEqual([
        `(file): cannot read ${file} (no such file) — a readable YAML file; set BERTH_CONFIG to choose another`,
      ]);
    });

    it('refuses a directory, naming it', () => {
      const dir = path.join(tmp, 'a-directory');
      mkdirSync(dir, { recursive: true });

      const [problem] = problemsOf(() => loadConfig(dir));

      expect(problem).toMatch(/^\(file\): cannot read .* \(EISDIR[^)]*\) — a readable YAML file/);
      expect(problem).toContain(dir);
    });

    it('refuses text that is not YAML', () => {
      const [problem] = problemsOf(() => parseConfigText('projects: [unclosed'));

      expect(problem).toMatch(/^\(file\): not valid YAML \(.*line 1, column \d+\) — a YAML mapping$/);
    });

    it('refuses a file that is not YAML, naming the file in the message', () => {
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
      expect((error as ConfigError).message).toMatch(
        new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a valid Berth config:`),
      );
    });

    it('refuses duplicate YAML keys', () => {
      expect(problemsOf(() => parseConfigText('prefix: a\nprefix: b\n'))).toEqual([
        '(file): not valid YAML (Map keys must be unique at line 2, column 1) — a YAML mapping',
      ]);
    });

    it.each([
      ['a list', '- a\n- b\n', '["a","b"]'],
      ['a scalar', 'hello\n', '"hello"'],
      ['an empty file', '', 'null'],
    ])('refuses YAML that is %s rather than a mapping', (_, text, given) => {
      expect(problemsOf(() => parseConfigText(text))).toEqual([
        `(root): ${given} — a YAML mapping with prefix, azureDevOps, projects, ...`,
      ]);
    });
  });
});
