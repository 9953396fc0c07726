import { createHash } from 'node:crypto';
import { BatchDeleteImageCommand, type ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import * as z from 'zod/mini';
import { candidateTag, type ImageArchitecture, releasePlatformTag } from '../../contracts';
import { isError } from './aws-errors';
import { imagesByTag, MEDIA_TYPES, platformImage, type StoredImage } from './images';
import type { StageRun, StageSetup, StepResult } from './runner';
import type { PushSettings, SettingsResult } from './settings';
import type { Log } from './telemetry';
import { shortCommit } from './text';

/**
 * Push: releases the scanned candidates. Each platform image gets its release tag `<commit>-<arch>` (its
 * manifest put again under the new tag: same bytes, same digest, no layer copied), then an OCI image index
 * tagged `<commit>` lists them (the image ECS runs), and finally the `candidate-` tags go (the repository's
 * lifecycle rule expires images tagged `candidate-*`). Tags are immutable, so a tag that already exists is
 * fine when it names the same digest; every step may run again after a partial run.
 */

/** Push never waits: it has no state. */
export const pushStateSchema = z.object({});
export type PushState = z.infer<typeof pushStateSchema>;

/** One released platform image. */
export interface PlatformRelease {
  readonly arch: ImageArchitecture;
  readonly image: StoredImage;
}

/** The OCI image index of a release, byte for byte the same for the same platform images (a re-run). */
export function imageIndex(platforms: readonly PlatformRelease[]): { manifest: string; digest: string } {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: platforms.map((p) => ({
      mediaType: p.image.mediaType,
      digest: p.image.digest,
      size: p.image.size,
      platform: { architecture: p.arch, os: 'linux' },
    })),
  });
  return { manifest, digest: `sha256:${createHash('sha256').update(manifest, 'utf8').digest('hex')}` };
}

export interface PushDeps {
  readonly ecr: ECRClient;
}

type Tagged =
  { readonly ok: true; readonly already: boolean } | { readonly ok: false; readonly message: string };

/** Puts `manifest` under `tag`; an existing tag is fine when it names `digest` (a re-run). */
async function putTag(
  ecr: ECRClient,
  repositoryName: string,
  tag: string,
  image: { readonly manifest: string; readonly mediaType: string; readonly digest: string },
  log: Log,
): Promise<Tagged> {
  try {
    await ecr.send(
      new PutImageCommand({
        repositoryName,
        imageTag: tag,
        imageManifest: image.manifest,
        imageManifestMediaType: image.mediaType,
        imageDigest: image.digest,
      }),
    );
    log.info('Tagged the image', { tag, digest: image.digest });
    return { ok: true, already: false };
  } catch (err) {
    if (!isError(err, 'ImageTagAlreadyExistsException', 'ImageAlreadyExistsException')) throw err;
    const existing = (await imagesByTag(ecr, repositoryName, [tag])).get(tag);
    if (existing?.digest === image.digest) {
      log.info('The tag already names this image (an earlier run)', { tag, digest: image.digest });
      return { ok: true, already: true };
    }
    return {
      ok: false,
      message:
        `${repositoryName}:${tag} already exists and names ${existing?.digest ?? 'another image'}, not ${image.digest}: ` +
        'tags are immutable in this repository, so this release cannot be pushed; find out who pushed that tag',
    };
  }
}

type Untagged =
  { readonly ok: true; readonly removed: string[] } | { readonly ok: false; readonly message: string };

/** Removes the candidate tags (only the tags: the images keep their release tags). */
async function untagCandidates(
  ecr: ECRClient,
  repositoryName: string,
  tags: readonly string[],
  commit: string,
  log: Log,
): Promise<Untagged> {
  if (tags.length === 0) return { ok: true, removed: [] };
  const out = await ecr.send(
    new BatchDeleteImageCommand({ repositoryName, imageIds: tags.map((imageTag) => ({ imageTag })) }),
  );
  const problems = (out.failures ?? []).filter((f) => f.failureCode !== 'ImageNotFound');
  if (problems.length > 0) {
    const what = problems
      .map(
        (f) =>
          `${f.imageId?.imageTag ?? 'a tag'}: ${f.failureCode ?? 'failed'}${f.failureReason ? ` (${f.failureReason})` : ''}`,
      )
      .join('; ');
    return {
      ok: false,
      message:
        `ECR did not remove the candidate tags of ${repositoryName} (${what}): until they are gone, the repository's ` +
        `lifecycle rule for candidate- tags may expire the released image ${commit}; run the stage again`,
    };
  }
  const removed = tags.filter((t) => (out.imageIds ?? []).some((i) => i.imageTag === t));
  log.info('Removed the candidate tags', { removed });
  return { ok: true, removed };
}

