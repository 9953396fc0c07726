import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** CloudWatch's limit on an alarm description. */
export const MAX_ALARM_DESCRIPTION = 1024;

export interface BerthAlarmProps {
  /** Physical name, `<prefix>-<where>-<what>` (see alarm-names.ts). */
  readonly alarmName: string;
  /** What the alarm means, in one sentence. */
  readonly meaning: string;
  /** The first thing to look at, concrete enough to act on. */
  readonly firstCheck: string;
  /** Where to tune it. @default - the platform defaults in src/monitoring/thresholds.ts */
  readonly tune?: string;
  /** Runbook section in docs/operations.md: the name without the `<prefix>-` / `<prefix>-<project>-` part. */
  readonly runbook: string;
  /**
   * The platform generation (src/monitoring/generation.ts), for an alarm whose dimensions name a resource of another
   * stack: a change of it changes the alarm's template, so the deploy re-resolves those dimensions.
   * @default - none (the alarm's dimensions are its own stack's or static names)
   */
  readonly generation?: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly evaluationPeriods: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** Chosen per alarm, never left to CloudWatch's default. */
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /** The platform alarm topic: notified on ALARM and on OK. */
  readonly topic: sns.ITopic;
  /**
   * Notify the topic. False for an alarm whose event is already announced by a better message (its description
   * says who announces it); it still has a state for the dashboard and `berth status`. @default true
   */
  readonly notify?: boolean;
}

/** The marker of the platform generation in a description (the alerts function leaves it out of chat messages). */
export const GENERATION_LABEL = 'Platform generation:';

/**
 * The description an operator reads in the e-mail: meaning, first check, how to tune, the platform generation when
 * the alarm watches another stack's resource, and the runbook entry (always last).
 */
export function alarmDescription(
  p: Pick<BerthAlarmProps, 'meaning' | 'firstCheck' | 'tune' | 'runbook' | 'generation'>,
): string {
  const tune = p.tune ?? 'the default in src/monitoring/thresholds.ts (not set per project)';
  const generation = p.generation === undefined ? '' : ` ${GENERATION_LABEL} ${p.generation}.`;
  return `${p.meaning} First check: ${p.firstCheck} Tune: ${tune}.${generation} Runbook: docs/operations.md#${p.runbook}`;
}

/**
 * One Berth alarm: a named alarm whose description says what it means and what to check first, with an explicit
 * missing-data policy, that notifies the alarm topic when it fires and when it clears (unless `notify` is false).
 */
export function berthAlarm(scope: Construct, id: string, props: BerthAlarmProps): cloudwatch.Alarm {
  const description = alarmDescription(props);
  if (!Token.isUnresolved(description) && description.length > MAX_ALARM_DESCRIPTION) {
    throw new Error(`alarm ${props.alarmName}: description is ${description.length} characters, over 1024`);
  }
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmName: props.alarmName,
    alarmDescription: description,
    metric: props.metric instanceof cloudwatch.Metric ? unlabeled(props.metric) : props.metric,
    threshold: props.threshold,
    comparisonOperator: props.comparisonOperator,
    evaluationPeriods: props.evaluationPeriods,
    datapointsToAlarm: props.datapointsToAlarm ?? props.evaluationPeriods,
    treatMissingData: props.treatMissingData,
  });
  if (props.notify ?? true) {
    const action = new actions.SnsAction(props.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  return alarm;
}

/**
 * The metric without its dashboard label: CloudWatch renders a labelled metric as a one-query metric-math alarm;
 * without the label the alarm is a plain metric alarm (Namespace, MetricName, Dimensions), as the console shows it.
 */
function unlabeled(m: cloudwatch.Metric): cloudwatch.Metric {
  if (m.label === undefined) return m;
  return new cloudwatch.Metric({
    namespace: m.namespace,
    metricName: m.metricName,
    dimensionsMap: m.dimensions as Record<string, string> | undefined,
    statistic: m.statistic,
    period: m.period,
    unit: m.unit,
    account: m.account,
    region: m.region,
  });
}
