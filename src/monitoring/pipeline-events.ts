import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { pipelineArnByName, secretArnByName } from '../common/arns';
import { BerthFunction } from '../common/berth-function';
import { acknowledge } from '../nag';
import { METRICS_NAMESPACE, PIPELINE_EVENTS_ENV, type PipelineEventsProjectSettings } from '../contracts';

export interface PipelineEventsProps {
  /** Berth's pipelines by name; events of any other pipeline never reach the function. */
  readonly pipelines: Readonly<Record<string, PipelineEventsProjectSettings>>;
  /** Azure DevOps base URL for commit statuses. */
  readonly azureDevOpsUrl: string;
  /** The Azure DevOps REST api-version the server accepts. */
  readonly azureDevOpsApiVersion: string;
  /** The platform alarm topic failures are published to. */
  readonly topic: sns.ITopic;
  /** Physical function name. @default - generated */
  readonly functionName?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** Metric namespace of the function's Powertools metrics. */
export const PIPELINE_METRICS_NAMESPACE = METRICS_NAMESPACE;

/**
 * Reacts to execution state changes of Berth's pipelines: a failed execution becomes a readable message on the
 * alarm topic (project, stage, commit, link), and every start and end becomes a commit status in Azure DevOps.
 * Events the function cannot handle after retries land in an encrypted dead-letter queue.
 */
export class PipelineEvents extends Construct {
  readonly handler: BerthFunction;
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: PipelineEventsProps) {
    super(scope, id);
    const names = Object.keys(props.pipelines);
    const settings = Object.values(props.pipelines);

    this.handler = new BerthFunction(this, 'Handler', {
      handlerDir: 'pipeline-events',
      functionName: props.functionName,
      description: 'Berth pipeline events: failure notifications and Azure DevOps commit statuses',
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      environment: {
        [PIPELINE_EVENTS_ENV.pipelines]: JSON.stringify(props.pipelines),
        [PIPELINE_EVENTS_ENV.azureDevOpsUrl]: props.azureDevOpsUrl.replace(/\/+$/, ''),
        [PIPELINE_EVENTS_ENV.azureDevOpsApiVersion]: props.azureDevOpsApiVersion,
        [PIPELINE_EVENTS_ENV.topicArn]: props.topic.topicArn,
        POWERTOOLS_SERVICE_NAME: props.functionName ?? 'berth-pipeline-events',
        POWERTOOLS_METRICS_NAMESPACE: PIPELINE_METRICS_NAMESPACE,
      },
    });
    const role = this.handler.role;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadBerthPipelineExecutions',
        actions: ['codepipeline:GetPipelineExecution', 'codepipeline:ListActionExecutions'],
        resources: names.map((n) => pipelineArnByName(this, n)),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadProjectPatsAndRepositoryIds',
        actions: ['secretsmanager:GetSecretValue'],
        // The PAT posts statuses; the webhook secret holds the repository GUID `berth connect` stored.
        resources: settings.flatMap((p) => [
          secretArnByName(this, p.patSecretId),
          secretArnByName(this, p.webhookSecretId),
        ]),
      }),
    );
    props.topic.grantPublish(role);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the EventBridge rule target below.',
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5',
      'kms:GenerateDataKey* is what SNS needs to publish to the topic encrypted with the platform key; it is limited to that key.',
      ['Action::kms:GenerateDataKey*'],
    );

    // EventBridge invokes Lambda asynchronously: the target's queue gets events EventBridge could not deliver,
    // and the function's own failure destination gets events the function failed on after Lambda's retries.
    this.handler.function.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(2),
    });

    this.rule = new events.Rule(this, 'Rule', {
      description: 'Execution state changes of Berth pipelines',
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Pipeline Execution State Change'],
        detail: { pipeline: names },
      },
      targets: [
        new targets.LambdaFunction(this.handler.function, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
  }
}
