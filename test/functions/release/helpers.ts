import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { codePipelineReporter } from '../../../src/functions/release/job';
import {
  createReleaseHandler,
  type ReleaseHandler,
  type StageSetup,
} from '../../../src/functions/release/runner';
import type { Clock, Log, ReleaseStageName, StageOutcome } from '../../../src/functions/release/telemetry';

/** Shared fixtures of the release function tests: a job event, a fake clock, recorded logs and metrics. */

export const COMMIT = '3f5e2c1d9b8a7f6e5d4c3b2a19081726354a5b6c';
export const OTHER_COMMIT = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
export const EXECUTION_ID = '6f1d1f1e-3a52-4c39-9d0e-0c7f2f5c8a11';
export const JOB_ID = '11111111-2222-4333-8444-555555555555';
export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const PROJECT = 'cash-collection';
/** The artifact credentials every event carries: they must never reach a log line. */
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY';
export const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENvalue';

export interface JobEventOptions {
  readonly jobId?: string;
  readonly commit?: string;
  readonly mode?: string;
  readonly executionId?: string;
  /** Raw UserParameters, overriding the three above. */
  readonly userParameters?: string;
  readonly continuationToken?: string;
}

/** A CodePipeline "Lambda invoke" job event, artifact credentials included. */
export function jobEvent(options: JobEventOptions = {}) {
  const userParameters =
    options.userParameters ??
    JSON.stringify({
      commit: options.commit ?? COMMIT,
      mode: options.mode ?? 'release',
      executionId: options.executionId ?? EXECUTION_ID,
    });
  return {
    'CodePipeline.job': {
      id: options.jobId ?? JOB_ID,
      accountId: ACCOUNT,
      data: {
        actionConfiguration: {
          configuration: { FunctionName: 'berth-cash-collection-release', UserParameters: userParameters },
        },
        inputArtifacts: [],
        outputArtifacts: [],
        artifactCredentials: {
          accessKeyId: 'ASIAEXAMPLEACCESSKEY',
          secretAccessKey: SECRET_ACCESS_KEY,
          sessionToken: SESSION_TOKEN,
        },
        ...(options.continuationToken !== undefined ? { continuationToken: options.continuationToken } : {}),
      },
    },
  };
}

/** A clock whose sleeps advance time at once. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public time = Date.parse('2026-12-01T10:00:00Z')) {}
  now = () => this.time;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.time += ms;
  };
  advance(ms: number): void {
    this.time += ms;
  }
}

/** A Lambda context whose remaining time follows the fake clock. */
export function lambdaContext(clock: FakeClock, remainingMs = 15 * 60 * 1000) {
  const end = clock.now() + remainingMs;
  return { getRemainingTimeInMillis: () => end - clock.now() };
}

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

export function recordingLog(): Log & {
  lines: LogLine[];
  text(): string;
  messages(level?: string): string[];
} {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, ...attributes: Record<string, unknown>[]) =>
      lines.push({ level, message, attributes: Object.assign({}, ...attributes) as Record<string, unknown> });
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => JSON.stringify(lines),
    messages: (level) => lines.filter((l) => level === undefined || l.level === level).map((l) => l.message),
  };
}

export interface MetricRecord {
  readonly stage: ReleaseStageName;
  readonly project: string;
  readonly outcome: StageOutcome;
  readonly seconds: number;
}

export function recordingMetrics() {
  const records: MetricRecord[] = [];
  return {
    records,
    result: (stage: ReleaseStageName, project: string, outcome: StageOutcome, seconds: number) =>
      records.push({ stage, project, outcome, seconds }),
  };
}

/** A handler around `stage` with the real CodePipeline reporter (its client mocked), a fake clock and recorders. */
export function harness<S>(stage: StageSetup<S>, clock = new FakeClock()) {
  const log = recordingLog();
  const metrics = recordingMetrics();
  const handle: ReleaseHandler = createReleaseHandler(stage, {
    reporter: codePipelineReporter(new CodePipelineClient({ region: REGION })),
    logger: log,
    metrics,
    clock,
  });
  return { handle, log, metrics, clock };
}

/** What the mocked CodePipeline was told. */
export function reports(codePipeline: AwsClientStub<CodePipelineClient>) {
  return {
    successes: codePipeline.commandCalls(PutJobSuccessResultCommand).map((c) => c.args[0].input),
    failures: codePipeline.commandCalls(PutJobFailureResultCommand).map((c) => c.args[0].input),
  };
}

/** The single failure message reported (and no success). */
export function failureMessage(codePipeline: AwsClientStub<CodePipelineClient>): string {
  const r = reports(codePipeline);
  if (r.successes.length !== 0 || r.failures.length !== 1) {
    throw new Error(`expected one failure, got ${JSON.stringify(r)}`);
  }
  return r.failures[0].failureDetails?.message ?? '';
}

/** The single final success summary reported (no continuation token, no failure). */
export function successSummary(codePipeline: AwsClientStub<CodePipelineClient>): string {
  const r = reports(codePipeline);
  if (r.failures.length !== 0 || r.successes.length !== 1 || r.successes[0].continuationToken !== undefined) {
    throw new Error(`expected one final success, got ${JSON.stringify(r)}`);
  }
  return r.successes[0].executionDetails?.summary ?? '';
}

/** An AWS SDK-like service error. */
export function awsError(name: string, message = name, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, ...extra });
}
