import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { BerthApp } from '../../src/app';
import { ALERTS } from '../../src/contracts';
import {
  alertChannelSettings,
  alertsWarning,
  NO_ALERT_DESTINATION_WARNING,
  webhookUrlProblem,
} from '../../src/shared/alert-channels';
import { platformAlarmNames } from '../../src/monitoring/alarm-names';
import { EMPTY_CHANNEL_SECRET } from '../../src/monitoring/alerts';
import { buildApp, configWith, REPO_ROOT, seedConfig, template } from '../support/app';
import { TemplateResolver } from '../support/resolve';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Templates = ConstructorParameters<typeof TemplateResolver>[0];

const CHAT = [
  { name: 'ops', type: 'slack' },
  { name: 'team', type: 'teams' },
];

/** Warnings attached to a stack's constructs (Annotations.addWarningV2), read without another synth. */
const warningsOf = (app: BerthApp) =>
  [app.network, app.platform, ...app.projects.values()].flatMap((s) =>
    s.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === 'aws:cdk:warning')
      .map((m) => String(m.data)),
  );

describe('where alerts go: the no-destination warning', () => {
  it('given no e-mail and no chat channel, when checked, then the warning says alarms reach nobody and what to add', () => {
    expect(alertsWarning({ alerts: { emails: [], chat: [] } })).toBe(NO_ALERT_DESTINATION_WARNING);
    expect(NO_ALERT_DESTINATION_WARNING).toContain('reach nobody');
    expect(NO_ALERT_DESTINATION_WARNING).toContain('alerts.emails');
    expect(NO_ALERT_DESTINATION_WARNING).toContain('npx --no-install berth alerts set-webhook <channel>');
  });

  it('given an e-mail or a chat channel, when checked, then there is no warning', () => {
    expect(alertsWarning({ alerts: { emails: ['ops@example.com'], chat: [] } })).toBeUndefined();
    expect(alertsWarning({ alerts: { emails: [], chat: [{ name: 'ops', type: 'slack' }] } })).toBeUndefined();
  });

  it('given the seed config (no destination), when the app is synthesized, then the platform stack carries the warning', () => {
    const app = buildApp(seedConfig());
    // addWarningV2 appends the acknowledgement id to the message.
    expect(warningsOf(app).filter((w) => w.startsWith(NO_ALERT_DESTINATION_WARNING))).toHaveLength(1);
    expect(
      app.platform.node.metadata.some(
        (m) => m.type === 'aws:cdk:warning' && String(m.data).startsWith(NO_ALERT_DESTINATION_WARNING),
      ),
    ).toBe(true);
  });
});

