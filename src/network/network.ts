import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FixedSubnetCidrs } from './fixed-subnet-cidrs';

export interface NetworkProps {
  /** The VPC's IPv4 block. @default '10.0.0.0/16' */
  readonly cidr?: string;
  /** Public subnets, AZ-a then AZ-b; each gets a NAT gateway with an Elastic IP. @default 10.0.1.0/24, 10.0.2.0/24 */
  readonly publicSubnets?: readonly [string, string];
  /** Private subnets, AZ-a then AZ-b; each routes out through the NAT of its own AZ. @default 10.0.10.0/24, 10.0.11.0/24 */
  readonly privateSubnets?: readonly [string, string];
  /** Retention of the VPC flow log group. @default logs.RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: logs.RetentionDays;
}

/** Subnet group names; they appear in construct ids and so are part of the contract. */
export const PUBLIC_SUBNETS = 'Public';
export const PRIVATE_SUBNETS = 'Private';

/**
 * The seed's VPC: two AZs, a public and a private subnet in each, an internet gateway, one NAT gateway with an
 * Elastic IP per AZ (so losing an AZ never cuts the other's egress), and flow logs of all traffic.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    const cidr = props.cidr ?? '10.0.0.0/16';
    const publicSubnets = props.publicSubnets ?? ['10.0.1.0/24', '10.0.2.0/24'];
    const privateSubnets = props.privateSubnets ?? ['10.0.10.0/24', '10.0.11.0/24'];

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: new FixedSubnetCidrs(cidr, {
        [PUBLIC_SUBNETS]: publicSubnets,
        [PRIVATE_SUBNETS]: privateSubnets,
      }),
      maxAzs: 2,
      natGateways: 2,
      subnetConfiguration: [
        // cidrMask is required by the construct but ignored: FixedSubnetCidrs decides.
        { name: PUBLIC_SUBNETS, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: PRIVATE_SUBNETS, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }

  /** Ids of the NAT gateways, AZ-a then AZ-b (for the platform's NAT alarms). */
  get natGatewayIds(): string[] {
    return natGatewayIds(this.vpc);
  }
}

/**
 * Ids of the NAT gateways the VPC construct made in its public subnets, in subnet order (AZ-a, AZ-b). Empty for an
 * imported VPC, whose subnets have no such children.
 */
export function natGatewayIds(vpc: ec2.IVpc): string[] {
  return vpc.publicSubnets.flatMap((subnet) =>
    subnet.node.children
      .filter((c): c is ec2.CfnNatGateway => c instanceof ec2.CfnNatGateway)
      .map((g) => g.ref),
  );
}
