import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { decodeContinuation, encodeContinuation } from '../../../src/functions/release/continuation';
import { readJob } from '../../../src/functions/release/job';
import type { StageRun, StageSetup, StepResult } from '../../../src/functions/release/runner';
import {
  awsError,
  COMMIT,
  EXECUTION_ID,
  failureMessage,
  FakeClock,
  harness,
  JOB_ID,
  jobEvent,
  lambdaContext,
  PROJECT,
  reports,
  SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  successSummary,
} from './helpers';

const codePipeline = mockClient(CodePipelineClient);

const stateSchema = z.object({ polls: z.number() });
type State = z.infer<typeof stateSchema>;

/** A stage whose steps are scripted; it records what each step saw. */
function scripted(
  steps: ((run: StageRun<State>) => StepResult<State> | Promise<StepResult<State>>)[],
  timeoutSeconds = 600,
) {
  const seen: StageRun<State>[] = [];
  let i = 0;
  const stage: StageSetup<State> = {
    ok: true,
    stage: {
      name: 'Deploy',
      project: PROJECT,
      timeoutSeconds,
      pollMs: 5000,
      stateSchema,
      step: async (run) => {
        seen.push(run);
        const next = steps[Math.min(i, steps.length - 1)];
        i += 1;
        return next(run);
      },
    },
  };
  return { stage, seen };
}

const waiting = (run: StageRun<State>): StepResult<State> => ({
  kind: 'waiting',
  state: { polls: (run.state?.polls ?? 0) + 1 },
  waitingFor: 'the thing',
  onTimeout: 'Try later.',
});

beforeEach(() => {
  codePipeline.reset();
  codePipeline.on(PutJobSuccessResultCommand).resolves({});
  codePipeline.on(PutJobFailureResultCommand).resolves({});
});

describe('reading the job event', () => {
  it('given a job event, when read, then only the id, account, parameters and continuation token are kept', () => {
    const job = readJob(jobEvent({ continuationToken: 'tok' }));

    expect(job).toEqual({
      id: JOB_ID,
      accountId: '123456789012',
      userParameters: JSON.stringify({ commit: COMMIT, mode: 'release', executionId: EXECUTION_ID }),
      continuationToken: 'tok',
    });
    expect(JSON.stringify(job)).not.toContain(SECRET_ACCESS_KEY);
  });

  it('given something that is not a job event, when handled, then nothing is reported and it is ignored', async () => {
    const { stage } = scripted([() => ({ kind: 'succeeded', summary: 'x' })]);
    const h = harness(stage);

    const result = await h.handle({ hello: 'world' });

    expect(result).toEqual({ outcome: 'ignored', reason: 'not a CodePipeline job event' });
    expect(codePipeline.calls()).toHaveLength(0);
  });
});

