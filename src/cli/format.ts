/** Formatting shared by the commands' reports. Pure, and loads nothing. */

/** A 40-hex commit as its 7-character short form; anything else (a tag such as `none`) as it is. */
export function shortCommit(commit: string): string {
  return /^[0-9a-f]{40}$/i.test(commit) ? commit.slice(0, 7) : commit;
}

/** A time as ISO 8601 to the second (`2026-12-01T19:20:53Z`); undefined stays undefined. */
export function iso(d: Date | undefined): string | undefined {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
}
