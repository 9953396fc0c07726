/** Formatting shared by the commands' reports. Pure, and loads nothing. */

/** A time as ISO 8601 to the second (`2026-12-01T19:20:53Z`); undefined stays undefined. */
export function iso(d: Date | undefined): string | undefined {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
}
