import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { DescribeServicesCommand, type Deployment, ECSClient, type Service } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { verifySettings } from '../../../src/functions/release/settings';
import { checkHealth, createVerifyStage } from '../../../src/functions/release/verify';
import {
  failureMessage,
  harness,
  jobEvent,
  lambdaContext,
  PROJECT,
  REGION,
  reports,
  successSummary,
} from './helpers';

const ecs = mockClient(ECSClient);
const codePipeline = mockClient(CodePipelineClient);
const ENV = {
  BERTH_PROJECT: PROJECT,
  AWS_REGION: REGION,
  CLUSTER_NAME: 'berth',
  SERVICE_NAME: 'cash-collection',
};
const HEALTH = 'http://internal-berth-alb.eu-west-1.elb.amazonaws.com/cash-collection/health';

function service(
  primary: Partial<Deployment>,
  extra: Partial<Service> = {},
  others: Deployment[] = [],
): Service {
  return {
    serviceName: 'cash-collection',
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    deployments: [
      {
        id: 'ecs-svc/2',
        status: 'PRIMARY',
        rolloutState: 'COMPLETED',
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        failedTasks: 0,
        ...primary,
      },
      ...others,
    ],
    events: [
      {
        id: 'e2',
        createdAt: new Date('2026-12-01T10:01:00Z'),
        message: '(service cash-collection) has reached a steady state.',
      },
      {
        id: 'e1',
        createdAt: new Date('2026-12-01T10:00:00Z'),
        message: '(service cash-collection) has started 2 tasks.',
      },
    ],
    ...extra,
  };
}

/** DescribeServices answers these, one per call; the last repeats. */
function serviceStates(...states: Service[]) {
  let i = 0;
  ecs
    .on(DescribeServicesCommand)
    .callsFake(() => ({ services: [states[Math.min(i++, states.length - 1)]], failures: [] }));
}

/** A fetch that answers these statuses, one per call; the last repeats. */
function health(...statuses: (number | Error)[]) {
  const urls: string[] = [];
  let i = 0;
  const fetchFn = (async (url: string | URL | Request) => {
    urls.push(String(url));
    const s = statuses[Math.min(i++, statuses.length - 1)];
    if (s instanceof Error) throw s;
    return new Response(s === 204 ? null : 'ok', { status: s });
  }) as typeof fetch;
  return { fetchFn, urls };
}

function world(env: Record<string, string> = {}, fetchFn: typeof fetch = health(200).fetchFn) {
  return harness(
    createVerifyStage(verifySettings({ ...ENV, ...env }), {
      ecs: new ECSClient({ region: REGION }),
      fetch: fetchFn,
    }),
  );
}

beforeEach(() => {
  ecs.reset();
  codePipeline.reset();
  codePipeline.on(PutJobSuccessResultCommand).resolves({});
  codePipeline.on(PutJobFailureResultCommand).resolves({});
});

