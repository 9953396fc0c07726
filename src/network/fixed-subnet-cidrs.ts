import type * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * An `IIpAddresses` that hands out exactly the configured subnet CIDRs, in AZ order per subnet group, instead
 * of letting the VPC carve its own. Overriding `CfnSubnet` afterwards would leave the construct's own
 * `ipv4CidrBlock` stale; this keeps both in agreement.
 */
export class FixedSubnetCidrs implements ec2.IIpAddresses {
  constructor(
    private readonly vpcCidr: string,
    /** Subnet group name -> CIDRs, first for the first AZ. */
    private readonly groups: Readonly<Record<string, readonly string[]>>,
  ) {}

  allocateVpcCidr(): ec2.VpcIpamOptions {
    return { cidrBlock: this.vpcCidr };
  }

  allocateSubnetsCidr(input: ec2.AllocateCidrRequest): ec2.SubnetIpamOptions {
    const used = new Map<string, number>();
    const allocatedSubnets = input.requestedSubnets.map((request) => {
      const group = request.configuration.name;
      const cidrs = this.groups[group];
      const index = used.get(group) ?? 0;
      used.set(group, index + 1);
      const cidr = cidrs?.[index];
      if (!cidr) {
        throw new Error(
          `No CIDR configured for subnet ${index + 1} of group "${group}" (have ${cidrs?.length ?? 0})`,
        );
      }
      return { cidr };
    });
    return { allocatedSubnets };
  }
}
