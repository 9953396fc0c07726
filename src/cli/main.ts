import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { configPath } from '../config/load';
import { makeContext, PAT_ENV, type CliDeps, type Command } from './context';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, usageError } from './errors';
import { Output, type CliIO } from './output';
import { requireLoadsTypeScript } from './launcher';
import { packageVersion } from './version';

/**
 * `berth`: the command line for a deployed Berth platform. Commands live in `./commands`, one module each,
 * registered in COMMANDS below. Exit codes: 0 done, 1 a failure while talking to AWS or Azure DevOps, 2 a usage
 * or config problem; `berth run` exits with its container's exit code.
 */

export type { CliDeps } from './context';
export type { CliIO } from './output';

/**
 * A command's module, loaded only when the command runs (or for help): a module loads the AWS SDK packages its
 * command calls, and a command should not wait for the others'. The launcher (bin/berth-cli.js) registers a
 * `.ts` hook for Node's `require`, which loads TypeScript there without an ES module loader; elsewhere (tests)
 * `import()` does.
 */
function lazyCommand(file: string, exportName: string): () => Promise<Command> {
  const specifier = `./commands/${file}`;
  return async () => {
    /* eslint-disable @typescript-eslint/no-require-imports -- see above */
    const module = (requireLoadsTypeScript() ? require(specifier) : await import(specifier)) as Record<
      string,
      Command
    >;
    /* eslint-enable @typescript-eslint/no-require-imports */
    return module[exportName];
  };
}

/** The commands by name, in the order of help. */
const COMMANDS: ReadonlyMap<string, () => Promise<Command>> = new Map([
  ['set-pat', lazyCommand('set-pat', 'setPatCommand')],
  ['connect', lazyCommand('connect', 'connectCommand')],
  ['plan', lazyCommand('plan', 'planCommand')],
  ['status', lazyCommand('status', 'statusCommand')],
  ['logs', lazyCommand('logs', 'logsCommand')],
  ['exec', lazyCommand('exec', 'execCommand')],
  ['releases', lazyCommand('releases', 'releasesCommand')],
  ['rollback', lazyCommand('rollback', 'rollbackCommand')],
  ['redeploy', lazyCommand('redeploy', 'redeployCommand')],
  ['run', lazyCommand('run', 'runCommand')],
  ['secrets', lazyCommand('secrets', 'secretsCommand')],
  ['alerts', lazyCommand('alerts', 'alertsCommand')],
]);

/** The command named `name`, or undefined when there is none. */
async function loadCommand(name: string): Promise<Command | undefined> {
  return COMMANDS.get(name)?.();
}

/** Every command, in the order of help. */
async function allCommands(): Promise<Command[]> {
  return Promise.all([...COMMANDS.values()].map((load) => load()));
}

const GLOBAL_OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies ParseArgsConfig['options'];

/** Flags that would put a token or a secret on the command line (and in shell history): refused by name. */
const SECRET_FLAG = /^--?(pat|token|password|secret|value)(=|$)/i;

/** Runs one command line in-process and returns its exit code; never throws, never calls process.exit. */
export async function runCli(argv: string[], io: CliIO, deps: CliDeps = {}): Promise<number> {
  const { own } = splitRest(argv);
  const out = new Output(io, own.includes('--json'));
  try {
    const code = await dispatch(argv, io, out, deps);
    return code ?? EXIT_OK;
  } catch (e) {
    out.stopSpinner();
    const err =
      e instanceof CliError
        ? e
        : new CliError(
            `Unexpected error (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}): please report it with the command you ran.`,
            'internal',
            EXIT_FAILURE,
          );
    out.error(err);
    return err.exitCode;
  }
}

async function dispatch(argv: string[], io: CliIO, out: Output, deps: CliDeps): Promise<number | void> {
  const { own, rest, given } = splitRest(argv);
  const secretFlag = own.find((a) => SECRET_FLAG.test(a));
  if (secretFlag) {
    const flag = secretFlag.split('=')[0];
    throw usageError(
      /^--?(pat|token)$/i.test(flag)
        ? `The PAT is never taken from a flag (${flag} would leave it in your shell history): set ${PAT_ENV} or answer the hidden prompt for connect, and pipe it on stdin or answer the prompt for set-pat.`
        : `A secret value is never taken from a flag (${flag} would leave it in your shell history): \`berth secrets set <project> <NAME>\` reads it from a prompt that does not echo, or from stdin.`,
    );
  }

  if (own.includes('--version') || own.includes('-V')) {
    const { name, version } = packageVersion();
    out.result(version, { name, version });
    return;
  }

  const name = commandName(own);
  if (name === undefined || name === 'help') {
    const { positionals, values } = parse(own, undefined);
    const topic = name === 'help' ? positionals[1] : undefined;
    if (name === undefined && !values.help) {
      throw usageError(
        `No command given: run \`berth help\` to see the commands (${[...COMMANDS.keys()].join(', ')}).`,
      );
    }
    if (topic !== undefined) {
      const cmd = await loadCommand(topic);
      if (!cmd) throw unknownCommand(topic);
      out.result(commandHelp(cmd), helpData(cmd));
    } else {
      const commands = await allCommands();
      out.result(generalHelp(commands), {
        usage: 'berth <command> [<project>] [--config <file>] [--json]',
        commands: commands.map(helpData),
      });
    }
    return;
  }

  const cmd = await loadCommand(name);
  if (!cmd) throw unknownCommand(name);
  const { positionals, values } = parse(own, cmd);
  if (values.help) {
    out.result(commandHelp(cmd), helpData(cmd));
    return;
  }
  const configFile =
    typeof values.config === 'string' ? path.resolve(process.cwd(), values.config) : configPath(io.env);
  const ctx = makeContext(io, out, configFile, deps, { args: rest, given });
  // positionals[0] is the command itself.
  return cmd.run(ctx, positionals.slice(1), values);
}

