import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { pipelineArnByName, secretArnByName } from '../common/arns';
import { BerthFunction } from '../common/berth-function';
import {
  METRICS_NAMESPACE,
  WEBHOOK_PROJECTS_ENV,
  WEBHOOK_STATE_TABLE_ENV,
  type WebhookProjects,
} from '../contracts';

export interface WebhookEndpointProps {
  readonly api: apigw.HttpApi;
  /** The stage whose route settings carry the webhooks' throttles. */
  readonly stage: apigw.HttpStage;
  /** What the function knows per project (project name -> pipeline, secret, repository, branch). */
  readonly projects: WebhookProjects;
  /** Physical function name. */
  readonly functionName: string;
  /** Name of the table that keeps the last push started per project and branch. */
  readonly stateTableName: string;
  /** Each project route's throttle: steady requests per second. */
  readonly rateLimit: number;
  /** Each project route's throttle: burst. */
  readonly burstLimit: number;
  readonly logRetention: logs.RetentionDays;
}

/** The catch-all route: names that are no project get the same 401 as wrong credentials. */
export const WEBHOOK_CATCH_ALL_ROUTE_KEY = 'POST /webhook/{service}';

/** The route key of a project's webhook; also the key of its throttle in the stage's route settings. */
export function webhookRouteKey(project: string): string {
  return `POST /webhook/${project}`;
}

/**
 * `POST /webhook/<project>`: Azure DevOps service hooks call it; the function authenticates the call, checks
 * event, repository and branch, and starts that project's pipeline at the pushed commit.
 *
 * Each project has its own route with its own throttle (HTTP API route settings), so a flood at one project's
 * webhook is throttled there and cannot use up another project's budget; a catch-all route answers every other
 * name exactly as a wrong password is answered (401), so callers cannot tell which project names exist. The
 * function may start only Berth's pipelines, read only the webhook secrets, and write only its state table.
 */
export class WebhookEndpoint extends Construct {
  readonly handler: BerthFunction;
  readonly routes: ReadonlyMap<string, apigw.HttpRoute>;
  readonly catchAll: apigw.HttpRoute;
  readonly stateTable: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: WebhookEndpointProps) {
    super(scope, id);
    const projects = Object.values(props.projects);

    this.stateTable = new dynamodb.TableV2(this, 'State', {
      tableName: props.stateTableName,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.handler = new BerthFunction(this, 'Handler', {
      handlerDir: 'webhook',
      functionName: props.functionName,
      description: 'Berth webhook: Azure DevOps push -> StartPipelineExecution',
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      environment: {
        [WEBHOOK_PROJECTS_ENV]: JSON.stringify(props.projects),
        [WEBHOOK_STATE_TABLE_ENV]: this.stateTable.tableName,
        POWERTOOLS_SERVICE_NAME: props.functionName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    const role = this.handler.role;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'StartBerthPipelines',
        actions: ['codepipeline:StartPipelineExecution'],
        resources: projects.map((p) => pipelineArnByName(this, p.pipelineName)),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWebhookCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        // Secrets Manager appends six random characters to a secret's name in its ARN.
        resources: projects.map((p) => secretArnByName(this, p.secretId)),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'KeepPushOrder',
        actions: ['dynamodb:UpdateItem'],
        resources: [this.stateTable.tableArn],
      }),
    );

    const integration = new HttpLambdaIntegration('Webhook', this.handler.function, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    const routes = new Map<string, apigw.HttpRoute>();
    const settings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const project of Object.keys(props.projects)) {
      const [route] = props.api.addRoutes({
        path: `/webhook/${project}`,
        methods: [apigw.HttpMethod.POST],
        integration,
      });
      routes.set(project, route);
      settings[webhookRouteKey(project)] = {
        ThrottlingRateLimit: props.rateLimit,
        ThrottlingBurstLimit: props.burstLimit,
      };
    }
    [this.catchAll] = props.api.addRoutes({
      path: '/webhook/{service}',
      methods: [apigw.HttpMethod.POST],
      integration,
    });
    // Unknown names share one small budget of their own.
    settings[WEBHOOK_CATCH_ALL_ROUTE_KEY] = { ThrottlingRateLimit: 1, ThrottlingBurstLimit: 5 };
    this.routes = routes;

    // API Gateway rejects route settings for a route that does not exist yet: create the routes first.
    props.stage.node.addDependency(this.catchAll, ...routes.values());
    (props.stage.node.defaultChild as apigw.CfnStage).addPropertyOverride('RouteSettings', settings);
  }
}
