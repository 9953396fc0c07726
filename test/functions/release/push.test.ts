import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { BatchDeleteImageCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { candidateTag, releasePlatformTag } from '../../../src/contracts';
import { MEDIA_TYPES } from '../../../src/functions/release/images';
import { createPushStage } from '../../../src/functions/release/push';
import { pushSettings } from '../../../src/functions/release/settings';
import {
  buildkitIndex,
  FakeEcr,
  platformManifest,
  REPOSITORY,
  sha256,
  type StoredManifest,
} from './fake-ecr';
import {
  awsError,
  COMMIT,
  failureMessage,
  harness,
  jobEvent,
  lambdaContext,
  PROJECT,
  REGION,
  successSummary,
} from './helpers';

const ecr = new FakeEcr();
const codePipeline = mockClient(CodePipelineClient);
const ENV = {
  BERTH_PROJECT: PROJECT,
  AWS_REGION: REGION,
  REPOSITORY_NAME: REPOSITORY,
  IMAGE_ARCHITECTURES: 'amd64,arm64',
};

const AMD = candidateTag(COMMIT, 'amd64');
const ARM = candidateTag(COMMIT, 'arm64');
const REL_AMD = releasePlatformTag(COMMIT, 'amd64');
const REL_ARM = releasePlatformTag(COMMIT, 'arm64');

function world(env: Record<string, string> = {}) {
  return harness(
    createPushStage(pushSettings({ ...ENV, ...env }), { ecr: new ECRClient({ region: REGION }) }),
  );
}

async function run(env: Record<string, string> = {}) {
  codePipeline.resetHistory();
  ecr.mock.resetHistory();
  const w = world(env);
  const result = await w.handle(jobEvent(), lambdaContext(w.clock));
  return { w, result };
}

let amd64: StoredManifest;
let arm64: StoredManifest;

const puts = () => ecr.mock.commandCalls(PutImageCommand).map((c) => c.args[0].input);
const deletes = () => ecr.mock.commandCalls(BatchDeleteImageCommand).map((c) => c.args[0].input);

/** The index tagged COMMIT, parsed. */
function releasedIndex() {
  const digest = ecr.digestOf(COMMIT)!;
  const stored = ecr.images.get(digest)!;
  return {
    digest,
    mediaType: stored.mediaType,
    json: JSON.parse(stored.manifest) as Record<string, unknown>,
    text: stored.manifest,
  };
}

beforeEach(() => {
  ecr.reset();
  codePipeline.reset();
  codePipeline.on(PutJobSuccessResultCommand).resolves({});
  codePipeline.on(PutJobFailureResultCommand).resolves({});
  amd64 = ecr.push(AMD, platformManifest('amd64'));
  arm64 = ecr.push(ARM, platformManifest('arm64', MEDIA_TYPES.ociManifest));
});

describe('Push of a release', () => {
  it.each(['rollback', 'redeploy'])(
    'given a %s, when invoked, then there is nothing to push',
    async (mode) => {
      const w = world();

      await w.handle(jobEvent({ mode }), lambdaContext(w.clock));

      expect(successSummary(codePipeline)).toMatch(/^Nothing to push/);
      expect(ecr.mock.calls()).toHaveLength(0);
    },
  );

  it('given scanned candidates, when pushed, then each gets its release tag by re-putting its manifest, with no layer copied', async () => {
    await run();

    expect(puts().slice(0, 2)).toEqual([
      {
        repositoryName: REPOSITORY,
        imageTag: REL_AMD,
        imageManifest: amd64.manifest,
        imageManifestMediaType: MEDIA_TYPES.dockerManifest,
        imageDigest: amd64.digest,
      },
      {
        repositoryName: REPOSITORY,
        imageTag: REL_ARM,
        imageManifest: arm64.manifest,
        imageManifestMediaType: MEDIA_TYPES.ociManifest,
        imageDigest: arm64.digest,
      },
    ]);
    expect(ecr.digestOf(REL_AMD)).toBe(amd64.digest);
    expect(ecr.digestOf(REL_ARM)).toBe(arm64.digest);
  });

  it('given scanned candidates, when pushed, then an OCI index tagged <commit> lists each platform manifest with its media type, digest, size and platform', async () => {
    await run();

    const index = releasedIndex();
    expect(index.mediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(index.digest).toBe(sha256(index.text));
    expect(index.json).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        {
          mediaType: MEDIA_TYPES.dockerManifest,
          digest: amd64.digest,
          size: Buffer.byteLength(amd64.manifest),
          platform: { architecture: 'amd64', os: 'linux' },
        },
        {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: arm64.digest,
          size: Buffer.byteLength(arm64.manifest),
          platform: { architecture: 'arm64', os: 'linux' },
        },
      ],
    });
    expect(puts()[2]).toMatchObject({
      imageTag: COMMIT,
      imageManifestMediaType: MEDIA_TYPES.ociIndex,
      imageDigest: index.digest,
    });
  });

  it('given the release is tagged, when pushed, then the candidate tags are removed by tag and the images keep their release tags', async () => {
    await run();

    expect(deletes()).toEqual([
      { repositoryName: REPOSITORY, imageIds: [{ imageTag: AMD }, { imageTag: ARM }] },
    ]);
    expect([...ecr.tags.keys()].sort()).toEqual([COMMIT, REL_AMD, REL_ARM].sort());
    expect(ecr.images.has(amd64.digest) && ecr.images.has(arm64.digest)).toBe(true);
    expect(successSummary(codePipeline)).toBe(
      `Released ${REPOSITORY}:${COMMIT} (3f5e2c1), an image index ${ecr.digestOf(COMMIT)} of linux/amd64 ${amd64.digest}, ` +
        `linux/arm64 ${arm64.digest}; removed ${AMD}, ${ARM}`,
    );
  });

  it('given a candidate that is a BuildKit index, when pushed, then its linux/<arch> entry is released and listed', async () => {
    ecr.reset();
    const platform = platformManifest('amd64-child', MEDIA_TYPES.ociManifest);
    const attestation = platformManifest('attestation', MEDIA_TYPES.ociManifest);
    ecr.push(AMD, buildkitIndex(platform, 'amd64', attestation), platform, attestation);

    await run({ IMAGE_ARCHITECTURES: 'amd64' });

    expect(ecr.digestOf(REL_AMD)).toBe(platform.digest);
    expect(releasedIndex().json.manifests).toEqual([
      {
        mediaType: MEDIA_TYPES.ociManifest,
        digest: platform.digest,
        size: Buffer.byteLength(platform.manifest),
        platform: { architecture: 'amd64', os: 'linux' },
      },
    ]);
  });

  it('given a missing candidate, when pushed, then the job fails and nothing is tagged', async () => {
    ecr.tags.delete(ARM);

    await run();

    expect(failureMessage(codePipeline)).toBe(
      `no image ${REPOSITORY}:${ARM} to release: the Build stage pushes it and the Scan stage checks it first`,
    );
    expect(ecr.digestOf(COMMIT)).toBeUndefined();
  });
});

