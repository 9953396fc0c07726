import { createHash } from 'node:crypto';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  type EnhancedImageScanFinding,
  GetRegistryScanningConfigurationCommand,
  type Image,
  type ImageFailure,
  type ImageIdentifier,
  type ImageScanFinding,
  PutImageCommand,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { MEDIA_TYPES } from '../../../src/functions/release/images';
import { awsError } from './helpers';

/**
 * An in-memory ECR repository behind aws-sdk-client-mock: images by digest with (immutable) tags, BatchGetImage,
 * PutImage, BatchDeleteImage, and scripted scans (each read of the findings takes the next script entry; the
 * last one repeats), paged `pageSize` findings at a time.
 */

export const REGISTRY_ID = '123456789012';
export const REPOSITORY = 'berth/cash-collection';

export const sha256 = (text: string) => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;

export interface StoredManifest {
  readonly manifest: string;
  readonly mediaType: string;
  readonly digest: string;
}

/** A single-platform image manifest (Docker v2) whose bytes differ per `seed`. */
export function platformManifest(
  seed: string,
  mediaType: string = MEDIA_TYPES.dockerManifest,
): StoredManifest {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 1469,
      digest: sha256(`config-${seed}`),
    },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: 3_370_706,
        digest: sha256(`layer-${seed}`),
      },
    ],
  });
  return { manifest, mediaType, digest: sha256(manifest) };
}

/** A BuildKit-style OCI index: the platform image plus an attestation manifest (platform unknown/unknown). */
export function buildkitIndex(
  platform: StoredManifest,
  arch: string,
  attestation: StoredManifest,
): StoredManifest {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: [
      {
        mediaType: attestation.mediaType,
        digest: attestation.digest,
        size: Buffer.byteLength(attestation.manifest),
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        platform: { architecture: 'unknown', os: 'unknown' },
      },
      {
        mediaType: platform.mediaType,
        digest: platform.digest,
        size: Buffer.byteLength(platform.manifest),
        platform: { architecture: arch, os: 'linux' },
      },
    ],
  });
  return { manifest, mediaType: MEDIA_TYPES.ociIndex, digest: sha256(manifest) };
}

export type ScanScript =
  | {
      readonly status: string;
      readonly description?: string;
      readonly findings?: readonly ImageScanFinding[];
      readonly enhancedFindings?: readonly EnhancedImageScanFinding[];
      readonly completedAt?: Date;
    }
  | { readonly error: string };

export function basicFinding(
  name: string,
  severity: string,
  pkg = 'openssl',
  version = '3.0.1',
): ImageScanFinding {
  return {
    name,
    severity: severity as ImageScanFinding['severity'],
    uri: `https://cve.example/${name}`,
    attributes: [
      { key: 'package_name', value: pkg },
      { key: 'package_version', value: version },
    ],
  };
}

export function enhancedFinding(id: string, severity: string, status = 'ACTIVE'): EnhancedImageScanFinding {
  return {
    severity,
    status,
    title: `${id} - libxml2`,
    findingArn: `arn:aws:inspector2:eu-west-1:123456789012:finding/${id}`,
    packageVulnerabilityDetails: {
      vulnerabilityId: id,
      vulnerablePackages: [{ name: 'libxml2', version: '2.9.14' }],
    },
  };
}

export class FakeEcr {
  readonly mock = mockClient(ECRClient);
  /** digest -> manifest */
  readonly images = new Map<string, StoredManifest>();
  /** tag -> digest */
  readonly tags = new Map<string, string>();
  readonly scans = new Map<string, ScanScript[]>();
  scanType: 'BASIC' | 'ENHANCED' = 'BASIC';
  /** Digests ECR refuses a new scan for (scanned in the last 24 hours). */
  readonly recentlyScanned = new Set<string>();
  pageSize = 2;
  /** Failures to inject, by command name (each used once). */
  readonly faults = new Map<string, Error>();

  constructor() {
    this.reset();
  }

  reset(): void {
    this.mock.reset();
    this.images.clear();
    this.tags.clear();
    this.scans.clear();
    this.recentlyScanned.clear();
    this.faults.clear();
    this.scanType = 'BASIC';
    this.pageSize = 2;
    this.mock.on(BatchGetImageCommand).callsFake((input) => this.batchGet(input.imageIds ?? []));
    this.mock.on(PutImageCommand).callsFake((input) => this.put(input));
    this.mock.on(BatchDeleteImageCommand).callsFake((input) => this.batchDelete(input.imageIds ?? []));
    this.mock.on(GetRegistryScanningConfigurationCommand).callsFake(() => ({
      registryId: REGISTRY_ID,
      scanningConfiguration: { scanType: this.scanType, rules: [] },
    }));
    this.mock.on(StartImageScanCommand).callsFake((input) => this.startScan(input.imageId ?? {}));
    this.mock
      .on(DescribeImageScanFindingsCommand)
      .callsFake((input) => this.findings(input.imageId ?? {}, input.nextToken));
  }

  /** Stores an image (and its children for an index) under `tag`. */
  push(tag: string | undefined, image: StoredManifest, ...children: StoredManifest[]): StoredManifest {
    for (const c of children) this.images.set(c.digest, c);
    this.images.set(image.digest, image);
    if (tag !== undefined) this.tags.set(tag, image.digest);
    return image;
  }