export function createPushStage(setup: SettingsResult<PushSettings>, deps: PushDeps): StageSetup<PushState> {
  if (!setup.ok) return { ok: false, name: 'Push', project: setup.project, error: setup.error };
  const settings = setup.settings;
  const repo = settings.repositoryName;

  async function step(run: StageRun<PushState>): Promise<StepResult<PushState>> {
    const { params, log } = run;
    if (params.mode !== 'release') {
      return {
        kind: 'succeeded',
        summary:
          params.mode === 'rollback'
            ? 'Nothing to push: a rollback releases an image pushed before'
            : 'Nothing to push: a redeploy starts new tasks on the running image',
      };
    }
    const { commit } = params;
    const archs = settings.architectures;
    const candidates = archs.map((a) => candidateTag(commit, a));
    const platformTags = archs.map((a) => releasePlatformTag(commit, a));
    const found = await imagesByTag(deps.ecr, repo, [commit, ...platformTags, ...candidates]);
    const presentCandidates = candidates.filter((t) => found.has(t));

    if (found.has(commit)) {
      log.info('The commit is already released', { tag: commit, digest: found.get(commit)!.digest });
      const untagged = await untagCandidates(deps.ecr, repo, presentCandidates, commit, log);
      if (!untagged.ok) return { kind: 'failed', message: untagged.message };
      return {
        kind: 'succeeded',
        summary:
          `${repo}:${commit} was already released (${found.get(commit)!.digest})` +
          (untagged.removed.length > 0 ? `; removed ${untagged.removed.join(', ')}` : ''),
      };
    }

    const platforms: PlatformRelease[] = [];
    for (const [i, arch] of archs.entries()) {
      const candidate = found.get(candidates[i]);
      const resolved = candidate
        ? await platformImage(deps.ecr, repo, candidates[i], candidate, arch)
        : undefined;
      const existing = found.get(platformTags[i]);
      if (existing !== undefined) {
        if (resolved !== undefined && resolved.digest !== existing.digest) {
          return {
            kind: 'failed',
            message:
              `${repo}:${platformTags[i]} already names ${existing.digest}, not the scanned candidate ` +
              `${candidates[i]} (${resolved.digest}): tags are immutable in this repository, so this build cannot be ` +
              'released under this commit',
          };
        }
        log.info('The platform image already has its release tag (an earlier run)', {
          tag: platformTags[i],
          digest: existing.digest,
        });
        platforms.push({ arch, image: existing });
        continue;
      }
      if (resolved === undefined) {
        return {
          kind: 'failed',
          message: `no image ${repo}:${candidates[i]} to release: the Build stage pushes it and the Scan stage checks it first`,
        };
      }
      const tagged = await putTag(deps.ecr, repo, platformTags[i], resolved, log);
      if (!tagged.ok) return { kind: 'failed', message: tagged.message };
      platforms.push({ arch, image: resolved });
    }

    const index = imageIndex(platforms);
    const tagged = await putTag(
      deps.ecr,
      repo,
      commit,
      { manifest: index.manifest, mediaType: MEDIA_TYPES.ociIndex, digest: index.digest },
      log,
    );
    if (!tagged.ok) return { kind: 'failed', message: tagged.message };

    const untagged = await untagCandidates(deps.ecr, repo, presentCandidates, commit, log);
    if (!untagged.ok) return { kind: 'failed', message: untagged.message };
    return {
      kind: 'succeeded',
      summary:
        `Released ${repo}:${commit} (${shortCommit(commit)}), an image index ${index.digest} of ` +
        platforms.map((p) => `linux/${p.arch} ${p.image.digest}`).join(', ') +
        (untagged.removed.length > 0 ? `; removed ${untagged.removed.join(', ')}` : ''),
    };
  }

  return {
    ok: true,
    stage: {
      name: 'Push',
      project: settings.project,
      timeoutSeconds: 300,
      pollMs: 1000,
      stateSchema: pushStateSchema,
      step,
    },
  };
}