/**
 * The command line split at the first `--` that follows the command: Berth parses what comes before; what comes
 * after (the command of `exec` and `run`) is passed on untouched, never read as Berth's own flags.
 */
export function splitRest(argv: readonly string[]): { own: string[]; rest: string[]; given: boolean } {
  let sawCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      if (sawCommand) return { own: argv.slice(0, i), rest: argv.slice(i + 1), given: true };
      continue;
    }
    if (a === '--config') {
      i++;
      continue;
    }
    if (!a.startsWith('-')) sawCommand = true;
  }
  return { own: [...argv], rest: [], given: false };
}

/** The first argument that is neither a flag nor the value of `--config`. */
function commandName(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return argv[i + 1];
    if (a === '--config') {
      i++;
      continue;
    }
    if (!a.startsWith('-')) return a;
  }
  return undefined;
}

function parse(argv: string[], cmd: Command | undefined) {
  try {
    return parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...cmd?.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    const message = e instanceof Error ? e.message.replace(/\.$/, '') : String(e);
    throw usageError(`${message}: run \`berth ${cmd ? `${cmd.name} --help` : 'help'}\` to see the flags.`);
  }
}

function unknownCommand(name: string): CliError {
  return usageError(
    `Unknown command "${name}": run \`berth help\` to see the commands (${[...COMMANDS.keys(), 'help'].join(', ')}).`,
  );
}

function helpData(cmd: Command) {
  return { name: cmd.name, usage: cmd.usage, summary: cmd.summary };
}

function generalHelp(commands: readonly Command[]): string {
  // The usage lines are long: each command on its line, its summary indented under it.
  const row = (left: string, right: string) => `  ${left}\n      ${right}`;
  return [
    "berth: operate a deployed Berth platform's projects.",
    '',
    'Usage: berth <command> [<project>] [--config <file>] [--json]',
    '       berth --version',
    '',
    'Commands:',
    ...commands.map((c) => row(c.usage.replace(/^berth /, ''), c.summary)),
    row('help [<command>]', "Show this help, or a command's"),
    '',
    GLOBAL_FLAGS_HELP,
    '',
    'Environment:',
    `  ${PAT_ENV.padEnd(23)}  connect's Azure DevOps token (otherwise a prompt that does not echo); status checks`,
    `  ${''.padEnd(23)}  the service hooks with it when it is set`,
    `  ${'AWS_PROFILE'.padEnd(23)}  AWS credentials (the default chain: profile, SSO, environment keys)`,
    `  ${'AWS_REGION'.padEnd(23)}  Berth always works in the config's region; AWS_REGION, AWS_DEFAULT_REGION or the`,
    `  ${''.padEnd(23)}  profile's region must be unset or the same, or the command stops (exit ${EXIT_USAGE})`,
    `  ${'BERTH_CONFIG'.padEnd(23)}  the config file when --config is not given`,
    '',
    `Exit codes: ${EXIT_OK} done, ${EXIT_FAILURE} a failure talking to AWS or Azure DevOps, ${EXIT_USAGE} a usage or config problem;`,
    "`berth run` exits with the exit code of its task's container.",
  ].join('\n');
}

const GLOBAL_FLAGS_HELP = [
  'Flags:',
  '  --config <file>  the config file (default: $BERTH_CONFIG, else ./berth.yaml)',
  '  --json           print one JSON document on stdout; errors too, as {"error": {"code", "message"}}',
  '  -h, --help       show help',
  '  -V, --version    print the version of berth',
].join('\n');

function commandHelp(cmd: Command): string {
  return [
    ...cmd.usage
      .split('\n')
      .map((u, i) => `${i === 0 ? 'Usage: ' : '       '}${u} [--config <file>] [--json]`),
    '',
    `${cmd.summary}.`,
    '',
    cmd.description,
    '',
    GLOBAL_FLAGS_HELP,
  ].join('\n');
}

/** Runs the command line of this process; the launcher (`bin/berth-cli.js`, what `npx --no-install berth` runs) calls it. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  // The SDK's multi-line notice about future Node.js versions would bury the CLI's own messages on stderr;
  // an explicit setting by the user wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return runCli(argv, {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}
