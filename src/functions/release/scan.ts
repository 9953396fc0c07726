import {
  type ECRClient,
  type EnhancedImageScanFinding,
  GetRegistryScanningConfigurationCommand,
  type ImageScanFinding,
  paginateDescribeImageScanFindings,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import * as z from 'zod/mini';
import {
  candidateTag,
  type ImageArchitecture,
  releasePlatformTag,
  SEVERITIES,
  type Severity,
} from '../../contracts';
import { isError } from './aws-errors';
import { imagesByTag, platformImage } from './images';
import type { ReleaseParameters } from './params';
import type { StageRun, StageSetup, StepResult } from './runner';
import type { ScanSettings, SettingsResult } from './settings';
import type { Log } from './telemetry';
import { plural, shortCommit } from './text';

/**
 * Scan: the release is blocked when ECR's scan of any of its platform images has a finding at or above the
 * threshold (`SCAN_SEVERITY`). A new release checks the candidates Build pushed; a re-release or a rollback
 * checks the released platform images, and evaluates their current findings (basic scanning: a new scan is
 * started; enhanced scanning keeps findings current by itself).
 */

export const SCAN_POLL_MS = 5000;
/** ECR's findings of a scan that completed this long before we asked for a new one are the old scan's. */
const STALE_SCAN_TOLERANCE_MS = 10 * 60 * 1000;
/** Blocking findings listed in a failure message. */
export const MAX_LISTED_FINDINGS = 10;

export type ScanType = 'BASIC' | 'ENHANCED';

const archSchema = z.enum(['amd64', 'arm64']);
export const scanStateSchema = z.object({
  type: z.enum(['BASIC', 'ENHANCED']),
  images: z.array(
    z.object({
      arch: archSchema,
      tag: z.string(),
      digest: z.string(),
      /** When this stage started a scan of the image (basic scanning). */
      requestedAt: z.optional(z.number()),
      /** ECR refused a new scan: the image was scanned in the last 24 hours; that scan counts. */
      recent: z.optional(z.boolean()),
    }),
  ),
});
export type ScanState = z.infer<typeof scanStateSchema>;
export type ScanImage = ScanState['images'][number];

// ---------------------------------------------------------------------------------------------------------------
// Pure: severities, findings, messages
// ---------------------------------------------------------------------------------------------------------------

/** The rank of a severity in {@link SEVERITIES}; anything else (UNDEFINED, UNTRIAGED) ranks below INFORMATIONAL. */
export function severityRank(severity: string): number {
  return (SEVERITIES as readonly string[]).indexOf(severity.toUpperCase());
}

/** True when a finding of `severity` blocks a release at `threshold`: at or above it. */
export function blocks(severity: string, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

/** A finding, whichever kind of scan reported it. */
export interface Finding {
  /** CVE id or title. */
  readonly id: string;
  /** Upper case, as ECR spells it. */
  readonly severity: string;
  /** `name version` of the vulnerable package, when the scan says. */
  readonly pkg?: string;
}

export function fromBasicFinding(f: ImageScanFinding): Finding {
  const attr = (key: string) => f.attributes?.find((a) => a.key === key)?.value;
  const pkg = [attr('package_name'), attr('package_version')]
    .filter((v) => v !== undefined && v !== '')
    .join(' ');
  return {
    id: f.name ?? 'an unnamed finding',
    severity: (f.severity ?? 'UNDEFINED').toUpperCase(),
    ...(pkg !== '' ? { pkg } : {}),
  };
}

export function fromEnhancedFinding(f: EnhancedImageScanFinding): Finding {
  const details = f.packageVulnerabilityDetails;
  const packages = details?.vulnerablePackages ?? [];
  const first = packages[0];
  let pkg = first ? [first.name, first.version].filter((v) => v !== undefined && v !== '').join(' ') : '';
  if (packages.length > 1) pkg += ` and ${plural(packages.length - 1, 'more package')}`;
  return {
    id: details?.vulnerabilityId ?? f.title ?? f.findingArn ?? 'an unnamed finding',
    severity: (f.severity ?? 'UNTRIAGED').toUpperCase(),
    ...(pkg !== '' ? { pkg } : {}),
  };
}

/** Inspector findings an operator suppressed, or that are closed, do not count. */
export function isOpenEnhancedFinding(f: EnhancedImageScanFinding): boolean {
  return f.status !== 'SUPPRESSED' && f.status !== 'CLOSED';
}

/** One platform image's completed scan. */
export interface ScannedImage {
  readonly arch: ImageArchitecture;
  readonly tag: string;
  readonly digest: string;
  readonly registryId: string;
  readonly findings: readonly Finding[];
}

/** Counts per severity, highest first; the five standard severities always, others only when present. */
export function severityCounts(findings: readonly Finding[]): [string, number][] {
  const counts = new Map<string, number>([...SEVERITIES].reverse().map((s) => [s, 0]));
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  return [...counts].filter(([s, n]) => severityRank(s) >= 0 || n > 0);
}

export function formatCounts(findings: readonly Finding[]): string {
  return severityCounts(findings)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
}

export function consoleImageUrl(
  region: string,
  registryId: string,
  repository: string,
  digest: string,
): string {
  return (
    `https://${region}.console.aws.amazon.com/ecr/repositories/private/${registryId}/${repository}` +
    `/_/image/${digest}/details?region=${region}`
  );
}

/** The verdict on completed scans: success with the counts, or failure listing what blocks. */
export function evaluateScans(
  images: readonly ScannedImage[],
  threshold: Severity,
  where: {
    readonly repository: string;
    readonly region: string;
    readonly commit: string;
    readonly type: ScanType;
  },
): StepResult<never> {
  const scanKind = where.type === 'ENHANCED' ? 'enhanced scanning (Amazon Inspector)' : 'basic scanning';
  const perImage = images.map((i) => `${i.arch} (${where.repository}:${i.tag}): ${formatCounts(i.findings)}`);

  // The same finding in several architectures is listed once.
  const blocking = new Map<string, { finding: Finding; archs: ImageArchitecture[] }>();
  let blockingCount = 0;
  for (const image of images) {
    for (const f of image.findings) {
      if (!blocks(f.severity, threshold)) continue;
      blockingCount += 1;
      const key = `${f.severity}|${f.id}|${f.pkg ?? ''}`;
      const entry = blocking.get(key) ?? { finding: f, archs: [] };
      if (!entry.archs.includes(image.arch)) entry.archs.push(image.arch);
      blocking.set(key, entry);
    }
  }

  if (blockingCount === 0) {
    return {
      kind: 'succeeded',
      summary:
        `No findings at or above ${threshold} in ${where.repository} for ${shortCommit(where.commit)} ` +
        `(${scanKind}). ${perImage.join('; ')}`,
    };
  }

  const listed = [...blocking.values()]
    .sort(
      (a, b) =>
        severityRank(b.finding.severity) - severityRank(a.finding.severity) ||
        a.finding.id.localeCompare(b.finding.id),
    )
    .slice(0, MAX_LISTED_FINDINGS)
    .map(
      ({ finding, archs }) =>
        `- ${finding.severity} ${finding.id}${finding.pkg ? ` in ${finding.pkg}` : ''} (${archs.join(', ')})`,
    );
  const lines = [
    `${plural(blockingCount, 'finding')} at or above ${threshold} in ${where.repository} for ${shortCommit(where.commit)} ` +
      `(${scanKind}): the release is blocked.`,
    ...images.flatMap((i) => [
      `${i.arch} (${where.repository}:${i.tag}): ${formatCounts(i.findings)}`,
      `  ${consoleImageUrl(where.region, i.registryId, where.repository, i.digest)}`,
    ]),
    `Blocking findings (${listed.length < blocking.size ? `first ${listed.length} of ${blocking.size}` : blocking.size}):`,
    ...listed,
    'Fix them (a newer base image or package) and push again, or raise pipeline.scanSeverity in berth.yaml.',
  ];
  return { kind: 'failed', message: lines.join('\n') };
}

// ---------------------------------------------------------------------------------------------------------------
// ECR
// ---------------------------------------------------------------------------------------------------------------

export interface ScanDeps {
  readonly ecr: ECRClient;
  /** Same clock as the runner's. */
  readonly now: () => number;
}

type Located =
  | { readonly ok: true; readonly images: ScanImage[]; readonly released: boolean }
  | { readonly ok: false; readonly message: string };

/** The platform images this release is made of, as digests. */
async function locate(settings: ScanSettings, params: ReleaseParameters, deps: ScanDeps): Promise<Located> {
  const { repositoryName: repo, architectures } = settings;
  const { commit, mode } = params;
  const platformTags = architectures.map((a) => releasePlatformTag(commit, a));
  const candidateTags = architectures.map((a) => candidateTag(commit, a));
  const found = await imagesByTag(deps.ecr, repo, [
    commit,
    ...platformTags,
    ...(mode === 'release' ? candidateTags : []),
  ]);
  const released = found.has(commit);
  const missing = (tags: readonly string[]) => tags.filter((t) => !found.has(t));

  let tags: string[];
  if (mode === 'rollback') {
    const absent = missing([commit, ...platformTags]);
    if (absent.length > 0) {
      return {
        ok: false,
        message: `commit ${commit} was never released: ${repo} has no image tagged ${absent.join(', ')}`,
      };
    }
    tags = platformTags;
  } else if (released) {
    const absent = missing(platformTags);
    if (absent.length > 0) {
      return {
        ok: false,
        message: `${repo}:${commit} is released but its platform images ${absent.join(', ')} are missing: it cannot be scanned again`,
      };
    }
    tags = platformTags;
  } else {
    const absent = missing(candidateTags);
    if (absent.length > 0) {
      return {
        ok: false,
        message: `no image ${absent.map((t) => `${repo}:${t}`).join(', ')} to scan: the Build stage pushes it`,
      };
    }
    tags = candidateTags;
  }
  const images: ScanImage[] = [];
  for (const [i, arch] of architectures.entries()) {
    const tag = tags[i];
    const image = await platformImage(deps.ecr, repo, tag, found.get(tag)!, arch);
    images.push({ arch, tag, digest: image.digest });
  }
  return { ok: true, images, released };
}

async function registryScanType(ecr: ECRClient): Promise<ScanType> {
  const out = await ecr.send(new GetRegistryScanningConfigurationCommand({}));
  return out.scanningConfiguration?.scanType === 'ENHANCED' ? 'ENHANCED' : 'BASIC';
}

/** Starts a basic scan; a scan in the last 24 hours (LimitExceededException) is used instead. */
async function startScan(
  settings: ScanSettings,
  image: ScanImage,
  deps: ScanDeps,
  log: Log,
): Promise<ScanImage> {
  const where = { repository: settings.repositoryName, tag: image.tag, digest: image.digest };
  try {
    await deps.ecr.send(
      new StartImageScanCommand({
        repositoryName: settings.repositoryName,
        imageId: { imageDigest: image.digest },
      }),
    );
    log.info('Started a scan of the image', where);
    return { ...image, requestedAt: deps.now() };
  } catch (err) {
    if (!isError(err, 'LimitExceededException')) throw err;
    log.info('ECR scanned the image within the last 24 hours: using that scan', where);
    return { ...image, recent: true };
  }
}

type Polled =
  | { readonly kind: 'done'; readonly image: ScannedImage }
  | { readonly kind: 'pending'; readonly image: ScanImage; readonly why: string }
  | { readonly kind: 'failed'; readonly message: string };

const DONE: Record<ScanType, readonly string[]> = { BASIC: ['COMPLETE'], ENHANCED: ['ACTIVE', 'COMPLETE'] };
const PENDING = ['PENDING', 'IN_PROGRESS'];

/** One image's scan: its status and, once it is complete, all its findings (every page). */
async function pollImage(
  settings: ScanSettings,
  type: ScanType,
  image: ScanImage,
  deps: ScanDeps,
  log: Log,
): Promise<Polled> {
  const name = `${settings.repositoryName}:${image.tag}`;
  const findings: Finding[] = [];
  let registryId = '';
  let first = true;
  try {
    const pages = paginateDescribeImageScanFindings(
      { client: deps.ecr, pageSize: 1000 },
      { repositoryName: settings.repositoryName, imageId: { imageDigest: image.digest } },
    );
    for await (const page of pages) {
      if (first) {
        first = false;
        registryId = page.registryId ?? '';
        const status = page.imageScanStatus?.status;
        const description = page.imageScanStatus?.description;
        const said = `${status ?? 'no status'}${description ? `: ${description}` : ''}`;
        if (status === undefined || PENDING.includes(status)) {
          return { kind: 'pending', image, why: `the scan of ${name} (${status ?? 'no status yet'})` };
        }
        if (!DONE[type].includes(status)) {
          return { kind: 'failed', message: `ECR's scan of ${name} (${image.arch}) ended in ${said}` };
        }
        const completedAt = page.imageScanFindings?.imageScanCompletedAt?.getTime();
        if (
          type === 'BASIC' &&
          image.requestedAt !== undefined &&
          completedAt !== undefined &&
          completedAt < image.requestedAt - STALE_SCAN_TOLERANCE_MS
        ) {
          return {
            kind: 'pending',
            image,
            why: `the new scan of ${name} (ECR still shows the previous one)`,
          };
        }
        log.info('The scan of the image is complete', {
          tag: image.tag,
          digest: image.digest,
          status,
          completedAt: completedAt !== undefined ? new Date(completedAt).toISOString() : undefined,
        });
      }
      findings.push(...(page.imageScanFindings?.findings ?? []).map(fromBasicFinding));
      findings.push(
        ...(page.imageScanFindings?.enhancedFindings ?? [])
          .filter(isOpenEnhancedFinding)
          .map(fromEnhancedFinding),
      );
    }
  } catch (err) {
    if (!isError(err, 'ScanNotFoundException')) throw err;
    if (type === 'ENHANCED') {
      return {
        kind: 'pending',
        image,
        why: `Amazon Inspector's first scan of ${name} (none yet; the registry's enhanced scanning rules must cover the repository)`,
      };
    }
    if (image.requestedAt === undefined && !image.recent) {
      log.info('ECR has no scan of the image yet', { tag: image.tag, digest: image.digest });
      const started = await startScan(settings, image, deps, log);
      return { kind: 'pending', image: started, why: `the scan of ${name} (just started)` };
    }
    return { kind: 'pending', image, why: `the scan of ${name} (not visible yet)` };
  }
  return {
    kind: 'done',
    image: { arch: image.arch, tag: image.tag, digest: image.digest, registryId, findings },
  };
}

export function createScanStage(setup: SettingsResult<ScanSettings>, deps: ScanDeps): StageSetup<ScanState> {
  if (!setup.ok) return { ok: false, name: 'Scan', project: setup.project, error: setup.error };
  const settings = setup.settings;

  async function step(run: StageRun<ScanState>): Promise<StepResult<ScanState>> {
    const { params, log } = run;
    if (params.mode === 'redeploy') {
      return {
        kind: 'succeeded',
        summary: 'Nothing to scan: a redeploy starts new tasks on the running image',
      };
    }
    let state = run.state;
    if (state === null) {
      const located = await locate(settings, params, deps);
      if (!located.ok) return { kind: 'failed', message: located.message };
      const type = await registryScanType(deps.ecr);
      const current = params.mode === 'rollback' || located.released;
      log.info('Scanning the platform images', {
        repository: settings.repositoryName,
        scanType: type,
        images: located.images.map((i) => `${i.tag}@${i.digest}`),
        threshold: settings.severity,
        rescan: type === 'BASIC' && current,
      });
      let images = located.images;
      // A released image's last scan may be old: a basic scan is started again to evaluate current findings.
      if (type === 'BASIC' && current) {
        images = [];
        for (const image of located.images) images.push(await startScan(settings, image, deps, log));
      }
      state = { type, images };
    }

    const results: Polled[] = [];
    for (const image of state.images) results.push(await pollImage(settings, state.type, image, deps, log));
    const failed = results.find((r) => r.kind === 'failed');
    if (failed) return failed;
    const pending = results.filter((r) => r.kind === 'pending');
    const next: ScanState = {
      type: state.type,
      images: results.map((r, i) => (r.kind === 'pending' ? r.image : state.images[i])),
    };
    if (pending.length > 0) {
      log.info('Waiting for the scans', { waitingFor: pending.map((p) => p.why) });
      return {
        kind: 'waiting',
        state: next,
        waitingFor: pending.map((p) => p.why).join(' and '),
        onTimeout: 'Run the pipeline again later.',
      };
    }
    return evaluateScans(
      results.map((r) => (r as Extract<Polled, { kind: 'done' }>).image),
      settings.severity,
      {
        repository: settings.repositoryName,
        region: settings.region,
        commit: params.commit,
        type: state.type,
      },
    );
  }

  return {
    ok: true,
    stage: {
      name: 'Scan',
      project: settings.project,
      timeoutSeconds: settings.timeoutSeconds,
      pollMs: SCAN_POLL_MS,
      stateSchema: scanStateSchema,
      step,
    },
  };
}
