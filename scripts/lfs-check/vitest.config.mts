// The Checkout stage's Git LFS check: it needs git-lfs, so it is not part of `npm test` (vitest.config.mts);
// run it with scripts/lfs-check.sh (from the repository root, vitest's root), which CI calls when git-lfs is
// installed.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['scripts/lfs-check/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
