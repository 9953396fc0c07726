import { describe, expect, it } from 'vitest';
import { classifyChange, type Templates } from '../../../scripts/check-changes/classify';

const resource = (Type: string, Properties: Record<string, unknown>) => ({ Type, Properties });
const base = (): Templates => ({
  'us-east-1/berth-network': {
    Resources: {
      Subnet: resource('AWS::EC2::Subnet', { CidrBlock: '10.0.1.0/24', AvailabilityZoneId: 'use1-az1' }),
    },
  },
  'us-east-1/berth-p': {
    Resources: {
      Task: resource('AWS::ECS::TaskDefinition', { Cpu: '256' }),
      Rule: resource('AWS::ElasticLoadBalancingV2::ListenerRule', { Priority: 10 }),
      Alarm: resource('AWS::CloudWatch::Alarm', { Threshold: 1 }),
    },
  },
  'us-east-1/berth-q': {
    Resources: { Rule: resource('AWS::ElasticLoadBalancingV2::ListenerRule', { Priority: 20 }) },
  },
});

describe('classifying a config change from the templates', () => {
  it('given identical templates, when classified, then nothing changes', () => {
    expect(classifyChange(base(), base()).effect).toBe('no change');
  });

  it('given a new task definition, when classified, then it is a rolling deployment', () => {
    const after = base();
    after['us-east-1/berth-p'].Resources.Task.Properties!.Cpu = '512';
    expect(classifyChange(base(), after).effect).toBe('rolling');
  });

  it('given an alarm threshold, when classified, then it is an update in place', () => {
    const after = base();
    after['us-east-1/berth-p'].Resources.Alarm.Properties!.Threshold = 5;
    expect(classifyChange(base(), after).effect).toBe('in place');
  });

  it('given a subnet moved to another zone, when classified, then a stateful resource is replaced', () => {
    const after = base();
    after['us-east-1/berth-network'].Resources.Subnet.Properties!.AvailabilityZoneId = 'use1-az4';
    expect(classifyChange(base(), after)).toMatchObject({ effect: 'replacement' });
  });

  it('given two projects exchanging priorities, when classified, then it takes steps (ELB refuses a duplicate)', () => {
    const after = base();
    after['us-east-1/berth-p'].Resources.Rule.Properties!.Priority = 20;
    after['us-east-1/berth-q'].Resources.Rule.Properties!.Priority = 10;
    expect(classifyChange(base(), after).effect).toBe('steps');
  });

  it('given the same stacks in another region, when classified, then they are new stacks', () => {
    const after = Object.fromEntries(
      Object.entries(base()).map(([k, v]) => [k.replace('us-east-1', 'eu-west-1'), v]),
    ) as Templates;
    expect(classifyChange(base(), after).effect).toBe('new stacks');
  });
});
