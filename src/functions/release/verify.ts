import type { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { describeService, eventLines, progressText, type ServiceView } from './ecs';
import type { StageRun, StageSetup, StepResult } from './runner';
import type { SettingsResult, VerifySettings } from './settings';
import { describeError } from './text';

/**
 * Verify: the release is settled when the service's one deployment is COMPLETED with all its tasks running (at
 * least one) and, for a service with an HTTP route, its health URL (through the internal load balancer; the
 * function runs in the VPC) answers 2xx.
 */

export const VERIFY_POLL_MS = 5000;
export const HEALTH_REQUEST_TIMEOUT_MS = 5000;

export const verifyStateSchema = z.object({
  /** The last health check's answer, for the deadline's message. */
  lastHealth: z.optional(z.string()),
});
export type VerifyState = z.infer<typeof verifyStateSchema>;

export type Settled = { readonly settled: true } | { readonly settled: false; readonly why: string };

/** Pure: whether ECS has settled the service. */
export function serviceSettled(view: ServiceView): Settled {
  const p = view.primary;
  if (p === undefined) return { settled: false, why: 'no PRIMARY deployment' };
  if (p.rolloutState !== 'COMPLETED')
    return { settled: false, why: `rolloutState ${p.rolloutState ?? 'unknown'}` };
  if (view.deploymentCount !== 1)
    return { settled: false, why: `${view.deploymentCount} deployments still active` };
  if (view.desiredCount < 1) return { settled: false, why: 'desiredCount 0: the service runs no tasks' };
  if (view.runningCount < view.desiredCount) {
    return { settled: false, why: `${view.runningCount} of ${view.desiredCount} tasks running` };
  }
  return { settled: true };
}

export type HealthAnswer =
  { readonly ok: true; readonly status: number } | { readonly ok: false; readonly said: string };

/** One GET of the health URL, bounded; never throws. */
export async function checkHealth(
  fetchFn: typeof fetch,
  url: string,
  timeoutMs = HEALTH_REQUEST_TIMEOUT_MS,
): Promise<HealthAnswer> {
  try {
    const res = await fetchFn(url, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Read the body so that the connection is released.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return { ok: false, said: `HTTP ${res.status}` };
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    if (name === 'TimeoutError' || name === 'AbortError')
      return { ok: false, said: `no answer within ${timeoutMs / 1000} s` };
    return { ok: false, said: describeError(err) };
  }
}

export interface VerifyDeps {
  readonly ecs: ECSClient;
  readonly fetch: typeof fetch;
}

export function createVerifyStage(
  setup: SettingsResult<VerifySettings>,
  deps: VerifyDeps,
): StageSetup<VerifyState> {
  if (!setup.ok) return { ok: false, name: 'Verify', project: setup.project, error: setup.error };
  const settings = setup.settings;
  const { clusterName: cluster, serviceName: service, healthUrl } = settings;

  async function step(run: StageRun<VerifyState>): Promise<StepResult<VerifyState>> {
    const { log } = run;
    const view = await describeService(deps.ecs, cluster, service);
    if (view === undefined) {
      return {
        kind: 'failed',
        message: `ECS has no active service ${service} in cluster ${cluster}: the Deploy stage creates it with the first release`,
      };
    }
    const progress = progressText(view);
    const p = view.primary;
    if (p?.rolloutState === 'FAILED') {
      log.warn('The service deployment failed', { deployment: p.id, reason: p.rolloutStateReason });
      return {
        kind: 'failed',
        message: [
          `ECS deployment ${p.id} of service ${service} FAILED: ${p.rolloutStateReason ?? 'no reason given'} (${progress}).`,
          'Latest service events:',
          ...eventLines(view),
          `The service's logs: npx --no-install berth logs ${settings.project}`,
        ].join('\n'),
      };
    }
    const settled = serviceSettled(view);
    if (!settled.settled) {
      log.info('Waiting for ECS to settle the service', { service, progress, why: settled.why });
      return {
        kind: 'waiting',
        state: run.state ?? {},
        waitingFor: `ECS to settle service ${service} (${settled.why}; ${progress})`,
        onTimeout: `See the service's events in the ECS console and its logs: npx --no-install berth logs ${settings.project}`,
      };
    }
    if (healthUrl === undefined) {
      return { kind: 'succeeded', summary: `Service ${service} is settled: ${progress}` };
    }
    const health = await checkHealth(deps.fetch, healthUrl);
    if (health.ok) {
      log.info('The health check answered', { url: healthUrl, status: health.status });
      return {
        kind: 'succeeded',
        summary: `Service ${service} is settled (${progress}) and ${healthUrl} answered HTTP ${health.status}`,
      };
    }
    log.info('Waiting for the health check to answer 2xx', { url: healthUrl, answer: health.said });
    return {
      kind: 'waiting',
      state: { lastHealth: health.said },
      waitingFor: `${healthUrl} to answer 2xx (last answer: ${health.said}; ECS: ${progress})`,
      onTimeout: `The service's logs: npx --no-install berth logs ${settings.project}`,
    };
  }

  return {
    ok: true,
    stage: {
      name: 'Verify',
      project: settings.project,
      timeoutSeconds: settings.timeoutSeconds,
      pollMs: VERIFY_POLL_MS,
      stateSchema: verifyStateSchema,
      step,
    },
  };
}
