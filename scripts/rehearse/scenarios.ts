import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  PutImageCommand,
  PutRegistryScanningConfigurationCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { GetParameterCommand, GetParameterHistoryCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { candidateTag, releasePlatformTag } from '../../src/contracts';
import { createDeployStage } from '../../src/functions/release/deploy';
import { ACCEPTED_MEDIA_TYPES } from '../../src/functions/release/images';
import { createPushStage } from '../../src/functions/release/push';
import { createScanStage } from '../../src/functions/release/scan';
import {
  deploySettings,
  pushSettings,
  scanSettings,
  verifySettings,
} from '../../src/functions/release/settings';
import { createVerifyStage } from '../../src/functions/release/verify';
import type { Moto } from './moto';
import {
  buildkitIndex,
  type Clients,
  type JobRun,
  type Manifest,
  newJobId,
  platformManifest,
  randomCommit,
  runJob,
  VirtualClock,
} from './world';

/**
 * The rehearsal's scenarios: each sets up its own repository, stack or service in the emulator, runs a release
 * function's real AWS calls through the runner (CodePipeline's PutJob* captured), and checks what the function
 * reported and what it left in the emulator. A scenario returns what it checked, or throws.
 */

export interface Scenario {
  readonly name: string;
  run(ctx: Ctx): Promise<string>;
}

export interface Ctx {
  readonly moto: Moto;
  readonly clients: Clients;
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const PROJECT = 'rehearsal';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/berth-rehearsal-release`;
export const CLUSTER = 'berth-rehearsal';
const ARCHS = ['amd64', 'arm64'] as const;

class Check extends Error {}
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Check(message);
}
function final(run: JobRun, outcome: 'succeeded' | 'failed'): string {
  const f = run.final;
  const text = f.outcome === 'succeeded' ? f.summary : f.outcome === 'failed' ? f.message : JSON.stringify(f);
  check(f.outcome === outcome, `expected the job to have ${outcome}, it ${f.outcome}: ${text}`);
  check(
    run.logs.every((l) => !JSON.stringify(l).includes('rehearsal-secret-never-logged')),
    'a log line holds the artifact credentials',
  );
  return text;
}
const short = (c: string) => c.slice(0, 7);

let seq = 0;
const unique = (prefix: string) => `${prefix}-${++seq}`;

// ---------------------------------------------------------------------------------------------------------------
// ECR
// ---------------------------------------------------------------------------------------------------------------

export async function newRepository(ctx: Ctx, name: string): Promise<string> {
  const repositoryName = `berth/${unique(name)}`;
  await ctx.clients.ecr.send(
    new CreateRepositoryCommand({ repositoryName, imageTagMutability: 'IMMUTABLE' }),
  );
  return repositoryName;
}

export async function putImage(
  ctx: Ctx,
  repositoryName: string,
  tag: string | undefined,
  m: Manifest,
): Promise<void> {
  await ctx.clients.ecr.send(
    new PutImageCommand({
      repositoryName,
      ...(tag !== undefined ? { imageTag: tag } : {}),
      imageManifest: m.manifest,
      imageManifestMediaType: m.mediaType,
      imageDigest: m.digest,
    }),
  );
}

/** Build's candidates for `commit`. */
export async function pushCandidates(
  ctx: Ctx,
  repo: string,
  commit: string,
): Promise<Record<string, Manifest>> {
  const images: Record<string, Manifest> = {};
  for (const arch of ARCHS) {
    images[arch] = platformManifest(`${commit}-${arch}`);
    await putImage(ctx, repo, candidateTag(commit, arch), images[arch]);
  }
  return images;
}

async function tagsOf(ctx: Ctx, repositoryName: string, tags: string[]) {
  const out = await ctx.clients.ecr.send(
    new BatchGetImageCommand({
      repositoryName,
      imageIds: tags.map((imageTag) => ({ imageTag })),
      acceptedMediaTypes: ACCEPTED_MEDIA_TYPES,
    }),
  );
  const found = new Map<string, { digest: string; manifest: string; mediaType?: string }>();
  for (const i of out.images ?? []) {
    found.set(i.imageId!.imageTag!, {
      digest: i.imageId!.imageDigest!,
      manifest: i.imageManifest!,
      mediaType: i.imageManifestMediaType,
    });
  }
  return found;
}

export const scanScript = (ctx: Ctx, repository: string, digest: string, steps: unknown[], onPush = true) =>
  ctx.moto.send({ cmd: 'scan-script', repository, digest, steps, onPush });

export const basicFinding = (name: string, severity: string) => ({
  name,
  severity,
  uri: `https://cve.example/${name}`,
  attributes: [
    { key: 'package_name', value: 'openssl' },
    { key: 'package_version', value: '3.0.11' },
  ],
});

export function scanStage(ctx: Ctx, clock: VirtualClock, repo: string, env: Record<string, string> = {}) {
  return createScanStage(
    scanSettings({
      AWS_REGION: REGION,
      BERTH_PROJECT: PROJECT,
      REPOSITORY_NAME: repo,
      IMAGE_ARCHITECTURES: ARCHS.join(','),
      ...env,
    }),
    { ecr: ctx.clients.ecr, now: clock.now },
  );
}

