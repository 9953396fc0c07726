import { projectNames } from '../../config/names';
import type { ParsedProject } from '../../config/schema';
import { NO_RELEASE } from '../../contracts';
import { getSecretString, putSecretString } from '../aws';
import type { Command, CommandContext } from '../context';
import { CliError, usageError } from '../errors';
import { formatTable } from '../plan/table';
import { promptHidden, readAll, stripOneNewline } from '../prompt';
import { liveState, shortCommit } from '../release/history';
import { rollout } from '../release/rollout';

const USAGE = 'berth secrets list <project> | set <project> <NAME> [--no-redeploy] [--no-wait]';
/** A key of the app secret, as the config check allows it in service.secrets. */
const SECRET_KEY = /^[A-Za-z0-9_.-]{1,128}$/;

/** `berth secrets`: the keys of a project's app secret (`<prefix>/<project>/app`), never their values. */
export const secretsCommand: Command = {
  name: 'secrets',
  usage: USAGE,
  summary: "List the keys of <project>'s app secret, or set one (then redeploy so tasks read it)",
  description: [
    'The app secret <prefix>/<project>/app is one JSON object; service.secrets in the config maps each of the',
    "container's environment variables to a key of it (DB_PASSWORD: db-password).",
    '',
    'secrets list <project>',
    '  Prints the keys the secret holds, never a value: each with the variables that read it, keys that',
    '  service.secrets wants but the secret lacks (MISSING: tasks cannot start until they are set), and keys no',
    '  variable references (unused).',
    '',
    'secrets set <project> <NAME>',
    '  NAME is a key of the secret, or a variable of service.secrets (its key is then set). The value comes from',
    '  a prompt that does not echo, or from stdin when stdin is piped (one trailing newline is dropped); never',
    '  from a flag. The key is merged into the JSON object as a new version of the secret (the other keys stay),',
    '  then a redeploy starts new tasks that read it (as `berth redeploy` does; --no-wait returns once it started).',
    '  --no-redeploy only stores it. Before the first release, or for a key no variable references, it only',
    '  stores it.',
    '',
    'It needs secretsmanager:GetSecretValue (list and set) and PutSecretValue (set) on the secret, and for the',
    'redeploy what `berth redeploy` needs.',
    '',
    'Examples:',
    '  berth secrets list cash-collection',
    '  berth secrets set cash-collection DB_PASSWORD',
    '  printf %s "$VALUE" | berth secrets set cash-collection db-password --no-redeploy',
  ].join('\n'),
  options: { 'no-redeploy': { type: 'boolean' }, 'no-wait': { type: 'boolean' } },

  async run(ctx, positionals, values) {
    const [sub, projectName, name, ...extra] = positionals;
    if (sub === 'list') {
      if (name !== undefined) {
        throw usageError(`Too many arguments: run \`berth secrets list ${projectName ?? '<project>'}\`.`);
      }
      return list(ctx, projectName);
    }
    if (sub === 'set') {
      if (extra.length > 0) {
        throw usageError(
          `Too many arguments: run \`berth secrets set ${projectName} ${name}\`; the value is never an argument (it is read from a prompt or stdin).`,
        );
      }
      return set(ctx, projectName, name, values);
    }
    throw usageError(
      sub === undefined
        ? `Missing subcommand: run \`berth secrets list <project>\` or \`berth secrets set <project> <NAME>\`.`
        : `Unknown subcommand "${sub}": run \`berth secrets list <project>\` or \`berth secrets set <project> <NAME>\`.`,
    );
  },
};

export interface SecretKeyState {
  readonly key: string;
  /** Environment variables of service.secrets that read it. */
  readonly variables: readonly string[];
  readonly present: boolean;
  readonly referenced: boolean;
}

/** Keys of the secret and of service.secrets, joined: present/missing, referenced/unused. */
export function keyStates(
  secrets: Readonly<Record<string, string>>,
  keysInSecret: readonly string[],
): SecretKeyState[] {
  const byKey = new Map<string, string[]>();
  for (const [variable, key] of Object.entries(secrets))
    byKey.set(key, [...(byKey.get(key) ?? []), variable]);
  const keys = [...new Set([...keysInSecret, ...byKey.keys()])].sort();
  return keys.map((key) => ({
    key,
    variables: (byKey.get(key) ?? []).sort(),
    present: keysInSecret.includes(key),
    referenced: byKey.has(key),
  }));
}

async function list(ctx: CommandContext, projectName: string | undefined): Promise<void> {
  const config = ctx.config();
  const project = ctx.project(projectName, 'berth secrets list <project>');
  const names = projectNames(config, project);
  const { region, clients } = ctx.aws();
  const object = await ctx.out.withProgress(`Reading the keys of ${names.appSecret} in ${region}`, async () =>
    parseSecret(
      ctx,
      await getSecretString(clients.secretsManager, names.appSecret, { region, stack: names.stack }),
      names.appSecret,
    ),
  );
  const states = keyStates(project.service.secrets, Object.keys(object));
  const missing = states.filter((s) => !s.present);
  const unused = states.filter((s) => s.present && !s.referenced);
  const data = {
    project: project.name,
    secret: names.appSecret,
    keys: states,
    missing: missing.map((s) => s.key),
    unreferenced: unused.map((s) => s.key),
  };
  if (states.length === 0) {
    ctx.out.result(
      `${names.appSecret} holds no key, and service.secrets of ${project.name} references none. Add one with \`npx --no-install berth secrets set ${project.name} <NAME>\`.`,
      data,
    );
    return;
  }
  const table = formatTable(
    [{ header: 'key' }, { header: 'variables' }, { header: 'state' }],
    states.map((s) => [
      s.key,
      s.variables.join(', ') || '-',
      !s.present
        ? `MISSING: tasks cannot start until it is set (npx --no-install berth secrets set ${project.name} ${s.key})`
        : s.referenced
          ? 'set'
          : 'unused: no variable in service.secrets reads it',
    ]),
  );
  ctx.out.result(
    [`Keys of ${names.appSecret} (${Object.keys(object).length} set; values are never shown):`, table].join(
      '\n',
    ),
    data,
  );
}

