import { defineConfig } from 'vitest/config';

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
    // The SDK warns on every client that Node 20 is leaving support; the functions run on Node 22 in Lambda.
    env: { CDK_VALIDATION: 'false', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
