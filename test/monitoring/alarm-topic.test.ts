import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { ALERTS } from '../../src/contracts';
import { TOPIC_PUBLISHERS } from '../../src/monitoring/alarm-topic';
import { buildApp, configWith, template, seedApp } from '../support/app';

const onlyId = (t: Template, type: string) => {
  const ids = Object.keys(t.findResources(type));
  expect(ids, type).toHaveLength(1);
  return ids[0];
};

/** The alarm topic's own KMS key (the platform has other keys, e.g. ECS Exec's). */
const topicKeyId = (t: Template) => {
  const topic = Object.values(t.findResources('AWS::SNS::Topic'))[0].Properties;
  return topic.KmsMasterKeyId['Fn::GetAtt'][0] as string;
};

describe('alarm topic (seed config)', () => {
  let t: Template;
  beforeAll(() => {
    t = template(seedApp().platform);
  });

  it('encrypts the topic with a customer-managed KMS key of its own, rotated yearly', () => {
    const key = t.findResources('AWS::KMS::Key')[topicKeyId(t)];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.Description).toBe('Berth alarm topic encryption');
  });

  it('lets CloudWatch alarms, EventBridge and CodeStar notifications use the key, and only for Decrypt and GenerateDataKey*', () => {
    const key = t.findResources('AWS::KMS::Key')[topicKeyId(t)].Properties;
    const statements = key.KeyPolicy.Statement as Record<string, unknown>[];
    const services = statements.filter((s) => (s.Principal as { Service?: unknown })?.Service);
    expect(services).toHaveLength(1);
    const [publishers] = services;
    expect(publishers.Effect).toBe('Allow');
    expect([...(publishers.Principal as { Service: string[] }).Service].sort()).toEqual(
      [...TOPIC_PUBLISHERS].sort(),
    );
    expect(TOPIC_PUBLISHERS).toEqual(
      expect.arrayContaining([
        'cloudwatch.amazonaws.com',
        'events.amazonaws.com',
        'codestar-notifications.amazonaws.com',
      ]),
    );
    expect([publishers.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
  });

  it('is the one topic, named after the prefix', () => {
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'berth-alarms',
      KmsMasterKeyId: { 'Fn::GetAtt': [topicKeyId(t), 'Arn'] },
    });
  });

  it('denies every request to the topic that is not over TLS', () => {
    const topic = onlyId(t, 'AWS::SNS::Topic');
    const policy = Object.values(t.findResources('AWS::SNS::TopicPolicy'))[0].Properties;
    expect(policy.Topics).toEqual([{ Ref: topic }]);
    expect(policy.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Principal: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: { Ref: topic },
        }),
      ]),
    );
  });

  it("lets Berth's CloudWatch alarms (and EventBridge, CodeStar notifications) of this account publish", () => {
    const topic = onlyId(t, 'AWS::SNS::Topic');
    const statements = Object.values(t.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument
      .Statement as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const alarms = statements.find((s) => s.Sid === 'AllowBerthAlarmsToPublish')!;
    expect(alarms).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: topic },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    expect(JSON.stringify(alarms.Condition.ArnLike['aws:SourceArn'])).toContain(':alarm:berth-*');
    const others = statements.find((s) => s.Sid === 'AllowAccountEventsAndNotificationsToPublish')!;
    expect(others.Principal.Service.sort()).toEqual([
      'codestar-notifications.amazonaws.com',
      'events.amazonaws.com',
    ]);
    expect(others.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  });

  it('subscribes nobody when alerts.emails is empty', () => {
    t.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('alarm topic with alerts.emails', () => {
  const emails = ['ops@example.com', 'oncall@example.org'];
  let t: Template;
  beforeAll(() => {
    t = template(buildApp(configWith((raw) => (raw.alerts = { emails }))).platform);
  });

  it('subscribes each address by e-mail, once', () => {
    const topic = onlyId(t, 'AWS::SNS::Topic');
    const subs = Object.values(t.findResources('AWS::SNS::Subscription')).map((r) => r.Properties);
    expect(subs).toHaveLength(emails.length);
    for (const email of emails) {
      expect(subs).toContainEqual(
        expect.objectContaining({ Protocol: 'email', Endpoint: email, TopicArn: { Ref: topic } }),
      );
    }
  });

  it('filters out of the e-mails only a test addressed to one chat channel (every other message has no such attribute)', () => {
    for (const sub of Object.values(t.findResources('AWS::SNS::Subscription'))) {
      expect(sub.Properties.FilterPolicy).toEqual({ [ALERTS.channelAttribute]: [{ exists: false }] });
      expect(sub.Properties.FilterPolicyScope ?? 'MessageAttributes').toBe('MessageAttributes');
    }
  });
});
