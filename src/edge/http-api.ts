import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpAlbIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { acknowledge } from '../nag';
import { Construct } from 'constructs';

export interface ApiDomainProps {
  /** The custom domain, e.g. api.example.com. */
  readonly name: string;
  /** ARN of an ACM certificate for it, in the stack's region. */
  readonly certificateArn: string;
}

export interface HttpApiGatewayProps {
  /** The VPC whose private subnets hold the VPC link. */
  readonly vpc: ec2.IVpc;
  /** The internal ALB's listener that `/api/...` requests go to. */
  readonly listener: elbv2.IApplicationListener;
  /** Name of the API. @default - the construct path */
  readonly apiName?: string;
  /** Stage-wide steady-state requests per second. @default 500 */
  readonly rateLimit?: number;
  /** Stage-wide burst. @default 1000 */
  readonly burstLimit?: number;
  /** Custom domain with the TLS_1_2 policy; when set, the default execute-api endpoint is disabled. @default - none */
  readonly domain?: ApiDomainProps;
  /** Retention of the JSON access log. @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
}

/** Access log fields, one JSON object per request. */
const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
};

/**
 * The public front door: an HTTP API (HTTPS only; HTTP APIs accept TLS 1.2+) whose `$default` stage is
 * auto-deployed and throttled, logs every request as JSON, and sends `/api/{proxy+}` through a VPC link in the
 * private subnets to the internal ALB listener.
 */
export class HttpApiGateway extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly vpcLink: apigw.VpcLink;
  readonly vpcLinkSecurityGroup: ec2.SecurityGroup;
  readonly accessLogGroup: logs.LogGroup;
  readonly domainName?: apigw.DomainName;
  /** Base URL clients use, ending in `/`: the custom domain when set, else the execute-api endpoint. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: HttpApiGatewayProps) {
    super(scope, id);

    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: props.apiName,
      description: 'Berth: projects under /api/<project>, Azure DevOps webhooks under /webhook/<project>',
      createDefaultStage: false,
      disableExecuteApiEndpoint: props.domain !== undefined,
    });

    if (props.domain) {
      this.domainName = new apigw.DomainName(this, 'DomainName', {
        domainName: props.domain.name,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
        endpointType: apigw.EndpointType.REGIONAL,
      });
    }

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 500, burstLimit: props.burstLimit ?? 1000 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FORMAT)),
      },
      domainMapping: this.domainName ? { domainName: this.domainName } : undefined,
    });

    this.vpcLinkSecurityGroup = new ec2.SecurityGroup(this, 'VpcLinkSecurityGroup', {
      vpc: props.vpc,
      description: 'API Gateway VPC link and pipeline Verify builds: the only group the internal ALB admits',
      allowAllOutbound: false,
    });
    this.vpcLink = new apigw.VpcLink(this, 'VpcLink', {
      vpc: props.vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.vpcLinkSecurityGroup],
    });

    this.api.addRoutes({
      path: '/api/{proxy+}',
      methods: [apigw.HttpMethod.ANY],
      integration: new HttpAlbIntegration('Alb', props.listener, { vpcLink: this.vpcLink }),
    });

    this.url = this.domainName ? `https://${props.domain!.name}/` : `${this.api.apiEndpoint}/`;

    acknowledge(
      this.api,
      'AwsSolutions-APIG4',
      'The API is the front door of the hosted services, which authenticate their own callers; the webhook route authenticates Azure DevOps with Basic auth in its function.',
    );
  }
}
