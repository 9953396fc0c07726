import { CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  changedFields,
  findBerthSubscriptions,
  subscriptionBody,
  type Subscription,
} from '../../src/cli/azure-devops';
import type { CliDeps } from '../../src/cli/main';
import { FakeAzureDevOps, MASK, type AzureDevOpsFlavor } from '../support/fake-azure-devops';
import {
  ADO_BASE,
  ADO_ORIGIN,
  API_URL,
  IDS,
  PAT,
  WEBHOOK_PASSWORD,
  WEBHOOK_USERNAME,
  assertNoSecretsWritten,
  capture,
  deployEverything,
  mockAws,
  run,
  stack,
  waitFor,
  writeConfig,
} from './helpers';

const CASH_URL = `${API_URL}webhook/cash-collection`;
const CASH_SECRET = 'berth/cash-collection/webhook';
const CASH_MARKER = 'X-Berth-Project:berth/cash-collection';

const aws = mockAws();
let ado: FakeAzureDevOps;
let config: ReturnType<typeof writeConfig>;
let deps: CliDeps;
/** The webhook secrets' values, as Secrets Manager holds them (GetSecretValue reads, PutSecretValue writes). */
let secrets: Map<string, string>;
/** The backoff waits the Azure DevOps client asked for (injected: never waited). */
let sleeps: number[];

function startAdo(flavor: AzureDevOpsFlavor = 'services'): Promise<FakeAzureDevOps> {
  return FakeAzureDevOps.start({
    collection: 'DefaultCollection',
    pat: PAT,
    flavor,
    projects: { Finance: IDS.financeProject, Sales: IDS.salesProject },
    repositories: [
      { project: 'Finance', name: 'cash-collection', id: IDS.cashRepo },
      { project: 'Sales', name: 'poultry-sale', id: IDS.poultryRepo },
    ],
  });
}

beforeAll(() => {
  config = writeConfig();
});
afterAll(() => config.remove());

beforeEach(async () => {
  aws.cfn.reset();
  aws.sm.reset();
  aws.regions.length = 0;
  deployEverything(aws);
  aws.sm.reset();
  secrets = new Map(
    ['cash-collection', 'poultry-sale'].map((p) => [
      `berth/${p}/webhook`,
      JSON.stringify({ username: WEBHOOK_USERNAME, password: WEBHOOK_PASSWORD }),
    ]),
  );
  aws.sm.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
    const value = secrets.get(input.SecretId);
    if (value === undefined) {
      throw Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      });
    }
    return { Name: input.SecretId, VersionId: 'v-hook', SecretString: value };
  });
  aws.sm.on(PutSecretValueCommand).callsFake((input: { SecretId: string; SecretString: string }) => {
    secrets.set(input.SecretId, input.SecretString);
    return { Name: input.SecretId, VersionId: 'v-hook-2' };
  });
  ado = await startAdo();
  sleeps = [];
  deps = {
    aws: aws.factory,
    fetch: ado.fetchFor(ADO_ORIGIN),
    azureDevOpsTimeoutMs: 2_000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
});

afterEach(async () => {
  await ado.close();
  // Every test, whatever it checks, also proves no secret reached stdout or stderr.
  assertNoSecretsWritten();
});

const withPat = () => capture({ env: { AZURE_DEVOPS_PAT: PAT } });
const connect = (project: string, c = withPat(), extra: string[] = []) =>
  run(['connect', project, ...extra], c, config.file, deps);
const putSecretCalls = () => aws.sm.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input);

/** Runs connect with a config whose azureDevOps block is `azureDevOps`. */
async function connectWith(azureDevOps: Record<string, unknown>, args = ['connect', 'cash-collection']) {
  const other = writeConfig({ azureDevOps: { organization: 'my-org', url: ADO_BASE, ...azureDevOps } });
  try {
    return await run(args, withPat(), other.file, deps);
  } finally {
    other.remove();
  }
}

