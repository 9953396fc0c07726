import { azureDevOpsBaseUrl, platformNames, projectNames } from '../../config/names';
import type { ParsedConfig, ParsedProject } from '../../config/schema';
import { describeStack, getSecretString, stackOutput } from '../aws';
import {
  AzureDevOpsClient,
  AzureDevOpsError,
  SUBSCRIPTION_KIND,
  findOurSubscriptions,
  subscriptionBody,
} from '../azure-devops';
import type { Command, CommandContext } from '../context';
import { CliError, usageError } from '../errors';
import { patProblem, promptHidden } from '../prompt';

const USAGE = 'berth connect <project>';
export const PAT_ENV = 'AZURE_DEVOPS_PAT';
const PAT_SCOPES = 'Project and Team (Read), Code (Read) and Service Hooks (Read, query & manage)';

/**
 * `berth connect <project>`: creates, or updates in place, the Azure DevOps service hook that posts the
 * project's `git.push` events on its repository and branch to the platform's webhook.
 */
export const connectCommand: Command = {
  name: 'connect',
  usage: USAGE,
  summary: "Create or update the Azure DevOps service hook that starts <project>'s pipeline on a push",
  description: [
    'Reads the API URL (output ApiUrl of the platform stack) and the webhook credentials (secret',
    '<prefix>/<project>/webhook), looks up the Azure DevOps project and repository, then creates the',
    'git.push service hook (Web Hooks, resourceVersion 1.0) for the configured branch, sending to',
    '<ApiUrl>webhook/<project> with basic auth. Running it again updates that subscription instead of',
    'adding another (it is found by its URL), and re-enables it if Azure DevOps had disabled it.',
    '',
    `The Azure DevOps PAT comes from ${PAT_ENV}, or from a prompt that does not echo; never from a flag.`,
    `It needs the scopes ${PAT_SCOPES}, and its user must be allowed to edit service hooks.`,
    '',
    'Examples:',
    '  berth connect cash-collection',
    `  ${PAT_ENV}=... berth connect poultry-sale --json`,
  ].join('\n'),

  async run(ctx, positionals) {
    if (positionals.length > 1) {
      throw usageError(`Too many arguments (${positionals.length}): run \`${USAGE}\` with one project.`);
    }
    const config = ctx.config();
    const project = ctx.project(positionals[0], USAGE);
    const names = projectNames(config, project);
    const platform = platformNames(config);
    const { region, clients } = ctx.aws();

    // 1. What the deploy made: the webhook URL and its credentials.
    const deployed = await ctx.out.withProgress(
      `Reading ${platform.platformStack} and ${names.stack} in ${region}`,
      async () => {
        const platformStack = await describeStack(clients.cloudFormation, platform.platformStack, region);
        const apiUrl = stackOutput(platformStack, platform.apiUrlOutput, region);
        await describeStack(clients.cloudFormation, names.stack, region);
        const raw = await getSecretString(clients.secretsManager, names.webhookSecret, {
          region,
          stack: names.stack,
        });
        return { apiUrl, credentials: parseWebhookCredentials(raw, names.webhookSecret) };
      },
    );
    ctx.out.addSecret(deployed.credentials.password);
    const webhookUrl = webhookUrlFor(deployed.apiUrl, names.webhookPath);

    // 2. The caller's Azure DevOps token.
    const pat = await readPat(ctx);
    ctx.out.addSecret(pat);

    // 3. Azure DevOps: ids, then find-and-update or create.
    const baseUrl = azureDevOpsBaseUrl(config);
    const ado = new AzureDevOpsClient({
      baseUrl,
      pat,
      fetch: ctx.fetch,
      timeoutMs: ctx.azureDevOpsTimeoutMs,
    });
    const explain = (e: unknown, notFound: string) => azureDevOpsFailure(e, { baseUrl, project, notFound });
    const repo = project.repository;
    const where = `${repo.project}/${repo.name}`;

    const saved = await ctx.out.withProgress(`Looking up ${where} in Azure DevOps`, async (progress) => {
      const adoProject = await ado.getProject(repo.project).catch((e: unknown) => {
        throw explain(e, projectNotFound(config, project, ctx.configFile, baseUrl));
      });
      const adoRepo = await ado.getRepository(repo.project, repo.id ?? repo.name).catch((e: unknown) => {
        throw explain(e, repositoryNotFound(config, project, ctx.configFile));
      });

      progress.update('Looking for an existing service hook');
      const existing = await ado.listPushWebhookSubscriptions().catch((e: unknown) => {
        throw explain(
          e,
          `Azure DevOps has no service hooks API at ${baseUrl} (404): check azureDevOps in ${ctx.configFile}, then try again.`,
        );
      });
      const [mine, ...others] = findOurSubscriptions(existing, webhookUrl, adoRepo.id);
      const body = subscriptionBody({
        projectId: adoProject.id,
        repositoryId: adoRepo.id,
        branch: repo.branch,
        url: webhookUrl,
        username: deployed.credentials.username,
        password: deployed.credentials.password,
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
            throw explain(
              e,
              `Azure DevOps has no service hooks API at ${baseUrl} (404): check azureDevOps in ${ctx.configFile}, then try again.`,
            );
          });
      return {
        action: mine ? ('updated' as const) : ('created' as const),
        id: result.id,
        previousStatus: mine?.status,
        status: result.status ?? 'enabled',
        projectId: adoProject.id,
        repositoryId: adoRepo.id,
        duplicates: others.map((s) => s.id),
      };
    });

    if (saved.duplicates.length > 0) {
      ctx.out.warn(
        `${saved.duplicates.length} other service hook subscription(s) also send to ${webhookUrl} (${saved.duplicates.join(', ')}): delete them in Azure DevOps under Project settings > Service hooks so each push is delivered once.`,
      );
    }
    const reenabled =
      saved.action === 'updated' && saved.previousStatus && saved.previousStatus !== 'enabled'
        ? ` It was ${saved.previousStatus} and is enabled again.`
        : '';
    ctx.out.result(
      [
        `${saved.action === 'created' ? 'Created' : 'Updated'} the service hook for ${project.name} (subscription ${saved.id}).${reenabled}`,
        `  Event:       ${SUBSCRIPTION_KIND.eventType} on ${where}, branch ${repo.branch}`,
        `  Delivers to: ${webhookUrl} (basic auth from ${names.webhookSecret})`,
      ].join('\n'),
      {
        project: project.name,
        action: saved.action,
        subscriptionId: saved.id,
        status: saved.status,
        eventType: SUBSCRIPTION_KIND.eventType,
        resourceVersion: SUBSCRIPTION_KIND.resourceVersion,
        url: webhookUrl,
        webhookSecret: names.webhookSecret,
        azureDevOps: {
          baseUrl,
          project: repo.project,
          projectId: saved.projectId,
          repository: repo.name,
          repositoryId: saved.repositoryId,
          branch: repo.branch,
        },
        duplicates: saved.duplicates,
      },
    );
  },
};

