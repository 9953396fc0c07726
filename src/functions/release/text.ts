/** Small pure text helpers of the release functions: messages CodePipeline shows and log fields. */

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

/** A value from outside (a parameter, an environment variable) quoted for a message, at most 80 characters. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(truncate(text, 80));
}

/** The first 7 characters of a full commit id, as Git shows it; anything else unchanged. */
export function shortCommit(commit: string): string {
  return /^[0-9a-f]{40}$/i.test(commit) ? commit.slice(0, 7) : commit;
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

/** `n thing` / `n things`. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}