describe('berth connect: creating the service hook', () => {
  it('given deployed stacks and no subscription, when connect runs, then it creates one git.push subscription with the exact body and the marker header', async () => {
    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(ado.subscriptions.size).toBe(1);
    const writes = ado.writes();
    expect(writes).toHaveLength(1);
    expect(writes[0].method).toBe('POST');
    expect(writes[0].path).toBe('/_apis/hooks/subscriptions');
    expect(writes[0].query).toEqual({ 'api-version': '7.0' });
    expect(writes[0].body).toEqual({
      publisherId: 'tfs',
      eventType: 'git.push',
      resourceVersion: '1.0',
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: {
        url: CASH_URL,
        basicAuthUsername: WEBHOOK_USERNAME,
        basicAuthPassword: WEBHOOK_PASSWORD,
        httpHeaders: CASH_MARKER,
        resourceDetailsToSend: 'all',
        messagesToSend: 'none',
        detailedMessagesToSend: 'none',
      },
    });
    expect(r.stdout).toContain('Created the service hook for cash-collection');
    expect(r.stdout).toContain(CASH_URL);
    expect(r.stdout).toContain('git.push on Finance/cash-collection, branch main');
    expect(r.stdout).toContain('Marker:      X-Berth-Project: berth/cash-collection');
  });

  it('given a webhook secret without the repository id, when connect runs, then it merges the GUID into the secret and keeps the credentials', async () => {
    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(putSecretCalls()).toHaveLength(1);
    expect(putSecretCalls()[0].SecretId).toBe(CASH_SECRET);
    expect(JSON.parse(putSecretCalls()[0].SecretString ?? '')).toEqual({
      username: WEBHOOK_USERNAME,
      password: WEBHOOK_PASSWORD,
      repositoryId: IDS.cashRepo,
    });
    expect(r.stdout).toContain(`Repository:  ${IDS.cashRepo} (stored in ${CASH_SECRET} as repositoryId)`);
  });

  it('given a webhook secret with other keys and an old repository id, when connect runs, then only repositoryId changes', async () => {
    secrets.set(
      CASH_SECRET,
      JSON.stringify({
        username: WEBHOOK_USERNAME,
        password: WEBHOOK_PASSWORD,
        rotatedAt: '2025-01-01',
        repositoryId: '11111111-2222-4333-8444-555555555555',
      }),
    );

    await connect('cash-collection');

    expect(JSON.parse(secrets.get(CASH_SECRET) ?? '')).toEqual({
      username: WEBHOOK_USERNAME,
      password: WEBHOOK_PASSWORD,
      rotatedAt: '2025-01-01',
      repositoryId: IDS.cashRepo,
    });
  });

  it('given the secret already holds the repository id, when connect runs, then it writes no new secret version', async () => {
    secrets.set(
      CASH_SECRET,
      JSON.stringify({ username: WEBHOOK_USERNAME, password: WEBHOOK_PASSWORD, repositoryId: IDS.cashRepo }),
    );

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(putSecretCalls()).toEqual([]);
    expect(r.stdout).toContain(`(already in ${CASH_SECRET} as repositoryId)`);
  });

  it('given an identity without secretsmanager:PutSecretValue, when connect runs, then it names the action and creates no subscription', async () => {
    aws.sm
      .on(PutSecretValueCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Your AWS identity may not call secretsmanager:PutSecretValue on the secret ${CASH_SECRET} in us-east-1`,
    );
    expect(ado.writes()).toEqual([]);
  });

  it('given a PAT in AZURE_DEVOPS_PAT, when connect calls Azure DevOps, then every request carries Basic base64(":" + PAT), the default api-version 7.0 and no sign-in redirect', async () => {
    await connect('cash-collection');

    const expected = `Basic ${Buffer.from(`:${PAT}`).toString('base64')}`;
    expect(ado.requests.length).toBeGreaterThanOrEqual(4);
    for (const req of ado.requests) {
      expect(req.headers.authorization).toBe(expected);
      expect(req.headers['x-tfs-fedauthredirect']).toBe('Suppress');
      expect(req.query['api-version']).toBe('7.0');
    }
    expect(ado.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'GET /_apis/projects/Finance',
      'GET /Finance/_apis/git/repositories/cash-collection',
      'GET /_apis/hooks/subscriptions',
      'POST /_apis/hooks/subscriptions',
    ]);
    expect(ado.requests[2].query).toMatchObject({
      publisherId: 'tfs',
      eventType: 'git.push',
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
    });
  });

  it("given a project with another branch and repository, when connect runs, then the subscription filters on that project's repository and branch", async () => {
    const r = await connect('poultry-sale');

    expect(r.code).toBe(0);
    const [sub] = [...ado.subscriptions.values()];
    expect(sub.publisherInputs).toEqual({
      projectId: IDS.salesProject,
      repository: IDS.poultryRepo,
      branch: 'release',
    });
    expect(sub.consumerInputs.url).toBe(`${API_URL}webhook/poultry-sale`);
    expect(sub.consumerInputs.httpHeaders).toBe('X-Berth-Project:berth/poultry-sale');
  });

  it('given a custom domain ApiUrl without a trailing slash, when connect runs, then the URL is ApiUrl + /webhook/<project>', async () => {
    aws.cfn.on(DescribeStacksCommand, { StackName: 'berth-platform' }).resolves({
      Stacks: [stack('berth-platform', { ApiUrl: 'https://api.example.com' })],
    });

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect([...ado.subscriptions.values()][0].consumerInputs.url).toBe(
      'https://api.example.com/webhook/cash-collection',
    );
  });

  it('given a repository id in the config, when connect runs, then it looks the repository up by that id', async () => {
    const withId = writeConfig({
      projects: [
        {
          name: 'cash-collection',
          path: '/api/cash',
          priority: 10,
          repository: { project: 'Finance', name: 'cash-collection', id: IDS.cashRepo },
        },
      ],
    });
    try {
      const r = await run(['connect', 'cash-collection'], withPat(), withId.file, deps);

      expect(r.code).toBe(0);
      expect(ado.requests[1].path).toBe(`/Finance/_apis/git/repositories/${IDS.cashRepo}`);
      expect([...ado.subscriptions.values()][0].publisherInputs.repository).toBe(IDS.cashRepo);
    } finally {
      withId.remove();
    }
  });

  it('given only an organization in the config, when connect runs, then it calls https://dev.azure.com/<org>', async () => {
    const cloud = writeConfig({ azureDevOps: { organization: 'DefaultCollection' } });
    try {
      const r = await run(['connect', 'cash-collection'], withPat(), cloud.file, {
        ...deps,
        fetch: ado.fetchFor('https://dev.azure.com'),
      });

      expect(r.code).toBe(0);
      expect(ado.subscriptions.size).toBe(1);
    } finally {
      cloud.remove();
    }
  });

  it('given AWS_REGION naming another region than the config, when connect runs, then it stops with exit 2 before calling Azure DevOps', async () => {
    const r = await connect(
      'cash-collection',
      capture({ env: { AZURE_DEVOPS_PAT: PAT, AWS_REGION: 'eu-west-1' } }),
    );

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('AWS_REGION is eu-west-1');
    expect(ado.requests).toHaveLength(0);
  });

  it('given no AWS_REGION, when connect runs, then the AWS clients use the config region', async () => {
    await connect('cash-collection');

    expect(aws.regions).toEqual(['us-east-1']);
  });
});

describe('berth connect: Azure DevOps Services and Server versions', () => {
  const cases: [AzureDevOpsFlavor, string][] = [
    ['services', '7.1'],
    ['services', '7.0'],
    ['server2022', '7.0'],
    ['server2020', '6.0'],
  ];
  it.each(cases)(
    'given %s and azureDevOps.apiVersion %s, when connect runs, then it connects with that version',
    async (flavor, apiVersion) => {
      ado.flavor = flavor;

      const r = await connectWith({ apiVersion });

      expect(r.code).toBe(0);
      expect(ado.subscriptions.size).toBe(1);
      expect(new Set(ado.requests.map((q) => q.query['api-version']))).toEqual(new Set([apiVersion]));
    },
  );

  it('given Server 2022 and apiVersion 7.1, when connect runs, then it stops with exit 2, names the setting and 7.0 for Server 2022, and changes nothing', async () => {
    ado.flavor = 'server2022';

    const r = await connectWith({ apiVersion: '7.1' });

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Error: Azure DevOps at ${ADO_BASE} refused REST api-version 7.1`);
    expect(r.stderr).toContain('The requested REST API version of 7.1 is out of range for this server');
    expect(r.stderr).toContain('set azureDevOps.apiVersion in berth.yaml');
    expect(r.stderr).toContain('7.0 for Server 2022');
    expect(ado.requests).toHaveLength(1);
    expect(ado.writes()).toEqual([]);
    expect(putSecretCalls()).toEqual([]);
  });

  it('given Server 2020 and the default apiVersion 7.0, when connect runs, then the error says 6.0 for Server 2020', async () => {
    ado.flavor = 'server2020';

    const r = await connect('cash-collection', withPat(), ['--json']);

    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('config');
    expect(error.message).toContain('refused REST api-version 7.0');
    expect(error.message).toContain('6.0 for Azure DevOps Server 2020');
    expect(ado.subscriptions.size).toBe(0);
  });
});

