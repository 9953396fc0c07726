import { createHash } from 'node:crypto';
import { sha256, type StoredManifest as Manifest } from '../../test/functions/release/fake-ecr';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type JobReporter } from '../../src/functions/release/job';
import {
  createReleaseHandler,
  type ReleaseResult,
  type StageSetup,
} from '../../src/functions/release/runner';
import type { Clock, Log, ReleaseStageName, StageOutcome } from '../../src/functions/release/telemetry';

/**
 * What the rehearsal and the bench run the release functions with: real AWS SDK clients (pointed at the
 * emulator by AWS_ENDPOINT_URL) that count their calls, a virtual clock (the stages' waits cost no real time),
 * a reporter that captures what would go to CodePipeline, and a loop that plays CodePipeline's re-invocations.
 */

/** API calls per command name, counted by a middleware on every client. */
export class CallCounter {
  readonly counts = new Map<string, number>();
  /** Wall time spent inside AWS calls, ms. */
  apiMs = 0;

  count(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  reset(): void {
    this.counts.clear();
    this.apiMs = 0;
  }

  instrument<C extends { middlewareStack: { add: (...args: never[]) => unknown } }>(client: C): C {
    const stack = client.middlewareStack as unknown as {
      add: (
        mw: (
          next: (args: unknown) => Promise<unknown>,
          context: { commandName?: string },
        ) => (args: unknown) => Promise<unknown>,
        options: { step: string; name: string },
      ) => void;
    };
    stack.add(
      (next, context) => async (args) => {
        const name = context.commandName?.replace(/Command$/, '') ?? 'Unknown';
        this.counts.set(name, this.count(name) + 1);
        const t = performance.now();
        try {
          return await next(args);
        } finally {
          this.apiMs += performance.now() - t;
        }
      },
      { step: 'initialize', name: 'berthCallCounter' },
    );
    return client;
  }
}

export interface Clients {
  readonly ecr: ECRClient;
  readonly cfn: CloudFormationClient;
  readonly ecs: ECSClient;
  readonly ssm: SSMClient;
  readonly calls: CallCounter;
}

/** Clients built from the environment (AWS_ENDPOINT_URL and dummy credentials must be set first). */
export function createClients(): Clients {
  const calls = new CallCounter();
  const config = { maxAttempts: 2, requestHandler: { connectionTimeout: 2000, requestTimeout: 10_000 } };
  return {
    ecr: calls.instrument(new ECRClient(config)),
    cfn: calls.instrument(new CloudFormationClient(config)),
    ecs: calls.instrument(new ECSClient(config)),
    ssm: calls.instrument(new SSMClient(config)),
    calls,
  };
}

/** Time that moves only when a stage sleeps (plus real time between, so timestamps stay ordered). */
export class VirtualClock implements Clock {
  private offset = 0;
  /** Virtual ms slept. */
  slept = 0;
  now = () => Date.now() + this.offset;
  sleep = async (ms: number) => {
    this.offset += ms;
    this.slept += ms;
    await new Promise((resolve) => setImmediate(resolve));
  };
  advance(ms: number): void {
    this.offset += ms;
  }
}

export interface Report {
  readonly jobId: string;
  readonly kind: 'success' | 'failure';
  readonly text: string;
  readonly continuationToken?: string;
}

export class CapturingReporter implements JobReporter {
  readonly reports: Report[] = [];
  async succeed(jobId: string, summary: string, continuationToken?: string) {
    this.reports.push({
      jobId,
      kind: 'success',
      text: summary,
      ...(continuationToken ? { continuationToken } : {}),
    });
  }
  async fail(jobId: string, message: string) {
    this.reports.push({ jobId, kind: 'failure', text: message });
  }
}

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

export function capturingLog(): Log & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, ...attributes: Record<string, unknown>[]) =>
      lines.push({ level, message, attributes: Object.assign({}, ...attributes) as Record<string, unknown> });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface JobRun {
  readonly final: ReleaseResult;
  readonly invocations: number;
  readonly reports: Report[];
  readonly logs: LogLine[];
  readonly metrics: { stage: ReleaseStageName; outcome: StageOutcome; seconds: number }[];
}

