import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Stack tests synthesize whole apps; two cores share them.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    env: { CDK_VALIDATION: 'false' },
  },
});
