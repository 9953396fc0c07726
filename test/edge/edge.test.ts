import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { buildApp, configWith, template, seedApp } from '../support/app';

const logicalIdOf = (t: Template, type: string, props: Record<string, unknown> = {}) => {
  const ids = Object.keys(t.findResources(type, { Properties: props }));
  expect(ids).toHaveLength(1);
  return ids[0];
};

describe('edge: internal ALB and HTTP API (seed config)', () => {
  let t: Template;
  beforeAll(() => {
    t = template(seedApp().platform);
  });

  it('makes the ALB internal, in the two private subnets', () => {
    const alb = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0].Properties;
    expect(alb.Scheme).toBe('internal');
    expect(alb.Type).toBe('application');
    expect(JSON.stringify(alb.Subnets)).toMatch(/PrivateSubnet1.*PrivateSubnet2/);
  });

  it('listens on HTTP 80 and answers unknown paths with a JSON 404', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        {
          Type: 'fixed-response',
          FixedResponseConfig: {
            StatusCode: '404',
            ContentType: 'application/json',
            MessageBody: Match.stringLikeRegexp('^\\{.*\\}$'),
          },
        },
      ],
    });
    const body = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::Listener'))[0].Properties
      .DefaultActions[0].FixedResponseConfig.MessageBody;
    expect(JSON.parse(body)).toEqual({ message: 'Not Found' });
  });

  it('admits HTTP 80 into the ALB only from the VPC link security group', () => {
    const albSg = logicalIdOf(t, 'AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Internal ALB'),
    });
    const linkSg = logicalIdOf(t, 'AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^API Gateway VPC link'),
    });
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (r) => r.Properties.GroupId['Fn::GetAtt']?.[0] === albSg,
    );
    expect(ingress.map((r) => r.Properties)).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 80,
        ToPort: 80,
        SourceSecurityGroupId: { 'Fn::GetAtt': [linkSg, 'GroupId'] },
      }),
    ]);
    const sg = t.toJSON().Resources[albSg].Properties;
    expect(sg.SecurityGroupIngress ?? []).toEqual([]);
  });

  it("lets the VPC link group reach only the ALB on 80, plus HTTPS out for the pipelines' Verify builds", () => {
    const albSg = logicalIdOf(t, 'AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Internal ALB'),
    });
    const linkSg = logicalIdOf(t, 'AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^API Gateway VPC link'),
    });
    const inline = t.toJSON().Resources[linkSg].Properties.SecurityGroupEgress ?? [];
    const separate = Object.values(t.findResources('AWS::EC2::SecurityGroupEgress'))
      .map((r) => r.Properties)
      .filter((p) => p.GroupId['Fn::GetAtt']?.[0] === linkSg);
    const rules = [...inline, ...separate].map((r) => [
      r.FromPort,
      r.ToPort,
      r.CidrIp ?? r.DestinationSecurityGroupId,
    ]);
    expect(rules).toEqual(
      expect.arrayContaining([
        [80, 80, { 'Fn::GetAtt': [albSg, 'GroupId'] }],
        [443, 443, '0.0.0.0/0'],
      ]),
    );
    expect(rules).toHaveLength(2);
  });

  it('creates an HTTP API with an auto-deployed, throttled $default stage and JSON access logs', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      DisableExecuteApiEndpoint: false,
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
    const format = Object.values(t.findResources('AWS::ApiGatewayV2::Stage'))[0].Properties.AccessLogSettings
      .Format;
    expect(JSON.parse(format)).toMatchObject({ status: '$context.status', routeKey: '$context.routeKey' });
  });

  it('puts the VPC link in both private subnets, behind its own security group', () => {
    const link = Object.values(t.findResources('AWS::ApiGatewayV2::VpcLink'))[0].Properties;
    expect(link.SubnetIds).toHaveLength(2);
    expect(JSON.stringify(link.SubnetIds)).toMatch(/PrivateSubnet1.*PrivateSubnet2/);
    expect(link.SecurityGroupIds).toHaveLength(1);
  });

  it('routes /api/{proxy+} through the VPC link to the ALB listener', () => {
    const listener = logicalIdOf(t, 'AWS::ElasticLoadBalancingV2::Listener');
    const link = logicalIdOf(t, 'AWS::ApiGatewayV2::VpcLink');
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /api/{proxy+}' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'HTTP_PROXY',
      ConnectionType: 'VPC_LINK',
      ConnectionId: { Ref: link },
      IntegrationUri: { Ref: listener },
    });
  });

  it('outputs the API URL and creates no custom domain', () => {
    t.hasOutput('ApiUrl', { Value: Match.anyValue() });
    t.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
  });
});

describe('edge with a custom domain', () => {
  let t: Template;
  beforeAll(() => {
    const config = configWith((raw) => {
      (raw.api as Record<string, unknown>).domain = {
        name: 'api.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
      };
    });
    t = template(buildApp(config).platform);
  });

  it('serves the domain with the TLS_1_2 policy and maps the API to it', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'api.example.com',
      DomainNameConfigurations: [
        Match.objectLike({
          CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
          SecurityPolicy: 'TLS_1_2',
          EndpointType: 'REGIONAL',
        }),
      ],
    });
    t.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
  });

  it('disables the default execute-api endpoint and outputs the domain URL', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    t.hasOutput('ApiUrl', { Value: 'https://api.example.com/' });
    t.hasOutput('ApiDomainTarget', { Value: Match.anyValue() });
    t.hasOutput('ApiDomainName', { Value: { Ref: Match.stringLikeRegexp('DomainName') } });
  });

  it('follows custom throttle values', () => {
    const t2 = template(
      buildApp(
        configWith(
          (raw) => ((raw.api as Record<string, unknown>).throttle = { rateLimit: 50, burstLimit: 75 }),
        ),
      ).platform,
    );
    t2.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 75 },
    });
  });
});
