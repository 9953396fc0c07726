#!/usr/bin/env bash
# A command-line recorder for tests: linked under a tool's name (git, curl, base64...) in a folder put first on
# PATH, it appends the tool's name and arguments to $FAKE_STATE/calls, then runs the real tool (the next one of
# that name on PATH) with the same arguments, stdin and environment. A secret passed as an argument shows up in
# the record. Record format: fields separated by \x1f (unit separator), each call ended by \x1e.
set -euo pipefail
tool="${0##*/}"
record="$tool"
for arg in "$@"; do record+=$'\x1f'"$arg"; done
printf '%s\x1e' "$record" >>"${FAKE_STATE:?FAKE_STATE must name the fakes state folder}/calls"
IFS=: read -r -a dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  candidate="${dir:-.}/$tool"
  if [[ -x "$candidate" && ! -d "$candidate" && ! "$candidate" -ef "$0" ]]; then
    exec "$candidate" "$@"
  fi
done
printf 'record-exec: no %s on PATH besides the recorder\n' "$tool" >&2
exit 127