  digestOf(tag: string): string | undefined {
    return this.tags.get(tag);
  }

  scan(digest: string, ...script: ScanScript[]): void {
    this.scans.set(digest, [...script]);
  }

  private fault(name: string): void {
    const f = this.faults.get(name);
    if (f) {
      this.faults.delete(name);
      throw f;
    }
  }

  private resolve(id: ImageIdentifier): string | undefined {
    if (id.imageDigest !== undefined) return this.images.has(id.imageDigest) ? id.imageDigest : undefined;
    return id.imageTag !== undefined ? this.tags.get(id.imageTag) : undefined;
  }

  private batchGet(ids: ImageIdentifier[]) {
    this.fault('BatchGetImage');
    const images: Image[] = [];
    const failures: ImageFailure[] = [];
    for (const id of ids) {
      const digest = this.resolve(id);
      const image = digest !== undefined ? this.images.get(digest) : undefined;
      if (image === undefined) {
        failures.push({
          imageId: id,
          failureCode: 'ImageNotFound',
          failureReason: 'Requested image not found',
        });
        continue;
      }
      images.push({
        registryId: REGISTRY_ID,
        repositoryName: REPOSITORY,
        imageId: { ...id, imageDigest: image.digest },
        imageManifest: image.manifest,
        imageManifestMediaType: image.mediaType,
      });
    }
    return { images, failures };
  }

  private put(input: {
    imageTag?: string;
    imageManifest?: string;
    imageManifestMediaType?: string;
    imageDigest?: string;
  }) {
    this.fault('PutImage');
    const manifest = input.imageManifest ?? '';
    const digest = sha256(manifest);
    if (input.imageDigest !== undefined && input.imageDigest !== digest) {
      throw awsError('ImageDigestDoesNotMatchException', 'The digest does not match the manifest');
    }
    const tag = input.imageTag!;
    const existing = this.tags.get(tag);
    if (existing === digest)
      throw awsError(
        'ImageAlreadyExistsException',
        `Image with digest '${digest}' and tag '${tag}' already exists`,
      );
    if (existing !== undefined) {
      throw awsError(
        'ImageTagAlreadyExistsException',
        `The image tag '${tag}' already exists in the repository and cannot be overwritten because the repository is immutable.`,
      );
    }
    this.images.set(digest, { manifest, mediaType: input.imageManifestMediaType ?? '', digest });
    this.tags.set(tag, digest);
    return { image: { imageId: { imageTag: tag, imageDigest: digest } } };
  }

  private batchDelete(ids: ImageIdentifier[]) {
    this.fault('BatchDeleteImage');
    const imageIds: ImageIdentifier[] = [];
    const failures: ImageFailure[] = [];
    for (const id of ids) {
      const digest = id.imageTag !== undefined ? this.tags.get(id.imageTag) : undefined;
      if (digest === undefined) {
        failures.push({
          imageId: id,
          failureCode: 'ImageNotFound',
          failureReason: 'Requested image not found',
        });
        continue;
      }
      this.tags.delete(id.imageTag!);
      imageIds.push({ imageTag: id.imageTag, imageDigest: digest });
    }
    return { imageIds, failures };
  }

  private startScan(id: ImageIdentifier) {
    const digest = this.resolve(id);
    if (digest === undefined) throw awsError('ImageNotFoundException');
    if (this.recentlyScanned.has(digest)) {
      throw awsError(
        'LimitExceededException',
        'The scan quota per image has been exceeded. Wait and try again.',
      );
    }
    this.recentlyScanned.add(digest);
    return {
      registryId: REGISTRY_ID,
      repositoryName: REPOSITORY,
      imageId: id,
      imageScanStatus: { status: 'IN_PROGRESS' },
    };
  }

  private findings(id: ImageIdentifier, nextToken: string | undefined) {
    const digest = this.resolve(id);
    if (digest === undefined) throw awsError('ImageNotFoundException');
    const script = this.scans.get(digest) ?? [{ error: 'ScanNotFoundException' }];
    const entry = script[0];
    if (nextToken === undefined && script.length > 1) script.shift();
    if ('error' in entry) throw awsError(entry.error, `${entry.error} for ${digest}`);
    const all = [...(entry.findings ?? []), ...(entry.enhancedFindings ?? [])];
    const from = nextToken === undefined ? 0 : Number(nextToken);
    const page = all.slice(from, from + this.pageSize);
    const more = from + this.pageSize < all.length;
    const basic = entry.findings !== undefined;
    return {
      registryId: REGISTRY_ID,
      repositoryName: REPOSITORY,
      imageId: { imageDigest: digest },
      imageScanStatus: {
        status: entry.status,
        ...(entry.description ? { description: entry.description } : {}),
      },
      imageScanFindings: {
        ...(entry.completedAt ? { imageScanCompletedAt: entry.completedAt } : {}),
        ...(basic ? { findings: page } : { enhancedFindings: page }),
      },
      ...(more ? { nextToken: String(from + this.pageSize) } : {}),
    };
  }
}