describe('berth connect: finding its own subscription by the marker', () => {
  it('given connect already ran, when it runs again, then there is still one subscription and the second write is a PUT of the full body', async () => {
    const first = await connect('cash-collection');
    const second = await connect('cash-collection');

    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(ado.subscriptions.size).toBe(1);
    const [post, put] = ado.writes();
    expect(post.method).toBe('POST');
    expect(put.method).toBe('PUT');
    const id = [...ado.subscriptions.keys()][0];
    expect(put.path).toBe(`/_apis/hooks/subscriptions/${id}`);
    // Azure DevOps masks the stored password on GET: the update must send the real one again.
    expect(put.body).toMatchObject({ ...(post.body as object), id, status: 'enabled' });
    expect(
      (put.body as { consumerInputs: { basicAuthPassword: string } }).consumerInputs.basicAuthPassword,
    ).toBe(WEBHOOK_PASSWORD);
    expect(ado.subscriptions.get(id)!.consumerInputs.basicAuthPassword).toBe(WEBHOOK_PASSWORD);
    expect(second.stdout).toContain(`Updated the service hook for cash-collection (subscription ${id})`);
  });

  it('given the API moved to a custom domain after connect ran, when connect runs again, then it updates the same subscription to the new URL and makes no second one', async () => {
    await connect('cash-collection');
    const id = [...ado.subscriptions.keys()][0];
    aws.cfn.on(DescribeStacksCommand, { StackName: 'berth-platform' }).resolves({
      Stacks: [stack('berth-platform', { ApiUrl: 'https://api.example.com/' })],
    });

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect([...ado.subscriptions.keys()]).toEqual([id]);
    expect(ado.subscriptions.get(id)!.consumerInputs.url).toBe(
      'https://api.example.com/webhook/cash-collection',
    );
    expect(ado.writes().map((w) => w.method)).toEqual(['POST', 'PUT']);
    expect(r.stdout).toContain(
      `Updated (url changed) the service hook for cash-collection (subscription ${id})`,
    );
  });

  it("given our marked subscription on an old URL and branch, a stale marked duplicate and someone else's hook, when connect runs, then ours is updated in place, the duplicate deleted and the other left alone", async () => {
    const theirs = ado.seed({
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: { url: 'https://ci.example.com/hook', basicAuthPassword: 'their-secret' },
    });
    const ours = ado.seed({
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'develop' },
      consumerInputs: {
        url: 'https://old-api.example.com/webhook/cash-collection',
        basicAuthUsername: 'old',
        basicAuthPassword: 'old-password',
        httpHeaders: CASH_MARKER,
      },
    });
    const stale = ado.seed({
      status: 'disabledBySystem',
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: { url: 'https://older.example.com/webhook/cash-collection', httpHeaders: CASH_MARKER },
    });

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(ado.writes().map((w) => `${w.method} ${w.path}`)).toEqual([
      `PUT /_apis/hooks/subscriptions/${ours.id}`,
      `DELETE /_apis/hooks/subscriptions/${stale.id}`,
    ]);
    expect([...ado.subscriptions.keys()].sort()).toEqual([ours.id, theirs.id].sort());
    const updated = ado.subscriptions.get(ours.id)!;
    expect(updated.publisherInputs.branch).toBe('main');
    expect(updated.consumerInputs.url).toBe(CASH_URL);
    expect(updated.consumerInputs.basicAuthPassword).toBe(WEBHOOK_PASSWORD);
    expect(ado.subscriptions.get(theirs.id)!.consumerInputs.url).toBe('https://ci.example.com/hook');
    expect(r.stdout).toContain(`Deleted:     1 stale service hook(s) of this project (${stale.id})`);
  });

  it("given another project's marked subscription on the same repository, when connect runs, then it is neither updated nor deleted", async () => {
    const other = ado.seed({
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: {
        url: CASH_URL.replace('cash-collection', 'cash-copy'),
        httpHeaders: 'X-Berth-Project:berth/cash-copy',
      },
    });

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(ado.subscriptions.size).toBe(2);
    expect(ado.writes().map((w) => w.method)).toEqual(['POST']);
    expect(ado.subscriptions.get(other.id)!.consumerInputs.httpHeaders).toBe(
      'X-Berth-Project:berth/cash-copy',
    );
  });

  it('given Azure DevOps disabled our subscription, when connect runs, then the PUT re-enables it and says so', async () => {
    const ours = ado.seed({
      status: 'disabledBySystem',
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: { url: CASH_URL, basicAuthPassword: MASK, httpHeaders: CASH_MARKER },
    });

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(ado.subscriptions.get(ours.id)!.status).toBe('enabled');
    expect(r.stdout).toContain('It was disabledBySystem and is enabled again.');
  });

  it('given a subscription an earlier Berth made without the marker, on an old host, when connect runs, then it adopts it (adds the marker, new URL) instead of creating one', async () => {
    const legacy = ado.seed({
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: { url: 'https://old-api.example.com/webhook/cash-collection' },
    });

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect([...ado.subscriptions.keys()]).toEqual([legacy.id]);
    expect(ado.subscriptions.get(legacy.id)!.consumerInputs).toMatchObject({
      url: CASH_URL,
      httpHeaders: CASH_MARKER,
    });
  });

  it('given our marked subscription and an unmarked one to the same webhook path, when connect runs, then it updates ours and warns about the other without deleting it', async () => {
    const ours = ado.seed({
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: { url: CASH_URL, httpHeaders: CASH_MARKER },
    });
    const unmarked = ado.seed({
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: { url: CASH_URL },
    });

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(ado.subscriptions.size).toBe(2);
    expect(ado.writes().map((w) => `${w.method} ${w.path}`)).toEqual([
      `PUT /_apis/hooks/subscriptions/${ours.id}`,
    ]);
    expect(r.stderr).toContain("1 other service hook subscription(s) without Berth's X-Berth-Project header");
    expect(r.stderr).toContain(unmarked.id);
  });
});