/** `${ApiUrl}webhook/<project>`, whether or not the output ends in a slash. */
export function webhookUrlFor(apiUrl: string, webhookPath: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/${webhookPath.replace(/^\/+/, '')}`;
}

function parseWebhookCredentials(raw: string, secretName: string): { username: string; password: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const p = parsed as { username?: unknown; password?: unknown } | undefined;
  if (!p || typeof p.username !== 'string' || !p.username || typeof p.password !== 'string' || !p.password) {
    throw new CliError(
      `The secret ${secretName} does not hold {"username": ..., "password": ...}: run \`npx cdk deploy --all\` to restore it, then try again.`,
      'secret-malformed',
    );
  }
  return { username: p.username, password: p.password };
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

/** An Azure DevOps failure as the sentence the user needs; `notFound` is the call's own 404 sentence. */
export function azureDevOpsFailure(
  e: unknown,
  ctx: { baseUrl: string; project: ParsedProject; notFound: string },
): CliError {
  if (e instanceof CliError) return e;
  if (!(e instanceof AzureDevOpsError)) {
    // A response of an unexpected shape (zod) or a bug: say so without dumping the payload.
    return new CliError(
      `Azure DevOps at ${ctx.baseUrl} answered in an unexpected shape: check that azureDevOps points at Azure DevOps Services or Server 2022 or later (REST api-version 7.1), then try again.`,
      'azure-devops-error',
    );
  }
  const said = e.serverMessage ? ` Azure DevOps said: "${e.serverMessage}"` : '';
  if (e.kind === 'timeout') {
    return new CliError(
      `Azure DevOps at ${ctx.baseUrl} did not answer (${e.message}): check your network, then try again.`,
      'azure-devops-unreachable',
    );
  }
  if (e.kind === 'network') {
    return new CliError(
      `Could not reach Azure DevOps at ${ctx.baseUrl} (${e.message}): check azureDevOps in the config and your network, then try again.`,
      'azure-devops-unreachable',
    );
  }
  const isWrite = e.request.startsWith('POST ') || e.request.startsWith('PUT ');
  switch (e.status) {
    case 401:
      return new CliError(
        `Azure DevOps at ${ctx.baseUrl} refused the PAT (401 Unauthorized): check that ${PAT_ENV} (or the token you typed) is valid, not expired and made for this organization, then try again.`,
        'azure-devops-unauthorized',
      );
    case 403:
      return new CliError(
        `Azure DevOps denied ${isWrite ? 'saving the service hook' : 'the lookup'} (403 Forbidden): give the PAT the scopes ${PAT_SCOPES}, and make sure its user may edit service hooks in project "${ctx.project.repository.project}", then try again.${said}`,
        'azure-devops-forbidden',
      );
    case 404:
      return new CliError(`${ctx.notFound}${said}`, 'azure-devops-not-found');
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
    `Azure DevOps at ${ctx.baseUrl} ${e.message} to ${e.request}: ${status >= 500 ? 'try again in a few minutes' : 'check azureDevOps in the config, then try again'}.${said}`,
    'azure-devops-error',
  );
}