describe('Push idempotence', () => {
  it('given a run stopped after the first platform tag, when run again, then it finishes with the same index', async () => {
    await run();
    const clean = releasedIndex().digest;
    // Back to a run that stopped after tagging amd64.
    ecr.tags.delete(COMMIT);
    ecr.tags.delete(REL_ARM);
    ecr.tags.set(AMD, amd64.digest);
    ecr.tags.set(ARM, arm64.digest);

    await run();

    expect(puts().map((p) => p.imageTag)).toEqual([REL_ARM, COMMIT]);
    expect(releasedIndex().digest).toBe(clean);
    expect(ecr.tags.has(AMD) || ecr.tags.has(ARM)).toBe(false);
    expect(successSummary(codePipeline)).toMatch(/^Released/);
  });

  it('given a run stopped after the index, when run again, then it only removes the candidate tags', async () => {
    await run();
    ecr.tags.set(AMD, amd64.digest);
    ecr.tags.set(ARM, arm64.digest);

    await run();

    expect(puts()).toEqual([]);
    expect(deletes()).toHaveLength(1);
    expect(successSummary(codePipeline)).toBe(
      `${REPOSITORY}:${COMMIT} was already released (${ecr.digestOf(COMMIT)}); removed ${AMD}, ${ARM}`,
    );
  });

  it('given a finished run, when run again, then nothing changes', async () => {
    await run();
    const before = new Map(ecr.tags);

    await run();

    expect(puts()).toEqual([]);
    expect(deletes()).toEqual([]);
    expect(ecr.tags).toEqual(before);
    expect(successSummary(codePipeline)).toMatch(/was already released/);
  });

  it('given another run tagged the platform image meanwhile with the same digest, when PutImage says the tag exists, then it goes on', async () => {
    ecr.mock.on(PutImageCommand, { imageTag: REL_AMD }).callsFake(() => {
      ecr.tags.set(REL_AMD, amd64.digest);
      throw awsError('ImageTagAlreadyExistsException', 'tag exists and the repository is immutable');
    });

    await run();

    expect(successSummary(codePipeline)).toMatch(/^Released/);
    expect(ecr.digestOf(REL_AMD)).toBe(amd64.digest);
  });

  it('given the release platform tag names another image, when pushed, then the job fails: tags are immutable', async () => {
    const other = ecr.push(REL_AMD, platformManifest('someone-else'));

    await run();

    expect(failureMessage(codePipeline)).toBe(
      `${REPOSITORY}:${REL_AMD} already names ${other.digest}, not the scanned candidate ${AMD} (${amd64.digest}): ` +
        'tags are immutable in this repository, so this build cannot be released under this commit',
    );
    expect(puts()).toEqual([]);
  });

  it('given the release tag is taken by another image while pushing, when PutImage of the index fails, then the job fails naming both digests', async () => {
    ecr.mock.on(PutImageCommand, { imageTag: COMMIT }).callsFake(() => {
      ecr.push(COMMIT, platformManifest('intruder'));
      throw awsError('ImageTagAlreadyExistsException');
    });

    await run();

    expect(failureMessage(codePipeline)).toMatch(
      new RegExp(
        `^${REPOSITORY}:${COMMIT} already exists and names sha256:[0-9a-f]{64}, not sha256:[0-9a-f]{64}: tags are immutable`,
      ),
    );
    expect(ecr.tags.has(AMD)).toBe(true);
  });

  it('given ECR cannot remove a candidate tag, when pushed, then the job fails warning about the lifecycle rule', async () => {
    ecr.mock.on(BatchDeleteImageCommand).resolves({
      imageIds: [{ imageTag: AMD }],
      failures: [{ imageId: { imageTag: ARM }, failureCode: 'KmsError', failureReason: 'KMS said no' }],
    });

    await run();

    expect(failureMessage(codePipeline)).toMatch(
      /^ECR did not remove the candidate tags of berth\/cash-collection \(candidate-.*-arm64: KmsError \(KMS said no\)\): until they are gone, the repository's lifecycle rule/,
    );
  });
});
