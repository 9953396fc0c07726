import { azureDevOpsBaseUrl, platformNames, projectNames } from '../../config/names';
import type { ParsedConfig, ParsedProject } from '../../config/schema';
import { REPOSITORY_ID_JSON_KEY } from '../../contracts';
import { describeStack, getSecretString, putSecretString, stackOutput } from '../aws';
import {
  AzureDevOpsClient,
  AzureDevOpsError,
  CONNECT_PAT_SCOPES,
  MARKER_HEADER,
  SUBSCRIPTION_KIND,
  changedFields,
  findBerthSubscriptions,
  listScopes,
  markerValue,
  subscriptionBody,
  type Subscription,
} from '../azure-devops';
import { PAT_ENV, type Command, type CommandContext } from '../context';
import { CliError, EXIT_FAILURE, EXIT_USAGE, usageError } from '../errors';
import { patProblem, promptHidden } from '../prompt';

const USAGE = 'berth connect <project> | --all';
const PAT_SCOPES = listScopes(CONNECT_PAT_SCOPES);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `berth connect <project>` and `berth connect --all`: creates, or updates in place, the Azure DevOps service hook
 * that posts a project's `git.push` events on its repository and branch to the platform's webhook, and stores the
 * repository's GUID in the project's webhook secret so the webhook and the commit-status reporter match it by id.
 */
export const connectCommand: Command = {
  name: 'connect',
  usage: USAGE,
  summary: "Create or update the Azure DevOps service hook that starts <project>'s pipeline on a push",
  description: [
    'Reads the API URL (output ApiUrl of the platform stack) and the webhook credentials (secret',
    '<prefix>/<project>/webhook), looks up the Azure DevOps project and repository, stores the repository GUID',
    `in that secret (key "${REPOSITORY_ID_JSON_KEY}": the webhook and the commit statuses then follow a renamed`,
    'repository), then creates the git.push service hook (Web Hooks, resourceVersion 1.0) for the configured',
    'branch, sending to <ApiUrl>webhook/<project> with basic auth.',
    '',
    `Berth recognizes its own service hook by the header ${MARKER_HEADER}: <prefix>/<project> it adds to it`,
    '(Azure DevOps sends it with every delivery; it is not a secret), not by its URL. Running connect again',
    'updates that subscription in place (new URL after a custom domain, branch, repository, credentials) and',
    're-enables it if Azure DevOps disabled it; other subscriptions carrying the same marker are deleted.',
    '',
    '--all connects every project of the config in turn and reports each; a project that fails does not stop',
    'the others, and the exit code is 1 if any failed.',
    '',
    `The Azure DevOps PAT comes from ${PAT_ENV}, or from a prompt that does not echo; never from a flag.`,
    `It needs the scopes ${PAT_SCOPES}, and its user must be allowed to edit service hooks.`,
    'The REST api-version is azureDevOps.apiVersion in the config (7.0 by default; 6.0 for Azure DevOps Server 2020).',
    '',
    'Azure DevOps Server behind an internal certificate authority: trust it with',
    '  NODE_EXTRA_CA_CERTS=/path/to/ca.pem berth connect <project>',
    'An http:// azureDevOps.url works only with azureDevOps.allowInsecureHttp: true, and the PAT then travels in clear.',
    '',
    'Examples:',
    '  berth connect cash-collection',
    `  ${PAT_ENV}=... berth connect --all --json`,
  ].join('\n'),
  options: { all: { type: 'boolean' } },

  async run(ctx, positionals, values) {
    const all = values.all === true;
    if (all && positionals.length > 0) {
      throw usageError(
        `Give either <project> or --all, not both: run \`berth connect ${positionals[0]}\` or \`berth connect --all\`.`,
      );
    }
    if (positionals.length > 1) {
      throw usageError(
        `Too many arguments (${positionals.length}): run \`${USAGE}\` with one project, or --all.`,
      );
    }
    const config = ctx.config();
    const projects = all ? config.projects : [ctx.project(positionals[0], 'berth connect <project>')];
    const baseUrl = azureDevOpsBaseUrl(config);
    if (/^http:\/\//i.test(baseUrl)) {
      ctx.out.warn(
        `azureDevOps.url ${baseUrl} is http:// (azureDevOps.allowInsecureHttp is on): the PAT and the webhook password travel in clear on the network. Use https:// (with NODE_EXTRA_CA_CERTS for an internal certificate authority) when you can.`,
      );
    }
    const session = new Session(ctx, config, baseUrl);

    if (!all) {
      const result = await session.connect(projects[0]).catch((e: unknown) => {
        throw e instanceof SessionError ? e.error : e;
      });
      ctx.out.result(describe(result), result);
      return;
    }

    const entries: (
      | ({ ok: true } & ConnectResult)
      | { project: string; ok: false; error: { code: string; message: string } }
    )[] = [];
    const failed: string[] = [];
    for (const project of projects) {
      try {
        const result = await session.connect(project);
        entries.push({ ok: true, ...result });
        if (!ctx.out.json) ctx.out.result(describe(result), result);
      } catch (e) {
        // What every project shares (the platform stack, the PAT) fails them all: stop at once.
        if (e instanceof SessionError) throw e.error;
        const error = e instanceof CliError ? e : unexpected(e);
        failed.push(project.name);
        entries.push({
          project: project.name,
          ok: false,
          error: { code: error.code, message: error.message },
        });
        if (!ctx.out.json) ctx.out.error(new CliError(`${project.name}: ${error.message}`, error.code));
      }
    }
    if (ctx.out.json) ctx.out.result('', { projects: entries });
    if (failed.length === 0) return;
    if (!ctx.out.json) {
      const connected = projects.map((p) => p.name).filter((n) => !failed.includes(n));
      ctx.out.error(
        new CliError(
          `Could not connect ${failed.length} of ${projects.length} projects (${failed.join(', ')})${connected.length > 0 ? `; connected: ${connected.join(', ')}` : ''}. Fix what is said above for each, then run \`berth connect --all\` again (it updates what is already connected).`,
          'azure-devops-error',
        ),
      );
    }
    return EXIT_FAILURE;
  },
};