describe('incoming-webhook URLs a channel accepts', () => {
  it.each([
    ['slack', 'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx'],
    [
      'teams',
      'https://prod-42.westeurope.logic.azure.com:443/workflows/0123/triggers/manual/paths/invoke?sig=x',
    ],
    [
      'teams',
      'https://default0123.ab.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/0123/triggers/manual/paths/invoke?sig=x',
    ],
    ['teams', 'https://contoso.webhook.office.com/webhookb2/1111@2222/IncomingWebhook/3333/4444'],
  ] as const)('given a %s URL %s, when checked, then it is accepted', (type, url) => {
    expect(webhookUrlProblem(type, url)).toBeUndefined();
  });

  it.each([
    ['slack', 'http://hooks.slack.com/services/T/B/C', /not https/],
    ['slack', 'https://hooks.slack.com:8443/services/T/B/C', /names a port/],
    ['slack', 'https://hooks.slack.com.evil.example/services/T/B/C', /host is not hooks\.slack\.com/],
    ['slack', 'https://hooks.slack.com/workflows/T/B/C', /\/services\//],
    ['slack', 'https://prod-1.westus.logic.azure.com/workflows/x', /host is not hooks\.slack\.com/],
    ['teams', 'https://hooks.slack.com/services/T/B/C', /Microsoft's webhook hosts/],
    ['teams', 'https://logic.azure.com/workflows/x', /Microsoft's webhook hosts/],
    ['teams', 'https://evillogic.azure.com/workflows/x', /Microsoft's webhook hosts/],
    ['teams', 'https://x.logic.azure.com.evil.example/workflows/x', /Microsoft's webhook hosts/],
    ['teams', 'https://x.webhook.office.com/', /no path/],
    ['teams', 'https://user:pw@x.webhook.office.com/webhookb2/x', /user name or password/],
    ['slack', ' https://hooks.slack.com/services/T/B/C', /whitespace/],
    ['slack', 'hooks.slack.com/services/T/B/C', /not a URL/],
  ] as const)('given a %s URL %s, when checked, then it is refused without quoting it', (type, url, why) => {
    const problem = webhookUrlProblem(type, url);
    expect(problem).toMatch(why);
    expect(problem).not.toContain(url.trim());
  });
});

describe('chat alerts in the platform stack', () => {
  const config = configWith((raw) => (raw.alerts = { emails: ['ops@example.com'], chat: CHAT }));
  let app: BerthApp;
  let t: Template;
  let fn: { id: string; props: Props };
  let statements: Props[];
  beforeAll(() => {
    app = buildApp(config);
    t = template(app.platform);
    const [id, r] = Object.entries(t.findResources('AWS::Lambda::Function')).find(
      ([, f]) => f.Properties.FunctionName === 'berth-alerts',
    )!;
    fn = { id, props: r.Properties };
    const role = fn.props.Role['Fn::GetAtt'][0];
    statements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: Props) => r.Ref === role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Props[]);
  });

  const secretsByName = () =>
    new Map<string, Props>(
      Object.entries(t.findResources('AWS::SecretsManager::Secret'))
        .filter(([, s]) => String(s.Properties.Name).startsWith('berth/alerts/'))
        .map(([id, s]): [string, Props] => [s.Properties.Name as string, { id, ...s }]),
    );

  it('creates one secret per channel, <prefix>/alerts/<channel>, holding an empty URL, retained on delete', () => {
    const secrets = secretsByName();
    expect([...secrets.keys()].sort()).toEqual(['berth/alerts/ops', 'berth/alerts/team']);
    for (const [name, s] of secrets) {
      expect(s.Properties.SecretString, name).toBe(EMPTY_CHANNEL_SECRET);
      expect(JSON.parse(s.Properties.SecretString)).toEqual({ url: '' });
      expect(s.DeletionPolicy, name).toBe('Retain');
      expect(s.UpdateReplacePolicy, name).toBe('Retain');
      expect(s.Properties.Description).toContain(
        `npx --no-install berth alerts set-webhook ${name.split('/')[2]}`,
      );
    }
  });

  it('runs the alerts function (Node.js 22, arm64, 30 s) with the channels, their types and secrets in its environment', () => {
    expect(fn.props).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Timeout: 30 });
    const env = fn.props.Environment.Variables;
    expect(JSON.parse(env[ALERTS.channelsEnv])).toEqual(alertChannelSettings(config));
    expect(JSON.parse(env.ALERT_CHANNELS)).toEqual([
      { name: 'ops', type: 'slack', secretId: 'berth/alerts/ops' },
      { name: 'team', type: 'teams', secretId: 'berth/alerts/team' },
    ]);
    expect(env.POWERTOOLS_SERVICE_NAME).toBe('berth-alerts');
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('Berth');
  });

  it('subscribes the function to the alarm topic, unfiltered (it reads the channel attribute itself)', () => {
    const topic = Object.keys(t.findResources('AWS::SNS::Topic'))[0];
    const subs = Object.values(t.findResources('AWS::SNS::Subscription')).map((r) => r.Properties);
    const lambda = subs.filter((s) => s.Protocol === 'lambda');
    expect(lambda).toEqual([
      { Protocol: 'lambda', TopicArn: { Ref: topic }, Endpoint: { 'Fn::GetAtt': [fn.id, 'Arn'] } },
    ]);
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      SourceArn: { Ref: topic },
      FunctionName: { 'Fn::GetAtt': [fn.id, 'Arn'] },
    });
    // E-mails still subscribe on their own, filtered.
    expect(subs.filter((s) => s.Protocol === 'email')).toHaveLength(1);
  });

  it('lets the function read exactly the channel secrets and nothing else', () => {
    const secrets = secretsByName();
    const reads = statements.filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    expect(reads).toHaveLength(1);
    expect([reads[0].Action].flat()).toEqual(['secretsmanager:GetSecretValue']);
    expect([reads[0].Resource].flat()).toEqual([...secrets.values()].map((s) => ({ Ref: s.id })));
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions.filter((a) => !a.startsWith('logs:'))).toEqual(['secretsmanager:GetSecretValue']);
  });

  it('is not retried by Lambda on an error (a retry would post twice to the channels that got the message)', () => {
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fn.id },
      MaximumRetryAttempts: 0,
    });
  });

  it('alarms when a chat alert is not delivered or the function crashes: alerts-undelivered', () => {
    const alarm = Object.values(t.findResources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.AlarmName === platformAlarmNames(config).alertsUndelivered,
    )!.Properties;
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const byId = Object.fromEntries(alarm.Metrics.map((m: Props) => [m.Id, m]));
    expect(alarm.Metrics.find((m: Props) => m.Expression).Expression).toBe(
      'FILL(failed, 0) + FILL(errors, 0)',
    );
    // The per-function sum the function emits besides the per-channel count.
    expect(byId.failed.MetricStat.Metric).toEqual({
      Namespace: 'Berth',
      MetricName: ALERTS.metrics.failed,
      Dimensions: [{ Name: 'service', Value: 'berth-alerts' }],
    });
    expect(byId.errors.MetricStat.Metric).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn.id } }],
    });
    const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
    expect(doc).toContain('<a id="alerts-undelivered"></a>');
  });

  it('puts no webhook URL anywhere: no template, output or environment holds one', () => {
    const resolver = new TemplateResolver({ [app.platform.stackName]: t.toJSON() } as Templates);
    const text = JSON.stringify(resolver.resolve(app.platform.stackName, t.toJSON()));
    expect(text).not.toMatch(
      /hooks\.slack\.com\/services\/|logic\.azure\.com\/workflows|webhook\.office\.com\/webhook/,
    );
    expect(JSON.stringify(t.toJSON().Outputs ?? {})).not.toMatch(/alerts/);
  });

  it('gives no no-destination warning once a destination exists', () => {
    expect(warningsOf(app).filter((w) => w.startsWith(NO_ALERT_DESTINATION_WARNING))).toEqual([]);
  });
});

