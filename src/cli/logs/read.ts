import {
  paginateFilterLogEvents,
  type CloudWatchLogsClient,
  type FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { projectNames } from '../../config/names';
import type { ParsedConfig, ParsedProject } from '../../config/schema';
import { IMAGE_PLATFORMS } from '../../contracts';
import { DEPLOY_HINT, errorName, translateAwsError } from '../aws';
import { CliError, usageError } from '../errors';

/**
 * Where `berth logs` reads (the service's log group, or a pipeline stage's), what `--since` means, and the
 * FilterLogEvents calls.
 */

export interface LogSource {
  /** `service`, `checkout`, `build-amd64`, ...: printed before each stream name when several groups are read. */
  readonly label: string;
  readonly logGroup: string;
}

/** The names `--stage` accepts, in pipeline order (Source writes no logs). */
export const LOG_STAGES = ['checkout', 'test', 'build', 'scan', 'push', 'deploy', 'verify'] as const;
const LAMBDA_STAGES = new Set(['scan', 'push', 'deploy', 'verify']);

/** The log groups of the service, or of one pipeline stage (`build`: one per architecture the project builds). */
export function logSources(
  config: Pick<ParsedConfig, 'prefix'>,
  project: Pick<ParsedProject, 'name' | 'build'>,
  stage: string | undefined,
): LogSource[] {
  const names = projectNames(config, project);
  if (stage === undefined) return [{ label: 'service', logGroup: names.logGroup }];
  const s = stage.trim().toLowerCase();
  const architectures = project.build.platforms.map((p) => IMAGE_PLATFORMS[p]);
  if (s === 'checkout' || s === 'test') return [{ label: s, logGroup: names.stageLogGroup(s) }];
  if (s === 'build') {
    return architectures.map((a) => ({ label: `build-${a}`, logGroup: names.stageLogGroup(`build-${a}`) }));
  }
  const arch = /^build-(amd64|arm64)$/.exec(s)?.[1];
  if (arch && (architectures as string[]).includes(arch))
    return [{ label: s, logGroup: names.stageLogGroup(s) }];
  if (LAMBDA_STAGES.has(s)) return [{ label: s, logGroup: `/aws/lambda/${names.releaseFunction(s)}` }];
  const valid = `${LOG_STAGES.join(', ')} (build is every build-<arch>: ${architectures.map((a) => `build-${a}`).join(', ')})`;
  if (s === 'source') {
    throw usageError(
      `The Source stage writes no logs (it only hands CodePipeline a fixed object): choose one of ${valid}.`,
      'unknown-stage',
    );
  }
  throw usageError(`--stage ${stage} is not a stage with logs: choose one of ${valid}.`, 'unknown-stage');
}

/** `--since`: `30s`, `15m`, `1h`, `2d`, `1w` before `now`, or an ISO 8601 time; epoch milliseconds. */
export function parseSince(text: string, now: number): number {
  const t = text.trim();
  const rel = /^(\d+)\s*([smhdw])$/i.exec(t);
  if (rel) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
      rel[2].toLowerCase() as 's' | 'm' | 'h' | 'd' | 'w'
    ];
    return now - Number(rel[1]) * unit;
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    const ms = Date.parse(t.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return ms;
  }
  throw usageError(
    `--since takes a duration before now (30s, 15m, 1h, 2d, 1w) or an ISO time such as 2025-06-01T10:00:00Z; got "${text}".`,
  );
}

/**
 * `--filter TEXT` as a CloudWatch Logs filter pattern: TEXT is matched as one exact phrase, unless it is a
 * pattern already (starts with `{`, `[`, `"`, `?` or `%`: JSON, space-delimited, quoted, OR-terms, regex).
 */
export function filterPattern(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const t = text.trim();
  if (/^[{["?%]/.test(t)) return t;
  return `"${t.replace(/"/g, '')}"`;
}

export interface LogLine {
  readonly timestamp: number;
  readonly source: string;
  readonly logGroup: string;
  readonly stream: string;
  readonly message: string;
  readonly eventId: string;
}

export interface ReadResult {
  readonly lines: LogLine[];
  /** True when a cap stopped the reading before the last page. */
  readonly truncated: boolean;
}

/** Reads the events of every source from `startTime` on, up to `maxPages` pages of each; sorted by time. */
export async function readEvents(
  logs: CloudWatchLogsClient,
  sources: readonly LogSource[],
  query: { startTime: number; pattern?: string; maxPages: number; region: string; project: string },
): Promise<ReadResult> {
  let truncated = false;
  const lines: LogLine[] = [];
  for (const source of sources) {
    let pages = 0;
    try {
      for await (const page of paginateFilterLogEvents(
        { client: logs, pageSize: 1000 },
        { logGroupName: source.logGroup, startTime: query.startTime, filterPattern: query.pattern },
      )) {
        for (const e of page.events ?? []) lines.push(toLine(e, source));
        if (++pages >= query.maxPages && page.nextToken) {
          truncated = true;
          break;
        }
      }
    } catch (e) {
      if (errorName(e) === 'ResourceNotFoundException')
        throw missingGroup(source, query.region, query.project);
      throw translateAwsError(e, {
        action: 'logs:FilterLogEvents',
        resource: `the log group ${source.logGroup}`,
        region: query.region,
      });
    }
  }
  lines.sort((a, b) => a.timestamp - b.timestamp);
  return { lines, truncated };
}

function toLine(e: FilteredLogEvent, source: LogSource): LogLine {
  return {
    timestamp: e.timestamp ?? 0,
    source: source.label,
    logGroup: source.logGroup,
    stream: e.logStreamName ?? '',
    message: (e.message ?? '').replace(/\r?\n$/, ''),
    eventId: e.eventId ?? `${source.logGroup}/${e.logStreamName}/${e.timestamp}/${e.message}`,
  };
}

function missingGroup(source: LogSource, region: string, project: string): CliError {
  const why =
    source.label === 'service'
      ? `the stack of ${project} is not deployed: ${DEPLOY_HINT}`
      : `the ${source.label} stage has not been deployed or has not run yet (\`npx cdk deploy\`, then push a commit)`;
  return new CliError(
    `The log group ${source.logGroup} does not exist in ${region}: ${why}.`,
    'log-group-missing',
  );
}

/** `2025-06-01T10:00:00.123Z  <stream>  <message>`; the stream carries its source when several are read. */
export function formatLine(l: LogLine, withSource: boolean): string {
  const stream = withSource ? `${l.source}/${l.stream}` : l.stream;
  return `${new Date(l.timestamp).toISOString()}  ${stream}  ${l.message}`;
}