describe('berth connect --all', () => {
  it('given two projects, when connect --all runs, then both are connected and reported, and the exit code is 0', async () => {
    const r = await run(['connect', '--all'], withPat(), config.file, deps);

    expect(r.code).toBe(0);
    expect(ado.subscriptions.size).toBe(2);
    expect(r.stdout).toContain('Created the service hook for cash-collection');
    expect(r.stdout).toContain('Created the service hook for poultry-sale');
    expect(JSON.parse(secrets.get('berth/poultry-sale/webhook') ?? '').repositoryId).toBe(IDS.poultryRepo);
    // One PAT for the whole run: asked once, used everywhere.
    expect(new Set(ado.requests.map((q) => q.headers.authorization)).size).toBe(1);
  });

  it('given --all and --json, when it succeeds, then stdout is one JSON document listing every project', async () => {
    const r = await run(['connect', '--all', '--json'], withPat(), config.file, deps);

    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { projects: { project: string; action: string }[] };
    expect(out.projects.map((p) => [p.project, p.action])).toEqual([
      ['cash-collection', 'created'],
      ['poultry-sale', 'created'],
    ]);
  });

  it('given one project whose repository does not exist, when connect --all runs, then the other is still connected and the exit code is 1', async () => {
    const broken = writeConfig({
      projects: [
        {
          name: 'cash-collection',
          path: '/api/cash',
          priority: 10,
          repository: { project: 'Finance', name: 'no-such-repo' },
        },
        {
          name: 'poultry-sale',
          path: '/api/poultry',
          priority: 20,
          repository: { project: 'Sales', name: 'poultry-sale', branch: 'release' },
        },
      ],
    });
    try {
      const r = await run(['connect', '--all'], withPat(), broken.file, deps);

      expect(r.code).toBe(1);
      expect(r.stdout).toContain('Created the service hook for poultry-sale');
      expect(r.stderr).toContain('Error: cash-collection: Azure DevOps has no repository "no-such-repo"');
      expect(r.stderr).toContain(
        'Error: Could not connect 1 of 2 projects (cash-collection); connected: poultry-sale.',
      );
      expect([...ado.subscriptions.values()].map((s) => s.consumerInputs.httpHeaders)).toEqual([
        'X-Berth-Project:berth/poultry-sale',
      ]);
    } finally {
      broken.remove();
    }
  });

  it('given --all and --json with one project failing, when connect runs, then stdout is one JSON document with each outcome and the exit code is 1', async () => {
    ado.fail(
      'GET',
      /^\/Sales\//,
      404,
      'TF401019: The Git repository with name or identifier poultry-sale does not exist.',
    );

    const r = await run(['connect', '--all', '--json'], withPat(), config.file, deps);

    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { projects: Record<string, unknown>[] };
    expect(out.projects).toEqual([
      expect.objectContaining({ project: 'cash-collection', ok: true, action: 'created' }),
      {
        project: 'poultry-sale',
        ok: false,
        error: { code: 'azure-devops-not-found', message: expect.stringContaining('TF401019') as string },
      },
    ]);
    expect(r.stderr).toBe('');
  });

  it('given --all and a project name together, when connect runs, then it is a usage error', async () => {
    const r = await run(['connect', 'cash-collection', '--all'], withPat(), config.file, deps);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Give either <project> or --all, not both');
    expect(ado.requests).toHaveLength(0);
  });

  it('given --all and no PAT, when connect runs, then it stops once with exit 2 before calling Azure DevOps', async () => {
    const r = await run(['connect', '--all'], capture(), config.file, deps);

    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `Error: No Azure DevOps PAT: set AZURE_DEVOPS_PAT to a token with the scopes Project and Team (Read), Code (Read) and Service Hooks (Read, query & manage), or run this in a terminal to be asked for it.\n`,
    );
    expect(ado.requests).toHaveLength(0);
  });
});

