/** Small pure text helpers the functions share: messages CodePipeline, Azure DevOps and chat show, and log fields. */

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

/** Replaces every occurrence of each non-empty secret with `[redacted]` (longest first, so no part of one is left). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length > 0) out = out.split(s).join('[redacted]');
  }
  return out;
}

/** A full, 40-hex-digit Git commit id. */
export function isCommitId(value: string): boolean {
  return /^[0-9a-f]{40}$/i.test(value);
}

/** The first 7 characters of a full commit id, as Git and Azure DevOps show it; anything else unchanged. */
export function shortCommit(commit: string): string {
  return isCommitId(commit) ? commit.slice(0, 7) : commit;
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
