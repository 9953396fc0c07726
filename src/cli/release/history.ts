import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, type ECRClient, type ImageDetail } from '@aws-sdk/client-ecr';
import { paginateGetParameterHistory, type SSMClient } from '@aws-sdk/client-ssm';
import { projectNames } from '../../config/names';
import type { ParsedConfig, ParsedProject } from '../../config/schema';
import { NO_RELEASE, STACK_PARAMETERS } from '../../contracts';
import { DEPLOY_HINT, describeStack, errorName, stackParameter, translateAwsError } from '../aws';
import { CliError, usageError } from '../errors';
import { shortCommit } from '../../shared/text';
import { iso } from '../format';

export { shortCommit };

/**
 * What the release commands read: the release log (the SSM parameter every release writes the released commit
 * to, one version per release), the live release (the project stack's `ImageTag` parameter) and the images'
 * digests in ECR.
 */

export interface ReleaseEntry {
  /** The parameter version that recorded it. */
  readonly version: number;
  readonly commit: string;
  /** When the release log recorded it (ISO, seconds). */
  readonly releasedAt?: string;
}

export interface LiveState {
  readonly stackName: string;
  /** `ImageTag`: the live commit, or `none` before the first release. */
  readonly imageTag: string;
  readonly restartNonce?: string;
}

/** The released commits, newest first, without the initial `none`. */
export async function releaseHistory(
  ssm: SSMClient,
  config: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name'>,
  region: string,
): Promise<ReleaseEntry[]> {
  const names = projectNames(config, project);
  const entries: ReleaseEntry[] = [];
  try {
    for await (const page of paginateGetParameterHistory(
      { client: ssm, pageSize: 50 },
      { Name: names.releaseParameter, WithDecryption: false },
    )) {
      for (const p of page.Parameters ?? []) {
        const commit = p.Value?.trim();
        if (!commit || commit === NO_RELEASE) continue;
        entries.push({ version: p.Version ?? 0, commit, releasedAt: iso(p.LastModifiedDate) });
      }
    }
  } catch (e) {
    if (errorName(e) === 'ParameterNotFound') {
      throw new CliError(
        `The release log ${names.releaseParameter} does not exist in ${region}, so the stack ${names.stack} is not deployed: ${DEPLOY_HINT}.`,
        'stack-not-deployed',
      );
    }
    throw translateAwsError(e, {
      action: 'ssm:GetParameterHistory',
      resource: `the parameter ${names.releaseParameter}`,
      region,
    });
  }
  return entries.sort((a, b) => b.version - a.version);
}

/** The project stack's release parameters. */
export async function liveState(
  cfn: CloudFormationClient,
  config: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name'>,
  region: string,
): Promise<LiveState> {
  const stackName = projectNames(config, project).stack;
  const stack = await describeStack(cfn, stackName, region);
  const imageTag = stackParameter(stack, STACK_PARAMETERS.imageTag);
  if (imageTag === undefined) {
    throw new CliError(
      `The stack ${stackName} in ${region} has no parameter ${STACK_PARAMETERS.imageTag}: it was deployed by an older Berth; run \`npx cdk deploy ${stackName}\`, then try again.`,
      'stack-not-ready',
    );
  }
  return { stackName, imageTag, restartNonce: stackParameter(stack, STACK_PARAMETERS.restartNonce) };
}

/** A usage error when nothing was released yet: `what` is the refused act ("roll back", "redeploy", ...). */
export function notReleased(project: Pick<ParsedProject, 'name' | 'repository'>, what: string): CliError {
  return usageError(
    `${project.name} has not been released yet (its stack's ${STACK_PARAMETERS.imageTag} is ${NO_RELEASE}), so there is nothing to ${what}: push a commit to ${project.repository.branch} and let the pipeline release it first.`,
    'not-released',
  );
}

/**
 * The digest of the image tagged with each commit (the release's image index), by commit; a commit whose image
 * is gone (removed by the lifecycle policy or by hand) has no entry.
 */
export async function imageDigests(
  ecr: ECRClient,
  repositoryName: string,
  commits: readonly string[],
  region: string,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const unique = [...new Set(commits)];
  const record = (details: readonly ImageDetail[]) => {
    for (const d of details) {
      if (!d.imageDigest) continue;
      for (const tag of d.imageTags ?? []) if (unique.includes(tag)) out.set(tag, d.imageDigest);
    }
  };
  const describe = (tags: readonly string[]) =>
    ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: tags.map((imageTag) => ({ imageTag })) }));
  const fail = (e: unknown): never => {
    if (errorName(e) === 'RepositoryNotFoundException') {
      throw new CliError(
        `The image repository ${repositoryName} does not exist in ${region}, so the project stack is not deployed: ${DEPLOY_HINT}.`,
        'stack-not-deployed',
      );
    }
    throw translateAwsError(e, {
      action: 'ecr:DescribeImages',
      resource: `the repository ${repositoryName}`,
      region,
    });
  };
  for (let i = 0; i < unique.length; i += 100) {
    const batch = unique.slice(i, i + 100);
    try {
      record((await describe(batch)).imageDetails ?? []);
    } catch (e) {
      if (errorName(e) !== 'ImageNotFoundException') fail(e);
      // One of them is gone: ECR fails the whole call, so ask for each.
      for (const tag of batch) {
        try {
          record((await describe([tag])).imageDetails ?? []);
        } catch (e2) {
          if (errorName(e2) !== 'ImageNotFoundException') fail(e2);
        }
      }
    }
  }
  return out;
}
