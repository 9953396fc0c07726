/**
 * The CLI's one error type. Every message is a sentence that says what went wrong and what to do next;
 * `code` is stable and goes into `--json` output so scripts can branch on it.
 */

/** Exit codes: 0 done, 1 a runtime failure (AWS, Azure DevOps, network), 2 a usage or config problem. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export type ErrorCode =
  | 'usage'
  | 'config'
  | 'unknown-project'
  | 'no-aws-credentials'
  | 'aws-credentials-refused'
  | 'aws-access-denied'
  | 'aws-error'
  | 'stack-not-deployed'
  | 'stack-not-ready'
  | 'secret-missing'
  | 'secret-malformed'
  | 'no-pat'
  | 'invalid-pat'
  | 'cancelled'
  | 'azure-devops-unauthorized'
  | 'azure-devops-forbidden'
  | 'azure-devops-not-found'
  | 'azure-devops-unreachable'
  | 'azure-devops-error'
  | 'subscription-refused'
  | 'region-mismatch'
  | 'not-released'
  | 'nothing-to-roll-back'
  | 'unknown-commit'
  | 'image-missing'
  | 'exec-disabled'
  | 'plugin-missing'
  | 'no-running-task'
  | 'unknown-stage'
  | 'log-group-missing'
  | 'pipeline-failed'
  | 'pipeline-timeout'
  | 'task-failed'
  | 'session-failed'
  | 'internal';

export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A usage problem (bad arguments, unknown command or project, invalid config): exit code 2. */
export function usageError(message: string, code: ErrorCode = 'usage'): CliError {
  return new CliError(message, code, EXIT_USAGE);
}
