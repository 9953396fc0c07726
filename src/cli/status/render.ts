import { formatTable } from '../plan/table';
import type {
  AlarmStatus,
  PipelineStatus,
  ProjectStatus,
  ReleaseStatus,
  ServiceStatus,
  StatusReport,
  TargetGroupStatus,
} from './collect';
import type { ServiceHookStatus } from './service-hooks';

/** `berth status` for people: one block per project, then the platform's alarms and who they reach. */
export function renderStatus(r: StatusReport, branches: ReadonlyMap<string, string>): string {
  const blocks = r.projects.map((p) => renderProject(p, branches.get(p.name) ?? 'main'));
  return [
    `Berth status in ${r.region} (cluster ${r.cluster})`,
    '',
    ...blocks.flatMap((b) => [b, '']),
    'platform',
    `  ${alarmsLine(r.platform.alarms)}`,
    ...r.platform.alarms.map(alarmLine),
    ...(r.platform.alerts.warning ? [`  ${r.platform.alerts.warning}`] : []),
    ...(r.serviceHooks.checked
      ? r.serviceHooks.error
        ? [`  Service hooks: ${r.serviceHooks.error}`]
        : []
      : [`  Service hooks: not checked (${r.serviceHooks.error ?? 'set AZURE_DEVOPS_PAT to check them'})`]),
  ].join('\n');
}

function renderProject(p: ProjectStatus, branch: string): string {
  return [
    p.kind === 'web' ? `${p.name}  (${p.path}/*)` : `${p.name}  (worker)`,
    `  ${releaseLine(p.release, branch)}`,
    ...pipelineLines(p.pipeline, branch),
    `  ${serviceLine(p.service, p.release)}`,
    ...serviceDetail(p.service),
    ...(p.targetGroup
      ? [
          `  ${targetsLine(p.targetGroup)}`,
          ...p.targetGroup.notHealthy.map(
            (t) =>
              `    ${t.id}${t.port ? `:${t.port}` : ''} ${t.state}${t.reason ? ` (${t.reason}${t.description ? `: ${t.description}` : ''})` : ''}`,
          ),
        ]
      : []),
    ...(p.serviceHook ? [`  ${hookLine(p.serviceHook)}`] : []),
    `  ${alarmsLine(p.alarms)}`,
    ...p.alarms.map(alarmLine),
  ].join('\n');
}

function releaseLine(r: ReleaseStatus, branch: string): string {
  if (!r.deployed) {
    return `Live release: stack ${r.stack} not deployed${r.stackStatus ? ` (${r.stackStatus})` : ''} (run \`npx cdk deploy ${r.stack}\`)`;
  }
  if (r.live === null) return `Live release: not released yet (push a commit to ${branch})`;
  return `Live release: ${r.shortLive ?? r.live}`;
}

function pipelineLines(pl: PipelineStatus, branch: string): string[] {
  if (!pl.deployed) return [`  Pipeline ${pl.name}: not deployed (run \`npx cdk deploy ${pl.name}\`)`];
  if (pl.executions.length === 0) {
    return [`  Pipeline ${pl.name}: no executions yet (push a commit to ${branch} to start one)`];
  }
  const table = formatTable(
    [
      { header: 'status' },
      { header: 'mode' },
      { header: 'commit' },
      { header: 'started' },
      { header: 'detail' },
    ],
    pl.executions.map((e) => [
      e.status,
      e.mode ?? '-',
      e.shortCommit ?? '-',
      e.startTime ?? '-',
      [
        e.stage
          ? `${e.status === 'Failed' ? 'failed at' : 'at'} ${e.stage}${e.action && e.action !== e.stage ? ` (${e.action})` : ''}`
          : '',
        e.summary ?? '',
      ]
        .filter(Boolean)
        .join(': '),
    ]),
    '    ',
  );
  return [`  Pipeline ${pl.name}, last ${pl.executions.length} execution(s), newest first:`, table];
}

function serviceLine(s: ServiceStatus, release: ReleaseStatus): string {
  if (!s.deployed) {
    return release.deployed && release.live === null
      ? `Service ${s.name}: none yet (the first release creates it)`
      : `Service ${s.name}: not deployed in cluster ${s.cluster}`;
  }
  const rollout = s.rolloutState ? `; rollout ${s.rolloutState}` : '';
  const td = s.taskDefinition ? `; task definition ${s.taskDefinition}` : '';
  return `Service ${s.name}: ${s.running} running / ${s.desired} desired / ${s.pending} pending${rollout}${td}`;
}

/** The reasons, shown only when something is not settled. */
function serviceDetail(s: ServiceStatus): string[] {
  if (!s.deployed) return [];
  const settled =
    s.running === s.desired && s.pending === 0 && (s.rolloutState ?? 'COMPLETED') === 'COMPLETED';
  if (settled) return [];
  return [
    ...(s.rolloutStateReason ? [`    rollout: ${s.rolloutStateReason}`] : []),
    ...(s.lastEvent
      ? [`    latest event${s.lastEvent.at ? ` (${s.lastEvent.at})` : ''}: ${s.lastEvent.message}`]
      : []),
  ];
}

function targetsLine(t: TargetGroupStatus): string {
  if (!t.deployed) return `Targets ${t.name}: target group not deployed`;
  const entries = Object.entries(t.counts).sort(([a], [b]) =>
    a === 'healthy' ? -1 : b === 'healthy' ? 1 : a.localeCompare(b),
  );
  return `Targets ${t.name}: ${entries.length === 0 ? 'none registered' : entries.map(([state, n]) => `${n} ${state}`).join(', ')}`;
}

function hookLine(h: ServiceHookStatus): string {
  switch (h.state) {
    case 'enabled':
      return 'Service hook: enabled';
    case 'onProbation':
      return `Service hook: on probation (recent deliveries failed; Azure DevOps disables it if they go on failing): fix the webhook, then re-enable it with \`${h.fix}\``;
    case 'disabled':
      return `Service hook: disabled (${h.status}): pushes start nothing; re-enable it with \`${h.fix}\``;
    case 'missing':
      return `Service hook: none found for this project: pushes start nothing; create it with \`${h.fix}\``;
  }
}

function alarmsLine(alarms: readonly AlarmStatus[]): string {
  return alarms.length === 0 ? 'Alarms in ALARM: none' : `Alarms in ALARM: ${alarms.length}`;
}

function alarmLine(a: AlarmStatus): string {
  return `    ${a.name}${a.since ? ` since ${a.since}` : ''}${a.reason ? `: ${a.reason}` : ''}`;
}
