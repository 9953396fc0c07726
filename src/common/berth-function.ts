import * as path from 'node:path';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

export interface BerthFunctionProps {
  /** Folder name under src/functions/ whose `index.ts` exports `handler`. */
  readonly handlerDir: string;
  /** Physical function name. @default - generated */
  readonly functionName?: string;
  readonly description: string;
  /** Environment variables (never secrets: functions read those from Secrets Manager). @default {} */
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** Cap on concurrent executions. @default - unreserved */
  readonly reservedConcurrentExecutions?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Run inside this VPC's private subnets, with these security groups. @default - outside any VPC */
  readonly vpc?: { readonly vpc: ec2.IVpc; readonly securityGroups: ec2.ISecurityGroup[] };
}

const FUNCTIONS_DIR = path.join(__dirname, '..', 'functions');

/**
 * Berth's Lambda conventions in one place: Node.js 22 on arm64, bundled and minified by esbuild (AWS SDK
 * included, so the code runs against the SDK version it was tested with), JSON logs into its own log group with
 * a retention, and a role that may write only that log group until the caller grants more.
 */
export class BerthFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BerthFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // The name Lambda would use itself, so `berth logs --stage` and the console find it.
      logGroupName: props.functionName ? `/aws/lambda/${props.functionName}` : undefined,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: its log group and what the platform grants, nothing else`,
    });
    this.logGroup.grantWrite(this.role);
    // A function in a VPC manages its network interfaces with its own role (Lambda Developer Guide, "Giving
    // Lambda functions access to resources in an Amazon VPC", execution role and user permissions).
    if (props.vpc) {
      this.role.addManagedPolicy(
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
      );
    }

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(FUNCTIONS_DIR, props.handlerDir, 'index.ts'),
      handler: 'handler',
      functionName: props.functionName,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: props.environment,
      ...(props.vpc
        ? {
            vpc: props.vpc.vpc,
            vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
            securityGroups: props.vpc.securityGroups,
          }
        : {}),
      bundling: {
        minify: true,
        sourceMap: false,
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        externalModules: [],
      },
    });
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'Pinned to Node.js 22, the runtime the handlers are built and tested for; moving runtime is a deliberate change.',
    );
  }
}