describe('without chat channels', () => {
  it('creates no alerts function, no channel secret and no alerts-undelivered alarm (no metric of it could exist)', () => {
    const t = template(
      buildApp(configWith((raw) => (raw.alerts = { emails: ['ops@example.com'] }))).platform,
    );
    const functions = Object.values(t.findResources('AWS::Lambda::Function')).map(
      (f) => f.Properties.FunctionName,
    );
    expect(functions).not.toContain('berth-alerts');
    const secrets = Object.values(t.findResources('AWS::SecretsManager::Secret')).map(
      (s) => s.Properties.Name,
    );
    expect(secrets.filter((n) => String(n).startsWith('berth/alerts/'))).toEqual([]);
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmName,
    );
    expect(alarms).not.toContain('berth-alerts-undelivered');
  });
});

describe('src/shared/alert-channels.ts', () => {
  it('stays pure (the alerts function and the CLI import it): no CDK, no SDK, the schema for types only', () => {
    const source = readFileSync(path.join(REPO_ROOT, 'src', 'shared', 'alert-channels.ts'), 'utf8');
    const imports = [...source.matchAll(/^import (type )?.*from '([^']+)';$/gm)].map((m) => ({
      typeOnly: m[1] !== undefined,
      from: m[2],
    }));
    for (const i of imports) {
      expect(i.from, i.from).not.toMatch(/aws-cdk-lib|constructs|@aws-sdk/);
      if (i.from.endsWith('config/schema') || i.from.endsWith('contracts'))
        expect(i.typeOnly, i.from).toBe(true);
    }
  });
});
