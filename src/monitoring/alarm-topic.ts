import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** Topic name. @default - generated */
  readonly topicName?: string;
  /** E-mail addresses subscribed to every alarm and pipeline failure. @default [] */
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
 * non-TLS requests, and the configured e-mail subscriptions.
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
    for (const email of props.emails ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }
}
