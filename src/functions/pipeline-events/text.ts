/** Small pure text helpers shared by the notification and the commit status. */

/** Cuts `text` to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number, ellipsis = '...'): string {
  if (text.length <= max) return text;
  if (max <= ellipsis.length) return text.slice(0, max);
  return text.slice(0, max - ellipsis.length).trimEnd() + ellipsis;
}

/** One line: control characters and runs of whitespace become single spaces. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
}

/** Removes every occurrence of the given secrets (and empty strings are ignored). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length > 0) out = out.split(s).join('[redacted]');
  }
  return out;
}

/** The first 7 characters of a full commit id, as Git and Azure DevOps show it. */
export function shortCommit(commit: string): string {
  return /^[0-9a-f]{40}$/i.test(commit) ? commit.slice(0, 7) : commit;
}

/** A full, 40-hex-digit Git commit id. */
export function isCommitId(value: string): boolean {
  return /^[0-9a-f]{40}$/i.test(value);
}

/** Describes an unknown thrown value in one line, without its stack. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code =
      cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string'
        ? ` (${cause.code})`
        : '';
    return oneLine(`${err.name}: ${err.message}${code}`);
  }
  return oneLine(String(err));
}
