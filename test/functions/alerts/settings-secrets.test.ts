import { describe, expect, it } from 'vitest';
import { ALERTS } from '../../../src/contracts';
import {
  ChannelSecretError,
  parseChannelSecret,
  powertoolsChannelUrls,
  type SecretsGetter,
} from '../../../src/functions/alerts/secrets';
import { AlertsSettingsError, parseAlertsSettings } from '../../../src/functions/alerts/settings';
import { SLACK_URL } from './fixtures';

describe('the alerts function settings', () => {
  const env = (channels: unknown) => ({ [ALERTS.channelsEnv]: JSON.stringify(channels) });

  it('given the channels the CDK side writes, when parsed, then they come back as given', () => {
    const channels = [
      { name: 'ops', type: 'slack', secretId: 'berth/alerts/ops' },
      { name: 'team', type: 'teams', secretId: 'berth/alerts/team' },
    ];

    expect(parseAlertsSettings(env(channels))).toEqual({ channels });
  });

  it('given no variable, invalid JSON, an unknown type or a repeated name, when parsed, then the error names the variable', () => {
    expect(() => parseAlertsSettings({})).toThrow(new AlertsSettingsError('ALERT_CHANNELS is not set'));
    expect(() => parseAlertsSettings({ ALERT_CHANNELS: '[' })).toThrow(/ALERT_CHANNELS is not valid JSON/);
    expect(() => parseAlertsSettings(env([{ name: 'ops', type: 'email', secretId: 's' }]))).toThrow(
      /ALERT_CHANNELS: 0\.type: slack or teams/,
    );
    expect(() =>
      parseAlertsSettings(
        env([
          { name: 'ops', type: 'slack', secretId: 'a' },
          { name: 'ops', type: 'teams', secretId: 'b' },
        ]),
      ),
    ).toThrow(/channel names must be unique/);
  });
});

describe('a channel secret', () => {
  it('given {"url": "..."}, when parsed, then the URL comes back trimmed', () => {
    expect(parseChannelSecret(JSON.stringify({ url: ` ${SLACK_URL} ` }))).toBe(SLACK_URL);
  });

  it('given the placeholder the stack writes ({"url": ""}) or no url key, when parsed, then the URL is empty', () => {
    expect(parseChannelSecret('{"url":""}')).toBe('');
    expect(parseChannelSecret('{}')).toBe('');
  });

  it('given a value that is not the expected JSON, when parsed, then the error never quotes it', () => {
    for (const value of [SLACK_URL, `{"url": ${JSON.stringify(SLACK_URL)}`, '[1]', '{"url": 5}']) {
      let error: unknown;
      try {
        parseChannelSecret(value);
      } catch (e) {
        error = e;
      }
      expect(error, value).toBeInstanceOf(ChannelSecretError);
      expect(String((error as Error).message)).not.toContain('hooks.slack.com');
    }
    expect(() => parseChannelSecret(undefined)).toThrow(ChannelSecretError);
  });
});

describe('reading URLs through Powertools Parameters', () => {
  function provider(values: string[]) {
    const calls: { name: string; options: unknown }[] = [];
    const getter: SecretsGetter = {
      get: async (name, options) => {
        calls.push({ name, options });
        return values.shift();
      },
    };
    return { getter, calls };
  }

  it('given a set URL, when read, then it is asked with the cache age (Powertools keeps it)', async () => {
    const p = provider([JSON.stringify({ url: SLACK_URL })]);

    expect(await powertoolsChannelUrls(p.getter, 60).url('berth/alerts/ops')).toBe(SLACK_URL);
    expect(p.calls).toEqual([{ name: 'berth/alerts/ops', options: { maxAge: 60 } }]);
  });

  it('given an empty URL, when read again, then the cache is bypassed so a URL stored since is used at once', async () => {
    const p = provider([
      '{"url":""}',
      JSON.stringify({ url: SLACK_URL }),
      JSON.stringify({ url: SLACK_URL }),
    ]);
    const urls = powertoolsChannelUrls(p.getter, 60);

    expect(await urls.url('berth/alerts/ops')).toBe('');
    expect(await urls.url('berth/alerts/ops')).toBe(SLACK_URL);
    expect(await urls.url('berth/alerts/ops')).toBe(SLACK_URL);
    expect(p.calls.map((c) => c.options)).toEqual([
      { maxAge: 60 },
      { maxAge: 60, forceFetch: true },
      { maxAge: 60 },
    ]);
  });

  it("given Powertools wraps the SDK's error, when read, then the SDK's error is surfaced", async () => {
    const sdk = Object.assign(new Error('Secrets Manager cannot find it'), {
      name: 'ResourceNotFoundException',
    });
    const getter: SecretsGetter = {
      get: async () => {
        throw Object.assign(new Error('wrapped'), { name: 'GetParameterError', cause: sdk });
      },
    };

    await expect(powertoolsChannelUrls(getter).url('x')).rejects.toBe(sdk);
  });
});
