import {
  PIPELINE_VARIABLES,
  RELEASE_MODES,
  type ReleaseActionParameters,
  type ReleaseMode,
} from '../../contracts';
import { quote } from './text';

/**
 * The action's `UserParameters` (see `releaseUserParameters()` in the contracts): JSON
 * `{"commit": ..., "mode": ..., "executionId": ...}` resolved by CodePipeline from the execution's variables.
 */

/** The validated parameters: `commit` is 40 lower-case hex digits for `release` and `rollback`. */
export interface ReleaseParameters extends ReleaseActionParameters {
  readonly mode: ReleaseMode;
}

export type ParametersResult =
  | { readonly ok: true; readonly params: ReleaseParameters }
  | { readonly ok: false; readonly problem: string };

const COMMIT = /^[0-9a-fA-F]{40}$/;
/** CodePipeline execution ids are UUIDs; a redeploy writes one into the stack parameter `RestartNonce`. */
const EXECUTION_ID = /^[A-Za-z0-9-]{1,100}$/;

const fail = (problem: string): ParametersResult => ({ ok: false, problem });

/** Parses and validates `UserParameters`; every problem names the pipeline variable to fix. */
export function parseActionParameters(raw: string | undefined): ParametersResult {
  const expected =
    'expected JSON {"commit": "<40 hex>", "mode": "release|rollback|redeploy", "executionId": "<id>"}';
  if (raw === undefined || raw.trim() === '')
    return fail(`the action's UserParameters are empty: ${expected}`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return fail(`the action's UserParameters are not JSON: ${expected}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail(`the action's UserParameters are not a JSON object: ${expected}`);
  }
  const { commit, mode, executionId } = json as Record<string, unknown>;

  const modeText = typeof mode === 'string' ? mode.trim().toLowerCase() : undefined;
  if (modeText === undefined || !(RELEASE_MODES as readonly string[]).includes(modeText)) {
    return fail(
      `the pipeline variable ${PIPELINE_VARIABLES.mode} must be one of ${RELEASE_MODES.join(', ')} (got ${quote(mode ?? 'nothing')})`,
    );
  }
  const releaseMode = modeText as ReleaseMode;

  const commitText = typeof commit === 'string' ? commit.trim() : '';
  if (releaseMode !== 'redeploy' && !COMMIT.test(commitText)) {
    return fail(
      `the pipeline variable ${PIPELINE_VARIABLES.commit} must be a full 40-hex-digit commit id for a ${releaseMode} (got ${quote(commit ?? 'nothing')}); start the execution with ${PIPELINE_VARIABLES.commit} set`,
    );
  }

  const id = typeof executionId === 'string' ? executionId.trim() : '';
  if (!EXECUTION_ID.test(id)) {
    return fail(
      `the execution id must be 1 to 100 letters, digits or dashes (got ${quote(executionId ?? 'nothing')})`,
    );
  }
  return {
    ok: true,
    params: {
      commit: COMMIT.test(commitText) ? commitText.toLowerCase() : commitText,
      mode: releaseMode,
      executionId: id,
    },
  };
}
