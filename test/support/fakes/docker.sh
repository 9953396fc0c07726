#!/usr/bin/env bash
# A fake docker CLI for tests (linked as `docker` in a folder first on PATH). It records its arguments like
# record-exec.sh and answers from $FAKE_STATE/fixtures/docker/:
#   buildx version: a version line, or "not a docker command" (exit 1) when no-buildx exists
#   login ... --password-stdin: stores stdin in $FAKE_STATE/docker-login.stdin, "Login Succeeded"
#   buildx build / build / push: exit status from buildx-build.exit / build.exit / push.exit (default 0)
# Anything else fails with exit status 97.
set -euo pipefail
state="${FAKE_STATE:?FAKE_STATE must name the fakes state folder}"
fixtures="$state/fixtures/docker"
record="docker"
for arg in "$@"; do record+=$'\x1f'"$arg"; done
printf '%s\x1e' "$record" >>"$state/calls"

# Exits with the status in a fixture file, default 0.
exit_from() {
  local status=0
  if [[ -f "$fixtures/$1.exit" ]]; then read -r status <"$fixtures/$1.exit" || true; fi
  exit "$status"
}

case "${1:-} ${2:-}" in
  'buildx version')
    if [[ -e "$fixtures/no-buildx" ]]; then
      printf "docker: 'buildx' is not a docker command.\nSee 'docker --help'\n" >&2
      exit 1
    fi
    printf 'github.com/docker/buildx v0.17.1 fake\n'
    ;;
  'buildx build')
    printf '#0 building with "default" instance using docker driver (fake)\n'
    exit_from buildx-build
    ;;
  build\ *)
    printf 'Sending build context to Docker daemon (fake)\n'
    exit_from build
    ;;
  push\ *)
    printf 'The push refers to repository [%s] (fake)\n' "${2%:*}"
    exit_from push
    ;;
  login\ *)
    [[ " $* " == *' --password-stdin '* ]] || {
      printf 'fake docker: login without --password-stdin\n' >&2
      exit 97
    }
    cat >"$state/docker-login.stdin"
    printf 'Login Succeeded\n'
    ;;
  *)
    printf 'fake docker: no answer for: %s\n' "$*" >&2
    exit 97
    ;;
esac
