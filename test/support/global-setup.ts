import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** The variable naming the run's scratch folder, where test apps synthesize (test/support/app.ts). */
export const SCRATCH_ENV = 'BERTH_TEST_SCRATCH';

/**
 * Runs once in vitest's main process, before the workers start (they inherit the variable): every app a test
 * synthesizes writes its cloud assembly under one folder, removed when the run ends, instead of leaving a
 * `cdk.out*` folder in the system's temporary directory per app.
 */
export default function setup(): () => void {
  const scratch = mkdtempSync(path.join(tmpdir(), 'berth-test-run-'));
  process.env[SCRATCH_ENV] = scratch;
  return () => rmSync(scratch, { recursive: true, force: true });
}
