import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { buildApp, configWith, template, seedApp } from '../support/app';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

describe('network stack (seed config)', () => {
  let t: Template;
  beforeAll(() => {
    t = template(seedApp().network);
  });

  it('creates the VPC with the configured CIDR and DNS support', () => {
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.hasResourceProperties('AWS::EC2::VPC', {
      CidrBlock: '10.0.0.0/16',
      EnableDnsHostnames: true,
      EnableDnsSupport: true,
    });
  });

  it.each([
    ['10.0.1.0/24', 'use1-az1', true],
    ['10.0.2.0/24', 'use1-az2', true],
    ['10.0.10.0/24', 'use1-az1', false],
    ['10.0.11.0/24', 'use1-az2', false],
  ])(
    'given the seed zone IDs, when synthesized, then subnet %s is placed by zone ID %s (public: %s)',
    (cidr, zoneId, isPublic) => {
      t.hasResourceProperties('AWS::EC2::Subnet', {
        CidrBlock: cidr,
        AvailabilityZoneId: zoneId,
        AvailabilityZone: Match.absent(),
        MapPublicIpOnLaunch: false,
        Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: isPublic ? 'Public' : 'Private' }]),
      });
    },
  );

  it('given the seed config, when synthesized, then no template names a zone by name (Fn::GetAZs)', () => {
    expect(JSON.stringify(t.toJSON())).not.toContain('Fn::GetAZs');
  });

  it('has exactly four subnets, an internet gateway and one NAT gateway with an Elastic IP per AZ', () => {
    t.resourceCountIs('AWS::EC2::Subnet', 4);
    t.resourceCountIs('AWS::EC2::InternetGateway', 1);
    t.resourceCountIs('AWS::EC2::NatGateway', 2);
    t.resourceCountIs('AWS::EC2::EIP', 2);
  });

  it('puts each NAT gateway in a public subnet and routes each private subnet through the NAT of its own AZ', () => {
    const res = t.toJSON().Resources as Resources;
    const subnetCidr = (ref: unknown) => res[(ref as { Ref: string }).Ref].Properties.CidrBlock;
    const nats = t.findResources('AWS::EC2::NatGateway');
    const natSubnet = Object.fromEntries(
      Object.entries(nats).map(([id, n]) => [id, subnetCidr(n.Properties.SubnetId)]),
    );
    expect(Object.values(natSubnet).sort()).toEqual(['10.0.1.0/24', '10.0.2.0/24']);

    const routes = t.findResources('AWS::EC2::Route', { Properties: { NatGatewayId: Match.anyValue() } });
    const assoc = t.findResources('AWS::EC2::SubnetRouteTableAssociation');
    const routeTableSubnet = new Map<string, string>();
    for (const a of Object.values(assoc)) {
      routeTableSubnet.set(a.Properties.RouteTableId.Ref, subnetCidr(a.Properties.SubnetId) as string);
    }
    const privateToNat = Object.values(routes).map((r) => [
      routeTableSubnet.get(r.Properties.RouteTableId.Ref),
      natSubnet[r.Properties.NatGatewayId.Ref],
      r.Properties.DestinationCidrBlock,
    ]);
    expect(privateToNat.sort()).toEqual([
      ['10.0.10.0/24', '10.0.1.0/24', '0.0.0.0/0'],
      ['10.0.11.0/24', '10.0.2.0/24', '0.0.0.0/0'],
    ]);
  });

  it('routes public subnets to the internet gateway', () => {
    t.hasResourceProperties('AWS::EC2::Route', {
      DestinationCidrBlock: '0.0.0.0/0',
      GatewayId: { Ref: Match.stringLikeRegexp('InternetGateway|IGW') },
    });
  });

  it('logs all VPC traffic to a CloudWatch log group with the configured retention', () => {
    t.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('network stack (custom zone IDs)', () => {
  it('given availabilityZoneIds in berth.yaml, when synthesized, then every subnet is in one of them, AZ-a first', () => {
    const t = template(
      buildApp(
        configWith((raw) => {
          (raw.network as Record<string, unknown>).availabilityZoneIds = ['use1-az4', 'use1-az6'];
        }),
      ).network,
    );
    t.hasResourceProperties('AWS::EC2::Subnet', { CidrBlock: '10.0.1.0/24', AvailabilityZoneId: 'use1-az4' });
    t.hasResourceProperties('AWS::EC2::Subnet', {
      CidrBlock: '10.0.11.0/24',
      AvailabilityZoneId: 'use1-az6',
    });
  });
});

describe('network stack (custom CIDRs)', () => {
  it('uses exactly the CIDRs from the config', () => {
    const t = template(
      buildApp(
        configWith((raw) => {
          raw.network = {
            cidr: '172.20.0.0/16',
            publicSubnets: ['172.20.0.0/24', '172.20.1.0/24'],
            privateSubnets: ['172.20.100.0/23', '172.20.102.0/23'],
          };
        }),
      ).network,
    );
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '172.20.0.0/16' });
    for (const cidr of ['172.20.0.0/24', '172.20.1.0/24', '172.20.100.0/23', '172.20.102.0/23']) {
      t.hasResourceProperties('AWS::EC2::Subnet', { CidrBlock: cidr });
    }
  });
});
