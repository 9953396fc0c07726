import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { pipelineArnByName, secretArnByName } from '../common/arns';
import { BerthFunction } from '../common/berth-function';
import { WEBHOOK_METRICS_NAMESPACE } from '../functions/webhook/metrics';
import { WEBHOOK_PROJECTS_ENV, type WebhookProjects } from '../functions/webhook/settings';

export interface WebhookEndpointProps {
  readonly api: apigw.HttpApi;
  /** The stage whose route settings carry the webhook's own throttle. */
  readonly stage: apigw.HttpStage;
  /** What the function knows per project (service name -> pipeline, secret, repository, branch). */
  readonly projects: WebhookProjects;
  /** Physical function name. @default - generated */
  readonly functionName?: string;
  /** Route throttle, lower than the stage's. @default 10 rps, burst 20 */
  readonly rateLimit?: number;
  /** @default 20 */
  readonly burstLimit?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** The route key; also the key of its throttle in the stage's route settings. */
export const WEBHOOK_ROUTE_KEY = 'POST /webhook/{service}';

/**
 * `POST /webhook/{service}`: Azure DevOps service hooks call it; the function authenticates the call, checks
 * event, repository and branch, and starts that project's pipeline at the pushed commit. It may start only
 * Berth's pipelines and read only the webhook secrets, both named from the config.
 */
export class WebhookEndpoint extends Construct {
  readonly handler: BerthFunction;
  readonly route: apigw.HttpRoute;

  constructor(scope: Construct, id: string, props: WebhookEndpointProps) {
    super(scope, id);
    const projects = Object.values(props.projects);

    this.handler = new BerthFunction(this, 'Handler', {
      handlerDir: 'webhook',
      functionName: props.functionName,
      description: 'Berth webhook: Azure DevOps push -> StartPipelineExecution',
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      environment: {
        [WEBHOOK_PROJECTS_ENV]: JSON.stringify(props.projects),
        POWERTOOLS_SERVICE_NAME: props.functionName ?? 'berth-webhook',
        POWERTOOLS_METRICS_NAMESPACE: WEBHOOK_METRICS_NAMESPACE,
      },
    });
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'StartBerthPipelines',
        actions: ['codepipeline:StartPipelineExecution'],
        resources: projects.map((p) => pipelineArnByName(this, p.pipelineName)),
      }),
    );
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWebhookCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        // Secrets Manager appends six random characters to a secret's name in its ARN.
        resources: projects.map((p) => secretArnByName(this, p.secretId)),
      }),
    );

    [this.route] = props.api.addRoutes({
      path: '/webhook/{service}',
      methods: [apigw.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Webhook', this.handler.function, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      }),
    });

    // API Gateway rejects route settings for a route that does not exist yet: create the route first.
    props.stage.node.addDependency(this.route);
    (props.stage.node.defaultChild as apigw.CfnStage).addPropertyOverride(
      `RouteSettings.${WEBHOOK_ROUTE_KEY}`,
      {
        ThrottlingRateLimit: props.rateLimit ?? 10,
        ThrottlingBurstLimit: props.burstLimit ?? 20,
      },
    );
  }
}
