import type { Metrics } from '@aws-lambda-powertools/metrics';
import { PROJECT_DIMENSION, RELEASE_METRICS, STAGE_DIMENSION, type StageName } from '../../contracts';

/** The release stages that run as Lambda functions; the value of the `Stage` metric dimension. */
export type ReleaseStageName = Extract<StageName, 'Scan' | 'Push' | 'Deploy' | 'Verify'>;

/** The logging the release functions need; Powertools' Logger fits it. */
export interface Log {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

/**
 * A logger that adds `fields` to every line. Used per invocation instead of Powertools' `appendKeys`, which
 * would keep one invocation's keys in a warm container for the next.
 */
export function withFields(log: Log, fields: Record<string, unknown>): Log {
  const at =
    (level: keyof Log) =>
    (message: string, ...attributes: Record<string, unknown>[]) =>
      log[level](message, Object.assign({}, fields, ...attributes) as Record<string, unknown>);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export type StageOutcome = 'succeeded' | 'failed';

/** What a release stage reports once it has a result (never for a hand-over with a continuation token). */
export interface StageMetrics {
  result(stage: ReleaseStageName, project: string, outcome: StageOutcome, seconds: number): void;
}

/**
 * Emits `ReleaseStageSucceeded` or `ReleaseStageFailed` (Count 1) and `ReleaseStageSeconds` (Seconds), each
 * as its own EMF record with exactly the dimensions `service`, `Project` and `Stage`: a single-metric
 * instance is flushed by `addMetric`, so no dimension leaks from one record into another.
 */
export function powertoolsStageMetrics(metrics: Metrics): StageMetrics {
  const emit = (
    name: string,
    unit: 'Count' | 'Seconds',
    value: number,
    stage: ReleaseStageName,
    project: string,
  ) => {
    const single = metrics.singleMetric();
    single.addDimensions({ [PROJECT_DIMENSION]: project, [STAGE_DIMENSION]: stage });
    single.addMetric(name, unit, value);
  };
  return {
    result(stage, project, outcome, seconds) {
      const count = outcome === 'succeeded' ? RELEASE_METRICS.stageSucceeded : RELEASE_METRICS.stageFailed;
      emit(count, 'Count', 1, stage, project);
      emit(
        RELEASE_METRICS.stageSeconds,
        'Seconds',
        Math.max(0, Math.round(seconds * 1000) / 1000),
        stage,
        project,
      );
    },
  };
}

/** Wall clock and sleep, injected so that tests, the rehearsal and the bench never wait for real. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
