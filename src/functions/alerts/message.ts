import { oneLine, truncate } from './text';

/**
 * What arrives on the alarm topic, read into one neutral shape ({@link Alert}) that the Slack and Teams formatters
 * render. Three kinds of message reach the topic:
 * - a CloudWatch alarm state change: JSON with AlarmName, NewStateValue, OldStateValue, NewStateReason,
 *   AlarmDescription, StateChangeTime, Region (a display name such as "US East (N. Virginia)"), AWSAccountId and
 *   AlarmArn;
 * - a plain-text message with a Subject: a failed release from the pipeline-events function (`Label:   value` rows,
 *   paragraphs, a console link last) and `berth alerts test`;
 * - a CodePipeline manual approval request: JSON with `approval` (pipeline, stage, action, review link).
 * Anything else is passed through as text. Pure: no I/O.
 */

export type Severity = 'alarm' | 'ok' | 'insufficient' | 'failure' | 'info';

export interface Fact {
  readonly name: string;
  readonly value: string;
}

export interface Section {
  readonly title?: string;
  readonly text: string;
}

export interface Alert {
  readonly severity: Severity;
  /** One line. */
  readonly title: string;
  /** The lead paragraph (an alarm's meaning, a failure's headline). */
  readonly summary?: string;
  readonly facts: readonly Fact[];
  readonly sections: readonly Section[];
  /** The one link to act on (the alarm or the pipeline execution in the AWS console). */
  readonly link?: { readonly title: string; readonly url: string };
}

/** The parts of an SNS message the function reads. */
export interface TopicMessage {
  readonly Subject?: string | null;
  readonly Message: string;
}

/** The parts of an alarm's description as `alarmDescription` (src/monitoring/berth-alarm.ts) writes it. */
export interface DescriptionParts {
  readonly meaning: string;
  readonly firstCheck?: string;
  readonly tune?: string;
  readonly runbook?: string;
}

/**
 * Splits a Berth alarm description, `<meaning> First check: <check> Tune: <tune>.[ Platform generation: <g>.]
 * Runbook: <anchor>`, into its parts; any other description is all meaning. The platform generation is left out:
 * it is there to make deploys update the alarm, not for people.
 */
export function parseAlarmDescription(description: string): DescriptionParts {
  const m =
    /^([\s\S]*?) First check: ([\s\S]*?) Tune: ([\s\S]*?)\.(?: Platform generation: [0-9a-f]+\.)? Runbook: (\S+)$/.exec(
      description.trim(),
    );
  if (!m) return { meaning: description.trim() };
  return { meaning: m[1].trim(), firstCheck: m[2].trim(), tune: m[3].trim(), runbook: m[4].trim() };
}

const STATE_TITLES: Readonly<Record<string, { severity: Severity; label: string }>> = {
  ALARM: { severity: 'alarm', label: 'ALARM' },
  OK: { severity: 'ok', label: 'OK' },
  INSUFFICIENT_DATA: { severity: 'insufficient', label: 'INSUFFICIENT DATA' },
};

