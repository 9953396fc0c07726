/** Text helpers of the release functions: the shared ones (src/shared/text.ts), and two of their own. */
import { truncate } from '../../shared/text';

export { describeError, oneLine, shortCommit, truncate } from '../../shared/text';

/** A value from outside (a parameter, an environment variable) quoted for a message, at most 80 characters. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(truncate(text, 80));
}

/** `n thing` / `n things`. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}
