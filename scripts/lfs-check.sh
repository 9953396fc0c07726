#!/usr/bin/env bash
# Runs the Checkout stage's Git LFS check (scripts/lfs-check/): a real checkout of a repository using Git LFS
# against the test git server's LFS endpoint. It needs git-lfs (Debian's `apt-get install -y git-lfs` works),
# so `npm test` does not run it; CI runs it when git-lfs is installed:
#   if command -v git-lfs >/dev/null; then bash scripts/lfs-check.sh; fi
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! git lfs version >/dev/null 2>&1; then
  printf 'lfs-check: git-lfs is not installed (apt-get install -y git-lfs): nothing was checked\n' >&2
  exit 2
fi
printf 'lfs-check: %s\n' "$(git lfs version)"
exec npx vitest run --config scripts/lfs-check/vitest.config.mts "$@"
