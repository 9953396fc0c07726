import { z } from 'zod';
import { ALERTS, type AlertChannelSettings } from '../../contracts';

/**
 * The alerts function's environment: `ALERTS.channelsEnv` lists the chat channels as JSON
 * `[{"name", "type", "secretId"}]` (src/contracts.ts); the CDK side (src/monitoring/alerts.ts) sets it with
 * `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_METRICS_NAMESPACE`. Validated once, on the first invocation. Pure.
 */

export interface AlertsSettings {
  readonly channels: readonly AlertChannelSettings[];
}

/** Thrown when the environment is not what the CDK side promised. */
export class AlertsSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertsSettingsError';
  }
}

const channelSchema = z.object({
  name: z.string().regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, { error: 'a channel name (lower case, digits, -)' }),
  type: z.enum(['slack', 'teams'], { error: 'slack or teams' }),
  secretId: z.string().min(1, { error: 'a secret name or ARN' }),
});

const channelsSchema = z
  .array(channelSchema, { error: 'a JSON list of channels' })
  .refine((list) => new Set(list.map((c) => c.name)).size === list.length, {
    error: 'channel names must be unique',
  });

/** Validates the environment; throws an {@link AlertsSettingsError} naming the variable. */
export function parseAlertsSettings(env: Readonly<Record<string, string | undefined>>): AlertsSettings {
  const raw = env[ALERTS.channelsEnv];
  if (raw === undefined || raw.trim() === '') {
    throw new AlertsSettingsError(`${ALERTS.channelsEnv} is not set`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AlertsSettingsError(`${ALERTS.channelsEnv} is not valid JSON`);
  }
  const parsed = channelsSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join('; ');
    throw new AlertsSettingsError(`${ALERTS.channelsEnv}: ${issues}`);
  }
  return { channels: parsed.data };
}
