import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  assertNoSecretsWritten,
  capture,
  fakeTime,
  mockAws,
  run,
  stack,
  waitFor,
  writeConfig,
} from './helpers';

/** `berth secrets list|set` against mocked Secrets Manager, CloudFormation and CodePipeline. */

const aws = mockAws();
const DB_PW = 'db-pw-Vk38sLq0Zx71Nm2';
const LEGACY = 'legacy-value-Qw9Er8Ty7';
const NEW_VALUE = 'new-value-Pp0Oo9Ii8Uu7';
const LIVE = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const SECRET = 'berth/cash-collection/app';

let config: ReturnType<typeof writeConfig>;
beforeAll(() => {
  config = writeConfig({
    projects: [
      {
        name: 'cash-collection',
        path: '/api/cash',
        priority: 10,
        repository: { project: 'Finance', name: 'cash-collection' },
        service: {
          secrets: { DB_PASSWORD: 'db-password', API_TOKEN: 'api-token', DB_PASSWORD_RO: 'db-password' },
        },
      },
    ],
  });
});
afterAll(() => config.remove());
afterEach(() => assertNoSecretsWritten([DB_PW, LEGACY, NEW_VALUE]));

function secret(value: string) {
  aws.sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ Name: SECRET, SecretString: value });
  aws.sm.on(PutSecretValueCommand).resolves({ Name: SECRET, VersionId: 'v-2' });
}

function live(imageTag: string) {
  aws.cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        ...stack('berth-cash-collection'),
        Parameters: [{ ParameterKey: 'ImageTag', ParameterValue: imageTag }],
      },
    ],
  });
}

function pipelineSucceeds(status = 'Succeeded') {
  aws.cp.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: 'exec-9' });
  aws.cp.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: status as 'Succeeded' } });
  aws.cp.on(ListActionExecutionsCommand).resolves({ actionExecutionDetails: [] });
}

const stored = () =>
  aws.sm
    .commandCalls(PutSecretValueCommand)
    .map((c) => JSON.parse(c.args[0].input.SecretString ?? '') as unknown);
const started = () => aws.cp.commandCalls(StartPipelineExecutionCommand).map((c) => c.args[0].input);

let time: ReturnType<typeof fakeTime>;
beforeEach(() => {
  aws.reset();
  time = fakeTime();
});

const secrets = (args: string[], stdin?: string | 'tty') => {
  const c = capture({ stdin });
  return { c, result: run(['secrets', ...args], c, config.file, { aws: aws.factory, ...time.deps }) };
};