describe('Verify of a worker (no health URL)', () => {
  it('given a completed deployment with all tasks running, when verified, then it succeeds at once', async () => {
    serviceStates(service({}));
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(successSummary(codePipeline)).toBe(
      'Service cash-collection is settled: 2 of 2 tasks running, rolloutState COMPLETED, 1 deployment',
    );
    expect(ecs.commandCalls(DescribeServicesCommand)[0].args[0].input).toEqual({
      cluster: 'berth',
      services: ['cash-collection'],
    });
  });

  it('given a rollout still in progress with two deployments, when it completes, then it succeeds after polling', async () => {
    serviceStates(
      service({ rolloutState: 'IN_PROGRESS', runningCount: 1 }, { runningCount: 2 }, [
        { id: 'ecs-svc/1', status: 'ACTIVE', runningCount: 1 },
      ]),
      service({}, {}, [{ id: 'ecs-svc/1', status: 'ACTIVE', runningCount: 0 }]),
      service({}, { runningCount: 1 }),
      service({}),
    );
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(w.clock.sleeps).toEqual([5000, 5000, 5000]);
    expect(successSummary(codePipeline)).toMatch(/^Service cash-collection is settled/);
    expect(
      w.log.lines
        .filter((l) => l.message === 'Waiting for ECS to settle the service')
        .map((l) => l.attributes.why),
    ).toEqual(['rolloutState IN_PROGRESS', '2 deployments still active', '1 of 2 tasks running']);
  });

  it('given a failed rollout, when verified, then the job fails with the reason and the latest service events', async () => {
    serviceStates(
      service(
        {
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
          runningCount: 0,
        },
        { runningCount: 0 },
      ),
    );
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toBe(
      [
        'ECS deployment ecs-svc/2 of service cash-collection FAILED: ECS deployment circuit breaker: tasks failed to start. (0 of 2 tasks running, rolloutState FAILED, 1 deployment).',
        'Latest service events:',
        '- 2026-12-01T10:01:00.000Z (service cash-collection) has reached a steady state.',
        '- 2026-12-01T10:00:00.000Z (service cash-collection) has started 2 tasks.',
        `The service's logs: npx --no-install berth logs ${PROJECT}`,
      ].join('\n'),
    );
  });

  it('given a service that never settles, when the invocation ends, then it hands over and fails at the deadline saying why', async () => {
    serviceStates(service({ rolloutState: 'IN_PROGRESS', runningCount: 0 }, { runningCount: 0 }));
    const w = world();

    const r1 = await w.handle(jobEvent(), lambdaContext(w.clock, 60_000));
    expect(r1.outcome).toBe('continued');
    const token = reports(codePipeline).successes[0].continuationToken!;
    codePipeline.resetHistory();
    w.clock.advance(300_000);

    await w.handle(jobEvent({ jobId: 'job-2', continuationToken: token }), lambdaContext(w.clock, 60_000));

    expect(failureMessage(codePipeline)).toBe(
      'Verify gave up after 300 s waiting for ECS to settle service cash-collection (rolloutState IN_PROGRESS; 0 of 2 tasks running, rolloutState IN_PROGRESS, 1 deployment). ' +
        `See the service's events in the ECS console and its logs: npx --no-install berth logs ${PROJECT}`,
    );
  });

  it('given a service scaled to 0, when verified, then it is not settled', async () => {
    serviceStates(service({ desiredCount: 0, runningCount: 0 }, { desiredCount: 0, runningCount: 0 }));
    const w = world({ VERIFY_TIMEOUT_SECONDS: '10' });

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toContain('desiredCount 0: the service runs no tasks');
  });

  it('given no such service, when verified, then the job fails at once', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [], failures: [{ arn: 'arn:x', reason: 'MISSING' }] });
    const w = world();

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toMatch(
      /^ECS has no active service cash-collection in cluster berth/,
    );
  });
});

describe('Verify of a web service (health URL)', () => {
  it('given a settled service answering 200, when verified, then it succeeds naming the answer', async () => {
    serviceStates(service({}));
    const h = health(200);
    const w = world({ HEALTH_URL: HEALTH }, h.fetchFn);

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(h.urls).toEqual([HEALTH]);
    expect(successSummary(codePipeline)).toBe(
      `Service cash-collection is settled (2 of 2 tasks running, rolloutState COMPLETED, 1 deployment) and ${HEALTH} answered HTTP 200`,
    );
  });

  it('given a health URL answering 503 then 204, when verified, then it polls until the 2xx', async () => {
    serviceStates(service({}));
    const h = health(503, new TypeError('fetch failed'), 204);
    const w = world({ HEALTH_URL: HEALTH }, h.fetchFn);

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(h.urls).toHaveLength(3);
    expect(successSummary(codePipeline)).toMatch(/answered HTTP 204$/);
  });

  it('given a health URL that keeps answering 500, when the deadline passes, then the message gives the last answer', async () => {
    serviceStates(service({}));
    const w = world({ HEALTH_URL: HEALTH, VERIFY_TIMEOUT_SECONDS: '20' }, health(500).fetchFn);

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(failureMessage(codePipeline)).toBe(
      `Verify gave up after 20 s waiting for ${HEALTH} to answer 2xx (last answer: HTTP 500; ECS: 2 of 2 tasks running, rolloutState COMPLETED, 1 deployment). ` +
        `The service's logs: npx --no-install berth logs ${PROJECT}`,
    );
  });

  it('given the service is not settled, when verified, then the health URL is not asked yet', async () => {
    serviceStates(service({ rolloutState: 'IN_PROGRESS' }), service({}));
    const h = health(200);
    const w = world({ HEALTH_URL: HEALTH }, h.fetchFn);

    await w.handle(jobEvent(), lambdaContext(w.clock));

    expect(h.urls).toHaveLength(1);
  });

  it('given a slow or redirecting health URL, when checked, then it is a timeout or a non-2xx answer', async () => {
    const slow = (async (_url: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)),
      )) as typeof fetch;
    expect(await checkHealth(slow, HEALTH, 10)).toEqual({ ok: false, said: 'no answer within 0.01 s' });
    const redirect = (async () =>
      new Response(null, { status: 302, headers: { location: '/login' } })) as typeof fetch;
    expect(await checkHealth(redirect, HEALTH)).toEqual({ ok: false, said: 'HTTP 302' });
  });
});
