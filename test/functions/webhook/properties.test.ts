import { StartPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiEvent, basicAuth, CREDENTIALS, fixture, harness, PROJECTS, type Harness } from './helpers';

/**
 * Property-based tests of the whole handler: arbitrary paths, headers and bodies never throw out of it, always
 * get one of the documented statuses, never start a pipeline without valid credentials, and never start one
 * for anything but the configured repository and branch.
 */

const STATUSES = [202, 400, 401, 404, 413, 503];
const SERVICES = Object.keys(PROJECTS);

let h: Harness;
beforeAll(() => {
  h = harness();
});
afterAll(() => h.restore());

const interesting = fc.constantFrom<unknown>(
  'refs/heads/main',
  'refs/heads/MAIN',
  'refs/heads/dev',
  'main',
  '0'.repeat(40),
  'eef717f69257a6333f221566c1c987dc94cc0d72',
  'git.push',
  'git.pullrequest.merged',
  'completed',
  'active',
  'Fabrikam',
  'Fabrikam-Fiber-Git',
  '278d5cd2-584d-4b63-824a-2ba458937249',
  '4bc14d40-c903-45e2-872e-0462c7748079',
  '00000000-0000-0000-0000-000000000000',
  13,
  14,
  15,
  [],
  {},
  null,
);

const PATHS = [
  'id',
  'eventType',
  'resource',
  'resource.refUpdates',
  'resource.refUpdates.0',
  'resource.refUpdates.0.name',
  'resource.refUpdates.0.newObjectId',
  'resource.repository',
  'resource.repository.id',
  'resource.repository.name',
  'resource.repository.project',
  'resource.repository.project.name',
  'resource.status',
  'resource.targetRefName',
  'resource.lastMergeCommit',
  'resource.lastMergeCommit.commitId',
  'resource.pushId',
  'subscriptionId',
];

/** A documented payload with some fields deleted or replaced by interesting or arbitrary JSON values. */
const mutatedPayload = fc
  .tuple(
    fc.constantFrom('git.push', 'git.pullrequest.merged'),
    fc.array(
      fc.tuple(
        fc.constantFrom(...PATHS),
        fc.option(fc.oneof(interesting, fc.jsonValue()), { nil: undefined }),
      ),
      { maxLength: 4 },
    ),
  )
  .map(([name, edits]) => {
    const body = fixture(name as 'git.push');
    for (const [path, value] of edits) {
      const keys = path.split('.');
      let node = body;
      for (const k of keys.slice(0, -1))
        node = node !== null && typeof node === 'object' ? node[k] : undefined;
      if (node === null || typeof node !== 'object') continue;
      const last = keys[keys.length - 1];
      if (value === undefined) delete node[last];
      else node[last] = structuredClone(value); // generated objects are shared between runs
    }
    return body;
  });

