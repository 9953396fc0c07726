import type { SNSEvent, SNSEventRecord, SNSMessageAttributes } from 'aws-lambda';
import { formatFailureNotification } from '../../../src/functions/pipeline-events/notification';
import { alarmDescription } from '../../../src/monitoring/berth-alarm';

/** Incoming-webhook URLs: secrets that must never appear in a log line, a metric or a result. */
export const SLACK_URL = 'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/xoxSecretToken1234567890ab';
export const TEAMS_URL =
  'https://prod-42.westeurope.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=TeamsSigSecret-0123456789abcdefghij';
export const LEGACY_TEAMS_URL =
  'https://contoso.webhook.office.com/webhookb2/1111-2222@3333-4444/IncomingWebhook/legacySecretPart5566/7777-8888';

/** The alarm's description as Berth writes it (meaning, first check, tune, platform generation, runbook). */
export const ALARM_DESCRIPTION = alarmDescription({
  meaning:
    'cash-collection answered more than 5 requests per minute with a 5xx in 2 of the last 3 minutes; during a deployment this rolls the service back.',
  firstCheck: "the service's logs (CloudWatch Logs group /berth/cash-collection/service) for errors.",
  tune: 'alarms.target5xxPerMinute of project cash-collection in berth.yaml',
  runbook: 'target-5xx',
  generation: '1a2b3c4d',
});

/** A CloudWatch alarm notification, as SNS delivers it to Lambda (the `Message` of a real one, fields as AWS sends them). */
export const ALARM_MESSAGE = {
  AlarmName: 'berth-cash-collection-target-5xx',
  AlarmDescription: ALARM_DESCRIPTION,
  AWSAccountId: '111122223333',
  AlarmConfigurationUpdatedTimestamp: '2025-06-01T09:12:44.118+0000',
  NewStateValue: 'ALARM',
  NewStateReason:
    'Threshold Crossed: 2 out of the last 3 datapoints [12.0 (01/06/25 10:04:00), 9.0 (01/06/25 10:03:00)] were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).',
  StateChangeTime: '2025-06-01T10:05:31.907+0000',
  Region: 'US East (N. Virginia)',
  AlarmArn: 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:berth-cash-collection-target-5xx',
  OldStateValue: 'OK',
  OKActions: ['arn:aws:sns:us-east-1:111122223333:berth-alarms'],
  AlarmActions: ['arn:aws:sns:us-east-1:111122223333:berth-alarms'],
  InsufficientDataActions: [],
  Trigger: {
    MetricName: 'HTTPCode_Target_5XX_Count',
    Namespace: 'AWS/ApplicationELB',
    StatisticType: 'Statistic',
    Statistic: 'SUM',
    Unit: null,
    Dimensions: [
      { value: 'app/berth-LoadB-1ABCDEF/0123456789abcdef', name: 'LoadBalancer' },
      { value: 'targetgroup/berth-cash-collection-a1b2c3/0123456789abcdef', name: 'TargetGroup' },
    ],
    Period: 60,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 2,
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: 5.0,
    TreatMissingData: 'notBreaching',
    EvaluateLowSampleCountPercentile: '',
  },
};
export const ALARM_SUBJECT = 'ALARM: "berth-cash-collection-target-5xx" in US East (N. Virginia)';

/** A failed release, formatted by the pipeline-events function itself. */
export const FAILURE = formatFailureNotification({
  project: 'cash-collection',
  branch: 'main',
  repository: { project: 'Finance', name: 'cash-collection' },
  change: {
    pipeline: 'berth-cash-collection',
    executionId: '3c1f0e2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
    state: 'FAILED',
    region: 'us-east-1',
    account: '111122223333',
    time: '2025-06-01T10:07:00Z',
  },
  lookup: {
    facts: { commit: '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213', mode: 'release' },
    failedAction: {
      stage: 'Build',
      action: 'Build-amd64',
      summary: 'npm ERR! Test failed. See above for more details.',
      url: 'https://us-east-1.console.aws.amazon.com/codesuite/codebuild/projects/berth-cash-collection-build-amd64/build/x',
    },
  },
});

export function record(
  message: string,
  subject?: string,
  attributes: SNSMessageAttributes = {},
  messageId = 'd2b8a6a4-0000-4000-8000-000000000001',
): SNSEventRecord {
  return {
    EventVersion: '1.0',
    EventSubscriptionArn: 'arn:aws:sns:us-east-1:111122223333:berth-alarms:sub',
    EventSource: 'aws:sns',
    Sns: {
      SignatureVersion: '1',
      Timestamp: '2025-06-01T10:05:32.000Z',
      Signature: 'sig',
      SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/cert.pem',
      MessageId: messageId,
      Message: message,
      MessageAttributes: attributes,
      Type: 'Notification',
      UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/unsubscribe',
      TopicArn: 'arn:aws:sns:us-east-1:111122223333:berth-alarms',
      ...(subject !== undefined ? { Subject: subject } : {}),
    },
  };
}

export const event = (...records: SNSEventRecord[]): SNSEvent => ({ Records: records });
