import { azureDevOpsBaseUrl, projectNames } from '../../config/names';
import type { ParsedConfig, ParsedProject } from '../../config/schema';
import {
  AzureDevOpsClient,
  AzureDevOpsError,
  SUBSCRIPTION_KIND,
  findBerthSubscriptions,
  markerValue,
  type Subscription,
} from '../azure-devops';
import { PAT_ENV } from '../context';
import { patProblem } from '../prompt';

/**
 * The Azure DevOps side of `berth status` (only when AZURE_DEVOPS_PAT is set): the state of each project's
 * service hook subscription, found the way `berth connect` finds it (its marker header, else its webhook path).
 * Azure DevOps puts a subscription whose deliveries keep failing on probation, then disables it; pushes then
 * start nothing until `berth connect` re-enables it.
 */

export interface ServiceHookStatus {
  /** `enabled`, `onProbation`, `disabled` (any of Azure DevOps' disabled states), or `missing`. */
  readonly state: 'enabled' | 'onProbation' | 'disabled' | 'missing';
  /** Azure DevOps' own status (`disabledBySystem`, ...). */
  readonly status?: string;
  readonly subscriptionId?: string;
  /** The command that creates or re-enables it, when it is not enabled. */
  readonly fix?: string;
}

export type ServiceHookReport =
  | { readonly checked: true; readonly projects: ReadonlyMap<string, ServiceHookStatus> }
  | { readonly checked: true; readonly error: string }
  | { readonly checked: false; readonly error: string };

export async function serviceHookStatuses(
  config: ParsedConfig,
  projects: readonly ParsedProject[],
  args: { pat: string | undefined; fetch: typeof fetch; timeoutMs?: number },
): Promise<ServiceHookReport> {
  if (args.pat === undefined || args.pat === '') {
    return { checked: false, error: `set ${PAT_ENV} (Service Hooks: Read) to check the service hooks` };
  }
  const problem = patProblem(args.pat, PAT_ENV);
  if (problem) return { checked: false, error: problem };
  const baseUrl = azureDevOpsBaseUrl(config);
  const client = new AzureDevOpsClient({
    baseUrl,
    pat: args.pat,
    apiVersion: config.azureDevOps.apiVersion,
    fetch: args.fetch,
    retry: { attemptTimeoutMs: args.timeoutMs ?? 30_000, maxAttempts: 2 },
  });
  let subs: Subscription[];
  try {
    subs = await client.listSubscriptions({
      publisherId: SUBSCRIPTION_KIND.publisherId,
      eventType: SUBSCRIPTION_KIND.eventType,
      consumerId: SUBSCRIPTION_KIND.consumerId,
      consumerActionId: SUBSCRIPTION_KIND.consumerActionId,
    });
  } catch (e) {
    const detail = e instanceof AzureDevOpsError ? e.describe() : e instanceof Error ? e.message : String(e);
    return {
      checked: true,
      error: `could not list the service hooks at ${baseUrl} (${client.redact(detail)})`,
    };
  }
  const out = new Map<string, ServiceHookStatus>();
  for (const p of projects) {
    const names = projectNames(config, p);
    const found = findBerthSubscriptions(subs, {
      marker: markerValue(config.prefix, p.name),
      webhookPath: names.webhookPath,
      repositoryId: p.repository.id ?? '',
    });
    const sub = found.keep ?? found.unmarked[0] ?? byWebhookPath(subs, names.webhookPath);
    out.set(p.name, hookState(sub, p.name));
  }
  return { checked: true, projects: out };
}

/** Subscriptions made before the marker, matched by the path they post to (`.../webhook/<project>`). */
function byWebhookPath(subs: readonly Subscription[], webhookPath: string): Subscription | undefined {
  const want = `/${webhookPath.replace(/^\/+|\/+$/g, '')}`;
  const matching = subs.filter((s) => {
    try {
      return new URL(s.consumerInputs?.url ?? '').pathname.replace(/\/+$/, '').endsWith(want);
    } catch {
      return false;
    }
  });
  return matching.find((s) => s.status === 'enabled') ?? matching[0];
}

export function hookState(sub: Subscription | undefined, project: string): ServiceHookStatus {
  const connect = `npx --no-install berth connect ${project}`;
  if (!sub) return { state: 'missing', fix: connect };
  const status = sub.status ?? 'enabled';
  if (status === 'enabled') return { state: 'enabled', status, subscriptionId: sub.id };
  if (status === 'onProbation') return { state: 'onProbation', status, subscriptionId: sub.id, fix: connect };
  return { state: 'disabled', status, subscriptionId: sub.id, fix: connect };
}