export function pushStage(ctx: Ctx, repo: string, archs = ARCHS.join(',')) {
  return createPushStage(
    pushSettings({
      AWS_REGION: REGION,
      BERTH_PROJECT: PROJECT,
      REPOSITORY_NAME: repo,
      IMAGE_ARCHITECTURES: archs,
    }),
    { ecr: ctx.clients.ecr },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// CloudFormation, SSM, ECS
// ---------------------------------------------------------------------------------------------------------------

/** A project stack as Berth shapes it: ImageTag, RestartNonce and CDK's BootstrapVersion (an SSM-typed parameter). */
function template(stack: string): string {
  return JSON.stringify({
    Parameters: {
      ImageTag: { Type: 'String', Default: 'none' },
      RestartNonce: { Type: 'String', Default: 'initial' },
      BootstrapVersion: {
        Type: 'AWS::SSM::Parameter::Value<String>',
        Default: '/cdk-bootstrap/hnb659fds/version',
      },
    },
    Resources: {
      Marker: {
        Type: 'AWS::SSM::Parameter',
        Properties: {
          Name: `/berth/${stack}/marker`,
          Type: 'String',
          Value: { 'Fn::Sub': '${ImageTag}/${RestartNonce}' },
        },
      },
    },
  });
}

let shared: Promise<void> | undefined;
/** The bootstrap version parameter, the cluster and a task definition, once. */
function sharedSetup(ctx: Ctx): Promise<void> {
  shared ??= (async () => {
    await ctx.clients.ssm.send(
      new PutParameterCommand({
        Name: '/cdk-bootstrap/hnb659fds/version',
        Value: '21',
        Type: 'String',
        Overwrite: true,
      }),
    );
    await ctx.clients.ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    await ctx.clients.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'berth-rehearsal',
        containerDefinitions: [
          { name: 'app', image: 'public.ecr.aws/docker/library/busybox:latest', memory: 128 },
        ],
      }),
    );
  })();
  return shared;
}

export interface Project {
  readonly stack: string;
  readonly logParameter: string;
  readonly service: string;
}

export async function newProject(ctx: Ctx, name: string, withService = true): Promise<Project> {
  await sharedSetup(ctx);
  const stack = `berth-${unique(name)}`;
  await ctx.clients.cfn.send(new CreateStackCommand({ StackName: stack, TemplateBody: template(stack) }));
  const logParameter = `/berth/${stack}/release`;
  await ctx.clients.ssm.send(new PutParameterCommand({ Name: logParameter, Value: 'none', Type: 'String' }));
  if (withService) {
    await ctx.clients.ecs.send(
      new CreateServiceCommand({
        cluster: CLUSTER,
        serviceName: stack,
        taskDefinition: 'berth-rehearsal',
        desiredCount: 2,
      }),
    );
  }
  return { stack, logParameter, service: stack };
}

export function deployStage(ctx: Ctx, p: Project, env: Record<string, string> = {}) {
  return createDeployStage(
    deploySettings({
      AWS_REGION: REGION,
      BERTH_PROJECT: PROJECT,
      STACK_NAME: p.stack,
      RELEASE_ROLE_ARN: ROLE,
      RELEASE_LOG_PARAMETER: p.logParameter,
      CLUSTER_NAME: CLUSTER,
      SERVICE_NAME: p.service,
      ...env,
    }),
    { cfn: ctx.clients.cfn, ecs: ctx.clients.ecs, ssm: ctx.clients.ssm },
  );
}

async function stackOf(ctx: Ctx, stack: string) {
  const s = (await ctx.clients.cfn.send(new DescribeStacksCommand({ StackName: stack }))).Stacks![0];
  const params = Object.fromEntries((s.Parameters ?? []).map((p) => [p.ParameterKey!, p.ParameterValue!]));
  return { status: s.StackStatus!, params, roleArn: s.RoleARN };
}