describe('berth connect: insecure HTTP and help', () => {
  it('given an http:// Azure DevOps Server allowed by allowInsecureHttp, when connect runs, then it works and warns that the PAT travels in clear', async () => {
    const insecure = writeConfig({
      azureDevOps: {
        organization: 'my-org',
        url: 'http://ado.berth.test/DefaultCollection',
        allowInsecureHttp: true,
      },
    });
    try {
      const r = await run(['connect', 'cash-collection'], withPat(), insecure.file, {
        ...deps,
        fetch: ado.fetchFor('http://ado.berth.test'),
      });

      expect(r.code).toBe(0);
      expect(r.stderr).toContain(
        'Warning: azureDevOps.url http://ado.berth.test/DefaultCollection is http://',
      );
      expect(r.stderr).toContain('the PAT and the webhook password travel in clear');
      expect(ado.subscriptions.size).toBe(1);
    } finally {
      insecure.remove();
    }
  });

  it('given connect --help, when the CLI runs, then it documents --all, the marker, the scopes and how to trust an internal CA', async () => {
    const r = await run(['connect', '--help'], capture(), config.file, deps);

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: berth connect <project> | --all');
    expect(r.stdout).toContain('X-Berth-Project: <prefix>/<project>');
    expect(r.stdout).toContain(
      'Project and Team (Read), Code (Read) and Service Hooks (Read, query & manage)',
    );
    expect(r.stdout).toContain('NODE_EXTRA_CA_CERTS=/path/to/ca.pem berth connect <project>');
  });
});

describe('berth connect: where the PAT comes from', () => {
  it('given no AZURE_DEVOPS_PAT and a stdin that is not a terminal, when connect runs, then it stops with exit 2 before calling Azure DevOps', async () => {
    const r = await connect('cash-collection', capture({ stdin: `${PAT}\n` }));

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No Azure DevOps PAT: set AZURE_DEVOPS_PAT');
    expect(ado.requests).toHaveLength(0);
  });

  it('given no AZURE_DEVOPS_PAT and a terminal, when the user types the PAT, then it is used and never echoed', async () => {
    const c = capture({ stdin: 'tty' });
    const pending = connect('cash-collection', c);
    await waitFor(() => c.stderr().includes('input hidden'));
    c.type(`${PAT}\r`);
    const r = await pending;

    expect(r.code).toBe(0);
    expect(ado.subscriptions.size).toBe(1);
    expect(r.stderr).not.toContain(PAT);
  });

  it('given the prompt, when the user presses Ctrl-C, then nothing is created and the command says it was cancelled', async () => {
    const c = capture({ stdin: 'tty' });
    const pending = connect('cash-collection', c);
    await waitFor(() => c.stderr().includes('input hidden'));
    c.type('\x03');
    const r = await pending;

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cancelled: nothing was changed.');
    expect(ado.requests).toHaveLength(0);
  });

  it('given an AZURE_DEVOPS_PAT with a space inside, when connect runs, then it is refused with exit 2', async () => {
    const r = await connect('cash-collection', capture({ env: { AZURE_DEVOPS_PAT: 'abc def ghi jkl' } }));

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The PAT from AZURE_DEVOPS_PAT contains whitespace');
    expect(ado.requests).toHaveLength(0);
  });

  it('given a --pat flag, when connect runs, then it is refused with exit 2 and the value is not repeated', async () => {
    const r = await run(['connect', 'cash-collection', `--pat=${PAT}`], capture(), config.file, deps);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The PAT is never taken from a flag');
    expect(ado.requests).toHaveLength(0);
  });
});

