#!/usr/bin/env bash
# A fake npm for tests (linked as `npm` in a folder first on PATH). It records its arguments like
# record-exec.sh; `npm ci` exits with the status in $FAKE_STATE/fixtures/npm/ci.exit (default 0) and creates
# node_modules/, as the real one would. Anything else fails with exit status 97.
set -euo pipefail
state="${FAKE_STATE:?FAKE_STATE must name the fakes state folder}"
record="npm"
for arg in "$@"; do record+=$'\x1f'"$arg"; done
printf '%s\x1e' "$record" >>"$state/calls"
case "${1:-}" in
  ci)
    status=0
    if [[ -f "$state/fixtures/npm/ci.exit" ]]; then read -r status <"$state/fixtures/npm/ci.exit" || true; fi
    if [[ "$status" == 0 ]]; then
      mkdir -p node_modules
      printf 'added 0 packages in 0s (fake)\n'
    else
      printf 'npm error code EUSAGE (fake)\n' >&2
    fi
    exit "$status"
    ;;
  *)
    printf 'fake npm: no answer for: %s\n' "$*" >&2
    exit 97
    ;;
esac
