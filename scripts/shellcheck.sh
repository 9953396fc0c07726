#!/usr/bin/env bash
# Runs shellcheck on every .sh file under src/ and scripts/ (and any folders given as arguments), following
# `source` directives relative to each script's folder. CI calls it; it fails when shellcheck finds anything
# or is not installed (Debian: apt-get install -y shellcheck).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v shellcheck >/dev/null 2>&1; then
  printf 'shellcheck.sh: shellcheck is not installed (apt-get install -y shellcheck)\n' >&2
  exit 2
fi
folders=(src scripts "$@")
mapfile -d '' -t files < <(find "${folders[@]}" -name node_modules -prune -o -type f -name '*.sh' -print0 | sort -z)
if ((${#files[@]} == 0)); then
  printf 'shellcheck.sh: no .sh files under %s\n' "${folders[*]}" >&2
  exit 1
fi
shellcheck --version | sed -n 's/^version: /shellcheck /p'
shellcheck --external-sources --source-path=SCRIPTDIR --severity=style "${files[@]}"
printf 'shellcheck.sh: %d files clean\n' "${#files[@]}"
