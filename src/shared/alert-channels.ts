import { alertChannelSecret, platformNames } from '../config/names';
import type { ParsedConfig } from '../config/schema';
import type { AlertChannelSettings } from '../contracts';

/*
 * Where alerts go, as pure functions of the config: the chat channels the alerts function posts to, which
 * incoming-webhook URLs a channel accepts, and the warning for a config that sends alerts nowhere.
 *
 * Pure on purpose (no CDK, no SDK, type-only imports of the schema): the CLI (`berth alerts`, `plan`, `status`)
 * and the alerts function (src/functions/alerts) import it as well as the infrastructure, so the rules for a
 * webhook URL exist once. Keep it free of runtime imports beyond src/config/names.ts.
 */

export type AlertChannelType = AlertChannelSettings['type'];

/** The sentence synth, `berth plan` and `berth status` print when alarms would reach nobody. */
export const NO_ALERT_DESTINATION_WARNING =
  'No alert destination: alerts.emails and alerts.chat in berth.yaml are both empty, so alarms and pipeline failures reach nobody. Add an e-mail address under alerts.emails, or a chat channel under alerts.chat and then store its incoming-webhook URL with `npx --no-install berth alerts set-webhook <channel>`.';

/** The warning to show for this config (no e-mail and no chat channel), or undefined when alerts reach someone. */
export function alertsWarning(config: Pick<ParsedConfig, 'alerts'>): string | undefined {
  const { emails, chat } = config.alerts;
  return emails.length === 0 && chat.length === 0 ? NO_ALERT_DESTINATION_WARNING : undefined;
}

/** The chat channels of the config as the alerts function's environment lists them (`ALERTS.channelsEnv`). */
export function alertChannelSettings(
  config: Pick<ParsedConfig, 'prefix' | 'alerts'>,
): AlertChannelSettings[] {
  return config.alerts.chat.map((c) => ({
    name: c.name,
    type: c.type,
    secretId: alertChannelSecret(config, c.name),
  }));
}

/** The alerts function's name, or undefined when the config has no chat channel (then there is no function). */
export function alertsFunctionName(config: Pick<ParsedConfig, 'prefix' | 'alerts'>): string | undefined {
  return config.alerts.chat.length > 0 ? platformNames(config).alertsFunctionName : undefined;
}

/** What each channel type accepts, as shown in messages. */
export const WEBHOOK_HOSTS: Readonly<Record<AlertChannelType, string>> = {
  slack: 'https://hooks.slack.com/services/... (a Slack incoming webhook)',
  teams:
    'a Teams Workflows (Power Automate) URL on *.logic.azure.com or *.environment.api.powerplatform.com, or a legacy connector URL on *.webhook.office.com',
};

const TEAMS_HOST_SUFFIXES = ['.logic.azure.com', '.environment.api.powerplatform.com', '.webhook.office.com'];

/**
 * Why `url` is not an incoming-webhook URL of a `type` channel, as a sentence that never quotes the URL (it is a
 * secret: whoever holds it can post); undefined when it is one. https only, no user info, no other port, and the
 * host of the chat service: hooks.slack.com (path /services/...) for Slack; for Teams a Workflows URL
 * (*.logic.azure.com, *.environment.api.powerplatform.com) or a legacy Office 365 connector (*.webhook.office.com).
 */
export function webhookUrlProblem(type: AlertChannelType, url: string): string | undefined {
  const expected = `expected ${WEBHOOK_HOSTS[type]}`;
  if (url.trim() !== url || /\s/.test(url))
    return `the URL contains whitespace: give only the URL, on one line`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `the value is not a URL: ${expected}`;
  }
  if (parsed.protocol !== 'https:') return `the URL is not https: ${expected}`;
  if (parsed.username !== '' || parsed.password !== '')
    return `the URL carries a user name or password: ${expected}`;
  if (parsed.port !== '') return `the URL names a port: ${expected}`;
  const host = parsed.hostname.toLowerCase();
  if (type === 'slack') {
    if (host !== 'hooks.slack.com') return `the host is not hooks.slack.com: ${expected}`;
    if (!/^\/services\/[^/]+\/[^/]+\/[^/]+/.test(parsed.pathname)) {
      return `the path is not /services/<team>/<bot>/<token> of a Slack incoming webhook: ${expected}`;
    }
    return undefined;
  }
  if (!TEAMS_HOST_SUFFIXES.some((s) => host.endsWith(s) && host.length > s.length)) {
    return `the host is not one of Microsoft's webhook hosts: ${expected}`;
  }
  if (parsed.pathname === '/' || parsed.pathname === '') return `the URL has no path: ${expected}`;
  return undefined;
}

/** True for a legacy Office 365 connector URL (they answer 200 with an error text instead of a status code). */
export function isLegacyTeamsConnector(url: string): boolean {
  try {
    return new URL(url).hostname.toLowerCase().endsWith('.webhook.office.com');
  } catch {
    return false;
  }
}
