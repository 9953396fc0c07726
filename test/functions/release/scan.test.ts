import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { DescribeImageScanFindingsCommand, ECRClient, StartImageScanCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { candidateTag, releasePlatformTag } from '../../../src/contracts';
import { blocks, createScanStage, severityRank } from '../../../src/functions/release/scan';
import { scanSettings } from '../../../src/functions/release/settings';
import {
  basicFinding,
  buildkitIndex,
  enhancedFinding,
  FakeEcr,
  platformManifest,
  REGISTRY_ID,
  REPOSITORY,
  type StoredManifest,
} from './fake-ecr';
import {
  COMMIT,
  failureMessage,
  FakeClock,
  harness,
  jobEvent,
  lambdaContext,
  PROJECT,
  REGION,
  reports,
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

function world(env: Record<string, string> = {}, clock = new FakeClock()) {
  const stage = createScanStage(scanSettings({ ...ENV, ...env }), {
    ecr: new ECRClient({ region: REGION }),
    now: clock.now,
  });
  return harness(stage, clock);
}

let amd64: StoredManifest;
let arm64: StoredManifest;

/** Build's candidates for COMMIT. */
function pushCandidates() {
  amd64 = ecr.push(candidateTag(COMMIT, 'amd64'), platformManifest('amd64'));
  arm64 = ecr.push(candidateTag(COMMIT, 'arm64'), platformManifest('arm64'));
}

/** COMMIT as Push releases it. */
function pushRelease() {
  amd64 = ecr.push(releasePlatformTag(COMMIT, 'amd64'), platformManifest('amd64'));
  arm64 = ecr.push(releasePlatformTag(COMMIT, 'arm64'), platformManifest('arm64'));
  ecr.push(COMMIT, platformManifest('index'));
}

const complete = (...findings: ReturnType<typeof basicFinding>[]) => ({
  status: 'COMPLETE',
  findings,
  completedAt: new Date(),
});
const startedScans = () => ecr.mock.commandCalls(StartImageScanCommand).map((c) => c.args[0].input.imageId);

beforeEach(() => {
  ecr.reset();
  codePipeline.reset();
  codePipeline.on(PutJobSuccessResultCommand).resolves({});
  codePipeline.on(PutJobFailureResultCommand).resolves({});
});

describe('severities', () => {
  it('given the contract order, when ranked, then UNDEFINED and UNTRIAGED rank below INFORMATIONAL', () => {
    expect(severityRank('INFORMATIONAL')).toBe(0);
    expect(severityRank('critical')).toBe(4);
    expect(severityRank('UNDEFINED')).toBeLessThan(0);
    expect(severityRank('UNTRIAGED')).toBeLessThan(0);
  });

  it.each([
    ['HIGH', 'HIGH', true],
    ['CRITICAL', 'HIGH', true],
    ['MEDIUM', 'HIGH', false],
    ['INFORMATIONAL', 'INFORMATIONAL', true],
    ['UNDEFINED', 'INFORMATIONAL', false],
    ['UNTRIAGED', 'INFORMATIONAL', false],
  ] as const)(
    'given a %s finding and threshold %s, when judged, then it blocks: %s',
    (severity, threshold, expected) => {
      expect(blocks(severity, threshold)).toBe(expected);
    },
  );
});

describe('Scan of a new release (basic scanning)', () => {
  it('given a redeploy, when invoked, then it succeeds at once without reading ECR', async () => {
    const w = world();

    await w.handle(jobEvent({ mode: 'redeploy', commit: 'none' }), lambdaContext(w.clock));

    expect(successSummary(codePipeline)).toBe(
      'Nothing to scan: a redeploy starts new tasks on the running image',
    );
    expect(ecr.mock.calls()).toHaveLength(0);
  });

  it('given candidates scanned on push with findings below the threshold, when invoked, then it reads every page and succeeds with the counts', async () => {
    pushCandidates();
    const findings = [
      basicFinding('CVE-1', 'HIGH'),
      basicFinding('CVE-2', 'MEDIUM'),
      basicFinding('CVE-3', 'MEDIUM'),
      basicFinding('CVE-4', 'LOW'),
      basicFinding('CVE-5', 'UNDEFINED'),
    ];
    ecr.scan(amd64.digest, complete(...findings));
    ecr.scan(arm64.digest, complete());
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(successSummary(codePipeline)).toBe(
      `No findings at or above CRITICAL in ${REPOSITORY} for 3f5e2c1 (basic scanning). ` +
        `amd64 (${REPOSITORY}:${candidateTag(COMMIT, 'amd64')}): CRITICAL 0, HIGH 1, MEDIUM 2, LOW 1, INFORMATIONAL 0, UNDEFINED 1; ` +
        `arm64 (${REPOSITORY}:${candidateTag(COMMIT, 'arm64')}): CRITICAL 0, HIGH 0, MEDIUM 0, LOW 0, INFORMATIONAL 0`,
    );
    // 5 findings, 2 a page: 3 reads for amd64, 1 for arm64, each by digest.
    const reads = ecr.mock.commandCalls(DescribeImageScanFindingsCommand).map((c) => c.args[0].input);
    expect(reads).toHaveLength(4);
    expect(reads[0]).toMatchObject({
      repositoryName: REPOSITORY,
      imageId: { imageDigest: amd64.digest },
      maxResults: 1000,
    });
    expect(startedScans()).toEqual([]);
    expect(w.clock.sleeps).toEqual([]);
  });

  it('given a finding exactly at the threshold, when invoked, then the release is blocked', async () => {
    pushCandidates();
    ecr.scan(amd64.digest, complete(basicFinding('CVE-2024-0001', 'HIGH')));
    ecr.scan(arm64.digest, complete());
    const w = world({ SCAN_SEVERITY: 'HIGH' });

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toMatch(
      /^1 finding at or above HIGH in berth\/cash-collection for 3f5e2c1/,
    );
  });

  it('given a finding one level below the threshold, when invoked, then the release passes', async () => {
    pushCandidates();
    ecr.scan(amd64.digest, complete(basicFinding('CVE-2024-0001', 'MEDIUM')));
    ecr.scan(arm64.digest, complete());
    const w = world({ SCAN_SEVERITY: 'HIGH' });

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(successSummary(codePipeline)).toMatch(/^No findings at or above HIGH/);
  });

  it('given blocking findings in both architectures, when invoked, then the message gives counts per architecture, console links and the first 10 findings once each', async () => {
    pushCandidates();
    const many = Array.from({ length: 12 }, (_, i) =>
      basicFinding(`CVE-2024-${1000 + i}`, i < 2 ? 'CRITICAL' : 'HIGH', `pkg${i}`),
    );
    ecr.scan(amd64.digest, complete(...many, basicFinding('CVE-LOW', 'LOW')));
    ecr.scan(arm64.digest, complete(many[0]));
    const w = world({ SCAN_SEVERITY: 'HIGH' });

    await w.handle(jobEvent(), lambdaContext(w.clock));

    const message = failureMessage(codePipeline);
    const lines = message.split('\n');
    expect(lines[0]).toBe(
      '13 findings at or above HIGH in berth/cash-collection for 3f5e2c1 (basic scanning): the release is blocked.',
    );
    expect(lines[1]).toBe(
      `amd64 (${REPOSITORY}:${candidateTag(COMMIT, 'amd64')}): CRITICAL 2, HIGH 10, MEDIUM 0, LOW 1, INFORMATIONAL 0`,
    );
    expect(lines[2]).toBe(
      `  https://${REGION}.console.aws.amazon.com/ecr/repositories/private/${REGISTRY_ID}/${REPOSITORY}/_/image/${amd64.digest}/details?region=${REGION}`,
    );
    expect(lines[3]).toBe(
      `arm64 (${REPOSITORY}:${candidateTag(COMMIT, 'arm64')}): CRITICAL 1, HIGH 0, MEDIUM 0, LOW 0, INFORMATIONAL 0`,
    );
    expect(lines[4]).toContain(arm64.digest);
    expect(lines[5]).toBe('Blocking findings (first 10 of 12):');
    expect(lines[6]).toBe('- CRITICAL CVE-2024-1000 in pkg0 3.0.1 (amd64, arm64)');
    expect(lines[7]).toBe('- CRITICAL CVE-2024-1001 in pkg1 3.0.1 (amd64)');
    expect(lines[8]).toBe('- HIGH CVE-2024-1002 in pkg2 3.0.1 (amd64)');
    expect(lines.filter((l) => l.startsWith('- '))).toHaveLength(10);
    expect(message).not.toContain('CVE-LOW');
    expect(message.length).toBeLessThanOrEqual(5000);
  });

  it('given a candidate with no scan yet, when invoked, then it starts one by digest and waits until it is COMPLETE', async () => {
    pushCandidates();
    ecr.scan(amd64.digest, { error: 'ScanNotFoundException' }, { status: 'IN_PROGRESS' }, complete());
    ecr.scan(arm64.digest, complete());
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(startedScans()).toEqual([{ imageDigest: amd64.digest }]);
    expect(w.clock.sleeps).toEqual([5000, 5000]);
    expect(successSummary(codePipeline)).toMatch(/^No findings at or above CRITICAL/);
    expect(w.log.messages('info')).toContain('Started a scan of the image');
  });

  it('given a scan that stays IN_PROGRESS, when the invocation ends, then it hands over and later fails at the deadline naming the scan', async () => {
    pushCandidates();
    ecr.scan(amd64.digest, { error: 'ScanNotFoundException' }, { status: 'IN_PROGRESS' });
    ecr.scan(arm64.digest, complete());
    const clock = new FakeClock();
    const first = world({}, clock);

    const r1 = await first.handle(jobEvent(), lambdaContext(clock, 60_000));

    expect(r1.outcome).toBe('continued');
    const token = reports(codePipeline).successes[0].continuationToken!;
    expect(JSON.parse(token).d.images[0]).toMatchObject({
      arch: 'amd64',
      digest: amd64.digest,
      requestedAt: expect.any(Number),
    });

    codePipeline.resetHistory();
    clock.advance(600_000);
    const second = world({}, clock);
    await second.handle(jobEvent({ jobId: 'job-2', continuationToken: token }), lambdaContext(clock, 60_000));

    expect(failureMessage(codePipeline)).toBe(
      `Scan gave up after 600 s waiting for the scan of ${REPOSITORY}:${candidateTag(COMMIT, 'amd64')} (IN_PROGRESS). Run the pipeline again later.`,
    );
    // The scan started by the first invocation is not started again.
    expect(startedScans()).toHaveLength(1);
  });

  it('given a scan that ends FAILED, when invoked, then the job fails with the status description', async () => {
    pushCandidates();
    ecr.scan(amd64.digest, {
      status: 'UNSUPPORTED_IMAGE',
      description: 'The operating system is not supported',
    });
    ecr.scan(arm64.digest, complete());
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toBe(
      `ECR's scan of ${REPOSITORY}:${candidateTag(COMMIT, 'amd64')} (amd64) ended in UNSUPPORTED_IMAGE: The operating system is not supported`,
    );
  });

  it('given no candidate, when invoked, then the job fails saying Build pushes it', async () => {
    ecr.push(candidateTag(COMMIT, 'amd64'), platformManifest('amd64'));
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toBe(
      `no image ${REPOSITORY}:${candidateTag(COMMIT, 'arm64')} to scan: the Build stage pushes it`,
    );
  });

  it('given a candidate that is a BuildKit index with an attestation, when invoked, then the linux/<arch> entry is scanned', async () => {
    const platform = platformManifest('amd64');
    const index = buildkitIndex(
      platform,
      'amd64',
      platformManifest('attestation', 'application/vnd.oci.image.manifest.v1+json'),
    );
    ecr.push(candidateTag(COMMIT, 'amd64'), index, platform);
    ecr.scan(platform.digest, complete());
    const w = world({ IMAGE_ARCHITECTURES: 'amd64' });

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(successSummary(codePipeline)).toMatch(/^No findings/);
    expect(ecr.mock.commandCalls(DescribeImageScanFindingsCommand)[0].args[0].input.imageId).toEqual({
      imageDigest: platform.digest,
    });
  });
});

describe('Scan of a re-release or a rollback (current findings)', () => {
  it('given the commit is already released, when released again, then new scans of the release platform images are started and their findings judged', async () => {
    pushRelease();
    const old = new Date(Date.parse('2026-11-01T00:00:00Z'));
    ecr.scan(
      amd64.digest,
      { status: 'COMPLETE', findings: [], completedAt: old },
      { status: 'IN_PROGRESS' },
      complete(basicFinding('CVE-2026-9999', 'CRITICAL')),
    );
    ecr.scan(arm64.digest, complete());
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(startedScans()).toEqual([{ imageDigest: amd64.digest }, { imageDigest: arm64.digest }]);
    const message = failureMessage(codePipeline);
    expect(message).toContain(`amd64 (${REPOSITORY}:${releasePlatformTag(COMMIT, 'amd64')}): CRITICAL 1`);
    expect(message).toContain('- CRITICAL CVE-2026-9999 in openssl 3.0.1 (amd64)');
  });

  it('given a re-release scanned in the last 24 hours, when StartImageScan is refused, then that scan is used', async () => {
    pushRelease();
    ecr.recentlyScanned.add(amd64.digest);
    ecr.recentlyScanned.add(arm64.digest);
    ecr.scan(amd64.digest, complete(basicFinding('CVE-1', 'LOW')));
    ecr.scan(arm64.digest, complete());
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(successSummary(codePipeline)).toContain(
      `amd64 (${REPOSITORY}:${releasePlatformTag(COMMIT, 'amd64')}): CRITICAL 0, HIGH 0, MEDIUM 0, LOW 1`,
    );
    expect(w.log.messages('info')).toContain(
      'ECR scanned the image within the last 24 hours: using that scan',
    );
    expect(w.clock.sleeps).toEqual([]);
  });

  it('given a rollback to a released commit, when invoked, then its release platform images are scanned again', async () => {
    pushRelease();
    ecr.scan(amd64.digest, { status: 'IN_PROGRESS' }, complete());
    ecr.scan(arm64.digest, complete());
    const w = world();

    await w.handle(jobEvent({ mode: 'rollback' }), lambdaContext(w.clock));

    expect(startedScans()).toHaveLength(2);
    expect(successSummary(codePipeline)).toContain(releasePlatformTag(COMMIT, 'arm64'));
  });

  it('given a rollback to a commit that was never released, when invoked, then the job fails saying so', async () => {
    pushCandidates();
    const w = world();

    await w.handle(jobEvent({ mode: 'rollback' }), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toBe(
      `commit ${COMMIT} was never released: ${REPOSITORY} has no image tagged ${COMMIT}, ${releasePlatformTag(COMMIT, 'amd64')}, ${releasePlatformTag(COMMIT, 'arm64')}`,
    );
  });
});

describe('Scan with enhanced scanning (Amazon Inspector)', () => {
  beforeEach(() => {
    ecr.scanType = 'ENHANCED';
  });

  it('given ACTIVE scans, when invoked, then enhanced findings are judged, suppressed ones ignored, and no scan is started', async () => {
    pushRelease();
    ecr.scan(amd64.digest, {
      status: 'ACTIVE',
      enhancedFindings: [
        enhancedFinding('CVE-2025-1', 'HIGH'),
        enhancedFinding('CVE-2025-2', 'CRITICAL', 'SUPPRESSED'),
        enhancedFinding('CVE-2025-3', 'UNTRIAGED'),
      ],
    });
    ecr.scan(arm64.digest, { status: 'ACTIVE', enhancedFindings: [] });
    const w = world();

    await w.handle(jobEvent({ mode: 'rollback' }), lambdaContext(w.clock));

    expect(successSummary(codePipeline)).toContain(
      'enhanced scanning (Amazon Inspector)). amd64 (berth/cash-collection:' +
        `${releasePlatformTag(COMMIT, 'amd64')}): CRITICAL 0, HIGH 1, MEDIUM 0, LOW 0, INFORMATIONAL 0, UNTRIAGED 1`,
    );
    expect(startedScans()).toEqual([]);
  });

  it('given Inspector has not scanned the image yet, when it becomes ACTIVE with a critical finding, then the release is blocked', async () => {
    pushCandidates();
    ecr.scan(
      amd64.digest,
      { error: 'ScanNotFoundException' },
      { status: 'PENDING' },
      { status: 'ACTIVE', enhancedFindings: [enhancedFinding('CVE-2025-7', 'CRITICAL')] },
    );
    ecr.scan(arm64.digest, { status: 'ACTIVE', enhancedFindings: [] });
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(w.clock.sleeps).toEqual([5000, 5000]);
    expect(failureMessage(codePipeline)).toContain('- CRITICAL CVE-2025-7 in libxml2 2.9.14 (amd64)');
    expect(startedScans()).toEqual([]);
  });

  it.each(['SCAN_ELIGIBILITY_EXPIRED', 'FINDINGS_UNAVAILABLE', 'FAILED'])(
    'given an enhanced scan in %s, when invoked, then the job fails with the status description',
    async (status) => {
      pushCandidates();
      ecr.scan(amd64.digest, { status, description: 'Inspector says no' });
      ecr.scan(arm64.digest, { status: 'ACTIVE', enhancedFindings: [] });
      const w = world();

      await w.handle(jobEvent(), lambdaContext(w.clock));

      expect(failureMessage(codePipeline)).toBe(
        `ECR's scan of ${REPOSITORY}:${candidateTag(COMMIT, 'amd64')} (amd64) ended in ${status}: Inspector says no`,
      );
    },
  );

  it('given the repository is never covered by Inspector, when the deadline passes, then the message says what was awaited', async () => {
    pushCandidates();
    ecr.scan(arm64.digest, { status: 'ACTIVE', enhancedFindings: [] });
    const w = world({ SCAN_TIMEOUT_SECONDS: '30' });

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toMatch(
      /^Scan gave up after 30 s waiting for Amazon Inspector's first scan of berth\/cash-collection:candidate-.*-amd64 \(none yet; the registry's enhanced scanning rules must cover the repository\)/,
    );
  });
});