describe('berth connect: Azure DevOps errors', () => {
  it('given a PAT Azure DevOps refuses (401), when connect runs, then it says the PAT was refused and to check it', async () => {
    const r = await connect(
      'cash-collection',
      capture({ env: { AZURE_DEVOPS_PAT: 'wrong-token-0123456789' } }),
    );

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Error: Azure DevOps at ${ADO_BASE} refused the PAT (401 Unauthorized): check that AZURE_DEVOPS_PAT`,
    );
    expect(r.stderr).not.toContain('wrong-token-0123456789');
    expect(ado.writes()).toHaveLength(0);
  });

  it('given Azure DevOps answers a sign-in page (203 HTML), when connect runs, then it is reported as a refused PAT', async () => {
    ado.answerHtml(/^\/_apis\/projects\//, 203);

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refused the PAT (401 Unauthorized)');
  });

  it('given a PAT without the Service Hooks scope (403 on create), when connect runs, then it names the scopes to add', async () => {
    ado.fail(
      'POST',
      /^\/_apis\/hooks\/subscriptions$/,
      403,
      'Access denied. Needs EditSubscriptions permission.',
    );

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Azure DevOps denied saving the service hook (403 Forbidden): give the PAT the scopes',
    );
    expect(r.stderr).toContain('Service Hooks (Read, query & manage)');
    expect(r.stderr).toContain('Access denied. Needs EditSubscriptions permission.');
    expect(ado.subscriptions.size).toBe(0);
  });

  it('given a PAT that may not list subscriptions (403 on GET), when connect runs, then it says the lookup was denied', async () => {
    ado.fail('GET', /^\/_apis\/hooks\/subscriptions$/, 403);

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Azure DevOps denied the lookup (403 Forbidden)');
  });

  it('given an Azure DevOps project that does not exist (404), when connect runs, then it names the project and the config field', async () => {
    const wrong = writeConfig({
      projects: [
        {
          name: 'cash-collection',
          path: '/api/cash',
          priority: 10,
          repository: { project: 'Finanse', name: 'cash-collection' },
        },
      ],
    });
    try {
      const r = await run(['connect', 'cash-collection'], withPat(), wrong.file, deps);

      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `Azure DevOps has no project "Finanse" at ${ADO_BASE} (404): check projects[0].repository.project`,
      );
      expect(r.stderr).toContain('TF200016');
    } finally {
      wrong.remove();
    }
  });

  it('given a repository that does not exist (404), when connect runs, then it names the repository and the config field', async () => {
    const wrong = writeConfig({
      projects: [
        {
          name: 'cash-collection',
          path: '/api/cash',
          priority: 10,
          repository: { project: 'Finance', name: 'cash' },
        },
      ],
    });
    try {
      const r = await run(['connect', 'cash-collection'], withPat(), wrong.file, deps);

      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'Azure DevOps has no repository "cash" in project "Finance" (404): check projects[0].repository.name',
      );
    } finally {
      wrong.remove();
    }
  });

  it("given Azure DevOps refuses the subscription (400), when connect runs, then Azure DevOps' message is shown", async () => {
    ado.fail('POST', /^\/_apis\/hooks\/subscriptions$/, 400, "The consumer input 'url' is not a valid URL.");

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "Error: Azure DevOps refused the service hook subscription (400): The consumer input 'url' is not a valid URL. Fix what it names",
    );
  });

  it('given Azure DevOps refuses the update (400), when connect runs again, then the message is shown the same way', async () => {
    await connect('cash-collection');
    ado.fail('PUT', /^\/_apis\/hooks\/subscriptions\//, 400, 'Subscription input branch is invalid.');

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Azure DevOps refused the service hook subscription (400): Subscription input branch is invalid.',
    );
  });

  it('given Azure DevOps fails (500) every time, when connect runs, then it retries the lookup 3 times and says to try again later', async () => {
    ado.fail('GET', /^\/_apis\/projects\//, 500, 'Internal error.');

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('answered 500 Internal Server Error; gave up after 3 attempts');
    expect(r.stderr).toContain('try again in a few minutes');
    expect(ado.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
  });

  it('given one 429 with Retry-After: 3 on the lookup, when connect runs, then it waits 3 s and the retry succeeds', async () => {
    ado.reply({ status: 429, headers: { 'Retry-After': '3' } });

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(sleeps).toEqual([3000]);
    expect(ado.requests.slice(0, 2).map((q) => q.path)).toEqual([
      '/_apis/projects/Finance',
      '/_apis/projects/Finance',
    ]);
  });

  it('given the create answers 500, when connect runs, then it is not retried (it may have been made) and the error says so', async () => {
    ado.fail('POST', /^\/_apis\/hooks\/subscriptions$/, 500, 'Internal error.');

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(ado.writes()).toHaveLength(1);
    expect(r.stderr).toContain('answered 500');
  });

  it('given Azure DevOps does not answer, when connect runs, then it gives up after the timeout and says so', async () => {
    ado.hang(/^\/_apis\/projects\//);

    const r = await run(['connect', 'cash-collection'], withPat(), config.file, {
      ...deps,
      azureDevOpsTimeoutMs: 200,
    });

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Azure DevOps at ${ADO_BASE} did not answer (no answer within 200 ms; gave up after 3 attempts)`,
    );
    expect(ado.requests).toHaveLength(3);
  });

  it('given Azure DevOps cannot be reached, when connect runs, then it says which URL it could not reach', async () => {
    const closed = ado.fetchFor(ADO_ORIGIN);
    await ado.close();

    const r = await run(['connect', 'cash-collection'], withPat(), config.file, { ...deps, fetch: closed });
    ado = await FakeAzureDevOps.start({ collection: 'x', pat: PAT });

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Could not reach Azure DevOps at ${ADO_BASE} (ECONNREFUSED; gave up after 3 attempts)`,
    );
    expect(r.stderr).toContain('NODE_EXTRA_CA_CERTS');
  });
});

describe('berth connect: AWS errors', () => {
  it('given the platform stack is not deployed, when connect runs, then it says to deploy and calls no Azure DevOps API', async () => {
    aws.cfn.on(DescribeStacksCommand, { StackName: 'berth-platform' }).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: {},
        message: 'Stack with id berth-platform does not exist',
      }),
    );

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error: The stack berth-platform is not deployed in us-east-1: run `npx cdk deploy --all` first.\n',
    );
    expect(ado.requests).toHaveLength(0);
  });

  it('given the project stack is not deployed, when connect runs, then it names that stack', async () => {
    aws.cfn.on(DescribeStacksCommand, { StackName: 'berth-cash-collection' }).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: {},
        message: 'Stack with id berth-cash-collection does not exist',
      }),
    );

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The stack berth-cash-collection is not deployed in us-east-1: run `npx cdk deploy --all` first.',
    );
  });

  it('given the project stack rolled back on its first deploy, when connect runs, then it says the stack is not ready', async () => {
    aws.cfn.on(DescribeStacksCommand, { StackName: 'berth-cash-collection' }).resolves({
      Stacks: [stack('berth-cash-collection', {}, 'ROLLBACK_COMPLETE')],
    });

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The stack berth-cash-collection is not ready in us-east-1 (status ROLLBACK_COMPLETE)',
    );
  });

  it('given a platform stack without the ApiUrl output, when connect runs, then it says to redeploy', async () => {
    aws.cfn
      .on(DescribeStacksCommand, { StackName: 'berth-platform' })
      .resolves({ Stacks: [stack('berth-platform')] });

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The stack berth-platform in us-east-1 has no output ApiUrl: run `npx cdk deploy --all`',
    );
  });

  it('given no AWS credentials, when connect runs, then it says to set AWS_PROFILE or log in', async () => {
    aws.cfn.reset();
    aws.cfn.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error: No AWS credentials found: set AWS_PROFILE or run `aws sso login`, then try again.\n',
    );
  });

  it('given expired AWS credentials, when connect runs, then it says to log in again', async () => {
    aws.cfn.reset();
    aws.cfn.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('The security token included in the request is expired'), {
        name: 'ExpiredToken',
      }),
    );

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AWS refused the credentials (ExpiredToken)');
  });

  it('given the webhook secret is missing, when connect runs, then it says the project stack is not deployed', async () => {
    aws.sm.reset();
    aws.sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      }),
    );

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The secret berth/cash-collection/webhook does not exist in us-east-1, so the stack berth-cash-collection is not deployed',
    );
  });

  it('given a webhook secret without a password, when connect runs, then it says the secret is malformed', async () => {
    aws.sm.reset();
    aws.sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'x' }) });

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The secret berth/cash-collection/webhook does not hold {"username": ..., "password": ...}',
    );
  });

  it('given an identity without secretsmanager:GetSecretValue, when connect runs, then it names the action', async () => {
    aws.sm.reset();
    aws.sm
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Your AWS identity may not call secretsmanager:GetSecretValue on the secret berth/cash-collection/webhook in us-east-1',
    );
  });
});

describe('berth connect: arguments and output', () => {
  it('given an unknown project, when connect runs, then it exits 2 and lists the configured ones', async () => {
    const r = await connect('cash');

    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `Error: No project "cash" in ${config.file}: choose one of: cash-collection, poultry-sale.\n`,
    );
    expect(aws.regions).toHaveLength(0);
  });

  it('given no project, when connect runs, then it exits 2 and lists the configured ones', async () => {
    const r = await run(['connect'], withPat(), config.file, deps);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'Missing <project>: run `berth connect <project>` with one of: cash-collection, poultry-sale.',
    );
  });

  it('given --json, when connect succeeds, then stdout is one JSON document without secrets', async () => {
    const r = await connect('cash-collection', withPat(), ['--json']);

    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toEqual({
      project: 'cash-collection',
      action: 'created',
      subscriptionId: [...ado.subscriptions.keys()][0],
      status: 'enabled',
      changes: [],
      eventType: 'git.push',
      resourceVersion: '1.0',
      url: CASH_URL,
      webhookSecret: CASH_SECRET,
      marker: 'X-Berth-Project: berth/cash-collection',
      repositoryIdStored: true,
      azureDevOps: {
        baseUrl: ADO_BASE,
        apiVersion: '7.0',
        project: 'Finance',
        projectId: IDS.financeProject,
        repository: 'cash-collection',
        repositoryId: IDS.cashRepo,
        branch: 'main',
      },
      deleted: [],
      unmarked: [],
    });
    expect(r.stderr).toBe('');
  });

  it('given --json, when connect fails, then stdout is {"error": {code, message}}', async () => {
    ado.fail('POST', /^\/_apis\/hooks\/subscriptions$/, 400, 'Bad branch.');

    const r = await connect('cash-collection', withPat(), ['--json']);

    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'subscription-refused', message: expect.stringContaining('Bad branch') as string },
    });
  });

  it('given a terminal on stderr, when connect runs, then a progress line is drawn on stderr and cleared, and stdout holds only the result', async () => {
    const c = capture({ env: { AZURE_DEVOPS_PAT: PAT }, stderrTTY: true });

    const r = await connect('cash-collection', c);

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Reading berth-platform and berth-cash-collection in us-east-1');
    expect(r.stderr).toContain('Looking up Finance/cash-collection in Azure DevOps');
    expect(r.stderr.endsWith('\r\x1b[2K')).toBe(true);
    expect(r.stdout.startsWith('Created the service hook')).toBe(true);
  });

  it('given stderr is not a terminal, when connect runs, then no progress line is written', async () => {
    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('findBerthSubscriptions and changedFields', () => {
  const marker = 'berth/cash-collection';
  const sub = (
    id: string,
    extra: Partial<Subscription> = {},
    inputs: Record<string, string> = {},
  ): Subscription => ({
    id,
    status: 'enabled',
    publisherId: 'tfs',
    eventType: 'git.push',
    consumerId: 'webHooks',
    consumerActionId: 'httpRequest',
    publisherInputs: { repository: IDS.cashRepo, projectId: IDS.financeProject, branch: 'main' },
    consumerInputs: { url: CASH_URL, httpHeaders: `X-Berth-Project:${marker}`, ...inputs },
    ...extra,
  });
  const find = (subs: Subscription[]) =>
    findBerthSubscriptions(subs, {
      marker,
      webhookPath: '/webhook/cash-collection',
      repositoryId: IDS.cashRepo,
    });

  it('given marked subscriptions, when searched, then an enabled one on the repository is kept and the others are stale', () => {
    const found = find([
      sub('disabled', { status: 'disabledBySystem' }),
      sub('other-repo', { publisherInputs: { repository: IDS.poultryRepo } }),
      sub('best'),
    ]);

    expect(found.keep?.id).toBe('best');
    expect(found.stale.map((s) => s.id).sort()).toEqual(['disabled', 'other-repo']);
    expect(found.unmarked).toEqual([]);
  });

  it('given the marker header with spaces, another case of name and other headers, when searched, then it is still ours', () => {
    const found = find([sub('a', {}, { httpHeaders: `X-Trace:1\r\nx-berth-project:  ${marker}  ` })]);

    expect(found.keep?.id).toBe('a');
  });

  it('given subscriptions of another kind or another marker, when searched, then none is ours', () => {
    const found = find([
      sub('pr', { eventType: 'git.pullrequest.merged' }),
      sub('other', {}, { httpHeaders: 'X-Berth-Project:berth/poultry-sale' }),
      sub('prefix', {}, { httpHeaders: 'X-Berth-Project:other/cash-collection' }),
    ]);

    expect(found).toEqual({ keep: undefined, stale: [], unmarked: [] });
  });

  it('given unmarked subscriptions, when searched, then only those to this project’s webhook path on this repository are reported', () => {
    const found = find([
      sub('legacy', {}, { httpHeaders: '', url: 'https://old.example.com/webhook/cash-collection/' }),
      sub('elsewhere', {}, { httpHeaders: '', url: 'https://ci.example.com/hook' }),
      sub('cash-copy', {}, { httpHeaders: '', url: 'https://old.example.com/webhook/cash-collection-2' }),
      sub('not-a-url', {}, { httpHeaders: '', url: 'nope' }),
    ]);

    expect(found.unmarked.map((s) => s.id)).toEqual(['legacy']);
  });

  it('given an existing subscription, when compared with the body, then every visible difference is named', () => {
    const body = subscriptionBody({
      projectId: IDS.financeProject,
      repositoryId: IDS.cashRepo,
      branch: 'main',
      url: CASH_URL,
      username: WEBHOOK_USERNAME,
      password: WEBHOOK_PASSWORD,
      marker,
    });

    expect(changedFields(sub('same', {}, { basicAuthUsername: WEBHOOK_USERNAME }), body)).toEqual([]);
    expect(
      changedFields(
        sub(
          'old',
          {
            status: 'disabledBySystem',
            publisherInputs: { repository: IDS.poultryRepo, projectId: IDS.financeProject, branch: 'dev' },
          },
          { url: 'https://old.example.com/webhook/cash-collection', basicAuthUsername: 'old' },
        ),
        body,
      ),
    ).toEqual(['repository', 'branch', 'url', 'username', 'status']);
  });
});
