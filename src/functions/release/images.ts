import { BatchGetImageCommand, type ECRClient, type ImageIdentifier } from '@aws-sdk/client-ecr';
import type { ImageArchitecture } from '../../contracts';

/** Reading images from ECR as stored: manifests, their media types and digests, and image indexes. */

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** Asked from BatchGetImage so that ECR hands every manifest back byte for byte (no schema conversion). */
export const ACCEPTED_MEDIA_TYPES: string[] = [
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
];

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList;
}

/** One manifest as ECR stores it. */
export interface StoredImage {
  readonly digest: string;
  /** The manifest text exactly as stored: its bytes are what the digest covers. */
  readonly manifest: string;
  readonly mediaType: string;
  /** Bytes of `manifest` (UTF-8): the `size` an index entry gives. */
  readonly size: number;
}

/** ECR could not hand an image out for a reason other than "not found". */
export class ImageReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageReadError';
  }
}

interface ManifestJson {
  readonly mediaType?: unknown;
  readonly manifests?: unknown;
}

function parseManifest(text: string): ManifestJson {
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null ? (json as ManifestJson) : {};
  } catch {
    return {};
  }
}

function stored(digest: string, manifest: string, mediaType: string | undefined): StoredImage {
  const json = parseManifest(manifest);
  const type =
    mediaType ??
    (typeof json.mediaType === 'string'
      ? json.mediaType
      : Array.isArray(json.manifests)
        ? MEDIA_TYPES.ociIndex
        : MEDIA_TYPES.ociManifest);
  return { digest, manifest, mediaType: type, size: Buffer.byteLength(manifest, 'utf8') };
}

/**
 * The images `tags` name in `repositoryName`, by tag; a tag ECR does not find is absent from the map. Any other
 * failure (KMS, access) throws.
 */
export async function imagesByTag(
  ecr: ECRClient,
  repositoryName: string,
  tags: readonly string[],
): Promise<Map<string, StoredImage>> {
  const found = new Map<string, StoredImage>();
  const unique = [...new Set(tags)];
  for (let i = 0; i < unique.length; i += 100) {
    const imageIds: ImageIdentifier[] = unique.slice(i, i + 100).map((imageTag) => ({ imageTag }));
    const out = await ecr.send(
      new BatchGetImageCommand({ repositoryName, imageIds, acceptedMediaTypes: ACCEPTED_MEDIA_TYPES }),
    );
    for (const image of out.images ?? []) {
      const tag = image.imageId?.imageTag;
      const digest = image.imageId?.imageDigest;
      if (tag === undefined || digest === undefined || image.imageManifest === undefined) continue;
      found.set(tag, stored(digest, image.imageManifest, image.imageManifestMediaType));
    }
    for (const failure of out.failures ?? []) {
      if (failure.failureCode === 'ImageNotFound') continue;
      const tag = failure.imageId?.imageTag ?? failure.imageId?.imageDigest ?? 'an image';
      throw new ImageReadError(
        `ECR could not hand out ${repositoryName}:${tag}: ${failure.failureCode ?? 'unknown failure'}${failure.failureReason ? ` (${failure.failureReason})` : ''}`,
      );
    }
  }
  return found;
}

/** One image by digest; undefined when ECR does not have it. */
export async function imageByDigest(
  ecr: ECRClient,
  repositoryName: string,
  digest: string,
): Promise<StoredImage | undefined> {
  const out = await ecr.send(
    new BatchGetImageCommand({
      repositoryName,
      imageIds: [{ imageDigest: digest }],
      acceptedMediaTypes: ACCEPTED_MEDIA_TYPES,
    }),
  );
  const image = (out.images ?? []).find(
    (i) => i.imageId?.imageDigest === digest && i.imageManifest !== undefined,
  );
  if (image !== undefined) return stored(digest, image.imageManifest!, image.imageManifestMediaType);
  const failure = (out.failures ?? []).find((f) => f.failureCode !== 'ImageNotFound');
  if (failure !== undefined) {
    throw new ImageReadError(
      `ECR could not hand out ${repositoryName}@${digest}: ${failure.failureCode ?? 'unknown failure'}${failure.failureReason ? ` (${failure.failureReason})` : ''}`,
    );
  }
  return undefined;
}

/** An entry of an image index. */
export interface IndexEntry {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: { readonly architecture?: string; readonly os?: string; readonly variant?: string };
}

/** The entries of an index manifest (an empty list for anything else). */
export function indexEntries(image: StoredImage): IndexEntry[] {
  const json = parseManifest(image.manifest);
  if (!Array.isArray(json.manifests)) return [];
  return json.manifests.filter(
    (m): m is IndexEntry =>
      typeof m === 'object' && m !== null && typeof (m as IndexEntry).digest === 'string',
  );
}

/**
 * The entry of `index` for `linux/<arch>`. BuildKit adds attestation manifests to an index (platform
 * `unknown/unknown`); they never match.
 */
export function entryForArchitecture(index: StoredImage, arch: ImageArchitecture): IndexEntry | undefined {
  return indexEntries(index).find(
    (m) => m.platform?.architecture === arch && (m.platform.os ?? 'linux') === 'linux',
  );
}

/**
 * The single-platform manifest behind `image`: the image itself, or the `arch` entry of an index (fetched by
 * digest). Throws an {@link ImageReadError} when an index has no such entry or ECR lacks it.
 */
export async function platformImage(
  ecr: ECRClient,
  repositoryName: string,
  tag: string,
  image: StoredImage,
  arch: ImageArchitecture,
): Promise<StoredImage> {
  if (!isIndexMediaType(image.mediaType)) return image;
  const entry = entryForArchitecture(image, arch);
  if (entry === undefined) {
    throw new ImageReadError(`${repositoryName}:${tag} is an image index without a linux/${arch} image`);
  }
  const child = await imageByDigest(ecr, repositoryName, entry.digest);
  if (child === undefined) {
    throw new ImageReadError(
      `ECR has no image ${entry.digest}, the linux/${arch} entry of ${repositoryName}:${tag}`,
    );
  }
  return { ...child, mediaType: child.mediaType || entry.mediaType };
}