export interface ConnectResult {
  readonly project: string;
  readonly action: 'created' | 'updated';
  readonly subscriptionId: string;
  readonly status: string;
  /** The status before an update, when it was not `enabled`. */
  readonly previousStatus?: string;
  /** What an update changed among the fields Azure DevOps shows (the password is always sent again). */
  readonly changes: readonly string[];
  readonly eventType: string;
  readonly resourceVersion: string;
  readonly url: string;
  readonly webhookSecret: string;
  /** `X-Berth-Project: <prefix>/<project>`. */
  readonly marker: string;
  /** True when this run wrote the repository GUID into the webhook secret (false: it was there already). */
  readonly repositoryIdStored: boolean;
  readonly azureDevOps: {
    readonly baseUrl: string;
    readonly apiVersion: string;
    readonly project: string;
    readonly projectId: string;
    readonly repository: string;
    readonly repositoryId: string;
    readonly branch: string;
  };
  /** Stale subscriptions carrying this project's marker, deleted. */
  readonly deleted: readonly string[];
  /** Subscriptions without the marker that also send to this project's webhook path (left alone, reported). */
  readonly unmarked: readonly string[];
}

/** A failure of something every project shares: `--all` stops on it. */
class SessionError extends Error {
  constructor(readonly error: CliError) {
    super(error.message);
  }
}

/** What the projects of one run share: the platform stack's API URL, the PAT and the Azure DevOps client. */
class Session {
  #apiUrl: Promise<string> | undefined;
  #ado: Promise<AzureDevOpsClient> | undefined;

