import { projectNames } from '../../config/names';
import { putSecretString } from '../aws';
import { PIPELINE_PAT_SCOPES, listScopes } from '../azure-devops';
import type { Command } from '../context';
import { usageError } from '../errors';
import { patProblem, promptHidden, readAll, stripOneNewline } from '../prompt';

const USAGE = 'berth set-pat <project>';
const PAT_SCOPES = listScopes(PIPELINE_PAT_SCOPES);

/** `berth set-pat <project>`: stores the PAT the project's pipeline clones with. */
export const setPatCommand: Command = {
  name: 'set-pat',
  usage: USAGE,
  summary:
    "Store the Azure DevOps PAT that <project>'s pipeline clones its repository and posts commit statuses with",
  description: [
    'Reads the token from stdin when stdin is piped (one trailing newline is dropped), otherwise asks for it',
    'without echoing it. Stores {"pat": "<token>"} as a new version of the secret <prefix>/<project>/azure-devops-pat',
    "and prints the secret's name and version id, never the token.",
    `The token needs the scopes ${PAT_SCOPES}: the Checkout stage clones with it, and the pipeline's commit`,
    'statuses (pending, succeeded, failed) are posted to the pushed commit with it.',
    '',
    'Examples:',
    '  berth set-pat cash-collection',
    '  printf %s "$PAT" | berth set-pat cash-collection --json',
  ].join('\n'),

  async run(ctx, positionals) {
    if (positionals.length > 1) {
      throw usageError(`Too many arguments (${positionals.length}): run \`${USAGE}\` with one project.`);
    }
    const config = ctx.config();
    const project = ctx.project(positionals[0], USAGE);
    const secretName = projectNames(config, project).patSecret;
    const stack = projectNames(config, project).stack;

    const fromTerminal = Boolean(ctx.io.stdin.isTTY);
    const pat = fromTerminal
      ? await promptHidden(ctx.io, `Azure DevOps PAT for ${project.name} (${PAT_SCOPES}; input hidden): `)
      : stripOneNewline(await readAll(ctx.io.stdin));
    ctx.out.addSecret(pat);
    const problem = patProblem(pat, fromTerminal ? 'the prompt' : 'stdin');
    if (problem) throw usageError(problem, 'invalid-pat');

    const { region, clients } = ctx.aws();
    const versionId = await ctx.out.withProgress(`Storing the PAT in ${secretName} (${region})`, () =>
      putSecretString(clients.secretsManager, secretName, JSON.stringify({ pat }), { region, stack }),
    );
    ctx.out.result(`Stored the PAT in ${secretName} (version ${versionId}).`, { secretName, versionId });
  },
};
