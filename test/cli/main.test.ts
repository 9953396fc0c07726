import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main';
import { assertNoSecretsWritten, capture, mockAws, writeConfig } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const exec = promisify(execFile);

const aws = mockAws();
let config: ReturnType<typeof writeConfig>;

beforeAll(() => {
  config = writeConfig();
});
afterAll(() => config.remove());
afterEach(() => assertNoSecretsWritten());

async function cli(args: string[], env: Record<string, string> = {}) {
  const c = capture({ env });
  const code = await runCli(args, c.io, { aws: aws.factory });
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

describe('berth help', () => {
  it('given `help`, when the CLI runs, then it lists every command and flag and exits 0', async () => {
    const r = await cli(['help']);

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: berth <command> [<project>] [--config <file>] [--json]');
    for (const s of [
      'set-pat <project>',
      'connect <project>',
      'plan',
      'status [<project>]',
      'logs <project> [--since <time>] [--follow] [--filter <text>] [--stage <name>]',
      'exec <project> [--task <id>] [-- <command>...]',
      'releases <project>',
      'rollback <project> [--to <commit>] [--no-wait]',
      'redeploy <project> [--no-wait]',
      'run <project> [--no-wait] -- <command>...',
      'secrets list <project> | set <project> <NAME> [--no-redeploy] [--no-wait]',
      'help [<command>]',
      '--config <file>',
      '--json',
      '-V, --version',
      'AZURE_DEVOPS_PAT',
    ]) {
      expect(r.stdout).toContain(s);
    }
    expect(r.stdout).toContain(
      'Exit codes: 0 done, 1 a failure talking to AWS or Azure DevOps, 2 a usage or config problem;',
    );
    expect(r.stdout).toContain('AWS_REGION, AWS_DEFAULT_REGION or the');
    expect(r.stdout).not.toContain('region default');
    expect(r.stderr).toBe('');
  });

  it('given --version or -V, when the CLI runs, then it prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };

    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect((await cli(['-V'])).stdout).toBe(`${version}\n`);
    expect(JSON.parse((await cli(['--version', '--json'])).stdout)).toEqual({ name: 'berth', version });
  });

  it.each(['logs', 'exec', 'releases', 'rollback', 'redeploy', 'run', 'secrets'])(
    'given `%s --help`, when the CLI runs, then it prints the usage, the permissions it needs and examples without reading the config',
    async (name) => {
      const r = await cli([name, '--help'], { BERTH_CONFIG: '/nonexistent/berth.yaml' });

      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: berth ${name} `));
      expect(r.stdout).toContain('It needs ');
      expect(r.stdout).toContain('Examples:');
    },
  );

  it('given --help alone, when the CLI runs, then it prints the same help', async () => {
    expect((await cli(['--help'])).stdout).toBe((await cli(['help'])).stdout);
  });

  it("given `help connect` or `connect --help`, when the CLI runs, then it prints that command's help without loading any config", async () => {
    const a = await cli(['help', 'connect'], { BERTH_CONFIG: '/nonexistent/berth.yaml' });
    const b = await cli(['connect', '--help'], { BERTH_CONFIG: '/nonexistent/berth.yaml' });

    expect(a.code).toBe(0);
    expect(a.stdout).toContain('Usage: berth connect <project>');
    expect(a.stdout).toContain('never from a flag');
    expect(b.stdout).toBe(a.stdout);
  });

  it('given `help set-pat`, when the CLI runs, then it says where the PAT is read from', async () => {
    const r = await cli(['help', 'set-pat']);

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: berth set-pat <project>');
    expect(r.stdout).toContain('Reads the token from stdin when stdin is piped');
  });

  it('given --json help, when the CLI runs, then it prints the commands as JSON', async () => {
    const r = await cli(['help', '--json']);

    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as { commands: { name: string }[] };
    expect(data.commands.map((c) => c.name)).toEqual([
      'set-pat',
      'connect',
      'plan',
      'status',
      'logs',
      'exec',
      'releases',
      'rollback',
      'redeploy',
      'run',
      'secrets',
      'alerts',
    ]);
  });
});

describe('berth: usage errors exit 2', () => {
  it('given no command, when the CLI runs, then it exits 2 and points at help', async () => {
    const r = await cli([]);

    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'Error: No command given: run `berth help` to see the commands (set-pat, connect, plan, status, logs, exec, releases, rollback, redeploy, run, secrets, alerts).\n',
    );
  });

  it('given an unknown command, when the CLI runs, then it exits 2 and lists the commands', async () => {
    const r = await cli(['deploy']);

    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'Error: Unknown command "deploy": run `berth help` to see the commands (set-pat, connect, plan, status, logs, exec, releases, rollback, redeploy, run, secrets, alerts, help).\n',
    );
  });

  it('given `help` for an unknown command, when the CLI runs, then it exits 2', async () => {
    expect((await cli(['help', 'deploy'])).code).toBe(2);
  });

  it('given an unknown flag, when the CLI runs, then it exits 2 and points at the command help', async () => {
    const r = await cli(['connect', 'cash-collection', '--force']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--force'");
    expect(r.stderr).toContain('run `berth connect --help` to see the flags.');
  });

  it('given --token=<value>, when the CLI runs, then it refuses flags that carry a token and does not repeat the value', async () => {
    const r = await cli(['set-pat', 'cash-collection', '--token=abcdef123456']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'The PAT is never taken from a flag (--token would leave it in your shell history)',
    );
    expect(r.stderr).not.toContain('abcdef123456');
  });

  it('given --password after --, when run is given a command, then the flag belongs to the command and is not refused as a secret flag', async () => {
    const r = await cli(['run', 'nope', '--config', config.file, '--', 'migrate', '--password=x']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No project "nope"');
  });

  it('given --json and an unknown command, when the CLI runs, then the error is JSON with code "usage"', async () => {
    const r = await cli(['deploy', '--json']);

    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'usage', message: expect.stringContaining('Unknown command') as string },
    });
  });

  it('given a config file with an error, when a command runs, then it exits 2 naming the field', async () => {
    const bad = writeConfig({ region: 'mars-1' });
    try {
      const r = await cli(['connect', 'cash-collection', '--config', bad.file]);

      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${bad.file} is not a valid Berth config:`);
      expect(r.stderr).toContain('region: "mars-1"');
      expect(r.stderr).toContain(
        'Fix the file (or choose another with --config <file> or BERTH_CONFIG), then try again.',
      );
    } finally {
      bad.remove();
    }
  });

  it('given a missing config file, when a command runs, then it exits 2 and says how to choose another', async () => {
    const r = await cli(['connect', 'cash-collection', '--config', path.join(config.dir, 'nope.yaml')]);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such file');
  });

  it('given BERTH_CONFIG and no --config, when a command runs, then it reads BERTH_CONFIG', async () => {
    const other = writeConfig({
      projects: [
        { name: 'only-one', path: '/api/one', priority: 1, repository: { project: 'P', name: 'r' } },
      ],
    });
    try {
      const r = await cli(['connect', 'nope'], { BERTH_CONFIG: other.file });

      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`No project "nope" in ${other.file}: choose one of: only-one.`);
    } finally {
      other.remove();
    }
  });

  it('given --config and BERTH_CONFIG, when a command runs, then --config wins', async () => {
    const r = await cli(['connect', 'nope', '--config', config.file], { BERTH_CONFIG: '/nonexistent.yaml' });

    expect(r.stderr).toContain(`No project "nope" in ${config.file}`);
  });
});

describe('berth launchers', () => {
  it('given the bin launcher, when it is listed, then it is executable and starts with a node shebang', () => {
    const bin = path.join(ROOT, 'bin/berth-cli.js');
    accessSync(bin, constants.X_OK);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('given `node bin/berth-cli.js` with an unknown command, when it runs, then the process exits 2', async () => {
    const err = await exec(process.execPath, [path.join(ROOT, 'bin/berth-cli.js'), 'nope'], {
      cwd: ROOT,
    }).catch((e: { code: number; stderr: string }) => e);

    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toContain('Unknown command "nope"');
  });

  it('given a config that is not YAML, when set-pat runs through the launcher, then the process exits 2 before reading a PAT', async () => {
    const bad = path.join(config.dir, 'broken.yaml');
    writeFileSync(bad, 'prefix: [\n');
    const err = await exec(
      process.execPath,
      [path.join(ROOT, 'bin/berth-cli.js'), 'set-pat', 'x', '--config', bad],
      {
        cwd: ROOT,
      },
    ).catch((e: { code: number; stderr: string }) => e);

    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toContain('is not a valid Berth config');
  });
});
