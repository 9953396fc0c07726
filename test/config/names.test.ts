import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load';
import { azureDevOpsBaseUrl, cloneUrl, platformNames, projectNames } from '../../src/config/names';

const seed = loadConfig(path.resolve(__dirname, '../../berth.yaml'));
const [cash, poultry] = seed.projects;

/** The seed with other Azure DevOps settings. */
const withAzureDevOps = (azureDevOps: Record<string, unknown>) =>
  validateConfig({ ...structuredClone(seed), azureDevOps });

describe('projectNames', () => {
  it('derives the physical names of the seed project cash-collection', () => {
    expect(projectNames(seed, cash)).toMatchObject({
      stack: 'berth-cash-collection',
      qualified: 'berth-cash-collection',
      pipeline: 'berth-cash-collection',
      service: 'cash-collection',
      ecrRepository: 'berth/cash-collection',
      patSecret: 'berth/cash-collection/azure-devops-pat',
      webhookSecret: 'berth/cash-collection/webhook',
      imageTagParameter: '/berth/cash-collection/image-tag',
      logGroup: '/berth/cash-collection/service',
      webhookPath: '/webhook/cash-collection',
    });
  });

  it('derives the names of poultry-sale the same way', () => {
    expect(projectNames(seed, poultry)).toMatchObject({
      stack: 'berth-poultry-sale',
      ecrRepository: 'berth/poultry-sale',
      webhookPath: '/webhook/poultry-sale',
    });
  });

  it('starts every name with the configured prefix', () => {
    const names = projectNames({ prefix: 'acme' }, cash);

    expect(names.stack).toBe('acme-cash-collection');
    expect(names.ecrRepository).toBe('acme/cash-collection');
    expect(names.imageTagParameter).toBe('/acme/cash-collection/image-tag');
  });
});

describe('platformNames', () => {
  it('names the shared stacks and resources of the seed after the prefix', () => {
    expect(platformNames(seed)).toMatchObject({
      networkStack: 'berth-network',
      platformStack: 'berth-platform',
      clusterName: 'berth',
      webhookFunctionName: 'berth-webhook',
      alarmTopicName: 'berth-alarms',
    });
  });

  it('never collides with a project stack, because those names are reserved', () => {
    const shared = [platformNames(seed).networkStack, platformNames(seed).platformStack];
    for (const p of seed.projects) expect(shared).not.toContain(projectNames(seed, p).stack);
  });
});

describe('azureDevOpsBaseUrl', () => {
  it('defaults to the cloud organization URL', () => {
    expect(azureDevOpsBaseUrl(seed)).toBe('https://dev.azure.com/my-org');
  });

  it('uses a configured Azure DevOps Server URL, with trailing slashes stripped by the schema', () => {
    const config = withAzureDevOps({
      organization: 'my-org',
      url: 'https://tfs.example.com/DefaultCollection//',
    });

    expect(config.azureDevOps.url).toBe('https://tfs.example.com/DefaultCollection');
    expect(azureDevOpsBaseUrl(config)).toBe('https://tfs.example.com/DefaultCollection');
  });
});

describe('cloneUrl', () => {
  it('builds the HTTPS clone URL of a seed repository', () => {
    expect(cloneUrl(seed, cash)).toBe('https://dev.azure.com/my-org/Finance/_git/cash-collection');
  });

  it('encodes project and repository names with spaces', () => {
    const repository = { project: 'Finance Team', name: 'cash collection', branch: 'main' };

    expect(cloneUrl(seed, { repository })).toBe(
      'https://dev.azure.com/my-org/Finance%20Team/_git/cash%20collection',
    );
  });

  it('joins a configured server URL without doubling the slash', () => {
    const config = withAzureDevOps({ organization: 'my-org', url: 'https://tfs.example.com/tfs/Coll/' });

    expect(cloneUrl(config, cash)).toBe('https://tfs.example.com/tfs/Coll/Finance/_git/cash-collection');
  });
});
