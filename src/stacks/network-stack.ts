import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Network } from '../network/network';
import type { ParsedConfig } from '../config/schema';
import { retentionDays } from './retention';

export interface NetworkStackProps extends StackProps {
  readonly config: ParsedConfig;
}

/** Deploys the VPC. Kept apart from the platform so the network outlives changes to everything above it. */
export class NetworkStack extends Stack {
  readonly network: Network;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const n = props.config.network;
    this.network = new Network(this, 'Network', {
      cidr: n.cidr,
      availabilityZoneIds: n.availabilityZoneIds,
      publicSubnets: [n.publicSubnets[0], n.publicSubnets[1]],
      privateSubnets: [n.privateSubnets[0], n.privateSubnets[1]],
      flowLogRetention: retentionDays(props.config.logRetentionDays),
    });
  }
}
