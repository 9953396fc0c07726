import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';

/** The `detail-type` of the events this function receives. */
export const PIPELINE_EXECUTION_STATE_CHANGE = 'CodePipeline Pipeline Execution State Change';
export const CODEPIPELINE_EVENT_SOURCE = 'aws.codepipeline';

export const PIPELINE_EXECUTION_STATES = [
  'STARTED',
  'SUCCEEDED',
  'FAILED',
  'STOPPED',
  'STOPPING',
  'SUPERSEDED',
  'RESUMED',
  'CANCELED',
] as const;
export type PipelineExecutionState = (typeof PIPELINE_EXECUTION_STATES)[number];

export interface PipelineExecutionStateChangeDetail {
  readonly pipeline: string;
  readonly 'execution-id': string;
  readonly state: PipelineExecutionState | string;
  readonly version?: number;
  readonly [key: string]: unknown;
}

export type PipelineExecutionStateChangeEvent = EventBridgeEvent<
  typeof PIPELINE_EXECUTION_STATE_CHANGE,
  PipelineExecutionStateChangeDetail
>;

/** The parts of an event the function acts on. */
export interface PipelineExecutionChange {
  readonly pipeline: string;
  readonly executionId: string;
  readonly state: PipelineExecutionState;
  readonly region: string;
  readonly account: string;
  /** ISO 8601 time of the state change. */
  readonly time: string;
}

const eventSchema = z.object({
  source: z.literal(CODEPIPELINE_EVENT_SOURCE),
  'detail-type': z.literal(PIPELINE_EXECUTION_STATE_CHANGE),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/),
  account: z.string().regex(/^\d{12}$/),
  time: z.string().min(1),
  detail: z.object({
    pipeline: z.string().regex(/^[A-Za-z0-9.@_-]{1,100}$/),
    'execution-id': z.string().regex(/^[A-Za-z0-9-]{1,100}$/),
    state: z.enum(PIPELINE_EXECUTION_STATES),
  }),
});

export type ParseResult = { ok: true; change: PipelineExecutionChange } | { ok: false; reason: string };

/** Checks that the event is a pipeline execution state change this function understands. */
export function parsePipelineEvent(event: unknown): ParseResult {
  const r = eventSchema.safeParse(event);
  if (!r.success) {
    return {
      ok: false,
      reason: r.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; '),
    };
  }
  const e = r.data;
  return {
    ok: true,
    change: {
      pipeline: e.detail.pipeline,
      executionId: e.detail['execution-id'],
      state: e.detail.state,
      region: e.region,
      account: e.account,
      time: e.time,
    },
  };
}
