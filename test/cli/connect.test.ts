import { CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../src/cli/main';
import { FakeAzureDevOps, MASK } from './fake-azure-devops';
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

const aws = mockAws();
let ado: FakeAzureDevOps;
let config: ReturnType<typeof writeConfig>;
let deps: CliDeps;

beforeAll(() => {
  config = writeConfig();
});
afterAll(() => config.remove());

beforeEach(async () => {
  aws.cfn.reset();
  aws.sm.reset();
  aws.regions.length = 0;
  deployEverything(aws);
  ado = await FakeAzureDevOps.start({
    collection: 'DefaultCollection',
    pat: PAT,
    projects: { Finance: IDS.financeProject, Sales: IDS.salesProject },
    repositories: [
      { project: 'Finance', name: 'cash-collection', id: IDS.cashRepo },
      { project: 'Sales', name: 'poultry-sale', id: IDS.poultryRepo },
    ],
  });
  deps = { aws: aws.factory, fetch: ado.fetchFor(ADO_ORIGIN), azureDevOpsTimeoutMs: 2_000 };
});

afterEach(async () => {
  await ado.close();
  // Every test, whatever it checks, also proves no secret reached stdout or stderr.
  assertNoSecretsWritten();
});

const withPat = () => capture({ env: { AZURE_DEVOPS_PAT: PAT } });
const connect = (project: string, c = withPat(), extra: string[] = []) =>
  run(['connect', project, ...extra], c, config.file, deps);

describe('berth connect: creating the service hook', () => {
  it('given deployed stacks and no subscription, when connect runs, then it creates one git.push subscription with the exact body', async () => {
    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(ado.subscriptions.size).toBe(1);
    const writes = ado.writes();
    expect(writes).toHaveLength(1);
    expect(writes[0].method).toBe('POST');
    expect(writes[0].path).toBe('/_apis/hooks/subscriptions');
    expect(writes[0].query).toEqual({ 'api-version': '7.1' });
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
        resourceDetailsToSend: 'all',
        messagesToSend: 'none',
        detailedMessagesToSend: 'none',
      },
    });
    expect(r.stdout).toContain('Created the service hook for cash-collection');
    expect(r.stdout).toContain(CASH_URL);
    expect(r.stdout).toContain('git.push on Finance/cash-collection, branch main');
  });

  it('given a PAT in AZURE_DEVOPS_PAT, when connect calls Azure DevOps, then every request carries Basic base64(":" + PAT) and api-version 7.1', async () => {
    await connect('cash-collection');

    const expected = `Basic ${Buffer.from(`:${PAT}`).toString('base64')}`;
    expect(ado.requests.length).toBeGreaterThanOrEqual(4);
    for (const req of ado.requests) {
      expect(req.headers.authorization).toBe(expected);
      expect(req.query['api-version']).toBe('7.1');
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

  it('given AWS_REGION, when connect runs, then the AWS clients use that region instead of the config one', async () => {
    await connect('cash-collection', capture({ env: { AZURE_DEVOPS_PAT: PAT, AWS_REGION: 'eu-west-1' } }));

    expect(aws.regions).toEqual(['eu-west-1']);
  });

  it('given no AWS_REGION, when connect runs, then the AWS clients use the config region', async () => {
    await connect('cash-collection');

    expect(aws.regions).toEqual(['us-east-1']);
  });
});

describe('berth connect: idempotency', () => {
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
    expect(put.body).toMatchObject({
      ...(post.body as object),
      id,
      status: 'enabled',
    });
    expect(
      (put.body as { consumerInputs: { basicAuthPassword: string } }).consumerInputs.basicAuthPassword,
    ).toBe(WEBHOOK_PASSWORD);
    expect(ado.subscriptions.get(id)!.consumerInputs.basicAuthPassword).toBe(WEBHOOK_PASSWORD);
    expect(second.stdout).toContain(`Updated the service hook for cash-collection (subscription ${id})`);
  });

  it("given our subscription points at an old branch and someone else's hook exists, when connect runs, then it updates ours in place and leaves the other alone", async () => {
    const theirs = ado.seed({
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: { url: 'https://ci.example.com/hook', basicAuthPassword: 'their-secret' },
    });
    const ours = ado.seed({
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'develop' },
      consumerInputs: { url: CASH_URL, basicAuthUsername: 'old', basicAuthPassword: 'old-password' },
    });

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(ado.subscriptions.size).toBe(2);
    expect(ado.writes().map((w) => `${w.method} ${w.path}`)).toEqual([
      `PUT /_apis/hooks/subscriptions/${ours.id}`,
    ]);
    expect(ado.subscriptions.get(ours.id)!.publisherInputs.branch).toBe('main');
    expect(ado.subscriptions.get(ours.id)!.consumerInputs.basicAuthPassword).toBe(WEBHOOK_PASSWORD);
    expect(ado.subscriptions.get(theirs.id)!.consumerInputs.url).toBe('https://ci.example.com/hook');
  });

  it('given Azure DevOps disabled our subscription, when connect runs, then the PUT re-enables it and says so', async () => {
    const ours = ado.seed({
      status: 'disabledBySystem',
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: { url: CASH_URL, basicAuthPassword: MASK },
    });

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(ado.subscriptions.get(ours.id)!.status).toBe('enabled');
    expect(r.stdout).toContain('It was disabledBySystem and is enabled again.');
  });

  it('given two subscriptions already send to our URL, when connect runs, then it updates one, keeps the count and warns about the other', async () => {
    const a = ado.seed({
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: { url: CASH_URL },
    });
    const b = ado.seed({
      publisherInputs: { projectId: IDS.financeProject, repository: IDS.cashRepo, branch: 'main' },
      consumerInputs: { url: CASH_URL },
    });

    const r = await connect('cash-collection');

    expect(r.code).toBe(0);
    expect(ado.subscriptions.size).toBe(2);
    expect(ado.writes()).toHaveLength(1);
    expect(r.stderr).toContain('1 other service hook subscription(s) also send to');
    expect(r.stderr).toContain([a.id, b.id].find((id) => !ado.writes()[0].path.endsWith(id)));
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

  it('given Azure DevOps fails (500), when connect runs, then it says to try again later', async () => {
    ado.fail('GET', /^\/_apis\/projects\//, 500, 'Internal error.');

    const r = await connect('cash-collection');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('answered 500');
    expect(r.stderr).toContain('try again in a few minutes');
  });

  it('given Azure DevOps does not answer, when connect runs, then it gives up after the timeout and says so', async () => {
    ado.hang(/^\/_apis\/projects\//);

    const r = await run(['connect', 'cash-collection'], withPat(), config.file, {
      ...deps,
      azureDevOpsTimeoutMs: 200,
    });

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Azure DevOps at ${ADO_BASE} did not answer (no answer within 200 ms)`);
  });

  it('given Azure DevOps cannot be reached, when connect runs, then it says which URL it could not reach', async () => {
    const closed = ado.fetchFor(ADO_ORIGIN);
    await ado.close();

    const r = await run(['connect', 'cash-collection'], withPat(), config.file, { ...deps, fetch: closed });
    ado = await FakeAzureDevOps.start({ collection: 'x', pat: PAT, projects: {}, repositories: [] });

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Could not reach Azure DevOps at ${ADO_BASE} (ECONNREFUSED)`);
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
      eventType: 'git.push',
      resourceVersion: '1.0',
      url: CASH_URL,
      webhookSecret: 'berth/cash-collection/webhook',
      azureDevOps: {
        baseUrl: ADO_BASE,
        project: 'Finance',
        projectId: IDS.financeProject,
        repository: 'cash-collection',
        repositoryId: IDS.cashRepo,
        branch: 'main',
      },
      duplicates: [],
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
