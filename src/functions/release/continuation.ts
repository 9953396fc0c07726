import * as z from 'zod/mini';
import { CONTINUATION_TOKEN_MAX_LENGTH } from './job';
import type { ReleaseStageName } from './telemetry';

/**
 * The state a release stage hands from one invocation to the next through CodePipeline's continuation token:
 * compact JSON, well under CodePipeline's 2048 characters. It is written and read only by the same stage.
 */
export interface Continuation<S> {
  /** The stage that wrote it. */
  readonly stage: ReleaseStageName;
  /** When the first invocation of this action started (ms since the epoch): every deadline counts from it. */
  readonly startedAt: number;
  /** The job id of the first invocation (CodePipeline gives each re-invocation a new job id). */
  readonly firstJobId: string;
  /** Consecutive transient errors so far (the stage fails after a few in a row). */
  readonly errors: number;
  /** The stage's own state; null while it has none yet. */
  readonly state: S | null;
}

const envelope = z.object({
  v: z.literal(1),
  s: z.enum(['Scan', 'Push', 'Deploy', 'Verify']),
  t: z.number(),
  j: z.string().check(z.minLength(1), z.maxLength(200)),
  e: z.number(),
  d: z.unknown(),
});

export function encodeContinuation<S>(c: Continuation<S>): string {
  const token = JSON.stringify({
    v: 1,
    s: c.stage,
    t: c.startedAt,
    j: c.firstJobId,
    e: c.errors,
    d: c.state,
  });
  if (token.length > CONTINUATION_TOKEN_MAX_LENGTH) {
    throw new Error(
      `the ${c.stage} continuation state is ${token.length} characters, over CodePipeline's limit`,
    );
  }
  return token;
}

export type DecodeResult<S> =
  | { readonly ok: true; readonly continuation: Continuation<S> }
  | { readonly ok: false; readonly problem: string };

/** Reads a token written by {@link encodeContinuation} for `stage`, checking the state against `schema`. */
export function decodeContinuation<S>(
  token: string,
  stage: ReleaseStageName,
  schema: z.ZodMiniType<S>,
): DecodeResult<S> {
  let json: unknown;
  try {
    json = JSON.parse(token);
  } catch {
    return { ok: false, problem: 'the continuation token is not JSON' };
  }
  const parsed = envelope.safeParse(json);
  if (!parsed.success) return { ok: false, problem: 'the continuation token is not a Berth release state' };
  const e = parsed.data;
  if (e.s !== stage) {
    return { ok: false, problem: `the continuation token belongs to the ${e.s} stage, not ${stage}` };
  }
  let state: S | null = null;
  if (e.d !== null && e.d !== undefined) {
    const s = schema.safeParse(e.d);
    if (!s.success) return { ok: false, problem: `the continuation token holds no valid ${stage} state` };
    state = s.data;
  }
  return { ok: true, continuation: { stage, startedAt: e.t, firstJobId: e.j, errors: e.e, state } };
}
