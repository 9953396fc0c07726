#!/usr/bin/env bash
# Berth's Test stage (CodeBuild), run in the tree Checkout produced (CODEBUILD_SRC_DIR): `npm ci` when there is
# a package.json with a lockfile (package-lock.json or npm-shrinkwrap.json; other package managers go in
# TEST_COMMAND), then TEST_COMMAND in a fresh bash. Fails with TEST_COMMAND's exit status. JUnit XML files the
# tests write (junit*.xml, TEST-*.xml, anywhere) become the `tests` report (see scripts.ts).
#
# Environment: TEST_COMMAND; optional COMMIT_ID (shown when .berth/commit is missing), CODEBUILD_SRC_DIR.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

berth_require TEST_COMMAND
cd "${CODEBUILD_SRC_DIR:-.}"
if [[ -f "$BERTH_COMMIT_FILE" ]]; then
  commit="$(<"$BERTH_COMMIT_FILE")"
  berth_say "testing commit ${commit//[[:space:]]/}"
else
  berth_warn "no $BERTH_COMMIT_FILE in the tree (is it the Checkout stage's output?): testing commit ${COMMIT_ID:-(unknown)}"
fi

if [[ -f package.json && (-f package-lock.json || -f npm-shrinkwrap.json) ]]; then
  berth_say "package.json with a lockfile: installing dependencies (npm ci)"
  status=0
  npm ci --include=dev --no-audit --no-fund || status=$?
  if ((status != 0)); then
    berth_fail "npm ci failed (exit status $status): check that the lockfile matches package.json"
  fi
fi

berth_say "running TEST_COMMAND: $TEST_COMMAND"
status=0
bash -c "$TEST_COMMAND" || status=$?
if ((status != 0)); then
  printf 'berth: the tests failed: TEST_COMMAND exited with status %s\n' "$status" >&2
  exit "$status"
fi
berth_say "the tests passed"
