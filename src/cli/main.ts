import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { configPath } from '../config/load';
import { connectCommand, PAT_ENV } from './commands/connect';
import { planCommand } from './commands/plan';
import { setPatCommand } from './commands/set-pat';
import { statusCommand } from './commands/status';
import { makeContext, type CliDeps, type Command } from './context';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, usageError } from './errors';
import { Output, type CliIO } from './output';

/**
 * `berth`: the command line for a deployed Berth platform. Commands live in `./commands`, one module each,
 * registered in COMMANDS below (add `plan`, `status`, ... there). Exit codes: 0 done, 1 a failure while
 * talking to AWS or Azure DevOps, 2 a usage or config problem.
 */

export type { CliDeps } from './context';
export type { CliIO } from './output';

const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [setPatCommand, connectCommand, planCommand, statusCommand].map((c) => [c.name, c]),
);

const GLOBAL_OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Flags that would put a token on the command line (and in shell history): refused by name. */
const SECRET_FLAG = /^--?(pat|token|password|secret)(=|$)/i;

/** Runs one command line in-process and returns its exit code; never throws, never calls process.exit. */
export async function runCli(argv: string[], io: CliIO, deps: CliDeps = {}): Promise<number> {
  const out = new Output(io, argv.includes('--json'));
  try {
    await dispatch(argv, io, out, deps);
    return EXIT_OK;
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

async function dispatch(argv: string[], io: CliIO, out: Output, deps: CliDeps): Promise<void> {
  const secretFlag = argv.find((a) => SECRET_FLAG.test(a));
  if (secretFlag) {
    const flag = secretFlag.split('=')[0];
    throw usageError(
      `The PAT is never taken from a flag (${flag} would leave it in your shell history): set ${PAT_ENV} or answer the hidden prompt for connect, and pipe it on stdin or answer the prompt for set-pat.`,
    );
  }

  const name = commandName(argv);
  if (name === undefined || name === 'help') {
    const { positionals, values } = parse(argv, undefined);
    const topic = name === 'help' ? positionals[1] : undefined;
    if (name === undefined && !values.help) {
      throw usageError(
        `No command given: run \`berth help\` to see the commands (${[...COMMANDS.keys()].join(', ')}).`,
      );
    }
    if (topic !== undefined) {
      const cmd = COMMANDS.get(topic);
      if (!cmd) throw unknownCommand(topic);
      out.result(commandHelp(cmd), helpData(cmd));
    } else {
      out.result(generalHelp(), {
        usage: 'berth <command> [<project>] [--config <file>] [--json]',
        commands: [...COMMANDS.values()].map(helpData),
      });
    }
    return;
  }

  const cmd = COMMANDS.get(name);
  if (!cmd) throw unknownCommand(name);
  const { positionals, values } = parse(argv, cmd);
  if (values.help) {
    out.result(commandHelp(cmd), helpData(cmd));
    return;
  }
  const configFile =
    typeof values.config === 'string' ? path.resolve(process.cwd(), values.config) : configPath(io.env);
  const ctx = makeContext(io, out, configFile, deps);
  // positionals[0] is the command itself.
  await cmd.run(ctx, positionals.slice(1), values);
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

function generalHelp(): string {
  const width = Math.max(
    ...[...COMMANDS.values()].map((c) => c.usage.length - 'berth '.length),
    'help [<command>]'.length,
  );
  const row = (left: string, right: string) => `  ${left.padEnd(width)}  ${right}`;
  return [
    "berth: operate a deployed Berth platform's projects.",
    '',
    'Usage: berth <command> [<project>] [--config <file>] [--json]',
    '',
    'Commands:',
    ...[...COMMANDS.values()].map((c) => row(c.usage.replace(/^berth /, ''), c.summary)),
    row('help [<command>]', "Show this help, or a command's"),
    '',
    GLOBAL_FLAGS_HELP,
    '',
    'Environment:',
    `  ${PAT_ENV.padEnd(23)}  connect's Azure DevOps token (otherwise a prompt that does not echo)`,
    "  AWS_PROFILE, AWS_REGION  AWS credentials and region (region default: the config's region)",
    `  ${'BERTH_CONFIG'.padEnd(23)}  the config file when --config is not given`,
    '',
    `Exit codes: ${EXIT_OK} done, ${EXIT_FAILURE} a failure talking to AWS or Azure DevOps, ${EXIT_USAGE} a usage or config problem.`,
  ].join('\n');
}

const GLOBAL_FLAGS_HELP = [
  'Flags:',
  '  --config <file>  the config file (default: $BERTH_CONFIG, else ./berth.yaml)',
  '  --json           print one JSON document on stdout; errors too, as {"error": {"code", "message"}}',
  '  -h, --help       show help',
].join('\n');

function commandHelp(cmd: Command): string {
  return [
    `Usage: ${cmd.usage} [--config <file>] [--json]`,
    '',
    `${cmd.summary}.`,
    '',
    cmd.description,
    '',
    GLOBAL_FLAGS_HELP,
  ].join('\n');
}

/** Runs the command line of this process; the launcher (`bin/berth-cli.js`) and `npm run berth` call it. */
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

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
