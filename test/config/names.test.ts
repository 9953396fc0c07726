import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load';
import { MAX_QUALIFIED_NAME_LENGTH } from '../../src/config/limits';
import {
  alertChannelSecret,
  azureDevOpsBaseUrl,
  cloneUrl,
  platformNames,
  projectNames,
  targetGroupName,
} from '../../src/config/names';

const seed = loadConfig(path.resolve(__dirname, '../../berth.yaml'));
const [cash, poultry] = seed.projects;

/** The seed with other Azure DevOps settings, validated like a file. */
const withAzureDevOps = (azureDevOps: Record<string, unknown>) =>
  validateConfig({ ...structuredClone(seed), azureDevOps });

describe('projectNames', () => {
  it('given the seed project cash-collection, when its names are derived, then each physical name follows <prefix> and the project name', () => {
    const names = projectNames(seed, cash);

    expect(names).toMatchObject({
      stack: 'berth-cash-collection',
      qualified: 'berth-cash-collection',
      pipeline: 'berth-cash-collection',
      service: 'cash-collection',
      taskFamily: 'berth-cash-collection',
      ecrRepository: 'berth/cash-collection',
      patSecret: 'berth/cash-collection/azure-devops-pat',
      webhookSecret: 'berth/cash-collection/webhook',
      appSecret: 'berth/cash-collection/app',
      releaseParameter: '/berth/cash-collection/release',
      logGroup: '/berth/cash-collection/service',
      webhookPath: '/webhook/cash-collection',
    });
  });

  it('given a pipeline stage, when its build project, release function and log group are named, then they are per project and per stage', () => {
    const names = projectNames(seed, cash);

    expect(names.codeBuildProject('build-arm64')).toBe('berth-cash-collection-build-arm64');
    expect(names.releaseFunction('deploy')).toBe('berth-cash-collection-deploy');
    expect(names.stageLogGroup('test')).toBe('/berth/cash-collection/pipeline/test');
  });

  it('given the second seed project, when its names are derived, then none equals one of the first project', () => {
    const a = projectNames(seed, cash);
    const b = projectNames(seed, poultry);

    expect(b).toMatchObject({
      stack: 'berth-poultry-sale',
      ecrRepository: 'berth/poultry-sale',
      webhookPath: '/webhook/poultry-sale',
    });
    const plain = (n: typeof a) => Object.values(n).filter((v): v is string => typeof v === 'string');
    for (const name of plain(b)) expect(plain(a)).not.toContain(name);
  });

  it('given another prefix, when names are derived, then every name starts with it instead of berth', () => {
    const names = projectNames({ prefix: 'acme' }, cash);

    expect(names.stack).toBe('acme-cash-collection');
    expect(names.ecrRepository).toBe('acme/cash-collection');
    expect(names.appSecret).toBe('acme/cash-collection/app');
    expect(names.releaseParameter).toBe('/acme/cash-collection/release');
    expect(names.stageLogGroup('scan')).toBe('/acme/cash-collection/pipeline/scan');
    expect(JSON.stringify(names)).not.toContain('berth');
  });
});

describe('platformNames', () => {
  it('given the seed, when the shared names are derived, then they are named after the prefix', () => {
    expect(platformNames(seed)).toEqual({
      networkStack: 'berth-network',
      platformStack: 'berth-platform',
      clusterName: 'berth',
      webhookFunctionName: 'berth-webhook',
      pipelineEventsFunctionName: 'berth-pipeline-events',
      alertsFunctionName: 'berth-alerts',
      alarmTopicName: 'berth-alarms',
      dashboardName: 'berth',
      webhookStateTable: 'berth-webhook-state',
      execLogGroup: '/berth/ecs-exec',
      apiUrlOutput: 'ApiUrl',
    });
  });

  it('given the reserved project names, when a project could take one, then the config refuses it, so no project stack or function shadows a shared one', () => {
    const shared = platformNames(seed);
    for (const name of ['network', 'platform', 'webhook', 'pipeline-events', 'alerts']) {
      const project = { ...structuredClone(cash), name, path: '/api/other', priority: 99 };
      expect(() => validateConfig({ ...structuredClone(seed), projects: [project] })).toThrow(
        /a name other than/,
      );
      // Had it been allowed, its stack or functions would be named like the shared ones:
      expect(Object.values(shared)).toContain(projectNames(seed, { name }).stack);
    }
  });
});

