import { executionName } from './commit-status';
import { consoleExecutionUrl } from './console-url';
import type { PipelineExecutionChange } from './event';
import type { ExecutionLookup } from './execution';
import { oneLine, shortCommit, truncate } from './text';

/** SNS limits a subject to 100 printable ASCII characters on one line. */
export const SUBJECT_MAX_LENGTH = 100;
/** The failure summary is cut here: enough to read, far below SNS's 256 KB. */
export const SUMMARY_MAX_LENGTH = 4000;

export interface FailureNotification {
  readonly subject: string;
  readonly message: string;
}

export interface FailureNotificationInput {
  /** The Berth project name. */
  readonly project: string;
  /** The configured branch (executions no longer carry one). */
  readonly branch: string;
  /** The configured Azure DevOps repository. */
  readonly repository?: { readonly project: string; readonly name: string };
  readonly change: PipelineExecutionChange;
  readonly lookup: ExecutionLookup;
}

/** An SNS-safe subject: printable ASCII only, one line, at most 100 characters. */
export function toSubject(text: string): string {
  const ascii = oneLine(text)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '?');
  return truncate(ascii, SUBJECT_MAX_LENGTH) || 'Berth: pipeline failed';
}

export function failureSubject(project: string, stage: string | undefined, mode?: string): string {
  const what = mode === 'rollback' ? 'rollback' : mode === 'redeploy' ? 'redeploy' : 'pipeline';
  return toSubject(`Berth: ${project} ${what} failed${stage ? ` at ${oneLine(stage)}` : ''}`);
}

/** The plain-text failure message: what failed, on which commit, and where to look. */
export function formatFailureNotification(input: FailureNotificationInput): FailureNotification {
  const { project, change, lookup, branch, repository } = input;
  const link = consoleExecutionUrl(change.region, change.pipeline, change.executionId);
  const failed = lookup.failedAction;
  const facts = lookup.facts;
  const unknown = 'unknown';

  let commit: string;
  if (facts?.commit) commit = `${shortCommit(facts.commit)} (${facts.commit})`;
  else if (facts) commit = 'none (the execution was not started by a push)';
  else commit = unknown;

  const mode = facts?.mode;
  const special = mode === 'rollback' || mode === 'redeploy';
  const row = (label: string, value: string) => `${`${label}:`.padEnd(12)}${oneLine(value)}`;
  const headline = special
    ? `${executionName(change.pipeline, { mode, commit: facts?.commit })} (project ${project}) failed`
    : `The ${project} pipeline failed`;
  const lines = [
    `${headline}${failed ? ` at stage ${oneLine(failed.stage)}` : ''}.`,
    '',
    row('Project', project),
    row('Pipeline', change.pipeline),
    ...(special ? [row('Mode', mode)] : []),
    row('Stage', failed?.stage ?? unknown),
    row('Action', failed?.action ?? unknown),
    row('Commit', commit),
    row('Branch', branch),
    ...(repository ? [row('Repository', `${repository.project}/${repository.name}`)] : []),
    row('Execution', change.executionId),
    row('Time', change.time),
    row('Account', `${change.account} (${change.region})`),
    '',
    'What failed:',
    truncate(
      failed?.summary ?? facts?.statusSummary ?? 'No failure summary was available.',
      SUMMARY_MAX_LENGTH,
    ),
    ...(failed?.url ? ['', `Action details: ${failed.url}`] : []),
  ];
  const problems = [
    ...(lookup.factsError ? [`execution: ${lookup.factsError}`] : []),
    ...(lookup.failedActionError ? [`failed action: ${lookup.failedActionError}`] : []),
  ];
  if (problems.length > 0) {
    lines.push('', 'Some details could not be looked up:', ...problems.map((p) => `- ${p}`));
  }
  lines.push('', 'Open the execution in the AWS console:', link);
  return { subject: failureSubject(project, failed?.stage, mode), message: lines.join('\n') + '\n' };
}
