#!/usr/bin/env bash
# Berth's Build stage (CodeBuild), one build per architecture, each on a host of that architecture. Builds
# IMAGE_ARCHITECTURE (amd64 or arm64) of the image from the tree Checkout produced and pushes it to ECR as
# candidate-<commit>-<arch>; only the later Push stage gives images their release tags.
#
# Skips (successfully) when <commit>-<arch> (released) or candidate-<commit>-<arch> (an earlier run; tags are
# immutable) already exists. Layer cache: the last release's image (LAST_RELEASE) carries BuildKit's inline
# cache, so it is the --cache-from source; every image is built with BUILDKIT_INLINE_CACHE=1 for the next one.
#
# Environment: COMMIT_ID, IMAGE_REPO_URI, IMAGE_REPO_NAME, IMAGE_ARCHITECTURE; optional DOCKERFILE (default
# Dockerfile) and BUILD_CONTEXT (default .), relative to the repository root; BUILD_ARGS (a JSON object of
# strings; values are never printed); LAST_RELEASE (a commit SHA, or none); CODEBUILD_SRC_DIR.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

berth_require_commit
berth_require IMAGE_REPO_URI IMAGE_REPO_NAME IMAGE_ARCHITECTURE
arch="${IMAGE_ARCHITECTURE//[[:space:]]/}"
arch="${arch,,}"
case "$arch" in
  amd64 | arm64) ;;
  *) berth_fail "IMAGE_ARCHITECTURE must be amd64 or arm64 (got $(printf '%q' "$arch"))" ;;
esac
case "${HOSTTYPE:-}" in
  x86_64 | amd64) host_arch=amd64 ;;
  aarch64 | arm64) host_arch=arm64 ;;
  *) host_arch="${HOSTTYPE:-unknown}" ;;
esac
if [[ "$host_arch" != "$arch" ]]; then
  berth_warn "this build host is $host_arch but the build is for $arch: the build runs under emulation, if at all"
fi
uri="${IMAGE_REPO_URI%/}"
[[ "$uri" =~ ^[^/[:space:]]+/[^:@[:space:]]+$ ]] ||
  berth_fail "IMAGE_REPO_URI must be <registry>/<repository> without a tag (got $(printf '%q' "$uri"))"
registry="${uri%%/*}"
candidate="candidate-$COMMIT_ID-$arch"
released="$COMMIT_ID-$arch"

