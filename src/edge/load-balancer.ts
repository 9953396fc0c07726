import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { acknowledge } from '../nag';
import { Construct } from 'constructs';

export interface InternalLoadBalancerProps {
  /** The VPC; the ALB lives in its private subnets. */
  readonly vpc: ec2.IVpc;
  /** Days the ALB access logs are kept. @default 90 */
  readonly accessLogDays?: number;
}

/** The JSON body of the listener's default answer, for paths no project claims. */
export const NOT_FOUND_BODY = JSON.stringify({ message: 'Not Found' });

/**
 * The shared internal ALB: private subnets only, one HTTP :80 listener whose default answer is a 404 with a JSON
 * body, access logs to an encrypted bucket. Projects add their own target group and path rule to `listener`.
 * Its security group starts closed: the edge admits the VPC link (and the pipelines' verify step) explicitly.
 */
export class InternalLoadBalancer extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly securityGroup: ec2.SecurityGroup;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: InternalLoadBalancerProps) {
    super(scope, id);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Internal ALB: HTTP 80 from the API VPC link only; out to the ECS hosts',
      allowAllOutbound: false,
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: this.securityGroup,
      dropInvalidHeaderFields: true,
      idleTimeout: Duration.seconds(60),
    });

    // ALB access logs only support SSE-S3 encryption.
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogDays ?? 90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.loadBalancer.logAccessLogs(this.accessLogBucket, 'alb');
    acknowledge(
      this.accessLogBucket,
      'AwsSolutions-S1',
      'This bucket receives the ALB access logs; logging its own access would only log the log delivery.',
    );

    this.listener = this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'application/json',
        messageBody: NOT_FOUND_BODY,
      }),
    });
  }
}