/** The AWS console page of one alarm. */
export function alarmConsoleUrl(region: string, alarmName: string): string {
  const r = encodeURIComponent(region);
  return `https://${r}.console.aws.amazon.com/cloudwatch/home?region=${r}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}

const REGION_CODE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The region code of an alarm: from its ARN (the message's `Region` is a display name), else `fallback`. */
export function alarmRegion(alarmArn: unknown, fallback: string | undefined): string | undefined {
  if (typeof alarmArn === 'string') {
    const region = alarmArn.split(':')[3];
    if (region && REGION_CODE.test(region)) return region;
  }
  return fallback && REGION_CODE.test(fallback) ? fallback : undefined;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;

function parseJson(text: string): Record<string, unknown> | undefined {
  const t = text.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A CloudWatch alarm state change. */
export function alarmAlert(json: Record<string, unknown>, fallbackRegion?: string): Alert {
  const name = str(json.AlarmName) ?? 'unnamed alarm';
  const newState = str(json.NewStateValue) ?? 'UNKNOWN';
  const oldState = str(json.OldStateValue);
  const state = STATE_TITLES[newState] ?? { severity: 'info' as const, label: newState };
  const description = parseAlarmDescription(str(json.AlarmDescription) ?? '');
  const region = alarmRegion(json.AlarmArn, fallbackRegion);
  const account = str(json.AWSAccountId);
  const where = [account, region ?? str(json.Region)].filter(Boolean);

  const facts: Fact[] = [
    { name: 'State', value: oldState ? `${oldState} -> ${newState}` : newState },
    ...(str(json.StateChangeTime) ? [{ name: 'Since', value: str(json.StateChangeTime)! }] : []),
    ...(where.length > 0
      ? [{ name: 'Account', value: where.length === 2 ? `${where[0]} (${where[1]})` : where[0]! }]
      : []),
  ];
  const sections: Section[] = [
    ...(str(json.NewStateReason) ? [{ title: 'Why', text: str(json.NewStateReason)! }] : []),
    ...(description.firstCheck ? [{ title: 'First check', text: description.firstCheck }] : []),
    ...(description.tune ? [{ title: 'Tune', text: description.tune }] : []),
    ...(description.runbook ? [{ title: 'Runbook', text: description.runbook }] : []),
  ];
  const resolved = newState === 'OK' ? ' (resolved)' : '';
  return {
    severity: state.severity,
    title: `${state.label}${resolved}: ${name}`,
    ...(description.meaning ? { summary: description.meaning } : {}),
    facts,
    sections,
    ...(region
      ? { link: { title: 'Open the alarm in the AWS console', url: alarmConsoleUrl(region, name) } }
      : {}),
  };
}

/** A CodePipeline manual approval request. The approval token is left out: chat is no place for it. */
export function approvalAlert(
  json: Record<string, unknown>,
  approval: Record<string, unknown>,
  subject: string | undefined,
): Alert {
  const pipeline = str(approval.pipelineName) ?? 'a pipeline';
  const facts: Fact[] = [
    { name: 'Pipeline', value: pipeline },
    ...(str(approval.stageName) ? [{ name: 'Stage', value: str(approval.stageName)! }] : []),
    ...(str(approval.actionName) ? [{ name: 'Action', value: str(approval.actionName)! }] : []),
    ...(str(approval.expires) ? [{ name: 'Expires', value: str(approval.expires)! }] : []),
  ];
  const url = str(approval.approvalReviewLink) ?? str(json.consoleLink);
  const custom = str(approval.customData);
  return {
    severity: 'info',
    title: subject ?? `Approval needed: ${pipeline}`,
    summary: `The pipeline ${pipeline} waits for an approval.`,
    facts,
    sections: custom ? [{ title: 'Note', text: custom }] : [],
    ...(url && url.startsWith('https://') ? { link: { title: 'Review in the AWS console', url } } : {}),
  };
}

/** `Label:` then spaces then a value, as the pipeline-events function writes its rows. */
const FACT_ROW = /^([A-Z][A-Za-z ]{0,30}):\s+(\S.*)$/;
const URL_RE = /https:\/\/[^\s<>"]+/g;
const CONSOLE_HOST = /^https:\/\/([a-z0-9-]+\.)*console\.aws\.amazon\.com\//;

/**
 * A plain-text message: the subject is the title; paragraphs made only of `Label:   value` rows become facts;
 * `Heading:` alone on a line starts a titled section; the last AWS console URL becomes the link.
 */
export function textAlert(subject: string | undefined, message: string): Alert {
  const paragraphs = message
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+$/, '').replace(/^\n+/, ''))
    .filter((p) => p.trim() !== '');
  const facts: Fact[] = [];
  const sections: Section[] = [];
  let pendingTitle: string | undefined;
  let link: Alert['link'];

  const consoleUrls = [...message.matchAll(URL_RE)].map((m) => m[0]).filter((u) => CONSOLE_HOST.test(u));
  const consoleUrl = consoleUrls[consoleUrls.length - 1];

  for (const p of paragraphs) {
    const lines = p.split('\n');
    if (lines.every((l) => FACT_ROW.test(l))) {
      for (const l of lines) {
        const [, name, value] = FACT_ROW.exec(l)!;
        facts.push({ name: name.trim(), value: value.trim() });
      }
      continue;
    }
    // The console link paragraph ("Open ... in the AWS console:" then the URL) becomes the button.
    if (consoleUrl && lines[lines.length - 1].trim() === consoleUrl) {
      const label = lines.slice(0, -1).join(' ').trim().replace(/:$/, '');
      link = { title: label ? truncate(label, 60) : 'Open in the AWS console', url: consoleUrl };
      continue;
    }
    let title = pendingTitle;
    pendingTitle = undefined;
    let body = lines;
    if (lines.length > 1 && /^[A-Z][^:]{0,60}:$/.test(lines[0].trim())) {
      title = lines[0].trim().replace(/:$/, '');
      body = lines.slice(1);
    } else if (lines.length === 1 && /^[A-Z][^:]{0,60}:$/.test(lines[0].trim())) {
      pendingTitle = lines[0].trim().replace(/:$/, '');
      continue;
    }
    sections.push({ ...(title ? { title } : {}), text: body.join('\n') });
  }
  if (pendingTitle) sections.push({ text: `${pendingTitle}:` });

  const firstLine = oneLine(paragraphs[0]?.split('\n')[0] ?? '');
  const title = oneLine(subject ?? '') || firstLine || 'Berth notification';
  // The first untitled paragraph is the headline when it is the message's first paragraph.
  let summary: string | undefined;
  if (sections.length > 0 && sections[0].title === undefined && paragraphs[0] === sections[0].text) {
    summary = sections.shift()!.text;
  }
  return {
    severity: /\bfail(ed|ure)?\b/i.test(title) ? 'failure' : 'info',
    title,
    ...(summary ? { summary } : {}),
    facts,
    sections,
    ...(link ? { link } : {}),
  };
}

/** Reads any message of the alarm topic. `region`: the function's own, for alarms whose ARN lacks one. */
export function readMessage(message: TopicMessage, region?: string): Alert {
  const subject = str(message.Subject ?? undefined);
  const json = parseJson(message.Message);
  if (json && typeof json.AlarmName === 'string' && typeof json.NewStateValue === 'string') {
    return alarmAlert(json, region);
  }
  if (json && typeof json.approval === 'object' && json.approval !== null) {
    return approvalAlert(json, json.approval as Record<string, unknown>, subject);
  }
  if (json) {
    return {
      severity: 'info',
      title: subject ?? 'Berth notification',
      facts: [],
      sections: [{ text: JSON.stringify(json, null, 2) }],
    };
  }
  return textAlert(subject, message.Message);
}