  constructor(
    private readonly ctx: CommandContext,
    private readonly config: ParsedConfig,
    private readonly baseUrl: string,
  ) {}

  async connect(project: ParsedProject): Promise<ConnectResult> {
    const { ctx, config, baseUrl } = this;
    const names = projectNames(config, project);
    const platform = platformNames(config);
    const { region, clients } = ctx.aws();

    // 1. What the deploy made: the webhook URL and the credentials (the whole secret, to merge into it).
    const deployed = await ctx.out.withProgress(
      `Reading ${platform.platformStack} and ${names.stack} in ${region}`,
      async () => {
        const apiUrl = await this.#shared(() => this.#readApiUrl());
        await describeStack(clients.cloudFormation, names.stack, region);
        const raw = await getSecretString(clients.secretsManager, names.webhookSecret, {
          region,
          stack: names.stack,
        });
        return { apiUrl, secret: parseWebhookSecret(raw, names.webhookSecret) };
      },
    );
    ctx.out.addSecret(deployed.secret.password);
    const webhookUrl = webhookUrlFor(deployed.apiUrl, names.webhookPath);

    // 2. The caller's Azure DevOps token (asked once per run).
    const ado = await this.#shared(() => this.#client());

    // 3. Azure DevOps ids, and the repository GUID into the webhook secret.
    const explain = (e: unknown, notFound: string) =>
      azureDevOpsFailure(e, { baseUrl, project, notFound, apiVersion: ado.apiVersion });
    const repo = project.repository;
    const where = `${repo.project}/${repo.name}`;
    const ids = await ctx.out.withProgress(`Looking up ${where} in Azure DevOps`, async () => {
      const adoProject = await ado.getProject(repo.project).catch((e: unknown) => {
        throw explain(e, projectNotFound(config, project, ctx.configFile, baseUrl));
      });
      const adoRepo = await ado.getRepository(repo.project, repo.id ?? repo.name).catch((e: unknown) => {
        throw explain(e, repositoryNotFound(config, project, ctx.configFile));
      });
      return { projectId: adoProject.id, repositoryId: adoRepo.id.toLowerCase() };
    });
    let repositoryIdStored = false;
    if (deployed.secret.repositoryId !== ids.repositoryId) {
      await ctx.out.withProgress(`Storing the repository id in ${names.webhookSecret}`, () =>
        putSecretString(
          clients.secretsManager,
          names.webhookSecret,
          JSON.stringify({ ...deployed.secret.value, [REPOSITORY_ID_JSON_KEY]: ids.repositoryId }),
          { region, stack: names.stack },
        ),
      );
      repositoryIdStored = true;
    }

    // 4. The service hook: find ours by its marker, then update it in place or create it; delete stale ones.
    const marker = markerValue(config.prefix, project.name);
    const saved = await ctx.out.withProgress('Looking for an existing service hook', async (progress) => {
      const noHooksApi = `Azure DevOps has no service hooks API at ${baseUrl} (404): check azureDevOps in ${ctx.configFile}, then try again.`;
      const existing = await ado
        .listSubscriptions({
          publisherId: SUBSCRIPTION_KIND.publisherId,
          eventType: SUBSCRIPTION_KIND.eventType,
          consumerId: SUBSCRIPTION_KIND.consumerId,
          consumerActionId: SUBSCRIPTION_KIND.consumerActionId,
        })
        .catch((e: unknown) => {
          throw explain(e, noHooksApi);
        });
      const found = findBerthSubscriptions(existing, {
        marker,
        webhookPath: names.webhookPath,
        repositoryId: ids.repositoryId,
      });
      // A subscription made before the marker existed is adopted when there is no marked one.
      const mine: Subscription | undefined = found.keep ?? found.unmarked[0];
      const unmarked = found.unmarked.filter((s) => s !== mine).map((s) => s.id);
      const body = subscriptionBody({
        projectId: ids.projectId,
        repositoryId: ids.repositoryId,
        branch: repo.branch,
        url: webhookUrl,
        username: deployed.secret.username,
        password: deployed.secret.password,
        marker,
      });

      progress.update(mine ? 'Updating the service hook' : 'Creating the service hook');
      const result = mine
        ? await ado.replaceSubscription(mine.id, { ...body, status: 'enabled' }).catch((e: unknown) => {
            throw explain(
              e,
              `Azure DevOps no longer has the service hook ${mine.id} (404): run \`berth connect ${project.name}\` again to create a new one.`,
            );
          })
        : await ado.createSubscription(body).catch((e: unknown) => {
            throw explain(e, noHooksApi);
          });

      const deleted: string[] = [];
      for (const stale of found.stale) {
        progress.update(`Deleting the stale service hook ${stale.id}`);
        await ado.deleteSubscription(stale.id).catch((e: unknown) => {
          // Gone already is what we wanted.
          if (e instanceof AzureDevOpsError && e.status === 404) return;
          throw explain(e, '');
        });
        deleted.push(stale.id);
      }
      return {
        action: mine ? ('updated' as const) : ('created' as const),
        id: result.id,
        previousStatus: mine?.status !== undefined && mine.status !== 'enabled' ? mine.status : undefined,
        changes: mine ? changedFields(mine, body) : [],
        status: result.status ?? 'enabled',
        deleted,
        unmarked,
      };
    });

    if (saved.unmarked.length > 0) {
      ctx.out.warn(
        `${saved.unmarked.length} other service hook subscription(s) without Berth's ${MARKER_HEADER} header also send to ${names.webhookPath} for ${where} (${saved.unmarked.join(', ')}): delete them in Azure DevOps under Project settings > Service hooks so each push is delivered once.`,
      );
    }
    return {
      project: project.name,
      action: saved.action,
      subscriptionId: saved.id,
      status: saved.status,
      ...(saved.previousStatus === undefined ? {} : { previousStatus: saved.previousStatus }),
      changes: saved.changes,
      eventType: SUBSCRIPTION_KIND.eventType,
      resourceVersion: SUBSCRIPTION_KIND.resourceVersion,
      url: webhookUrl,
      webhookSecret: names.webhookSecret,
      marker: `${MARKER_HEADER}: ${marker}`,
      repositoryIdStored,
      azureDevOps: {
        baseUrl,
        apiVersion: ado.apiVersion,
        project: repo.project,
        projectId: ids.projectId,
        repository: repo.name,
        repositoryId: ids.repositoryId,
        branch: repo.branch,
      },
      deleted: saved.deleted,
      unmarked: saved.unmarked,
    };
  }

