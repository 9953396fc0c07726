#!/usr/bin/env bash
# Shared functions of Berth's CodeBuild stage scripts (checkout.sh, test.sh, build.sh). Each stage script
# sources this file; at synth, src/project/pipeline/scripts.ts inlines it in place of the `source` line, so the
# buildspec holds one self-contained script. Scripts print `berth: ...` lines; errors go to stderr. None uses
# `set -x` (it would print the PAT's header in Checkout).
set -euo pipefail

# What Checkout produces (scripts.ts exports the same names: CHECKOUT_DIRECTORY, COMMIT_FILE).
# shellcheck disable=SC2034 # used by the stage scripts that source this file
BERTH_CHECKOUT_DIRECTORY=berth-checkout
# shellcheck disable=SC2034
BERTH_COMMIT_FILE=.berth/commit

export AWS_PAGER=''

berth_say() { printf 'berth: %s\n' "$*"; }
berth_warn() { printf 'berth: warning: %s\n' "$*"; }
berth_fail() {
  printf 'berth: %s\n' "$*" >&2
  exit 1
}

# Fails unless every named variable is set and not empty.
berth_require() {
  local name
  for name in "$@"; do
    [[ -n "${!name:-}" ]] || berth_fail "$name is not set: the stage's CodeBuild project must provide it"
  done
}

# Validates COMMIT_ID (40 hex digits, lower-cased in place); "none" is the pipeline variable's default.
berth_require_commit() {
  local c="${COMMIT_ID:-}"
  c="${c//[[:space:]]/}"
  if [[ -z "$c" || "$c" == none ]]; then
    berth_fail 'this execution has no commit: pushes start it through the webhook; to run it by hand, start it with the COMMIT_ID variable set'
  fi
  c="${c,,}"
  if [[ ! "$c" =~ ^[0-9a-f]{40}$ ]]; then
    berth_fail "COMMIT_ID is not a 40-character hexadecimal commit SHA (got $(printf '%q' "$c")): start the execution with the full SHA"
  fi
  COMMIT_ID="$c"
}

# Scratch space, removed when the script ends however it ends.
berth_tmp="$(mktemp -d)"
trap 'rm -rf "$berth_tmp"' EXIT
