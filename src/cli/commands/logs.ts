import type { Command } from '../context';
import { usageError } from '../errors';
import {
  LOG_STAGES,
  filterPattern,
  formatLine,
  logSources,
  parseSince,
  readEvents,
  type LogLine,
} from '../logs/read';

const USAGE = 'berth logs <project> [--since <time>] [--follow] [--filter <text>] [--stage <name>]';
/** Pages (of up to 1,000 events) read per log group without --follow: at most 10,000 events. */
const MAX_PAGES = 10;
/** Pages per log group and poll with --follow. */
const FOLLOW_MAX_PAGES = 5;
/** Wait between two polls with --follow. */
export const LOGS_FOLLOW_POLL_MS = 2_000;
const DEFAULT_SINCE = '1h';

/** `berth logs <project>`: the service's (or a pipeline stage's) log events, straight from CloudWatch Logs. */
export const logsCommand: Command = {
  name: 'logs',
  usage: USAGE,
  summary: "Print <project>'s service log, or a pipeline stage's, from CloudWatch Logs",
  description: [
    "Reads the service's log group /<prefix>/<project>/service (every task's stream app/app/<task-id>) with",
    'FilterLogEvents and prints one line per event: time (UTC), stream, message.',
    '',
    `--since <time>    from when: 30s, 15m, 1h, 2d, 1w before now, or an ISO time [${DEFAULT_SINCE}]`,
    '--follow          keep printing new events (a poll every 2 s) until Ctrl-C, which ends it with exit 0',
    '--filter <text>   only events containing <text> (one exact phrase); a CloudWatch Logs filter pattern when',
    '                  it starts with { [ " ? or % (e.g. \'{ $.level = "error" }\')',
    `--stage <name>    a pipeline stage's log instead: ${LOG_STAGES.join(', ')} (case-insensitive;`,
    '                  build = every build-<arch> of the project, build-amd64 and build-arm64 each alone)',
    '',
    `Without --follow it prints at most ${MAX_PAGES * 1000} events per log group and says so when there were more.`,
    '--json prints {"events": [{"time", "logGroup", "stream", "message"}], ...}; it cannot be combined with',
    '--follow.',
    '',
    'It needs logs:FilterLogEvents on the log group.',
    '',
    'Examples:',
    '  berth logs cash-collection --since 15m',
    '  berth logs cash-collection --follow --filter ERROR',
    '  berth logs cash-collection --stage build --since 2h',
  ].join('\n'),
  options: {
    since: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
    filter: { type: 'string' },
    stage: { type: 'string' },
  },

  async run(ctx, positionals, values) {
    if (positionals.length > 1) {
      throw usageError(`Too many arguments (${positionals.length}): run \`${USAGE}\` with one project.`);
    }
    const follow = values.follow === true;
    if (follow && ctx.out.json) {
      throw usageError(
        '--follow prints events as they come and --json prints one document at the end: use one of them (without --follow, --json gives the events since --since).',
      );
    }
    const config = ctx.config();
    const project = ctx.project(positionals[0], USAGE);
    const sources = logSources(
      config,
      project,
      values.stage === undefined ? undefined : String(values.stage),
    );
    const sinceText = values.since === undefined ? DEFAULT_SINCE : String(values.since);
    const startTime = parseSince(sinceText, ctx.now());
    const pattern = filterPattern(values.filter === undefined ? undefined : String(values.filter));
    const { region, clients } = ctx.aws();
    const several = sources.length > 1;
    const query = { pattern, region, project: project.name };

    if (!follow) {
      const result = await ctx.out.withProgress(
        `Reading ${sources.map((s) => s.logGroup).join(' and ')} in ${region}`,
        () => readEvents(clients.cloudWatchLogs, sources, { ...query, startTime, maxPages: MAX_PAGES }),
      );
      const data = {
        project: project.name,
        region,
        logGroups: sources.map((s) => s.logGroup),
        since: new Date(startTime).toISOString(),
        filterPattern: pattern ?? null,
        truncated: result.truncated,
        events: result.lines.map(jsonLine),
      };
      if (result.truncated) {
        ctx.out.warn(
          `more events than the ${MAX_PAGES * 1000} per log group shown: narrow them with a later --since or a --filter.`,
        );
      }
      if (ctx.out.json) {
        ctx.out.result('', data);
        return;
      }
      if (result.lines.length === 0) {
        ctx.out.info(
          `No events in ${sources.map((s) => s.logGroup).join(' or ')} since ${new Date(startTime).toISOString()}${pattern ? ` matching ${pattern}` : ''}.`,
        );
      }
      for (const l of result.lines) ctx.out.line(formatLine(l, several));
      return;
    }

    // --follow: poll from the newest event seen; the same event is never printed twice.
    const signal = ctx.interrupt();
    ctx.out.info(`Following ${sources.map((s) => s.logGroup).join(' and ')} in ${region} (Ctrl-C to stop).`);
    let from = startTime;
    let seen = new Set<string>();
    while (!signal.aborted) {
      const { lines } = await readEvents(clients.cloudWatchLogs, sources, {
        ...query,
        startTime: from,
        maxPages: FOLLOW_MAX_PAGES,
      });
      const fresh = lines.filter((l) => !seen.has(l.eventId));
      for (const l of fresh) ctx.out.line(formatLine(l, several));
      if (lines.length > 0) {
        const newest = lines[lines.length - 1].timestamp;
        // The next poll starts at the newest timestamp (inclusive): only the events at it come back again.
        seen = new Set(lines.filter((l) => l.timestamp === newest).map((l) => l.eventId));
        from = newest;
      }
      if (signal.aborted) break;
      await ctx.sleep(LOGS_FOLLOW_POLL_MS, signal);
    }
  },
};

function jsonLine(l: LogLine) {
  return {
    time: new Date(l.timestamp).toISOString(),
    timestamp: l.timestamp,
    logGroup: l.logGroup,
    stream: l.stream,
    message: l.message,
  };
}