export interface JobOptions {
  readonly commit: string;
  readonly mode: string;
  readonly executionId?: string;
  readonly jobId?: string;
  /** The Lambda's remaining time at each invocation. */
  readonly remainingMs?: number;
  /** CodePipeline re-invocations played at most. */
  readonly maxInvocations?: number;
  /** Virtual delay before each re-invocation. */
  readonly reinvokeDelayMs?: number;
  /** A continuation token to start from (a Lambda retry of a re-invocation). */
  readonly continuationToken?: string;
}

export function jobEvent(o: {
  commit: string;
  mode: string;
  executionId: string;
  jobId: string;
  continuationToken?: string;
}) {
  return {
    'CodePipeline.job': {
      id: o.jobId,
      accountId: '123456789012',
      data: {
        actionConfiguration: {
          configuration: {
            FunctionName: 'berth-rehearsal',
            UserParameters: JSON.stringify({ commit: o.commit, mode: o.mode, executionId: o.executionId }),
          },
        },
        inputArtifacts: [],
        outputArtifacts: [],
        artifactCredentials: {
          accessKeyId: 'ASIAREHEARSAL',
          secretAccessKey: 'rehearsal-secret-never-logged',
          sessionToken: 't',
        },
        ...(o.continuationToken ? { continuationToken: o.continuationToken } : {}),
      },
    },
  };
}

let jobSeq = 0;
export const newJobId = () => `00000000-0000-4000-8000-${String(++jobSeq).padStart(12, '0')}`;

/**
 * Runs one CodePipeline action to its end: invokes the stage, and while it hands over with a continuation token,
 * invokes it again with a new job id (as CodePipeline does), at most `maxInvocations` times.
 */
export async function runJob<S>(stage: StageSetup<S>, clock: VirtualClock, o: JobOptions): Promise<JobRun> {
  const reporter = new CapturingReporter();
  const log = capturingLog();
  const metrics: JobRun['metrics'] = [];
  const handle = createReleaseHandler(stage, {
    reporter,
    logger: log,
    metrics: {
      result: (stageName, _project, outcome, seconds) => metrics.push({ stage: stageName, outcome, seconds }),
    },
    clock,
  });
  const executionId = o.executionId ?? '5c0ffee0-0000-4000-8000-000000000001';
  let token = o.continuationToken;
  let jobId = o.jobId ?? newJobId();
  const max = o.maxInvocations ?? 10;
  for (let i = 1; ; i++) {
    const end = clock.now() + (o.remainingMs ?? 15 * 60_000);
    const final = await handle(
      jobEvent({ commit: o.commit, mode: o.mode, executionId, jobId, continuationToken: token }),
      {
        getRemainingTimeInMillis: () => end - clock.now(),
      },
    );
    if (final.outcome !== 'continued' || i >= max) {
      return { final, invocations: i, reports: reporter.reports, logs: log.lines, metrics };
    }
    token = final.continuationToken;
    jobId = newJobId();
    clock.advance(o.reinvokeDelayMs ?? 1000);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Image fixtures
// ---------------------------------------------------------------------------------------------------------------

// The same single-platform manifests the unit tests and the benchmark use (one definition: the release tests' ECR
// fake). The rehearsal's index below differs from that fake's on purpose: the platform entry first and the
// attestation naming it, as BuildKit writes them.
export {
  platformManifest,
  sha256,
  type StoredManifest as Manifest,
} from '../../test/functions/release/fake-ecr';

export function buildkitIndex(platform: Manifest, arch: string, attestation: Manifest): Manifest {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: platform.mediaType,
        digest: platform.digest,
        size: Buffer.byteLength(platform.manifest),
        platform: { architecture: arch, os: 'linux' },
      },
      {
        mediaType: attestation.mediaType,
        digest: attestation.digest,
        size: Buffer.byteLength(attestation.manifest),
        annotations: {
          'vnd.docker.reference.type': 'attestation-manifest',
          'vnd.docker.reference.digest': platform.digest,
        },
        platform: { architecture: 'unknown', os: 'unknown' },
      },
    ],
  });
  return { manifest, mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha256(manifest) };
}

/** A random 40-hex commit id. */
export function randomCommit(): string {
  return createHash('sha1').update(`${Math.random()}-${process.hrtime.bigint()}`).digest('hex');
}
