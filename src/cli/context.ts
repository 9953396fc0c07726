import type { ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig } from '../config/load';
import type { ParsedConfig, ParsedProject } from '../config/schema';
import { awsRegion, defaultAwsClients, type AwsClientFactory, type AwsClients } from './aws';
import { usageError } from './errors';
import type { CliIO, Output } from './output';

/** What `runCli` can be handed instead of the real thing (tests pass mocks). */
export interface CliDeps {
  /** Makes the AWS clients for a region. Default: real SDK clients with the default credential chain. */
  readonly aws?: AwsClientFactory;
  /** Used for every Azure DevOps call. Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Per Azure DevOps request. Default 30 s. */
  readonly azureDevOpsTimeoutMs?: number;
}

/** What a command gets: the streams, the output, the parsed flags and lazy access to config and clients. */
export interface CommandContext {
  readonly io: CliIO;
  readonly out: Output;
  readonly configFile: string;
  readonly fetch: typeof fetch;
  readonly azureDevOpsTimeoutMs: number | undefined;
  /** Loads and validates the config once; a bad file is a usage error that lists the problems. */
  config(): ParsedConfig;
  /** The configured project called `name`; a missing or unknown name is a usage error listing the projects. */
  project(name: string | undefined, usage: string): ParsedProject;
  /** The region (`AWS_REGION` or the config's) and the AWS clients for it. */
  aws(): { region: string; clients: AwsClients };
}

/** A subcommand. `main` dispatches through a map of these, so `plan`, `status`, ... slot in beside them. */
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
  run(ctx: CommandContext, positionals: string[], values: Record<string, unknown>): Promise<void>;
}

export function makeContext(io: CliIO, out: Output, configFile: string, deps: CliDeps): CommandContext {
  let config: ParsedConfig | undefined;
  let clients: { region: string; clients: AwsClients } | undefined;
  const makeAws = deps.aws ?? defaultAwsClients;

  const ctx: CommandContext = {
    io,
    out,
    configFile,
    fetch: deps.fetch ?? fetch,
    azureDevOpsTimeoutMs: deps.azureDevOpsTimeoutMs,
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
        const region = awsRegion(ctx.config(), io.env);
        clients = { region, clients: makeAws(region) };
      }
      return clients;
    },
  };
  return ctx;
}