  /** Runs a shared step once per run; its failure is a SessionError (it would fail every project alike). */
  async #shared<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (e) {
      throw new SessionError(e instanceof CliError ? e : unexpected(e));
    }
  }

  #readApiUrl(): Promise<string> {
    this.#apiUrl ??= (async () => {
      const { region, clients } = this.ctx.aws();
      const platform = platformNames(this.config);
      const stack = await describeStack(clients.cloudFormation, platform.platformStack, region);
      return stackOutput(stack, platform.apiUrlOutput, region);
    })();
    return this.#apiUrl;
  }

  #client(): Promise<AzureDevOpsClient> {
    this.#ado ??= (async () => {
      const pat = await readPat(this.ctx);
      this.ctx.out.addSecret(pat);
      return new AzureDevOpsClient({
        baseUrl: this.baseUrl,
        pat,
        apiVersion: this.config.azureDevOps.apiVersion,
        fetch: this.ctx.fetch,
        sleep: (ms) => this.ctx.sleep(ms),
        now: () => this.ctx.now(),
        ...(this.ctx.azureDevOpsTimeoutMs === undefined
          ? {}
          : { retry: { attemptTimeoutMs: this.ctx.azureDevOpsTimeoutMs } }),
      });
    })();
    return this.#ado;
  }
}