async function releaseLog(ctx: Ctx, name: string) {
  const value = (await ctx.clients.ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  const history =
    (await ctx.clients.ssm.send(new GetParameterHistoryCommand({ Name: name }))).Parameters ?? [];
  return { value, versions: history.length };
}

/** Releases `commit` through Deploy (a completed update). */
async function release(ctx: Ctx, p: Project, commit: string): Promise<JobRun> {
  const run = await runJob(deployStage(ctx, p), new VirtualClock(), { commit, mode: 'release' });
  final(run, 'succeeded');
  return run;
}

export function verifyStage(ctx: Ctx, service: string, env: Record<string, string> = {}) {
  return createVerifyStage(
    verifySettings({
      AWS_REGION: REGION,
      BERTH_PROJECT: PROJECT,
      CLUSTER_NAME: CLUSTER,
      SERVICE_NAME: service,
      ...env,
    }),
    { ecs: ctx.clients.ecs, fetch: (input, init) => fetch(input, init) },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------------------

export const SCENARIOS: Scenario[] = [
  {
    name: 'scan: findings below the threshold pass',
    async run(ctx) {
      const repo = await newRepository(ctx, 'scan-below');
      const commit = randomCommit();
      const images = await pushCandidates(ctx, repo, commit);
      await scanScript(ctx, repo, images.amd64.digest, [
        { status: 'COMPLETE', findings: [basicFinding('CVE-2026-0001', 'HIGH')] },
      ]);
      await scanScript(ctx, repo, images.arm64.digest, [{ status: 'COMPLETE', findings: [] }]);
      ctx.clients.calls.reset();
      const clock = new VirtualClock();
      const run = await runJob(scanStage(ctx, clock, repo), clock, { commit, mode: 'release' });
      const text = final(run, 'succeeded');
      check(text.includes('No findings at or above CRITICAL') && text.includes('HIGH 1'), `summary: ${text}`);
      check(ctx.clients.calls.count('StartImageScan') === 0, 'a scan was started for images scanned on push');
      return `1 HIGH finding under CRITICAL passes; ${ctx.clients.calls.count('DescribeImageScanFindings')} scan reads by digest, no StartImageScan`;
    },
  },
  {
    name: 'scan: a finding at the threshold blocks',
    async run(ctx) {
      const repo = await newRepository(ctx, 'scan-at');
      const commit = randomCommit();
      const images = await pushCandidates(ctx, repo, commit);
      await scanScript(ctx, repo, images.amd64.digest, [
        {
          status: 'COMPLETE',
          findings: [basicFinding('CVE-2026-0002', 'HIGH'), basicFinding('CVE-2026-0003', 'MEDIUM')],
        },
      ]);
      await scanScript(ctx, repo, images.arm64.digest, [{ status: 'COMPLETE', findings: [] }]);
      const clock = new VirtualClock();
      const run = await runJob(scanStage(ctx, clock, repo, { SCAN_SEVERITY: 'HIGH' }), clock, {
        commit,
        mode: 'release',
      });
      const text = final(run, 'failed');
      check(text.startsWith('1 finding at or above HIGH'), `message: ${text}`);
      check(text.includes('- HIGH CVE-2026-0002 in openssl 3.0.11 (amd64)'), `no finding line in: ${text}`);
      check(!text.includes('CVE-2026-0003'), 'a MEDIUM finding was listed as blocking');
      const link = `https://${REGION}.console.aws.amazon.com/ecr/repositories/private/${ACCOUNT}/${repo}/_/image/${images.amd64.digest}/details?region=${REGION}`;
      check(text.includes(link), `no console link in: ${text}`);
      return 'HIGH at threshold HIGH blocks, MEDIUM does not; message lists the CVE and the ECR console link';
    },
  },
  {
    name: 'scan: no scan yet starts one and waits for COMPLETE',
    async run(ctx) {
      const repo = await newRepository(ctx, 'scan-none');
      const commit = randomCommit();
      const images = await pushCandidates(ctx, repo, commit);
      await scanScript(
        ctx,
        repo,
        images.amd64.digest,
        [{ status: 'IN_PROGRESS' }, { status: 'IN_PROGRESS' }, { status: 'COMPLETE', findings: [] }],
        false,
      );
      await scanScript(ctx, repo, images.arm64.digest, [{ status: 'COMPLETE', findings: [] }]);
      ctx.clients.calls.reset();
      const clock = new VirtualClock();
      const run = await runJob(scanStage(ctx, clock, repo), clock, { commit, mode: 'release' });
      final(run, 'succeeded');
      check(
        ctx.clients.calls.count('StartImageScan') === 1,
        `StartImageScan calls: ${ctx.clients.calls.count('StartImageScan')}`,
      );
      check(clock.slept >= 10_000, `waited only ${clock.slept} ms`);
      return `ScanNotFoundException -> StartImageScan once -> IN_PROGRESS -> COMPLETE after ${clock.slept / 1000} s (virtual)`;
    },
  },
  {
    name: 'scan: a re-release evaluates current findings (new scan, then the 24 h limit)',
    async run(ctx) {
      const repo = await newRepository(ctx, 'scan-rerelease');
      const commit = randomCommit();
      for (const arch of ARCHS)
        await putImage(ctx, repo, releasePlatformTag(commit, arch), platformManifest(`${commit}-${arch}`));
      await putImage(ctx, repo, commit, platformManifest(`${commit}-index`));
      for (const arch of ARCHS) {
        await scanScript(
          ctx,
          repo,
          platformManifest(`${commit}-${arch}`).digest,
          [
            { status: 'IN_PROGRESS' },
            { status: 'COMPLETE', findings: [basicFinding('CVE-2026-0100', 'LOW')] },
          ],
          false,
        );
      }
      ctx.clients.calls.reset();
      const clock = new VirtualClock();
      const first = await runJob(scanStage(ctx, clock, repo), clock, { commit, mode: 'release' });
      final(first, 'succeeded');
      check(
        ctx.clients.calls.count('StartImageScan') === 2,
        'the release platform images were not scanned again',
      );
      const again = await runJob(scanStage(ctx, clock, repo), clock, { commit, mode: 'release' });
      const text = final(again, 'succeeded');
      check(
        again.logs.some(
          (l) => l.message === 'ECR scanned the image within the last 24 hours: using that scan',
        ),
        'the LimitExceededException path was not taken',
      );
      check(text.includes(releasePlatformTag(commit, 'amd64')), `summary: ${text}`);
      return 'StartImageScan on both release platform images; the re-run gets LimitExceededException and uses that scan';
    },
  },
  {
    name: 'scan: a scan that never completes hands over, then fails at the deadline',
    async run(ctx) {
      const repo = await newRepository(ctx, 'scan-stuck');
      const commit = randomCommit();
      const images = await pushCandidates(ctx, repo, commit);
      await scanScript(ctx, repo, images.amd64.digest, [{ status: 'IN_PROGRESS' }]);
      await scanScript(ctx, repo, images.arm64.digest, [{ status: 'COMPLETE', findings: [] }]);
      const clock = new VirtualClock();
      const run = await runJob(scanStage(ctx, clock, repo, { SCAN_TIMEOUT_SECONDS: '40' }), clock, {
        commit,
        mode: 'release',
        remainingMs: 45_000,
      });
      const text = final(run, 'failed');
      check(run.invocations >= 2, `only ${run.invocations} invocation`);
      check(
        run.reports.filter((r) => r.continuationToken).length === run.invocations - 1,
        'a hand-over had no token',
      );
      check(text.startsWith('Scan gave up after 40 s waiting for the scan of'), `message: ${text}`);
      return `${run.invocations} invocations (continuation tokens), then "gave up after 40 s" naming the scan`;
    },
  },
  {
    name: 'scan: enhanced scanning (Inspector) with a critical finding blocks',
    async run(ctx) {
      const repo = await newRepository(ctx, 'scan-enhanced');
      const commit = randomCommit();
      const images = await pushCandidates(ctx, repo, commit);
      const enhanced = (id: string, severity: string, status = 'ACTIVE') => ({
        severity,
        status,
        title: `${id} - glibc`,
        packageVulnerabilityDetails: {
          vulnerabilityId: id,
          vulnerablePackages: [{ name: 'glibc', version: '2.36' }],
        },
      });
      await scanScript(ctx, repo, images.amd64.digest, [
        { status: 'PENDING' },
        {
          status: 'ACTIVE',
          enhancedFindings: [
            enhanced('CVE-2026-1111', 'CRITICAL'),
            enhanced('CVE-2026-2222', 'CRITICAL', 'SUPPRESSED'),
          ],
        },
      ]);
      await scanScript(ctx, repo, images.arm64.digest, [{ status: 'ACTIVE', enhancedFindings: [] }]);
      const setType = (scanType: 'BASIC' | 'ENHANCED') =>
        ctx.clients.ecr.send(
          new PutRegistryScanningConfigurationCommand({
            scanType,
            rules: [
              {
                scanFrequency: scanType === 'ENHANCED' ? 'CONTINUOUS_SCAN' : 'SCAN_ON_PUSH',
                repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }],
              },
            ],
          }),
        );
      await setType('ENHANCED');
      try {
        ctx.clients.calls.reset();
        const clock = new VirtualClock();
        const run = await runJob(scanStage(ctx, clock, repo), clock, { commit, mode: 'release' });
        const text = final(run, 'failed');
        check(text.includes('(enhanced scanning (Amazon Inspector))'), `message: ${text}`);
        check(
          text.includes('- CRITICAL CVE-2026-1111 in glibc 2.36 (amd64)') && !text.includes('CVE-2026-2222'),
          `message: ${text}`,
        );
        check(
          ctx.clients.calls.count('StartImageScan') === 0,
          'a basic scan was started under enhanced scanning',
        );
      } finally {
        await setType('BASIC');
      }
      return 'PENDING -> ACTIVE; the CRITICAL finding blocks, the suppressed one does not; no StartImageScan';
    },
  },
  {
    name: 'scan: a rollback to a commit never released fails',
    async run(ctx) {
      const repo = await newRepository(ctx, 'scan-never');
      const commit = randomCommit();
      await pushCandidates(ctx, repo, commit);
      const clock = new VirtualClock();
      const run = await runJob(scanStage(ctx, clock, repo), clock, { commit, mode: 'rollback' });
      const text = final(run, 'failed');
      check(text.startsWith(`commit ${commit} was never released`), `message: ${text}`);
      return '"commit <sha> was never released: ... has no image tagged ..."';
    },
  },
  {
    name: 'push: candidates become release platform tags and an OCI index',
    async run(ctx) {
      const repo = await newRepository(ctx, 'push');
      const commit = randomCommit();
      const images = await pushCandidates(ctx, repo, commit);
      const run = await runJob(pushStage(ctx, repo), new VirtualClock(), { commit, mode: 'release' });
      final(run, 'succeeded');
      const platformTags = ARCHS.map((a) => releasePlatformTag(commit, a));
      const candidates = ARCHS.map((a) => candidateTag(commit, a));
      const found = await tagsOf(ctx, repo, [commit, ...platformTags, ...candidates]);
      for (const [i, arch] of ARCHS.entries()) {
        check(
          found.get(platformTags[i])?.digest === images[arch].digest,
          `${platformTags[i]} does not name the candidate's digest`,
        );
        check(!found.has(candidates[i]), `${candidates[i]} is still tagged`);
      }
      const index = found.get(commit);
      check(
        index?.mediaType === 'application/vnd.oci.image.index.v1+json',
        `index media type ${index?.mediaType}`,
      );
      const json = JSON.parse(index.manifest) as {
        schemaVersion: number;
        manifests: { digest: string; size: number; mediaType: string; platform: unknown }[];
      };
      check(json.schemaVersion === 2 && json.manifests.length === 2, 'index shape');
      for (const [i, arch] of ARCHS.entries()) {
        const m = json.manifests[i];
        check(m.digest === images[arch].digest, `index entry ${i} digest`);
        check(m.size === Buffer.byteLength(images[arch].manifest), `index entry ${i} size ${m.size}`);
        check(m.mediaType === images[arch].mediaType, `index entry ${i} media type`);
        check(
          JSON.stringify(m.platform) === JSON.stringify({ architecture: arch, os: 'linux' }),
          `index entry ${i} platform`,
        );
      }
      return 'PutImage re-tags both platform manifests (same digests), index lists digests/sizes/platforms, candidate tags gone';
    },
  },
  {
    name: 'push: a re-run after a finished push changes nothing',
    async run(ctx) {
      const repo = await newRepository(ctx, 'push-rerun');
      const commit = randomCommit();
      await pushCandidates(ctx, repo, commit);
      final(await runJob(pushStage(ctx, repo), new VirtualClock(), { commit, mode: 'release' }), 'succeeded');
      ctx.clients.calls.reset();
      const text = final(
        await runJob(pushStage(ctx, repo), new VirtualClock(), { commit, mode: 'release' }),
        'succeeded',
      );
      check(text.includes('was already released'), `summary: ${text}`);
      check(
        ctx.clients.calls.count('PutImage') === 0 && ctx.clients.calls.count('BatchDeleteImage') === 0,
        'the re-run wrote',
      );
      return '"already released"; no PutImage, no BatchDeleteImage';
    },
  },
  {
    name: 'push: a re-run after a partial push finishes the job',
    async run(ctx) {
      const repo = await newRepository(ctx, 'push-partial');
      const commit = randomCommit();
      const images = await pushCandidates(ctx, repo, commit);
      // The earlier run stopped after tagging amd64 (ECR tags are immutable: a second PutImage would fail).
      await putImage(ctx, repo, releasePlatformTag(commit, 'amd64'), images.amd64);
      ctx.clients.calls.reset();
      final(await runJob(pushStage(ctx, repo), new VirtualClock(), { commit, mode: 'release' }), 'succeeded');
      check(
        ctx.clients.calls.count('PutImage') === 2,
        `PutImage calls: ${ctx.clients.calls.count('PutImage')} (want arm64 + index)`,
      );
      const found = await tagsOf(ctx, repo, [commit, candidateTag(commit, 'amd64')]);
      check(
        found.has(commit) && !found.has(candidateTag(commit, 'amd64')),
        'index missing or candidate left',
      );
      // And a run that stopped after the index, before removing the candidate tags: only the tags go.
      for (const arch of ARCHS) await putImage(ctx, repo, candidateTag(commit, arch), images[arch]);
      ctx.clients.calls.reset();
      const text = final(
        await runJob(pushStage(ctx, repo), new VirtualClock(), { commit, mode: 'release' }),
        'succeeded',
      );
      check(text.includes('was already released') && text.includes('removed'), `summary: ${text}`);
      check(ctx.clients.calls.count('PutImage') === 0, 'the re-run tagged again');
      check(
        (
          await tagsOf(
            ctx,
            repo,
            ARCHS.map((a) => candidateTag(commit, a)),
          )
        ).size === 0,
        'candidate tags left',
      );
      return 'stopped after amd64: PutImage only for arm64 + index; stopped before untagging: only the candidate tags go';
    },
  },
  {
    name: 'push: a release tag naming another image fails (immutable tags)',
    async run(ctx) {
      const repo = await newRepository(ctx, 'push-conflict');
      const commit = randomCommit();
      await pushCandidates(ctx, repo, commit);
      await putImage(ctx, repo, releasePlatformTag(commit, 'amd64'), platformManifest('someone-else'));
      const text = final(
        await runJob(pushStage(ctx, repo), new VirtualClock(), { commit, mode: 'release' }),
        'failed',
      );
      check(text.includes('already names') && text.includes('tags are immutable'), `message: ${text}`);
      check(!(await tagsOf(ctx, repo, [commit])).has(commit), 'an index was written');
      return 'fails naming both digests; no index is written';
    },
  },
  {
    name: 'push: a BuildKit index candidate releases its linux/<arch> image',
    async run(ctx) {
      const repo = await newRepository(ctx, 'push-buildkit');
      const commit = randomCommit();
      const platform = platformManifest(`${commit}-child`, 'application/vnd.oci.image.manifest.v1+json');
      const attestation = platformManifest(
        `${commit}-attestation`,
        'application/vnd.oci.image.manifest.v1+json',
      );
      await putImage(ctx, repo, undefined, platform);
      await putImage(ctx, repo, undefined, attestation);
      await putImage(ctx, repo, candidateTag(commit, 'amd64'), buildkitIndex(platform, 'amd64', attestation));
      final(
        await runJob(pushStage(ctx, repo, 'amd64'), new VirtualClock(), { commit, mode: 'release' }),
        'succeeded',
      );
      const found = await tagsOf(ctx, repo, [commit, releasePlatformTag(commit, 'amd64')]);
      check(
        found.get(releasePlatformTag(commit, 'amd64'))?.digest === platform.digest,
        'the platform tag does not name the child',
      );
      const entries = (JSON.parse(found.get(commit)!.manifest) as { manifests: { digest: string }[] })
        .manifests;
      check(
        entries.length === 1 && entries[0].digest === platform.digest,
        'the index does not list the child',
      );
      return 'the linux/amd64 entry (not the attestation) gets the release platform tag and the index entry';
    },
  },
  {
    name: 'deploy: first release updates the stack and writes the release log',
    async run(ctx) {
      const p = await newProject(ctx, 'first');
      const commit = randomCommit();
      const jobId = newJobId();
      ctx.clients.calls.reset();
      const run = await runJob(deployStage(ctx, p), new VirtualClock(), { commit, mode: 'release', jobId });
      const text = final(run, 'succeeded');
      const stack = await stackOf(ctx, p.stack);
      check(stack.status === 'UPDATE_COMPLETE', `stack ${stack.status}`);
      check(
        stack.params.ImageTag === commit && stack.params.RestartNonce === 'initial',
        `params ${JSON.stringify(stack.params)}`,
      );
      check(stack.params.BootstrapVersion === '21', `BootstrapVersion ${stack.params.BootstrapVersion}`);
      check(stack.roleArn === ROLE, `RoleARN ${stack.roleArn}`);
      const events =
        (await ctx.clients.cfn.send(new DescribeStackEventsCommand({ StackName: p.stack }))).StackEvents ??
        [];
      check(
        events.some(
          (e) =>
            e.ResourceStatus === 'UPDATE_IN_PROGRESS' && e.ClientRequestToken === `berth-release-${jobId}`,
        ),
        'no update with the job token',
      );
      const log = await releaseLog(ctx, p.logParameter);
      check(log.value === commit && log.versions === 2, `release log ${JSON.stringify(log)}`);
      check(ctx.clients.calls.count('UpdateStack') === 1, 'UpdateStack count');
      return `ImageTag=${short(commit)}, RestartNonce/BootstrapVersion kept, RoleARN and token set, release log v2: "${text}"`;
    },
  },
  {
    name: 'deploy: a rollout that completes after several polls',
    async run(ctx) {
      const p = await newProject(ctx, 'completes');
      const commit = randomCommit();
      await ctx.moto.send({
        cmd: 'stack-outcome',
        stack: p.stack,
        key: `ImageTag=${commit}`,
        kind: 'complete',
        polls: 4,
      });
      await ctx.moto.send({
        cmd: 'service-script',
        cluster: CLUSTER,
        service: p.service,
        steps: [
          { rolloutState: 'IN_PROGRESS', running: 0, deployments: 2 },
          { rolloutState: 'IN_PROGRESS', running: 1, deployments: 2 },
          { rolloutState: 'COMPLETED', running: 2, deployments: 1 },
        ],
      });
      const clock = new VirtualClock();
      const run = await runJob(deployStage(ctx, p), clock, { commit, mode: 'release' });
      final(run, 'succeeded');
      const waits = run.logs.filter((l) => l.message === 'Waiting for CloudFormation');
      check(waits.length >= 3, `${waits.length} progress lines`);
      check(
        waits[0].attributes.rolloutState === 'IN_PROGRESS' && waits[0].attributes.runningCount === 0,
        'progress line content',
      );
      return `${waits.length} polls logged the PRIMARY deployment (IN_PROGRESS 0/2 ...), then UPDATE_COMPLETE`;
    },
  },
  {
    name: 'deploy: a rollout that fails is rolled back and explained',
    async run(ctx) {
      const p = await newProject(ctx, 'fails');
      const good = randomCommit();
      await release(ctx, p, good);
      const bad = randomCommit();
      const reason =
        'Resource handler returned message: "Error occurred during operation \'ECS Deployment Circuit Breaker was triggered\'."';
      await ctx.moto.send({
        cmd: 'stack-outcome',
        stack: p.stack,
        key: `ImageTag=${bad}`,
        kind: 'rollback',
        polls: 2,
        reason,
      });
      const before = await releaseLog(ctx, p.logParameter);
      const text = final(
        await runJob(deployStage(ctx, p), new VirtualClock(), { commit: bad, mode: 'release' }),
        'failed',
      );
      check(
        text.includes(`First failure: Service (AWS::ECS::Service) UPDATE_FAILED: ${reason}`),
        `message: ${text}`,
      );
      check(text.includes(`the previous release (${short(good)}) keeps serving`), `message: ${text}`);
      check(text.includes('npx --no-install berth logs rehearsal'), 'no logs hint');
      const stack = await stackOf(ctx, p.stack);
      check(
        stack.status === 'UPDATE_ROLLBACK_COMPLETE' && stack.params.ImageTag === good,
        `stack ${stack.status} ${stack.params.ImageTag}`,
      );
      const after = await releaseLog(ctx, p.logParameter);
      check(after.value === good && after.versions === before.versions, 'the release log changed');
      return 'UPDATE_ROLLBACK_COMPLETE; message quotes the circuit breaker; ImageTag and release log keep the previous release';
    },
  },
  {
    name: 'deploy: a rollout that never settles fails at the deadline, one UpdateStack',
    async run(ctx) {
      const p = await newProject(ctx, 'hangs');
      const commit = randomCommit();
      await ctx.moto.send({ cmd: 'stack-outcome', stack: p.stack, key: `ImageTag=${commit}`, kind: 'hang' });
      ctx.clients.calls.reset();
      const clock = new VirtualClock();
      const run = await runJob(deployStage(ctx, p, { DEPLOY_TIMEOUT_SECONDS: '60' }), clock, {
        commit,
        mode: 'release',
        remainingMs: 45_000,
      });
      const text = final(run, 'failed');
      check(
        text.startsWith('Deploy gave up after 60 s waiting for CloudFormation to update stack'),
        `message: ${text}`,
      );
      check(text.includes('CloudFormation goes on with the update'), 'no advice');
      check(run.invocations >= 3, `${run.invocations} invocations`);
      check(
        ctx.clients.calls.count('UpdateStack') === 1,
        `UpdateStack calls: ${ctx.clients.calls.count('UpdateStack')}`,
      );
      return `${run.invocations} invocations over 60 s (virtual), exactly 1 UpdateStack, then a bounded failure`;
    },
  },
  {
    name: 'deploy: a re-run of a live release is a no-op',
    async run(ctx) {
      const p = await newProject(ctx, 'rerun');
      const commit = randomCommit();
      await release(ctx, p, commit);
      const before = await releaseLog(ctx, p.logParameter);
      ctx.clients.calls.reset();
      const text = final(
        await runJob(deployStage(ctx, p), new VirtualClock(), { commit, mode: 'release' }),
        'succeeded',
      );
      check(text.includes('is already live'), `summary: ${text}`);
      check(
        ctx.clients.calls.count('UpdateStack') === 0 && ctx.clients.calls.count('PutParameter') === 0,
        'the re-run wrote',
      );
      check((await releaseLog(ctx, p.logParameter)).versions === before.versions, 'release log rewritten');
      return '"already live"; no UpdateStack, release log not rewritten';
    },
  },
  {
    name: 'deploy: a Lambda retry of a started job never updates twice',
    async run(ctx) {
      const p = await newProject(ctx, 'retry');
      const commit = randomCommit();
      await ctx.moto.send({
        cmd: 'stack-outcome',
        stack: p.stack,
        key: `ImageTag=${commit}`,
        kind: 'complete',
        polls: 12,
      });
      const jobId = newJobId();
      const clock = new VirtualClock();
      // The first invocation starts the update and hands over; its result is then "lost" and Lambda retries it.
      const first = await runJob(deployStage(ctx, p), clock, {
        commit,
        mode: 'release',
        jobId,
        remainingMs: 40_000,
        maxInvocations: 1,
      });
      check(first.final.outcome === 'continued', `first invocation ${first.final.outcome}`);
      ctx.clients.calls.reset();
      const retry = await runJob(deployStage(ctx, p), clock, { commit, mode: 'release', jobId });
      final(retry, 'succeeded');
      check(ctx.clients.calls.count('UpdateStack') === 0, 'the retry called UpdateStack');
      check(
        retry.logs.some((l) => l.message === 'An earlier invocation of this job already started the update'),
        'token not found',
      );
      return 'the retry finds its ClientRequestToken in the stack events and only watches (0 UpdateStack)';
    },
  },
  {
    name: 'deploy: a busy stack (cdk deploy) is waited for, then updated',
    async run(ctx) {
      const p = await newProject(ctx, 'busy');
      await ctx.moto.send({ cmd: 'stack-busy', stack: p.stack, polls: 3 });
      const commit = randomCommit();
      ctx.clients.calls.reset();
      const run = await runJob(deployStage(ctx, p), new VirtualClock(), { commit, mode: 'release' });
      final(run, 'succeeded');
      check(
        run.logs.some((l) => l.message === 'The stack is busy with another operation: waiting for it'),
        'no busy wait',
      );
      check(ctx.clients.calls.count('UpdateStack') === 1, 'UpdateStack count');
      return 'UPDATE_IN_PROGRESS (another token) waited for, then one UpdateStack and UPDATE_COMPLETE';
    },
  },
  {
    name: 'deploy: a redeploy changes only RestartNonce',
    async run(ctx) {
      const p = await newProject(ctx, 'redeploy');
      const commit = randomCommit();
      await release(ctx, p, commit);
      const before = await releaseLog(ctx, p.logParameter);
      const executionId = '7e57e57e-0000-4000-8000-00000000abcd';
      final(
        await runJob(deployStage(ctx, p), new VirtualClock(), {
          commit: 'none',
          mode: 'redeploy',
          executionId,
        }),
        'succeeded',
      );
      const stack = await stackOf(ctx, p.stack);
      check(
        stack.params.RestartNonce === executionId && stack.params.ImageTag === commit,
        `params ${JSON.stringify(stack.params)}`,
      );
      check(
        (await releaseLog(ctx, p.logParameter)).versions === before.versions,
        'release log written by a redeploy',
      );
      return `RestartNonce=<execution id>, ImageTag still ${short(commit)}, release log untouched`;
    },
  },
  {
    name: 'deploy: a stack in UPDATE_ROLLBACK_FAILED is refused with the fix',
    async run(ctx) {
      const p = await newProject(ctx, 'stuck', false);
      await ctx.moto.send({ cmd: 'stack-status', stack: p.stack, status: 'UPDATE_ROLLBACK_FAILED' });
      const text = final(
        await runJob(deployStage(ctx, p), new VirtualClock(), { commit: randomCommit(), mode: 'release' }),
        'failed',
      );
      check(
        text.includes(
          `aws cloudformation continue-update-rollback --stack-name ${p.stack} --role-arn arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`,
        ),
        `message: ${text}`,
      );
      return 'names the continue-update-rollback command with the CDK cfn-exec role';
    },
  },
  {
    name: 'verify: a rollout that completes',
    async run(ctx) {
      const p = await newProject(ctx, 'verify-ok');
      await ctx.moto.send({
        cmd: 'service-script',
        cluster: CLUSTER,
        service: p.service,
        steps: [
          { rolloutState: 'IN_PROGRESS', running: 0, deployments: 2 },
          { rolloutState: 'COMPLETED', running: 2, deployments: 2 },
          { rolloutState: 'COMPLETED', running: 2, deployments: 1 },
        ],
      });
      const clock = new VirtualClock();
      const text = final(
        await runJob(verifyStage(ctx, p.service), clock, { commit: randomCommit(), mode: 'release' }),
        'succeeded',
      );
      check(text.includes('2 of 2 tasks running, rolloutState COMPLETED, 1 deployment'), `summary: ${text}`);
      return `settled after ${clock.slept / 1000} s (virtual): COMPLETED, one deployment, 2 of 2 running`;
    },
  },
  {
    name: 'verify: a rollout that fails',
    async run(ctx) {
      const p = await newProject(ctx, 'verify-fail');
      await ctx.moto.send({
        cmd: 'service-script',
        cluster: CLUSTER,
        service: p.service,
        steps: [
          { rolloutState: 'IN_PROGRESS', running: 0 },
          {
            rolloutState: 'FAILED',
            rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
            running: 0,
            events: [
              '(service x) has started 1 tasks.',
              '(service x) task stopped: Essential container in task exited',
            ],
          },
        ],
      });
      const text = final(
        await runJob(verifyStage(ctx, p.service), new VirtualClock(), {
          commit: randomCommit(),
          mode: 'release',
        }),
        'failed',
      );
      check(
        text.includes('FAILED: ECS deployment circuit breaker: tasks failed to start.'),
        `message: ${text}`,
      );
      check(text.includes('Essential container in task exited'), 'no service events');
      return 'fails with the rolloutStateReason and the latest service events';
    },
  },
  {
    name: 'verify: a rollout that never settles fails at the deadline',
    async run(ctx) {
      const p = await newProject(ctx, 'verify-stuck');
      await ctx.moto.send({
        cmd: 'service-script',
        cluster: CLUSTER,
        service: p.service,
        steps: [{ rolloutState: 'IN_PROGRESS', running: 1 }],
      });
      const clock = new VirtualClock();
      const run = await runJob(verifyStage(ctx, p.service, { VERIFY_TIMEOUT_SECONDS: '30' }), clock, {
        commit: randomCommit(),
        mode: 'release',
        remainingMs: 40_000,
      });
      const text = final(run, 'failed');
      check(
        text.startsWith('Verify gave up after 30 s waiting for ECS to settle service'),
        `message: ${text}`,
      );
      return `${run.invocations} invocations, then "gave up after 30 s" with the rollout state`;
    },
  },
  {
    name: 'verify: the health URL answers 503, then 200',
    async run(ctx) {
      const p = await newProject(ctx, 'verify-health');
      await ctx.moto.send({
        cmd: 'service-script',
        cluster: CLUSTER,
        service: p.service,
        steps: [{ rolloutState: 'COMPLETED', running: 2 }],
      });
      let requests = 0;
      const server = createServer((_req, res) => {
        requests += 1;
        res
          .writeHead(requests < 3 ? 503 : 200, { 'content-type': 'text/plain' })
          .end(requests < 3 ? 'starting' : 'ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
        const text = final(
          await runJob(verifyStage(ctx, p.service, { HEALTH_URL: url }), new VirtualClock(), {
            commit: randomCommit(),
            mode: 'release',
          }),
          'succeeded',
        );
        check(requests === 3 && text.endsWith('answered HTTP 200'), `${requests} requests, summary: ${text}`);
      } finally {
        server.close();
      }
      return '3 GETs (503, 503, 200), then success';
    },
  },
];