describe("project names inside another project's names", () => {
  it("given projects cash and cash-collection, when validated, then cash-collection is refused: cash's roles are granted berth-cash-*", () => {
    const other = { ...structuredClone(cash), name: 'cash', path: '/api/other', priority: 99 };
    expect(() =>
      validateConfig({ ...structuredClone(seed), projects: [other, structuredClone(cash)] }),
    ).toThrow(
      /projects\[1\]\.name: "?cash-collection"? — a name that does not start with another project's name and a hyphen \("cash-" of projects\[0\]\)/,
    );
  });

  it('given projects whose names only share a prefix without the hyphen, when validated, then both are accepted', () => {
    const other = {
      ...structuredClone(cash),
      name: 'cashflow',
      path: '/api/other',
      priority: 99,
      service: { ...structuredClone(cash.service), healthCheckPath: '/api/other/health' },
    };
    expect(
      validateConfig({ ...structuredClone(seed), projects: [other, structuredClone(cash)] }).projects,
    ).toHaveLength(2);
  });
});

describe('targetGroupName', () => {
  it('given a routed project, when its target group is named, then it is <prefix>-<project>-ip, whatever its route', () => {
    expect(targetGroupName(seed, cash)).toBe('berth-cash-collection-ip');
  });

  it(`given the longest allowed <prefix>-<project> (${MAX_QUALIFIED_NAME_LENGTH} characters), when named, then it is cut so the name fits the ALB limit of 32`, () => {
    const prefix = 'a'.repeat(12);
    const name = 'b'.repeat(MAX_QUALIFIED_NAME_LENGTH - prefix.length - 1);
    const tg = targetGroupName({ prefix }, { name });

    expect(tg.length).toBeLessThanOrEqual(32);
    expect(tg).toBe(`${`${prefix}-${name}`.slice(0, 29)}-ip`);
  });

  it('given two routed projects whose long names agree in their first 23 characters, when validated, then the second is refused: they would share one target group', () => {
    const routed = (name: string, n: number) => ({
      ...structuredClone(cash),
      name,
      path: `/api/p${n}`,
      priority: 90 + n,
      service: { ...structuredClone(cash.service), healthCheckPath: `/api/p${n}/health` },
    });
    const common = 'a'.repeat(23);
    expect(() =>
      validateConfig({
        ...structuredClone(seed),
        projects: [routed(`${common}x`, 1), routed(`${common}y`, 2)],
      }),
    ).toThrow(
      `projects[1].name: "${common}y" — a name that differs from projects[0]'s ("${common}x") within its first 23 characters: both would name the target group berth-${common}-ip`,
    );
  });

  it('given the same two names on a worker and a routed project, when validated, then both are accepted (a worker has no target group)', () => {
    const common = 'a'.repeat(23);
    const worker = { name: `${common}x`, repository: structuredClone(cash.repository) };
    const web = { ...structuredClone(cash), name: `${common}y` };
    const config = validateConfig({ ...structuredClone(seed), projects: [worker, web] });
    expect(config.projects.map((p) => p.name)).toEqual([`${common}x`, `${common}y`]);
  });
});

describe('alertChannelSecret', () => {
  it('given a chat channel, when its secret is named, then it is under <prefix>/alerts/', () => {
    expect(alertChannelSecret(seed, 'ops')).toBe('berth/alerts/ops');
    expect(alertChannelSecret({ prefix: 'acme' }, 'oncall')).toBe('acme/alerts/oncall');
  });
});

describe('azureDevOpsBaseUrl', () => {
  it('given no url (the seed), when the base URL is taken, then it is the cloud organization URL', () => {
    expect(azureDevOpsBaseUrl(seed)).toBe('https://dev.azure.com/my-org');
  });

  it('given an Azure DevOps Server URL with trailing slashes, when validated and used, then the slashes are stripped by the schema', () => {
    const config = withAzureDevOps({
      organization: 'my-org',
      url: 'https://tfs.example.com/DefaultCollection//',
    });

    expect(config.azureDevOps.url).toBe('https://tfs.example.com/DefaultCollection');
    expect(azureDevOpsBaseUrl(config)).toBe('https://tfs.example.com/DefaultCollection');
  });
});

describe('cloneUrl', () => {
  it('given a seed repository, when its clone URL is built, then it is the HTTPS URL under the organization', () => {
    expect(cloneUrl(seed, cash)).toBe('https://dev.azure.com/my-org/Finance/_git/cash-collection');
  });

  it('given project and repository names with spaces, when the clone URL is built, then they are URL-encoded', () => {
    const repository = { project: 'Finance Team', name: 'cash collection', branch: 'main' };

    expect(cloneUrl(seed, { repository })).toBe(
      'https://dev.azure.com/my-org/Finance%20Team/_git/cash%20collection',
    );
  });

  it('given a server URL with a trailing slash, when the clone URL is built, then the slash is not doubled', () => {
    const config = withAzureDevOps({ organization: 'my-org', url: 'https://tfs.example.com/tfs/Coll/' });

    expect(cloneUrl(config, cash)).toBe('https://tfs.example.com/tfs/Coll/Finance/_git/cash-collection');
  });
});
