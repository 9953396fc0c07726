/**
 * Shell building blocks shared by the stage scripts. Each stage's logic is one multi-line bash command run in a
 * subshell, `( set -euo pipefail; ... )`: the options hold across every line of the step, a failure anywhere
 * ends the step with a non-zero status (which fails the CodeBuild phase), and nothing leaks into the shell
 * CodeBuild keeps between commands. Scripts print `berth: ...` lines; errors go to stderr. None uses `set -x`.
 */

/** Quotes a string for bash as one word, whatever it contains. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Functions every stage script starts with. */
export const PRELUDE = `set -euo pipefail
export AWS_PAGER=''
berth_say() { printf 'berth: %s\\n' "$*"; }
berth_fail() { printf 'berth: %s\\n' "$*" >&2; exit 1; }
# Fails unless every named variable is set and not empty.
berth_require() {
  local name
  for name in "$@"; do
    [[ -n "\${!name:-}" ]] || berth_fail "$name is not set: the stage's CodeBuild project must provide it"
  done
}
# Validates COMMIT_ID (40 hex digits, lower-cased); "none" is the pipeline variable's default.
berth_require_commit() {
  local c="\${COMMIT_ID:-}"
  c="\${c//[[:space:]]/}"
  if [[ -z "$c" || "$c" == none ]]; then
    berth_fail 'this execution has no commit: pushes start it through the webhook; to run it by hand, start it with the COMMIT_ID variable set'
  fi
  c="\${c,,}"
  if [[ ! "$c" =~ ^[0-9a-f]{40}$ ]]; then
    berth_fail "COMMIT_ID is not a 40-character hexadecimal commit SHA (got $(printf '%q' "$c")): start the execution with the full SHA"
  fi
  COMMIT_ID="$c"
}
# Checks that a whole number lies in [min, max]: berth_require_int NAME MIN MAX.
berth_require_int() {
  local name="$1" value="\${!1:-}"
  if [[ ! "$value" =~ ^[0-9]+$ ]] || (( 10#$value < $2 || 10#$value > $3 )); then
    berth_fail "$name must be a whole number from $2 to $3 (got $(printf '%q' "$value"))"
  fi
}
berth_tmp="$(mktemp -d)"
trap 'rm -rf "$berth_tmp"' EXIT`;

/** ECR helpers for the stages that look at image tags (needs `IMAGE_REPO_NAME`; uses `ecr:DescribeImages`). */
export const ECR_FUNCTIONS = `# True when the tag exists in the project's repository; fails on any other error.
berth_tag_exists() {
  if aws ecr describe-images --repository-name "$IMAGE_REPO_NAME" --image-ids "imageTag=$1" --output json \\
    >/dev/null 2>"$berth_tmp/describe-images.err"; then
    return 0
  fi
  if grep -q 'ImageNotFoundException' "$berth_tmp/describe-images.err"; then
    return 1
  fi
  cat "$berth_tmp/describe-images.err" >&2
  berth_fail "could not look up $IMAGE_REPO_NAME:$1 in ECR"
}`;

/** Wraps script parts into one CodeBuild command: a subshell with the prelude first. */
export function stageScript(...parts: string[]): string {
  return ['(', PRELUDE, ...parts, ')'].join('\n');
}