describe('reporting results', () => {
  it('given a step that succeeds, when handled, then success is reported without a continuation token and counted', async () => {
    const { stage } = scripted([() => ({ kind: 'succeeded', summary: 'all good' })]);
    const h = harness(stage);

    const result = await h.handle(jobEvent(), lambdaContext(h.clock));

    expect(result).toEqual({ outcome: 'succeeded', summary: 'all good' });
    expect(reports(codePipeline).successes).toEqual([
      { jobId: JOB_ID, executionDetails: { summary: 'all good' } },
    ]);
    expect(h.metrics.records).toEqual([
      { stage: 'Deploy', project: PROJECT, outcome: 'succeeded', seconds: 0 },
    ]);
  });

  it('given a step that fails, when handled, then a JobFailed failure is reported with the message and counted', async () => {
    const { stage } = scripted([() => ({ kind: 'failed', message: 'it broke' })]);
    const h = harness(stage);

    await h.handle(jobEvent(), lambdaContext(h.clock));

    expect(reports(codePipeline).failures).toEqual([
      { jobId: JOB_ID, failureDetails: { type: 'JobFailed', message: 'it broke' } },
    ]);
    expect(h.metrics.records.map((r) => r.outcome)).toEqual(['failed']);
    expect(h.log.lines.some((l) => l.level === 'error' && l.attributes.reason === 'it broke')).toBe(true);
  });

  it('given texts over CodePipeline limits, when reported, then the summary is cut to 2048 and the message to 5000 characters', async () => {
    const long = 'x'.repeat(9000);
    const ok = harness(scripted([() => ({ kind: 'succeeded', summary: long })]).stage);
    await ok.handle(jobEvent(), lambdaContext(ok.clock));
    const bad = harness(scripted([() => ({ kind: 'failed', message: long })]).stage);
    await bad.handle(jobEvent(), lambdaContext(bad.clock));

    const r = reports(codePipeline);
    expect(r.successes[0].executionDetails?.summary).toHaveLength(2048);
    expect(r.failures[0].failureDetails?.message).toHaveLength(5000);
  });

  it('given CodePipeline refuses the report, when handled, then the handler throws so that Lambda retries', async () => {
    codePipeline.on(PutJobSuccessResultCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const h = harness(scripted([() => ({ kind: 'succeeded', summary: 'ok' })]).stage);

    await expect(h.handle(jobEvent(), lambdaContext(h.clock))).rejects.toThrow('Rate exceeded');
    expect(h.metrics.records).toEqual([]);
  });

  it('given the job was already reported (a retried invocation), when reporting again, then the handler does not throw', async () => {
    codePipeline.on(PutJobFailureResultCommand).rejects(awsError('InvalidJobStateException'));
    const h = harness(scripted([() => ({ kind: 'failed', message: 'no' })]).stage);

    const result = await h.handle(jobEvent(), lambdaContext(h.clock));

    expect(result.outcome).toBe('failed');
    expect(h.log.messages('warn').join()).toMatch(/no longer accepts a result/);
  });

  it('given the metrics cannot be emitted, when a result is reported, then the handler still returns', async () => {
    const { stage } = scripted([() => ({ kind: 'succeeded', summary: 'ok' })]);
    const h = harness(stage);
    h.metrics.result = () => {
      throw new Error('EMF broke');
    };

    await expect(h.handle(jobEvent(), lambdaContext(h.clock))).resolves.toMatchObject({
      outcome: 'succeeded',
    });
  });
});

describe('waiting, handing over and the deadline', () => {
  it('given a step that waits, when the invocation has time, then it polls in-process until the step succeeds', async () => {
    const { stage, seen } = scripted([waiting, waiting, () => ({ kind: 'succeeded', summary: 'done' })]);
    const h = harness(stage);

    await h.handle(jobEvent(), lambdaContext(h.clock));

    expect(successSummary(codePipeline)).toBe('done');
    expect(h.clock.sleeps).toEqual([5000, 5000]);
    expect(seen.map((r) => r.state)).toEqual([null, { polls: 1 }, { polls: 2 }]);
    expect(h.metrics.records).toEqual([
      { stage: 'Deploy', project: PROJECT, outcome: 'succeeded', seconds: 10 },
    ]);
  });

  it('given a step that keeps waiting, when the invocation nears its end, then it hands over with a continuation token 30 s before', async () => {
    const { stage } = scripted([waiting]);
    const h = harness(stage);
    const startedAt = h.clock.now();

    const result = await h.handle(jobEvent(), lambdaContext(h.clock, 60_000));

    // 60 s remaining - 30 s margin = 30 s of work: polls at 0, 5 ... 30 s, then a hand-over (no poll at 35 s).
    expect(h.clock.sleeps).toHaveLength(6);
    expect(result.outcome).toBe('continued');
    const [success] = reports(codePipeline).successes;
    expect(success.executionDetails?.summary).toBe('Waiting for the thing (30 s of at most 600 s)');
    expect(success.continuationToken!.length).toBeLessThanOrEqual(2048);
    const decoded = decodeContinuation(success.continuationToken!, 'Deploy', stateSchema);
    expect(decoded).toEqual({
      ok: true,
      continuation: { stage: 'Deploy', startedAt, firstJobId: JOB_ID, errors: 0, state: { polls: 7 } },
    });
    expect(reports(codePipeline).failures).toEqual([]);
    expect(h.metrics.records).toEqual([]);
  });

  it('given a continuation token, when re-invoked with a new job id, then the step resumes its state and keeps the first job id', async () => {
    const clock = new FakeClock();
    const token = encodeContinuation({
      stage: 'Deploy',
      startedAt: clock.now() - 100_000,
      firstJobId: 'first-job',
      errors: 0,
      state: { polls: 7 },
    });
    const { stage, seen } = scripted([() => ({ kind: 'succeeded', summary: 'ok' })]);
    const h = harness(stage, clock);

    await h.handle(jobEvent({ jobId: 'second-job', continuationToken: token }), lambdaContext(clock));

    expect(seen[0].state).toEqual({ polls: 7 });
    expect(seen[0].firstJobId).toBe('first-job');
    expect(seen[0].job.id).toBe('second-job');
    expect(reports(codePipeline).successes[0].jobId).toBe('second-job');
    expect(h.metrics.records[0].seconds).toBe(100);
  });

  it('given the deadline passed since the first invocation, when a re-invocation still waits, then the job fails saying what it waited for', async () => {
    const clock = new FakeClock();
    const token = encodeContinuation({
      stage: 'Deploy',
      startedAt: clock.now() - 601_000,
      firstJobId: 'first-job',
      errors: 0,
      state: { polls: 3 },
    });
    const h = harness(scripted([waiting]).stage, clock);

    await h.handle(jobEvent({ continuationToken: token }), lambdaContext(clock));

    expect(failureMessage(codePipeline)).toBe('Deploy gave up after 600 s waiting for the thing. Try later.');
    expect(h.metrics.records.map((r) => r.outcome)).toEqual(['failed']);
  });

  it('given a short timeout, when the step never finishes within one invocation, then the job fails at the deadline without a hand-over', async () => {
    const h = harness(scripted([waiting], 12).stage);

    await h.handle(jobEvent(), lambdaContext(h.clock));

    expect(failureMessage(codePipeline)).toMatch(/^Deploy gave up after 12 s waiting for the thing/);
    expect(h.clock.sleeps).toEqual([5000, 5000, 2000]);
  });

  it('given a token of another stage or garbage, when re-invoked, then the job fails saying the token is unreadable', async () => {
    const other = encodeContinuation({
      stage: 'Scan',
      startedAt: 1,
      firstJobId: 'j',
      errors: 0,
      state: null,
    });
    for (const token of [
      other,
      'not json',
      JSON.stringify({ v: 1, s: 'Deploy', t: 1, j: 'j', e: 0, d: { polls: 'x' } }),
    ]) {
      codePipeline.resetHistory();
      const h = harness(scripted([() => ({ kind: 'succeeded', summary: 'no' })]).stage);
      await h.handle(jobEvent({ continuationToken: token }), lambdaContext(h.clock));
      expect(failureMessage(codePipeline)).toMatch(/^Deploy cannot continue: the continuation token/);
    }
  });
});

describe('errors inside a step', () => {
  it('given transient AWS errors, when they clear, then the step is tried again at the next poll', async () => {
    const throttled = () => {
      throw awsError('Throttling', 'Rate exceeded');
    };
    const h = harness(scripted([throttled, throttled, () => ({ kind: 'succeeded', summary: 'ok' })]).stage);

    await h.handle(jobEvent(), lambdaContext(h.clock));

    expect(successSummary(codePipeline)).toBe('ok');
    expect(h.log.messages('warn')).toHaveLength(2);
  });

  it('given transient errors that persist, when five come in a row, then the job fails naming the error', async () => {
    const h = harness(
      scripted([
        () => {
          throw Object.assign(awsError('ServiceUnavailable', 'try later'), {
            $metadata: { httpStatusCode: 503 },
          });
        },
      ]).stage,
    );

    await h.handle(jobEvent(), lambdaContext(h.clock));

    expect(failureMessage(codePipeline)).toBe(
      'Deploy failed: ServiceUnavailable: try later (5 errors in a row)',
    );
  });

  it('given an access error, when a step throws it, then the job fails at once with the error', async () => {
    const h = harness(
      scripted([
        () => {
          throw awsError('AccessDeniedException', 'not authorized to perform ecr:StartImageScan');
        },
      ]).stage,
    );

    await h.handle(jobEvent(), lambdaContext(h.clock));

    expect(failureMessage(codePipeline)).toBe(
      'Deploy failed: AccessDeniedException: not authorized to perform ecr:StartImageScan',
    );
    expect(h.clock.sleeps).toEqual([]);
  });
});

describe('configuration and parameters', () => {
  it('given an invalid environment, when invoked, then the job fails naming the variable and the failure is counted', async () => {
    const h = harness<State>({
      ok: false,
      name: 'Scan',
      project: PROJECT,
      error: 'REPOSITORY_NAME is not set',
    });

    await h.handle(jobEvent(), lambdaContext(h.clock));

    expect(failureMessage(codePipeline)).toBe('Scan cannot run: REPOSITORY_NAME is not set');
    expect(h.metrics.records).toEqual([{ stage: 'Scan', project: PROJECT, outcome: 'failed', seconds: 0 }]);
  });

  it('given invalid UserParameters, when invoked, then the step never runs and the job fails with the problem', async () => {
    const { stage, seen } = scripted([() => ({ kind: 'succeeded', summary: 'no' })]);
    const h = harness(stage);

    await h.handle(jobEvent({ mode: 'yolo' }), lambdaContext(h.clock));

    expect(seen).toHaveLength(0);
    expect(failureMessage(codePipeline)).toBe(
      'Deploy cannot run: the pipeline variable RELEASE_MODE must be one of release, rollback, redeploy (got "yolo")',
    );
  });
});

describe('the event is never logged', () => {
  it('given any outcome, when handled, then no log line holds the artifact credentials', async () => {
    const outcomes: StepResult<State>[] = [
      { kind: 'succeeded', summary: 'ok' },
      { kind: 'failed', message: 'no' },
      { kind: 'waiting', state: { polls: 1 }, waitingFor: 'x' },
    ];
    for (const outcome of outcomes) {
      const h = harness(scripted([() => outcome]).stage);
      await h.handle(jobEvent(), lambdaContext(h.clock, 40_000));
      await h.handle(jobEvent({ mode: 'bad' }), lambdaContext(h.clock));
      expect(h.log.lines.length).toBeGreaterThan(0);
      expect(h.log.text()).not.toContain(SECRET_ACCESS_KEY);
      expect(h.log.text()).not.toContain(SESSION_TOKEN);
      expect(h.log.text()).not.toContain('artifactCredentials');
    }
  });
});