const body = fc.oneof(
  { weight: 4, arbitrary: mutatedPayload.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

type Auth =
  | { kind: 'none' }
  | { kind: 'raw'; value: string }
  | { kind: 'basic'; user: string; password: string }
  | { kind: 'valid'; of: string };

const auth: fc.Arbitrary<Auth> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.string().map((value) => ({ kind: 'raw' as const, value })),
  fc
    .tuple(fc.string(), fc.stringMatching(/^[A-Za-z0-9!#%&]{10,24}$/))
    .map(([user, password]) => ({ kind: 'basic' as const, user, password })),
  fc.constantFrom(...SERVICES).map((of) => ({ kind: 'valid' as const, of })),
);

function authHeader(a: Auth): string | undefined {
  switch (a.kind) {
    case 'none':
      return undefined;
    case 'raw':
      return a.value;
    case 'basic':
      return basicAuth(a.user, a.password);
    case 'valid': {
      const c = CREDENTIALS[PROJECTS[a.of].secretId];
      return basicAuth(c.username, c.password);
    }
  }
}

const request = fc.record({
  service: fc.oneof(fc.constantFrom(...SERVICES), fc.string()),
  useParam: fc.boolean(),
  rawPath: fc.option(fc.string(), { nil: undefined }),
  auth,
  headerName: fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION'),
  extraHeaders: fc.dictionary(fc.string({ minLength: 1 }), fc.string(), { maxKeys: 4 }),
  body,
  base64: fc.boolean(),
});

type Request = typeof request extends fc.Arbitrary<infer T> ? T : never;

function toEvent(r: Request): APIGatewayProxyEventV2 {
  const event = apiEvent({ service: r.service, authorization: null });
  const header = authHeader(r.auth);
  event.headers = { ...r.extraHeaders, ...(header === undefined ? {} : { [r.headerName]: header }) };
  if (!r.useParam) {
    event.pathParameters = undefined;
    event.rawPath = r.rawPath ?? `/webhook/${r.service}`;
  }
  event.body = r.body === undefined ? undefined : r.base64 ? Buffer.from(r.body).toString('base64') : r.body;
  event.isBase64Encoded = r.base64;
  return event;
}

/** The service the request is addressed to, as the handler must resolve it. */
function addressed(r: Request, event: APIGatewayProxyEventV2): string | undefined {
  if (r.useParam) return r.service === '' ? undefined : r.service;
  const m = /(?:^|\/)webhook\/([^/]+)\/?$/.exec(event.rawPath);
  try {
    return m ? decodeURIComponent(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function run(r: Request) {
  h.codePipeline.resetHistory();
  h.output.length = 0;
  const event = toEvent(r);
  const res = await h.handler(event);
  const starts = h.codePipeline.commandCalls(StartPipelineExecutionCommand).map((c) => c.args[0].input);
  return { event, res, starts };
}

describe('webhook handler properties', () => {
  it('never throws, and always answers one of the documented statuses with a JSON body', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const { res } = await run(r);
        expect(STATUSES).toContain(res.statusCode);
        expect(res.headers?.['Content-Type']).toBe('application/json');
        const json = JSON.parse(res.body ?? '');
        expect(typeof json.status).toBe('string');
        expect(res.statusCode === 202 ? json.status === 'started' || json.status === 'ignored' : true).toBe(
          true,
        );
        expect(res.statusCode === 401 ? res.headers?.['WWW-Authenticate'] : 'n/a').toBeTruthy();
      }),
      { numRuns: 400 },
    );
  });

  it('never starts a pipeline without the valid credentials of the addressed service', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const { event, res, starts } = await run(r);
        const service = addressed(r, event);
        const valid = r.auth.kind === 'valid' && r.auth.of === service;
        if (!valid) {
          expect(starts).toEqual([]);
          expect(JSON.parse(res.body ?? '').status).not.toBe('started');
        }
        expect(starts.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 400 },
    );
  });

  it('given valid credentials, when anything arrives, then the answer is never one that puts the subscription on probation except 400/413 for a malformed body', async () => {
    const validRequest = request.map((r) => ({
      ...r,
      useParam: true,
      auth: { kind: 'valid', of: r.service } as Auth,
    }));
    await fc.assert(
      fc.asyncProperty(
        validRequest.filter((r) => SERVICES.includes(r.service)),
        async (r) => {
          const { res } = await run(r);
          expect([202, 400, 413]).toContain(res.statusCode);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('starts only the configured repository and branch, pinned to a commit the payload names', async () => {
    let started = 0;
    const validRequest = request.map((r) => ({
      ...r,
      useParam: true,
      auth: { kind: 'valid', of: r.service } as Auth,
    }));
    await fc.assert(
      fc.asyncProperty(
        validRequest.filter((r) => SERVICES.includes(r.service)),
        async (r) => {
          const { res, starts } = await run(r);
          if (starts.length === 0) return;
          started++;
          const settings = PROJECTS[r.service];
          const payload = JSON.parse(r.body ?? 'null');
          expect(payload.eventType).toBe('git.push');
          expect(payload.subscriptionId).not.toBe('00000000-0000-0000-0000-000000000000');
          const repo = payload.resource.repository;
          const knownId = settings.repository.id ?? CREDENTIALS[settings.secretId].repositoryId;
          if (knownId !== undefined && typeof repo.id === 'string') {
            expect(repo.id.toLowerCase()).toBe(knownId.toLowerCase());
          } else {
            expect(repo.name.toLowerCase()).toBe(settings.repository.name.toLowerCase());
            expect(repo.project.name.toLowerCase()).toBe(settings.repository.project.toLowerCase());
          }
          const [start] = starts;
          const commit = start.variables?.find((v) => v.name === 'COMMIT_ID')?.value;
          expect(commit).toMatch(/^[0-9a-f]{40}$/);
          expect(commit).not.toBe('0'.repeat(40));
          expect(start.variables?.find((v) => v.name === 'RELEASE_MODE')?.value).toBe('release');
          const named = payload.resource.refUpdates.some(
            (u: { name: string; newObjectId: string }) =>
              u.name.toLowerCase() === 'refs/heads/main' && u.newObjectId.toLowerCase() === commit,
          );
          expect(named).toBe(true);
          expect(start.name).toBe(settings.pipelineName);
          expect(start.clientRequestToken).toMatch(/^[a-zA-Z0-9-]{1,128}$/);
          expect(JSON.parse(res.body ?? '')).toMatchObject({ status: 'started', commit });
        },
      ),
      { numRuns: 400 },
    );
    // The property is not vacuous: mutated documented payloads do start pipelines.
    expect(started).toBeGreaterThan(20);
  });

  it('never echoes the request credentials or the stored secret in the answer or the logs', async () => {
    const secrets = Object.values(CREDENTIALS).map((c) => c.password);
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        fc.pre(r.auth.kind !== 'basic' || !(r.body ?? '').includes(r.auth.password));
        const { res } = await run(r);
        const text = `${res.body}\n${h.output.join('\n')}`;
        for (const s of secrets) expect(text).not.toContain(s);
        if (r.auth.kind === 'basic' || r.auth.kind === 'valid') {
          expect(text).not.toContain(authHeader(r.auth)?.slice('Basic '.length));
        }
        if (r.auth.kind === 'basic') expect(text).not.toContain(r.auth.password);
      }),
      { numRuns: 300 },
    );
  });
});
