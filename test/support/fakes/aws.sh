#!/usr/bin/env bash
# A fake AWS CLI for tests (linked as `aws` in a folder first on PATH). It records its arguments like
# record-exec.sh, then answers the few operations the Build stage uses from fixture files under
# $FAKE_STATE/fixtures/aws/ (the test writes them, often by copying test/support/fakes/fixtures/):
#   ecr describe-images ... --image-ids imageTag=<tag>
#       <tag>.json in ecr-describe-images/: printed, exit 0
#       <tag>.stderr (and <tag>.exit, default 254): printed to stderr, that exit status
#       neither: the CLI's ImageNotFoundException, exit 254 (as the real CLI v2 does)
#   ecr get-login-password: ecr-get-login-password.txt, or a fixed fake password
# Anything else fails with exit status 252 and the real CLI's "Invalid choice" shape.
set -euo pipefail
state="${FAKE_STATE:?FAKE_STATE must name the fakes state folder}"
fixtures="$state/fixtures/aws"
record="aws"
for arg in "$@"; do record+=$'\x1f'"$arg"; done
printf '%s\x1e' "$record" >>"$state/calls"

# The options the answers depend on (no subshells: every process counts in tests).
repository=''
image_ids=''
previous=''
for arg in "$@"; do
  case "$previous" in
    --repository-name) repository="$arg" ;;
    --image-ids) image_ids="$arg" ;;
  esac
  previous="$arg"
done

operation="${1:-} ${2:-}"
case "$operation" in
  'ecr describe-images')
    if [[ -z "$repository" ]]; then
      printf 'aws: error: the following arguments are required: --repository-name\n' >&2
      exit 252
    fi
    tag="${image_ids#imageTag=}"
    dir="$fixtures/ecr-describe-images"
    if [[ -f "$dir/$tag.json" ]]; then
      cat "$dir/$tag.json"
      exit 0
    fi
    if [[ -f "$dir/$tag.stderr" ]]; then
      cat "$dir/$tag.stderr" >&2
      status=254
      if [[ -f "$dir/$tag.exit" ]]; then read -r status <"$dir/$tag.exit" || true; fi
      exit "$status"
    fi
    printf '\nAn error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageDigest:'"'"'null'"'"', imageTag:'"'"'%s'"'"'} does not exist within the repository with name '"'"'%s'"'"' in the registry with id '"'"'123456789012'"'"'\n' "$tag" "$repository" >&2
    exit 254
    ;;
  'ecr get-login-password')
    if [[ -f "$fixtures/ecr-get-login-password.txt" ]]; then
      cat "$fixtures/ecr-get-login-password.txt"
    else
      printf 'fake-ecr-password\n'
    fi
    ;;
  *)
    printf '\nusage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\naws: error: argument operation: Invalid choice: %s\n' "$operation" >&2
    exit 252
    ;;
esac