async function set(
  ctx: CommandContext,
  projectName: string | undefined,
  name: string | undefined,
  values: Record<string, unknown>,
): Promise<void> {
  const config = ctx.config();
  const project = ctx.project(projectName, 'berth secrets set <project> <NAME>');
  if (!name) {
    throw usageError(
      `Missing <NAME>: run \`berth secrets set ${project.name} <NAME>\` with a key of the app secret or a variable of service.secrets${Object.keys(project.service.secrets).length > 0 ? ` (${Object.keys(project.service.secrets).join(', ')})` : ''}.`,
    );
  }
  const { key, variables } = resolveKey(project, name);
  const names = projectNames(config, project);
  const { region, clients } = ctx.aws();

  const fromTerminal = Boolean(ctx.io.stdin.isTTY);
  ctx.out.stopSpinner();
  const value = fromTerminal
    ? await promptHidden(ctx.io, `Value of ${key} in ${names.appSecret} (input hidden): `)
    : stripOneNewline(await readAll(ctx.io.stdin));
  ctx.out.addSecret(value);
  if (value.length === 0) {
    throw usageError(
      `The value from ${fromTerminal ? 'the prompt' : 'stdin'} is empty: nothing was stored. ${fromTerminal ? 'Type or paste the value at the prompt' : 'Pipe the value, as in `printf %s "$VALUE" | berth secrets set ...`'}.`,
    );
  }

  const where = { region, stack: names.stack };
  const versionId = await ctx.out.withProgress(
    `Storing ${key} in ${names.appSecret} (${region})`,
    async () => {
      const current = parseSecret(
        ctx,
        await getSecretString(clients.secretsManager, names.appSecret, where),
        names.appSecret,
      );
      return putSecretString(
        clients.secretsManager,
        names.appSecret,
        JSON.stringify({ ...current, [key]: value }),
        where,
      );
    },
  );
  const stored = `Stored ${key} in ${names.appSecret} (version ${versionId})${variables.length > 0 ? `; the tasks read it as ${variables.join(', ')}` : ''}.`;
  const data = { project: project.name, secret: names.appSecret, key, variables, versionId };

  if (variables.length === 0) {
    ctx.out.warn(
      `no variable in service.secrets of ${project.name} reads ${key}, so the tasks do not see it: add one (service.secrets: { <VARIABLE>: ${key} }) and deploy the project stack.`,
    );
    ctx.out.result(`${stored} No redeploy: nothing reads it yet.`, { ...data, redeploy: null });
    return;
  }
  if (values['no-redeploy'] === true) {
    ctx.out.result(
      `${stored} Running tasks keep the old value until \`npx --no-install berth redeploy ${project.name}\`.`,
      { ...data, redeploy: null },
    );
    return;
  }
  const live = await liveState(clients.cloudFormation, config, project, region);
  if (live.imageTag === NO_RELEASE) {
    ctx.out.result(`${stored} ${project.name} is not released yet: its first release reads it.`, {
      ...data,
      redeploy: null,
    });
    return;
  }
  let outcome;
  try {
    outcome = await rollout(ctx, config, project, {
      mode: 'redeploy',
      commit: live.imageTag,
      previous: live.imageTag,
      wait: values['no-wait'] !== true,
      what: `The redeploy of ${project.name} (${shortCommit(live.imageTag)})`,
      done: `Redeployed ${project.name}: new tasks run ${shortCommit(live.imageTag)} with the new value.`,
    });
  } catch (e) {
    if (e instanceof CliError) {
      throw new CliError(
        `${stored} But the redeploy did not go through: ${e.message} Retry it with \`npx --no-install berth redeploy ${project.name}\`.`,
        e.code,
        e.exitCode,
      );
    }
    throw e;
  }
  ctx.out.result(`${stored}\n${outcome.text}`, { ...data, redeploy: outcome.data });
}

/** NAME as a variable of service.secrets (its key) or as a key; a malformed key is a usage error. */
export function resolveKey(
  project: Pick<ParsedProject, 'name' | 'service'>,
  name: string,
): { key: string; variables: string[] } {
  const secrets = project.service.secrets;
  const key = Object.hasOwn(secrets, name) ? secrets[name] : name;
  if (!SECRET_KEY.test(key)) {
    throw usageError(
      `"${name}" is not a key of the app secret nor a variable of service.secrets of ${project.name}: a key is letters, digits, _, - and . (at most 128).`,
    );
  }
  const variables = Object.entries(secrets)
    .filter(([, k]) => k === key)
    .map(([v]) => v)
    .sort();
  return { key, variables };
}

/** The secret's JSON object; anything else is a failure that says how to repair it. Every value is redacted. */
function parseSecret(ctx: CommandContext, text: string, secretName: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(
      `The secret ${secretName} does not hold a JSON object, so its keys cannot be read or merged: put a JSON object back (the console, or \`aws secretsmanager put-secret-value --secret-id ${secretName} --secret-string file://app-secret.json\`), then try again.`,
      'secret-malformed',
    );
  }
  for (const v of Object.values(parsed)) if (typeof v === 'string') ctx.out.addSecret(v);
  return parsed as Record<string, unknown>;
}
