import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { denyGrantsExceptForAwsServices } from '../common/kms';
import { ALERTS } from '../contracts';

export interface AlarmTopicProps {
  /** Topic name. @default - generated */
  readonly topicName?: string;
  /** Only alarms whose names start with this may publish. @default '' (any alarm of the account) */
  readonly alarmNamePrefix?: string;
  /**
   * E-mail addresses subscribed to every alarm and pipeline failure. A message addressed to one chat channel (SNS
   * attribute `ALERTS.channelAttribute`, set by `berth alerts test <channel>`) is filtered out. @default []
   */
  readonly emails?: readonly string[];
}

/** Services that publish to the topic and so must use its key. */
export const TOPIC_PUBLISHERS = [
  'cloudwatch.amazonaws.com',
  'events.amazonaws.com',
  'codestar-notifications.amazonaws.com',
] as const;

/**
 * The platform's one alert channel: an SNS topic encrypted with a customer-managed KMS key (rotated yearly) whose
 * policy lets CloudWatch alarms, EventBridge and CodeStar notifications use it, a topic policy that refuses
 * non-TLS requests, and the configured e-mail subscriptions. Chat channels subscribe through the alerts function
 * (src/monitoring/alerts.ts).
 */
export class AlarmTopic extends Construct {
  readonly key: kms.Key;
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Berth alarm topic encryption',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    denyGrantsExceptForAwsServices(this.key);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAlarmPublishersToUseTheKey',
        principals: TOPIC_PUBLISHERS.map((s) => new iam.ServicePrincipal(s)),
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: 'Berth alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy, and a topic policy replaces SNS's default one: so the services that
    // publish need their own statement, limited to this account (and, for CloudWatch, to Berth's alarms).
    const account = Stack.of(this).account;
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowBerthAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${props.alarmNamePrefix ?? ''}*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAccountEventsAndNotificationsToPublish',
        principals: [
          new iam.ServicePrincipal('events.amazonaws.com'),
          new iam.ServicePrincipal('codestar-notifications.amazonaws.com'),
        ],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    for (const email of props.emails ?? []) {
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(email, {
          // Every alarm, failure and approval message has no such attribute; only a test for one chat channel has.
          filterPolicy: { [ALERTS.channelAttribute]: sns.SubscriptionFilter.notExistsFilter() },
        }),
      );
    }
  }
}
