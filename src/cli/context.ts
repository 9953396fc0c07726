import type { ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig } from '../config/load';
import type { ParsedConfig, ParsedProject } from '../config/schema';
import { defaultAwsClients, withDefaultClients, type AllAwsClients, type AwsClientFactory } from './aws';
import { usageError } from './errors';
import type { CliIO, Output } from './output';
import { checkRegion } from './region';

/** The environment variable holding the Azure DevOps PAT for `connect` (and `status`'s service-hook check). */
export const PAT_ENV = 'AZURE_DEVOPS_PAT';

/** What `runCli` can be handed instead of the real thing (tests pass mocks). */
export interface CliDeps {
  /** Makes the AWS clients for a region. Default: real SDK clients with the default credential chain. */
  readonly aws?: AwsClientFactory;
  /** Used for every Azure DevOps call. Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Per Azure DevOps request. Default 30 s. */
  readonly azureDevOpsTimeoutMs?: number;
  /** Waits between polls (`logs --follow`, `rollback`, `run`). Default: a timer that `signal` cuts short. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The clock of the polling commands. Default: Date.now. */
  readonly now?: () => number;
  /** Aborted when the user presses Ctrl-C during `logs --follow`. Default: the process's SIGINT. */
  readonly interrupt?: AbortSignal;
}

/** What a command gets: the streams, the output, the parsed flags and lazy access to config and clients. */
export interface CommandContext {
  readonly io: CliIO;
  readonly out: Output;
  readonly configFile: string;
  readonly fetch: typeof fetch;
  readonly azureDevOpsTimeoutMs: number | undefined;
  /** The arguments after `--` (the command of `exec` and `run`), exactly as given. */
  readonly rest: readonly string[];
  /** Whether `--` was given at all. */
  readonly hasRest: boolean;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  now(): number;
  /** A signal aborted by Ctrl-C; asking for it makes Ctrl-C end the command normally instead of the process. */
  interrupt(): AbortSignal;
  /** Loads and validates the config once; a bad file is a usage error that lists the problems. */
  config(): ParsedConfig;
  /** The configured project called `name`; a missing or unknown name is a usage error listing the projects. */
  project(name: string | undefined, usage: string): ParsedProject;
  /**
   * The config's region and the AWS clients for it. A region set in the environment or the AWS profile that
   * differs from the config's is a usage error (see `region.ts`).
   */
  aws(): { region: string; clients: AllAwsClients };
}

/** A subcommand. `main` dispatches through a map of these. */
export interface Command {
  readonly name: string;
  /** `berth connect <project>`: the first line of its help. */
  readonly usage: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The rest of its help: what it does, where input comes from, what it prints. */
  readonly description: string;
  /** Flags of its own, besides the global `--config`, `--json` and `--help`. */
  readonly options?: ParseArgsConfig['options'];
  /** Resolves with nothing (exit 0) or with the exit code to use (`run` passes the container's on). */
  run(ctx: CommandContext, positionals: string[], values: Record<string, unknown>): Promise<void | number>;
}

export function makeContext(
  io: CliIO,
  out: Output,
  configFile: string,
  deps: CliDeps,
  rest: { args: readonly string[]; given: boolean } = { args: [], given: false },
): CommandContext {
  let config: ParsedConfig | undefined;
  let clients: { region: string; clients: AllAwsClients } | undefined;
  let interrupt: AbortSignal | undefined = deps.interrupt;
  const makeAws = deps.aws ?? defaultAwsClients;

  const ctx: CommandContext = {
    io,
    out,
    configFile,
    fetch: deps.fetch ?? fetch,
    azureDevOpsTimeoutMs: deps.azureDevOpsTimeoutMs,
    rest: rest.args,
    hasRest: rest.given,
    sleep: deps.sleep ?? defaultSleep,
    now: deps.now ?? Date.now,
    interrupt() {
      if (!interrupt) {
        const controller = new AbortController();
        process.once('SIGINT', () => controller.abort());
        interrupt = controller.signal;
      }
      return interrupt;
    },
    config() {
      if (!config) {
        try {
          config = loadConfig(configFile);
        } catch (e) {
          if (e instanceof ConfigError) {
            throw usageError(
              `${e.message}\nFix the file (or choose another with --config <file> or BERTH_CONFIG), then try again.`,
              'config',
            );
          }
          throw e;
        }
      }
      return config;
    },
    project(name, usage) {
      const c = ctx.config();
      const names = c.projects.map((p) => p.name).join(', ');
      if (!name) throw usageError(`Missing <project>: run \`${usage}\` with one of: ${names}.`);
      const found = c.projects.find((p) => p.name === name);
      if (!found) {
        throw usageError(
          `No project "${name}" in ${configFile}: choose one of: ${names}.`,
          'unknown-project',
        );
      }
      return found;
    },
    aws() {
      if (!clients) {
        const region = checkRegion(ctx.config().region, configFile, io.env);
        clients = { region, clients: withDefaultClients(makeAws(region), region) };
      }
      return clients;
    },
  };
  return ctx;
}

/** setTimeout as a promise that an aborted `signal` resolves at once (the caller then checks the signal). */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