/** The human text of one project's result. */
function describe(r: ConnectResult): string {
  const what =
    r.action === 'created'
      ? 'Created'
      : `Updated${r.changes.filter((c) => c !== 'status').length > 0 ? ` (${r.changes.filter((c) => c !== 'status').join(', ')} changed)` : ''}`;
  const reenabled = r.previousStatus ? ` It was ${r.previousStatus} and is enabled again.` : '';
  const lines = [
    `${what} the service hook for ${r.project} (subscription ${r.subscriptionId}).${reenabled}`,
    `  Event:       ${r.eventType} on ${r.azureDevOps.project}/${r.azureDevOps.repository}, branch ${r.azureDevOps.branch}`,
    `  Delivers to: ${r.url} (basic auth from ${r.webhookSecret})`,
    `  Marker:      ${r.marker}`,
    `  Repository:  ${r.azureDevOps.repositoryId} (${r.repositoryIdStored ? 'stored' : 'already'} in ${r.webhookSecret} as ${REPOSITORY_ID_JSON_KEY})`,
  ];
  if (r.deleted.length > 0) {
    lines.push(
      `  Deleted:     ${r.deleted.length} stale service hook(s) of this project (${r.deleted.join(', ')})`,
    );
  }
  return lines.join('\n');
}

/** `${ApiUrl}webhook/<project>`, whether or not the output ends in a slash. */
export function webhookUrlFor(apiUrl: string, webhookPath: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/${webhookPath.replace(/^\/+/, '')}`;
}

interface WebhookSecret {
  readonly username: string;
  readonly password: string;
  /** The whole JSON object, so that writing the repository id keeps every other key. */
  readonly value: Readonly<Record<string, unknown>>;
  /** The repository GUID a previous run stored, lower-case. */
  readonly repositoryId?: string;
}

function parseWebhookSecret(raw: string, secretName: string): WebhookSecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const p = parsed as Record<string, unknown> | undefined;
  if (
    typeof p !== 'object' ||
    p === null ||
    Array.isArray(p) ||
    typeof p.username !== 'string' ||
    !p.username ||
    typeof p.password !== 'string' ||
    !p.password
  ) {
    throw new CliError(
      `The secret ${secretName} does not hold {"username": ..., "password": ...}: run \`npx cdk deploy --all\` to restore it, then try again.`,
      'secret-malformed',
    );
  }
  const stored = p[REPOSITORY_ID_JSON_KEY];
  return {
    username: p.username,
    password: p.password,
    value: p,
    ...(typeof stored === 'string' && GUID.test(stored) ? { repositoryId: stored.toLowerCase() } : {}),
  };
}

async function readPat(ctx: CommandContext): Promise<string> {
  const fromEnv = ctx.io.env[PAT_ENV];
  if (fromEnv) {
    const problem = patProblem(fromEnv, PAT_ENV);
    if (problem) throw usageError(problem, 'invalid-pat');
    return fromEnv;
  }
  if (!ctx.io.stdin.isTTY) {
    throw usageError(
      `No Azure DevOps PAT: set ${PAT_ENV} to a token with the scopes ${PAT_SCOPES}, or run this in a terminal to be asked for it.`,
      'no-pat',
    );
  }
  ctx.out.stopSpinner();
  const pat = await promptHidden(ctx.io, `Azure DevOps PAT (${PAT_SCOPES}; input hidden): `);
  const problem = patProblem(pat, 'the prompt');
  if (problem) throw usageError(problem, 'invalid-pat');
  return pat;
}

function projectNotFound(
  config: ParsedConfig,
  project: ParsedProject,
  file: string,
  baseUrl: string,
): string {
  const i = config.projects.indexOf(project);
  return `Azure DevOps has no project "${project.repository.project}" at ${baseUrl} (404): check projects[${i}].repository.project and azureDevOps in ${file}, and that the PAT's user can see that project, then try again.`;
}

