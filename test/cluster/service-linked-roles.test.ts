import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { SERVICE_LINKED_ROLES } from '../../src/cluster/service-linked-roles';
import { seedApp, template } from '../support/app';

type Resource = { Properties: Record<string, unknown>; DependsOn?: string[] };

describe('service-linked roles (fresh account)', () => {
  let t: Template;
  let resources: Record<string, Resource>;
  beforeAll(() => {
    t = template(seedApp().platform);
    resources = t.toJSON().Resources as Record<string, Resource>;
  });

  const roleResources = () =>
    Object.entries(resources).filter(([, r]) =>
      JSON.stringify(r.Properties?.Create ?? '').includes('createServiceLinkedRole'),
    );

  it.each(Object.entries(SERVICE_LINKED_ROLES))(
    'given a fresh account, when the platform deploys, then %s (%s) is created idempotently',
    (service, roleName) => {
      const match = roleResources().filter(([, r]) => JSON.stringify(r.Properties.Create).includes(roleName));
      expect(JSON.stringify(match[0]?.[1].Properties.Create)).toContain(service);
      expect(match).toHaveLength(1);
      const [, r] = match[0];
      const create = JSON.stringify(r.Properties.Create);
      const update = JSON.stringify(r.Properties.Update);
      // An existing role is IAM's InvalidInput ("has been taken in this account"): counted as done.
      for (const call of [create, update]) {
        expect(call).toContain('InvalidInput');
        expect(call).toContain(roleName);
      }
      expect(r.Properties.Delete).toBeUndefined();
    },
  );

  it('given the roles, when their function may create them, then only these roles for these services', () => {
    const policies = t.findResources('AWS::IAM::Policy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Action: 'iam:CreateServiceLinkedRole' })]),
        },
      },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        p.Properties.PolicyDocument.Statement as { Action: string; Condition: unknown; Resource: unknown }[],
    );
    expect(statements).toHaveLength(Object.keys(SERVICE_LINKED_ROLES).length);
    for (const s of statements) {
      const service = (s.Condition as { StringEquals: Record<string, string> }).StringEquals[
        'iam:AWSServiceName'
      ];
      expect(Object.keys(SERVICE_LINKED_ROLES)).toContain(service);
      expect(JSON.stringify(s.Resource)).toContain(
        `:role/aws-service-role/${service}/${SERVICE_LINKED_ROLES[service as keyof typeof SERVICE_LINKED_ROLES]}`,
      );
    }
  });

  it.each([
    ['AWS::ECS::Cluster', 'the cluster'],
    ['AWS::ElasticLoadBalancingV2::LoadBalancer', 'the load balancer'],
    ['AWS::ApiGatewayV2::VpcLink', 'the VPC link'],
  ])('given a fresh account, when %s is created, then it waits for every role (%s)', (type) => {
    const ids = roleResources().map(([id]) => id);
    const [resource] = Object.values(t.findResources(type));
    expect(resource.DependsOn).toEqual(expect.arrayContaining(ids));
  });
});
