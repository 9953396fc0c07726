import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../src/cli/main';
import { PAT, assertNoSecretsWritten, capture, mockAws, run, waitFor, writeConfig } from './helpers';

const SECRET = 'berth/cash-collection/azure-devops-pat';
const VERSION = 'a1b2c3d4-0000-4000-8000-000000000001';

const aws = mockAws();
let config: ReturnType<typeof writeConfig>;
let deps: CliDeps;

beforeAll(() => {
  config = writeConfig();
});
afterAll(() => config.remove());

beforeEach(() => {
  aws.sm.reset();
  aws.cfn.reset();
  aws.regions.length = 0;
  aws.sm.on(PutSecretValueCommand).resolves({
    ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SECRET}-AbCdEf`,
    Name: SECRET,
    VersionId: VERSION,
  });
  deps = { aws: aws.factory };
});

afterEach(() => assertNoSecretsWritten());

const setPat = (
  stdin: string | 'tty' | undefined,
  extra: string[] = [],
  env: Record<string, string> = {},
) => {
  const c = capture({ stdin, env });
  return { c, result: run(['set-pat', 'cash-collection', ...extra], c, config.file, deps) };
};

function putCalls() {
  return aws.sm.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input);
}

describe('berth set-pat: storing the PAT', () => {
  it('given a PAT piped on stdin, when set-pat runs, then it stores {"pat": ...} in the project secret and prints the name and version only', async () => {
    const r = await setPat(`${PAT}\n`).result;

    expect(r.code).toBe(0);
    expect(putCalls()).toEqual([{ SecretId: SECRET, SecretString: JSON.stringify({ pat: PAT }) }]);
    expect(r.stdout).toBe(`Stored the PAT in ${SECRET} (version ${VERSION}).\n`);
    expect(r.stderr).toBe('');
  });

  it('given a PAT piped with a CRLF line end, when set-pat runs, then only the line end is dropped', async () => {
    const r = await setPat(`${PAT}\r\n`).result;

    expect(r.code).toBe(0);
    expect(putCalls()[0].SecretString).toBe(JSON.stringify({ pat: PAT }));
  });

  it('given a PAT piped without a line end, when set-pat runs, then it is stored as it is', async () => {
    const r = await setPat(PAT).result;

    expect(r.code).toBe(0);
    expect(putCalls()[0].SecretString).toBe(JSON.stringify({ pat: PAT }));
  });

  it('given --json, when set-pat succeeds, then stdout is {secretName, versionId}', async () => {
    const r = await setPat(`${PAT}\n`, ['--json']).result;

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ secretName: SECRET, versionId: VERSION });
  });

  it('given a terminal, when the user types the PAT at the prompt, then it is stored and never echoed', async () => {
    const { c, result } = setPat('tty');
    await waitFor(() => c.stderr().includes('input hidden'));
    c.type(`${PAT}\r`);
    const r = await result;

    expect(r.code).toBe(0);
    expect(putCalls()[0].SecretString).toBe(JSON.stringify({ pat: PAT }));
    expect(r.stderr).toBe(
      'Azure DevOps PAT for cash-collection (Code (Read) and Code (Status); input hidden): \n',
    );
  });

  it('given set-pat --help, when the CLI runs, then it names both scopes the pipeline needs: cloning and commit statuses', async () => {
    const r = await run(['set-pat', '--help'], capture(), config.file, deps);

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('The token needs the scopes Code (Read) and Code (Status)');
  });

  it('given AWS_REGION naming another region than the config, when set-pat runs, then it stops with exit 2 and writes nothing', async () => {
    const r = await setPat(`${PAT}\n`, [], { AWS_REGION: 'eu-central-1' }).result;

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('AWS_REGION is eu-central-1');
    expect(putCalls()).toHaveLength(0);
  });

  it("given the second project, when set-pat runs, then it writes that project's secret", async () => {
    const c = capture({ stdin: `${PAT}\n` });
    const r = await run(['set-pat', 'poultry-sale'], c, config.file, deps);

    expect(r.code).toBe(0);
    expect(putCalls()[0].SecretId).toBe('berth/poultry-sale/azure-devops-pat');
  });
});

describe('berth set-pat: refused input', () => {
  it('given an empty stdin, when set-pat runs, then it refuses with exit 2 and stores nothing', async () => {
    const r = await setPat('').result;

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Error: The PAT from stdin is empty: paste the token from Azure DevOps');
    expect(putCalls()).toHaveLength(0);
  });

  it('given only a newline on stdin, when set-pat runs, then it refuses it as empty', async () => {
    const r = await setPat('\n').result;

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The PAT from stdin is empty');
  });

  it('given an empty answer at the prompt, when set-pat runs, then it refuses it as empty', async () => {
    const { c, result } = setPat('tty');
    await waitFor(() => c.stderr().includes('input hidden'));
    c.type('\r');
    const r = await result;

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The PAT from the prompt is empty');
    expect(putCalls()).toHaveLength(0);
  });

  it('given a value with whitespace inside, when set-pat runs, then it refuses it without repeating it', async () => {
    const r = await setPat(`${PAT} ${PAT}\n`).result;

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The PAT from stdin contains whitespace: give only the token, on one line.');
    expect(putCalls()).toHaveLength(0);
  });

  it('given two lines on stdin, when set-pat runs, then it refuses them (only one trailing newline is dropped)', async () => {
    const r = await setPat(`${PAT}\n\n`).result;

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('contains whitespace');
  });

  it('given an unknown project, when set-pat runs, then it exits 2, lists the projects and reads nothing', async () => {
    const c = capture({ stdin: `${PAT}\n` });
    const r = await run(['set-pat', 'nope'], c, config.file, deps);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No project "nope"');
    expect(r.stderr).toContain('choose one of: cash-collection, poultry-sale.');
    expect(putCalls()).toHaveLength(0);
  });

  it('given two projects, when set-pat runs, then it exits 2', async () => {
    const c = capture({ stdin: `${PAT}\n` });
    const r = await run(['set-pat', 'cash-collection', 'poultry-sale'], c, config.file, deps);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Too many arguments (2)');
  });
});

describe('berth set-pat: AWS errors', () => {
  it('given the secret does not exist, when set-pat runs, then it says the project stack is not deployed', async () => {
    aws.sm.reset();
    aws.sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      }),
    );

    const r = await setPat(`${PAT}\n`).result;

    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `Error: The secret ${SECRET} does not exist in us-east-1, so the stack berth-cash-collection is not deployed: run \`npx cdk deploy --all\` first.\n`,
    );
  });

  it('given no AWS credentials, when set-pat runs, then it says to set AWS_PROFILE or log in', async () => {
    aws.sm.reset();
    aws.sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );

    const r = await setPat(`${PAT}\n`).result;

    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error: No AWS credentials found: set AWS_PROFILE or run `aws sso login`, then try again.\n',
    );
  });

  it('given --json and no AWS credentials, when set-pat runs, then stdout is the error as JSON', async () => {
    aws.sm.reset();
    aws.sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );

    const r = await setPat(`${PAT}\n`, ['--json']).result;

    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'no-aws-credentials',
        message: 'No AWS credentials found: set AWS_PROFILE or run `aws sso login`, then try again.',
      },
    });
  });

  it('given an identity without secretsmanager:PutSecretValue, when set-pat runs, then it names the action and secret', async () => {
    aws.sm.reset();
    aws.sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error(`User is not authorized to perform: secretsmanager:PutSecretValue`), {
        name: 'AccessDeniedException',
      }),
    );

    const r = await setPat(`${PAT}\n`).result;

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Your AWS identity may not call secretsmanager:PutSecretValue on the secret ${SECRET} in us-east-1`,
    );
  });

  it('given an unexpected AWS error that echoes the request, when set-pat runs, then the PAT is still not printed', async () => {
    aws.sm.reset();
    aws.sm
      .on(PutSecretValueCommand)
      .rejects(
        Object.assign(new Error(`Throttled while writing {"pat":"${PAT}"}`), { name: 'ThrottlingException' }),
      );

    const r = await setPat(`${PAT}\n`).result;

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ThrottlingException');
    expect(r.stderr).toContain('{"pat":"***"}');
  });
});
