/** Small pure text helpers of the alerts function. */

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

/** Replaces every occurrence of each non-empty secret with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length > 0) out = out.split(s).join('[redacted]');
  }
  return out;
}

/** Describes an unknown thrown value in one line, without its stack (and with its cause's code, if any). */
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
