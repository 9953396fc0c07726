import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Test files that run child processes or synthesize for seconds. They start first, so that no worker is left
 * running one alone at the end: in a clean checkout vitest has no timings of earlier runs to order by.
 */
const START_FIRST = [
  'test/docs/commands.test.ts',
  'test/app.test.ts',
  'test/project/pipeline/scripts/checkout.test.ts',
  'test/cli/plan.test.ts',
  'test/project/isolation.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = START_FIRST.findIndex((p) => f.moduleId.endsWith(p));
      return i < 0 ? START_FIRST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Stack tests synthesize whole apps; two cores share them.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Both cores: vitest's default leaves one of two idle.
    maxWorkers: 2,
    // The test files of one worker share loaded modules: loading aws-cdk-lib or an SDK client takes up to a
    // second, and most files need them. test/support/setup.ts undoes what a file may change globally.
    isolate: false,
    setupFiles: ['test/support/setup.ts'],
    // One scratch folder per run for the apps tests synthesize, removed at the end.
    globalSetup: ['test/support/global-setup.ts'],
    sequence: { sequencer: LongestFirst },
    // The SDK warns on every client that Node 20 is leaving support; the functions run on Node 22 in Lambda.
    env: { CDK_VALIDATION: 'false', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