# Build arguments: a JSON object of strings, each passed as its own --build-arg argument (never through eval);
# only the names are printed. One jq run checks them and prints a verdict, then name and value pairs, all
# NUL-terminated (values holding NUL are refused, so the fields cannot be confused).
args_json="${BUILD_ARGS:-}"
if [[ -z "${args_json//[[:space:]]/}" ]]; then args_json='{}'; fi
build_args=()
arg_names=()
if [[ "$args_json" != '{}' ]]; then
  fields=()
  mapfile -d '' -t fields < <(jq -j '
    def name_ok: test("^[A-Za-z_][A-Za-z0-9_]*$");
    if type == "object" and all(.[]; type == "string" and (explode | all(. != 0))) then
      if all(keys_unsorted[]; name_ok) then "ok\u0000", (to_entries[] | .key, "\u0000", .value, "\u0000")
      else "names\u0000", (keys_unsorted[] | select(name_ok | not) | @json, "\u0000")
      end
    else "invalid\u0000"
    end' 2>/dev/null <<<"$args_json")
  case "${fields[0]:-invalid}" in
    ok)
      for ((i = 1; i + 1 < ${#fields[@]}; i += 2)); do
        arg_names+=("${fields[i]}")
        build_args+=(--build-arg "${fields[i]}=${fields[i + 1]}")
      done
      ;;
    names)
      berth_fail "BUILD_ARGS has names that are not build argument names (letters, digits and _): ${fields[*]:1}"
      ;;
    *)
      berth_fail 'BUILD_ARGS must be a JSON object of strings, such as {"NODE_ENV": "production"}: check build.args in berth.yaml'
      ;;
  esac
fi
if ((${#arg_names[@]} > 0)); then
  berth_say "build arguments: ${arg_names[*]}"
fi

# True when the tag exists in the project's repository; fails on any error other than "not found".
berth_tag_exists() {
  if aws ecr describe-images --repository-name "$IMAGE_REPO_NAME" --image-ids "imageTag=$1" --output json \
    >/dev/null 2>"$berth_tmp/describe-images.err"; then
    return 0
  fi
  local error=''
  IFS= read -r -d '' error <"$berth_tmp/describe-images.err" || true
  if [[ "$error" == *ImageNotFoundException* ]]; then
    return 1
  fi
  printf '%s' "$error" >&2
  berth_fail "could not look up $IMAGE_REPO_NAME:$1 in ECR"
}
if berth_tag_exists "$released"; then
  berth_say "$IMAGE_REPO_NAME:$released is already released: nothing to build"
  exit 0
fi
if berth_tag_exists "$candidate"; then
  berth_say "$IMAGE_REPO_NAME:$candidate exists from an earlier run (tags are immutable): nothing to build"
  exit 0
fi

# The Dockerfile and the context, inside the repository.
root="${CODEBUILD_SRC_DIR:-$PWD}"
cd "$root"
root="$(pwd -P)"
dockerfile="${DOCKERFILE:-Dockerfile}"
context="${BUILD_CONTEXT:-.}"
# Both must stay inside the repository (resolved, symlinks included).
mapfile -d '' -t resolved < <(realpath -m -z -- "$dockerfile" "$context" 2>/dev/null)
berth_inside() { [[ "$1" != /* && -n "$2" && ("$2" == "$root" || "$2" == "$root"/*) ]]; }
if ! berth_inside "$dockerfile" "${resolved[0]:-}" || [[ ! -f "$dockerfile" ]]; then
  berth_fail "no Dockerfile at $dockerfile in commit $COMMIT_ID: set build.dockerfile in berth.yaml to the Dockerfile's path relative to the repository root"
fi
if ! berth_inside "$context" "${resolved[1]:-}" || [[ ! -d "$context" ]]; then
  berth_fail "no build context folder $context in commit $COMMIT_ID: set build.context in berth.yaml to a folder relative to the repository root"
fi

# The last release's image as the layer cache source.
last="${LAST_RELEASE:-none}"
last="${last//[[:space:]]/}"
last="${last,,}"
cache_from=()
if [[ "$last" =~ ^[0-9a-f]{40}$ ]]; then
  cache_from=(--cache-from "type=registry,ref=$uri:$last-$arch")
  berth_say "layer cache: the last release's image ($uri:$last-$arch)"
elif [[ -z "$last" || "$last" == none ]]; then
  berth_say "layer cache: none from ECR (no release yet)"
else
  berth_warn "LAST_RELEASE is $(printf '%q' "$last"), not a commit SHA: building without the last release's layer cache"
fi

berth_say "logging in to $registry"
if ! aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"; then
  berth_fail "could not log in to the ECR registry $registry"
fi

label=(--label "org.opencontainers.image.revision=$COMMIT_ID")
if docker buildx version >/dev/null 2>&1; then
  berth_say "building $uri:$candidate for linux/$arch"
  if ! docker buildx build --platform "linux/$arch" --provenance=false --sbom=false --progress=plain \
    --file "$dockerfile" "${label[@]}" --build-arg BUILDKIT_INLINE_CACHE=1 "${build_args[@]}" \
    "${cache_from[@]}" --tag "$uri:$candidate" --push "$context"; then
    berth_fail "docker buildx build of $uri:$candidate failed: see the build output above"
  fi
else
  berth_warn "docker buildx is not available: building with the legacy builder (for this host's platform, without the last release's layer cache)"
  if ! DOCKER_BUILDKIT=0 docker build --file "$dockerfile" "${label[@]}" "${build_args[@]}" \
    --tag "$uri:$candidate" "$context"; then
    berth_fail "docker build of $uri:$candidate failed: see the build output above"
  fi
  docker push "$uri:$candidate" || berth_fail "could not push $uri:$candidate"
fi
berth_say "pushed $uri:$candidate: Scan checks it, then Push releases it"