describe('berth secrets set', () => {
  it('given a value typed at the hidden prompt for a variable of service.secrets, when set runs, then its key is merged in, a redeploy runs, and the value is never shown', async () => {
    secret(JSON.stringify({ 'db-password': DB_PW, 'legacy-key': LEGACY }));
    live(LIVE);
    pipelineSucceeds();

    const { c, result } = secrets(['set', 'cash-collection', 'API_TOKEN'], 'tty');
    await waitFor(() =>
      c.stderr().includes('Value of api-token in berth/cash-collection/app (input hidden): '),
    );
    c.type(`${NEW_VALUE}\r`);
    const r = await result;

    expect(r.code, r.stderr).toBe(0);
    expect(stored()).toEqual([{ 'db-password': DB_PW, 'legacy-key': LEGACY, 'api-token': NEW_VALUE }]);
    expect(aws.sm.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretId).toBe(SECRET);
    expect(started()).toEqual([
      expect.objectContaining({
        name: 'berth-cash-collection',
        variables: [
          { name: 'COMMIT_ID', value: LIVE },
          { name: 'RELEASE_MODE', value: 'redeploy' },
        ],
      }),
    ]);
    expect(r.stdout).toBe(
      'Stored api-token in berth/cash-collection/app (version v-2); the tasks read it as API_TOKEN.\nRedeployed cash-collection: new tasks run c0ffee0 with the new value.\n',
    );
  });

  it('given a piped value and a key two variables read, when set runs, then one trailing newline is dropped and both variables are named', async () => {
    secret('{}');
    live(LIVE);
    pipelineSucceeds();

    const r = await secrets(['set', 'cash-collection', 'db-password'], `${NEW_VALUE}\n`).result;

    expect(r.code, r.stderr).toBe(0);
    expect(stored()).toEqual([{ 'db-password': NEW_VALUE }]);
    expect(r.stdout).toContain('the tasks read it as DB_PASSWORD, DB_PASSWORD_RO.');
  });

  it('given --no-redeploy, when set runs, then it only stores the value and says how to redeploy', async () => {
    secret('{}');

    const r = await secrets(['set', 'cash-collection', 'DB_PASSWORD', '--no-redeploy', '--json'], NEW_VALUE)
      .result;

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      project: 'cash-collection',
      secret: SECRET,
      key: 'db-password',
      variables: ['DB_PASSWORD', 'DB_PASSWORD_RO'],
      versionId: 'v-2',
      redeploy: null,
    });
    expect(started()).toEqual([]);
    expect(aws.cfn.calls()).toHaveLength(0);
  });

  it('given --no-wait --json, when set runs, then the document has the started redeploy', async () => {
    secret('{}');
    live(LIVE);
    pipelineSucceeds();

    const r = await secrets(['set', 'cash-collection', 'DB_PASSWORD', '--no-wait', '--json'], NEW_VALUE)
      .result;

    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { redeploy: unknown }).redeploy).toEqual({
      project: 'cash-collection',
      mode: 'redeploy',
      commit: LIVE,
      previous: LIVE,
      pipeline: 'berth-cash-collection',
      executionId: 'exec-9',
      status: 'InProgress',
    });
  });

  it('given a key no variable reads, when set runs, then it stores it, warns, and does not redeploy', async () => {
    secret('{}');

    const r = await secrets(['set', 'cash-collection', 'feature.flags'], NEW_VALUE).result;

    expect(r.code).toBe(0);
    expect(stored()).toEqual([{ 'feature.flags': NEW_VALUE }]);
    expect(r.stderr).toContain('no variable in service.secrets of cash-collection reads feature.flags');
    expect(r.stdout).toContain('No redeploy: nothing reads it yet.');
    expect(started()).toEqual([]);
  });

  it('given nothing released yet, when set runs, then it stores the value and says the first release reads it', async () => {
    secret('{}');
    live('none');

    const r = await secrets(['set', 'cash-collection', 'DB_PASSWORD'], NEW_VALUE).result;

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cash-collection is not released yet: its first release reads it.');
    expect(started()).toEqual([]);
  });

  it('given the redeploy fails, when set runs, then it exits 1, says the value is stored and how to retry', async () => {
    secret('{}');
    live(LIVE);
    pipelineSucceeds('Failed');

    const r = await secrets(['set', 'cash-collection', 'DB_PASSWORD'], NEW_VALUE).result;

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Stored db-password in berth/cash-collection/app (version v-2)');
    expect(r.stderr).toContain(
      'But the redeploy did not go through: The redeploy of cash-collection (c0ffee0) failed',
    );
    expect(r.stderr).toContain('Retry it with `npx --no-install berth redeploy cash-collection`.');
  });

  it.each([
    [
      'an empty piped value',
      ['set', 'cash-collection', 'DB_PASSWORD'],
      '\n',
      'The value from stdin is empty: nothing was stored.',
    ],
    [
      'a malformed name',
      ['set', 'cash-collection', 'bad key!'],
      'x',
      '"bad key!" is not a key of the app secret nor a variable of service.secrets',
    ],
    [
      'no name',
      ['set', 'cash-collection'],
      'x',
      'Missing <NAME>: run `berth secrets set cash-collection <NAME>` with a key of the app secret or a variable of service.secrets (DB_PASSWORD, API_TOKEN, DB_PASSWORD_RO).',
    ],
    [
      'a value as an argument',
      ['set', 'cash-collection', 'DB_PASSWORD', 'hunter2'],
      'x',
      'the value is never an argument',
    ],
    [
      'a --value flag',
      ['set', 'cash-collection', 'DB_PASSWORD', '--value=hunter2'],
      'x',
      'A secret value is never taken from a flag (--value would leave it in your shell history)',
    ],
    [
      'no subcommand',
      [],
      'x',
      'Missing subcommand: run `berth secrets list <project>` or `berth secrets set <project> <NAME>`.',
    ],
    ['an unknown subcommand', ['get', 'cash-collection'], 'x', 'Unknown subcommand "get"'],
  ])(
    'given %s, when secrets runs, then it exits 2 and stores nothing',
    async (_what, args, stdin, message) => {
      secret('{}');

      const r = await secrets(args, stdin).result;

      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain('hunter2');
      expect(stored()).toEqual([]);
    },
  );

  it('given a secret that is not a JSON object, when set runs, then it exits 1 saying how to repair it and stores nothing', async () => {
    secret('not json at all');

    const r = await secrets(['set', 'cash-collection', 'DB_PASSWORD', '--json'], NEW_VALUE).result;

    expect(r.code).toBe(1);
    const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('secret-malformed');
    expect(err.message).toContain(
      'aws secretsmanager put-secret-value --secret-id berth/cash-collection/app',
    );
    expect(stored()).toEqual([]);
  });
});

describe('berth secrets list', () => {
  it('given keys set, missing and unused, when list runs, then each is marked and no value is shown', async () => {
    secret(JSON.stringify({ 'db-password': DB_PW, 'legacy-key': LEGACY }));

    const r = await secrets(['list', 'cash-collection']).result;

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Keys of berth/cash-collection/app (2 set; values are never shown):');
    expect(r.stdout).toMatch(
      /api-token\s+API_TOKEN\s+MISSING: tasks cannot start until it is set \(npx --no-install berth secrets set cash-collection api-token\)/,
    );
    expect(r.stdout).toMatch(/db-password\s+DB_PASSWORD, DB_PASSWORD_RO\s+set/);
    expect(r.stdout).toMatch(/legacy-key\s+-\s+unused: no variable in service.secrets reads it/);
    expect(aws.sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('given --json, when list runs, then keys, missing and unreferenced are listed without values', async () => {
    secret(JSON.stringify({ 'db-password': DB_PW, 'legacy-key': LEGACY }));

    const r = await secrets(['list', 'cash-collection', '--json']).result;

    expect(JSON.parse(r.stdout)).toEqual({
      project: 'cash-collection',
      secret: SECRET,
      keys: [
        { key: 'api-token', variables: ['API_TOKEN'], present: false, referenced: true },
        { key: 'db-password', variables: ['DB_PASSWORD', 'DB_PASSWORD_RO'], present: true, referenced: true },
        { key: 'legacy-key', variables: [], present: true, referenced: false },
      ],
      missing: ['api-token'],
      unreferenced: ['legacy-key'],
    });
  });

  it('given the secret does not exist, when list runs, then it exits 1 saying the stack is not deployed', async () => {
    aws.sm
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('x'), { name: 'ResourceNotFoundException' }));

    const r = await secrets(['list', 'cash-collection']).result;

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The secret berth/cash-collection/app does not exist in us-east-1');
  });
});
