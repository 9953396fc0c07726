import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FixedSubnetCidrs } from './fixed-subnet-cidrs';

export interface NetworkProps {
  /** The VPC's IPv4 block. */
  readonly cidr: string;
  /** The two Availability Zone IDs (`use1-az1`), AZ-a then AZ-b; every subnet is placed by ID, not by name. */
  readonly availabilityZoneIds: readonly [string, string];
  /** Public subnets, AZ-a then AZ-b; each gets a NAT gateway with an Elastic IP. */
  readonly publicSubnets: readonly [string, string];
  /** Private subnets, AZ-a then AZ-b; each routes out through the NAT of its own AZ. */
  readonly privateSubnets: readonly [string, string];
  /** Retention of the VPC flow log group. */
  readonly flowLogRetention: logs.RetentionDays;
}

/** Subnet group names; they appear in construct ids and so are part of the contract. */
export const PUBLIC_SUBNETS = 'Public';
export const PRIVATE_SUBNETS = 'Private';

/**
 * The seed's VPC: two AZs, a public and a private subnet in each, an internet gateway, one NAT gateway with an
 * Elastic IP per AZ (so losing an AZ never cuts the other's egress), and flow logs of all traffic.
 *
 * Subnets are placed with `AvailabilityZoneId`: zone names (`us-east-1a`) map to different physical zones in
 * different accounts, and HTTP API VPC links work only in some zone IDs (API Gateway Developer Guide, "Set up
 * VPC links for HTTP APIs", availability table; the config check refuses other IDs).
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: new FixedSubnetCidrs(props.cidr, {
        [PUBLIC_SUBNETS]: props.publicSubnets,
        [PRIVATE_SUBNETS]: props.privateSubnets,
      }),
      maxAzs: 2,
      natGateways: 2,
      subnetConfiguration: [
        // cidrMask is required by the construct but ignored: FixedSubnetCidrs decides.
        { name: PUBLIC_SUBNETS, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: PRIVATE_SUBNETS, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
    });
    for (const subnets of [this.vpc.publicSubnets, this.vpc.privateSubnets]) {
      subnets.forEach((subnet, i) => placeByZoneId(subnet, props.availabilityZoneIds[i]));
    }

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}

/** Replaces the subnet's zone name (`Fn::Select`/`Fn::GetAZs`) with the zone ID. */
function placeByZoneId(subnet: ec2.ISubnet, zoneId: string): void {
  const cfn = subnet.node.defaultChild as ec2.CfnSubnet;
  cfn.addPropertyDeletionOverride('AvailabilityZone');
  cfn.addPropertyOverride('AvailabilityZoneId', zoneId);
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
