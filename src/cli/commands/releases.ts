import { projectNames } from '../../config/names';
import { NO_RELEASE } from '../../contracts';
import type { Command } from '../context';
import { usageError } from '../errors';
import { formatTable } from '../plan/table';
import { imageDigests, liveState, releaseHistory, shortCommit } from '../release/history';

const USAGE = 'berth releases <project>';

export interface ReleaseRow {
  readonly version: number;
  readonly commit: string;
  readonly shortCommit: string;
  readonly releasedAt?: string;
  /** `sha256:...` of the released image index; absent when the image is no longer in ECR. */
  readonly imageDigest?: string;
  readonly live: boolean;
}

/** `berth releases <project>`: the release log, newest first, with each image's digest and the live one marked. */
export const releasesCommand: Command = {
  name: 'releases',
  usage: USAGE,
  summary: "List <project>'s releases, newest first, and which one is live",
  description: [
    'Reads the release log (every version of the SSM parameter /<prefix>/<project>/release: each release writes',
    "the released commit), the live release (the project stack's ImageTag parameter) and the digest of each",
    'released image in ECR (repository <prefix>/<project>, tag <commit>). Prints one line per release: when it',
    'was released, the short commit, the image digest ("image gone" when ECR no longer has it, so it cannot be',
    'rolled back to) and LIVE next to the one serving. A commit released twice (after a rollback) appears twice.',
    '--json gives the whole list with full commits and digests.',
    '',
    'It needs ssm:GetParameterHistory, cloudformation:DescribeStacks and ecr:DescribeImages.',
    '',
    'Examples:',
    '  berth releases cash-collection',
    '  berth releases cash-collection --json',
  ].join('\n'),

  async run(ctx, positionals) {
    if (positionals.length > 1) {
      throw usageError(`Too many arguments (${positionals.length}): run \`${USAGE}\` with one project.`);
    }
    const config = ctx.config();
    const project = ctx.project(positionals[0], USAGE);
    const { region, clients } = ctx.aws();
    const names = projectNames(config, project);

    const { history, live, digests } = await ctx.out.withProgress(
      `Reading the releases of ${project.name} in ${region}`,
      async () => {
        const [history, live] = await Promise.all([
          releaseHistory(clients.ssm, config, project, region),
          liveState(clients.cloudFormation, config, project, region),
        ]);
        const digests = await imageDigests(
          clients.ecr,
          names.ecrRepository,
          history.map((h) => h.commit),
          region,
        );
        return { history, live, digests };
      },
    );

    const liveCommit = live.imageTag === NO_RELEASE ? undefined : live.imageTag;
    const liveIndex = history.findIndex((h) => h.commit === liveCommit);
    const rows: ReleaseRow[] = history.map((h, i) => ({
      version: h.version,
      commit: h.commit,
      shortCommit: shortCommit(h.commit),
      releasedAt: h.releasedAt,
      imageDigest: digests.get(h.commit),
      live: i === liveIndex,
    }));
    const data = {
      project: project.name,
      region,
      releaseLog: names.releaseParameter,
      repository: names.ecrRepository,
      live: liveCommit ?? null,
      releases: rows,
    };

    if (rows.length === 0) {
      ctx.out.result(
        liveCommit
          ? `${project.name}: live release ${shortCommit(liveCommit)}, but the release log ${names.releaseParameter} has no entry yet.`
          : `${project.name} has no releases yet: push a commit to ${project.repository.branch} to start one.`,
        data,
      );
      return;
    }
    const table = formatTable(
      [{ header: 'released' }, { header: 'commit' }, { header: 'image digest' }, { header: '' }],
      rows.map((r) => [
        r.releasedAt ?? '-',
        r.shortCommit,
        r.imageDigest ? `${r.imageDigest.slice(0, 'sha256:'.length + 12)}` : 'image gone',
        r.live ? 'LIVE' : '',
      ]),
    );
    const liveLine = liveCommit
      ? liveIndex >= 0
        ? `live: ${shortCommit(liveCommit)}`
        : `live: ${shortCommit(liveCommit)} (not in the release log)`
      : 'nothing live yet';
    ctx.out.result(
      [
        `Releases of ${project.name} in ${region}, newest first (${rows.length}; ${liveLine}):`,
        table,
        '',
        `Roll back with \`npx --no-install berth rollback ${project.name} --to <commit>\` (default: the release before the live one).`,
      ].join('\n'),
      data,
    );
  },
};