function repositoryNotFound(config: ParsedConfig, project: ParsedProject, file: string): string {
  const i = config.projects.indexOf(project);
  const r = project.repository;
  const field = r.id ? 'id' : 'name';
  return `Azure DevOps has no repository "${r.id ?? r.name}" in project "${r.project}" (404): check projects[${i}].repository.${field} in ${file}, then try again.`;
}

function unexpected(e: unknown): CliError {
  return new CliError(
    `Unexpected error (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}): please report it with the command you ran.`,
    'internal',
    EXIT_FAILURE,
  );
}

/** An Azure DevOps failure as the sentence the user needs; `notFound` is the call's own 404 sentence. */
export function azureDevOpsFailure(
  e: unknown,
  ctx: { baseUrl: string; project: ParsedProject; notFound: string; apiVersion: string },
): CliError {
  if (e instanceof CliError) return e;
  if (!(e instanceof AzureDevOpsError)) return unexpected(e);
  const said = e.serverMessage ? ` Azure DevOps said: "${e.serverMessage}"` : '';
  switch (e.kind) {
    case 'api-version':
      return new CliError(`Azure DevOps at ${ctx.baseUrl} ${e.message}.`, 'config', EXIT_USAGE);
    case 'timeout':
      return new CliError(
        `Azure DevOps at ${ctx.baseUrl} did not answer (${e.message}): check your network, then try again.`,
        'azure-devops-unreachable',
      );
    case 'network':
      return new CliError(
        `Could not reach Azure DevOps at ${ctx.baseUrl} (${e.message}): check azureDevOps in the config and your network (for an internal certificate authority, set NODE_EXTRA_CA_CERTS=/path/to/ca.pem), then try again.`,
        'azure-devops-unreachable',
      );
    case 'bad-response':
      return new CliError(
        `Azure DevOps at ${ctx.baseUrl} ${e.message} to ${e.request}: check that azureDevOps points at Azure DevOps Services or Server 2020 or later, with azureDevOps.apiVersion ${ctx.apiVersion} supported there, then try again.`,
        'azure-devops-error',
      );
    case 'refused-token':
      return refusedPat(ctx.baseUrl);
    case 'http':
      break;
  }
  const isWrite = /^(POST|PUT|DELETE) /.test(e.request);
  switch (e.status) {
    case 401:
      return refusedPat(ctx.baseUrl);
    case 403:
      return new CliError(
        `Azure DevOps denied ${isWrite ? 'saving the service hook' : 'the lookup'} (403 Forbidden): give the PAT the scopes ${PAT_SCOPES}, and make sure its user may edit service hooks in project "${ctx.project.repository.project}", then try again.${said}`,
        'azure-devops-forbidden',
      );
    case 404:
      if (ctx.notFound) return new CliError(`${ctx.notFound}${said}`, 'azure-devops-not-found');
      break;
    default:
      break;
  }
  const status = e.status ?? 0;
  if (isWrite && status >= 400 && status < 500) {
    return new CliError(
      `Azure DevOps refused the service hook subscription (${status}): ${(e.serverMessage ?? 'it gave no reason').replace(/\.+$/, '')}. Fix what it names (the project's repository and branch in the config, or the webhook URL), then try again.`,
      'subscription-refused',
    );
  }
  return new CliError(
    `Azure DevOps at ${ctx.baseUrl} ${e.message} to ${e.request}: ${status >= 500 || status === 429 ? 'try again in a few minutes' : 'check azureDevOps in the config, then try again'}.${said}`,
    'azure-devops-error',
  );
}

function refusedPat(baseUrl: string): CliError {
  return new CliError(
    `Azure DevOps at ${baseUrl} refused the PAT (401 Unauthorized): check that ${PAT_ENV} (or the token you typed) is valid, not expired and made for this organization, then try again.`,
    'azure-devops-unauthorized',
  );
}
