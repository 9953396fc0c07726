#!/usr/bin/env bash
# Berth's Checkout stage (CodeBuild). Checks out COMMIT_ID of REPOSITORY_URL into
# $CODEBUILD_SRC_DIR/berth-checkout, without .git and with .berth/commit, for the Test and Build stages.
#
# Only a commit of the configured branch is released: the script fetches refs/heads/$BRANCH (shallow first,
# deepening step by step up to the whole history) and requires COMMIT_ID to be an ancestor of the branch tip.
# It never fetches a commit by its SHA: servers that serve any commit by SHA (protocol v2, Azure Repos) would
# otherwise hand out a commit reachable only from a pull request's merge ref or another branch.
#
# The PAT (AZURE_DEVOPS_PAT) is read once and removed from the environment. It travels only inside an
# `Authorization: Basic base64(":" + PAT)` header held in an environment variable, which git reads by name
# (`--config-env`, also for git-lfs) and curl reads from stdin (`--header @-`): never on a command line, in a
# URL or in the log; error output of git and curl is printed through a redaction of the PAT and its base64.
#
# Environment: COMMIT_ID, REPOSITORY_URL, BRANCH, AZURE_DEVOPS_PAT; optional ALLOW_INSECURE_HTTP (true to
# allow an http:// URL), AZURE_DEVOPS_CA_PEM (PEM certificates of a private CA to trust), BERTH_PROJECT (the
# project name shown in hints), CODEBUILD_SRC_DIR (default: the current folder).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The PAT first: read once, removed from the environment (no child process inherits it), whitespace stripped.
pat="${AZURE_DEVOPS_PAT:-}"
unset AZURE_DEVOPS_PAT
pat="${pat//[[:space:]]/}"
project="${BERTH_PROJECT:-<project>}"

berth_require_commit
berth_require REPOSITORY_URL
[[ -n "$pat" ]] || berth_fail "the project's PAT is not set: run \`npx --no-install berth set-pat $project\`"

# The repository URL: https:// (http:// only when allowed), no credentials, no query or fragment. It is not
# printed when malformed: it might carry credentials.
url="${REPOSITORY_URL%/}"
if [[ ! "$url" =~ ^(https?)://([A-Za-z0-9._:-]+|\[[0-9A-Fa-f:.]+\](:[0-9]+)?)/[^@?#[:space:]]*$ ]]; then
  berth_fail 'REPOSITORY_URL must be an http(s) clone URL without credentials, such as https://dev.azure.com/<org>/<project>/_git/<repository>'
fi
scheme="${BASH_REMATCH[1]}"
origin="$scheme://${BASH_REMATCH[2]}/"
if [[ "$scheme" == http ]]; then
  allow_http="${ALLOW_INSECURE_HTTP:-false}"
  if [[ "${allow_http,,}" != true ]]; then
    berth_fail "REPOSITORY_URL is an http:// URL ($url): the PAT would travel in clear; use https://, or, for an Azure DevOps Server without TLS, set azureDevOps.allowInsecureHttp: true in berth.yaml"
  fi
  berth_warn "ALLOW_INSECURE_HTTP is true: the PAT travels in clear (http://) to $url"
fi

# The branch comes from berth.yaml through the infrastructure, never from an execution variable.
berth_require BRANCH
branch="${BRANCH:-}"
branch="${branch#refs/heads/}"
if [[ "$branch" == -* ]] || ! git check-ref-format "refs/heads/$branch"; then
  berth_fail "BRANCH is not a valid branch name (got $(printf '%q' "$branch")): check the project's branch in berth.yaml"
fi

# A private certificate authority (Azure DevOps Server with an internal CA): trusted along with the system's.
curl_ca=()
git_ca=()
if [[ -n "${AZURE_DEVOPS_CA_PEM:-}" ]]; then
  ca_file="$berth_tmp/ca-certificates.pem"
  printf '%s\n' "$AZURE_DEVOPS_CA_PEM" >"$ca_file"
  grep -q -- '-----BEGIN CERTIFICATE-----' "$ca_file" ||
    berth_fail 'AZURE_DEVOPS_CA_PEM holds no PEM certificate (-----BEGIN CERTIFICATE-----): set it to the certificate authority of the Azure DevOps Server'
  for system_ca in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
    if [[ -f "$system_ca" ]]; then
      cat "$system_ca" >>"$ca_file"
      break
    fi
  done
  curl_ca=(--cacert "$ca_file")
  git_ca=(-c "http.sslCAInfo=$ca_file")
  export GIT_SSL_CAINFO="$ca_file"
  berth_say "trusting the certificate authority in AZURE_DEVOPS_CA_PEM for $url"
fi

# The header, base64 without line wrapping (84-character PATs would wrap), in a variable read by name.
pat_b64="$(printf ':%s' "$pat" | base64 -w0)"
export BERTH_AUTH_HEADER="Authorization: Basic $pat_b64"

# Git never prompts and never traces (a trace would print the header); no configuration or object store comes
# from the environment; only the URL's own protocol is allowed.
export GIT_TERMINAL_PROMPT=0 GCM_INTERACTIVE=never GIT_ALLOW_PROTOCOL="$scheme"
unset GIT_ASKPASS SSH_ASKPASS GIT_TRACE GIT_TRACE_CURL GIT_TRACE_CURL_NO_DATA GIT_TRACE_PACKET GIT_TRACE_PACK_ACCESS \
  GIT_TRACE_PERFORMANCE GIT_TRACE_SETUP GIT_TRACE_SHALLOW GIT_TRACE2 GIT_TRACE2_EVENT GIT_TRACE2_PERF \
  GIT_CURL_VERBOSE GIT_TRANSFER_TRACE GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT GIT_DIR GIT_WORK_TREE \
  GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_COMMON_DIR GIT_NAMESPACE \
  GIT_SSL_NO_VERIFY GIT_SSL_CAPATH GIT_SHALLOW_FILE GIT_REPLACE_REF_BASE GIT_NO_REPLACE_OBJECTS GIT_GRAFT_FILE
export GIT_NO_REPLACE_OBJECTS=1

# Prints stdin with the PAT and its base64 replaced: every error text of git or curl goes through it.
berth_redact() {
  local text
  text="$(cat)"
  text="${text//"$pat"/[redacted]}"
  text="${text//"$pat_b64"/[redacted]}"
  if [[ -n "$text" ]]; then printf '%s\n' "$text"; fi
}

# Git with the header, scoped to the repository's server (git-lfs honours it too, and then does not send the PAT
# to another host its batch API may point downloads at), no credential helper, no askpass, TLS verified, no
# redirects (the header would follow them), a transfer stalled for a minute fails rather than hangs, and no
# housekeeping in this throwaway repository.
berth_git() {
  git "--config-env=http.${origin}.extraHeader=BERTH_AUTH_HEADER" -c credential.helper= -c core.askPass= \
    -c http.sslVerify=true -c http.followRedirects=false -c http.lowSpeedLimit=1 -c http.lowSpeedTime=60 \
    -c maintenance.auto=false -c gc.auto=0 "${git_ca[@]}" "$@"
}

# 1. Access: the same request git starts with, so a refused PAT gets a clear message before any fetch.
berth_say "checking access to $url"
probe="$(printf '%s\n' "$BERTH_AUTH_HEADER" | curl --silent --show-error --output /dev/null \
  --write-out '%{http_code}\n%{content_type}\n%{redirect_url}' --max-time 30 --proto "=$scheme" \
  --user-agent 'git/berth-checkout' --header @- "${curl_ca[@]}" \
  "$url/info/refs?service=git-upload-pack" 2>"$berth_tmp/curl.err")" || true
mapfile -t answer <<<"$probe"
status="${answer[0]:-000}"
content_type="${answer[1]:-}"
redirect="${answer[2]:-}"
set_pat="set it with \`npx --no-install berth set-pat $project\`"
case "$status" in
  200)
    if [[ "$content_type" != application/x-git-upload-pack-advertisement* ]]; then
      berth_fail "$url answered 200 but not as a git repository (${content_type:-no content type}): check the repository URL"
    fi
    ;;
  401 | 403 | 203)
    berth_fail "Azure DevOps refused the PAT for $url ($status): check it has Code (Read) scope and is not expired; $set_pat"
    ;;
  404)
    berth_fail "no repository at $url (404): check the repository's project and name in berth.yaml, and that the PAT's user can see it"
    ;;
  301 | 302 | 303 | 307 | 308)
    berth_fail "$url redirects ($status) to ${redirect:-another address}: set the repository URL to where the repository is (Berth does not follow redirects with the PAT)"
    ;;
  000 | '')
    berth_redact <"$berth_tmp/curl.err" >&2
    berth_fail "could not reach $url: check the URL, its certificate (AZURE_DEVOPS_CA_PEM for a private certificate authority) and the build's network access"
    ;;
  *)
    berth_fail "unexpected answer from $url (HTTP $status): check the repository URL and the PAT"
    ;;
esac

# 2. The branch's history, never a commit by its SHA, until COMMIT_ID is found among the branch's ancestors.
dir="${CODEBUILD_SRC_DIR:-$PWD}/$BERTH_CHECKOUT_DIRECTORY"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
git -c init.defaultBranch=berth init --quiet --template=
git remote add origin "$url"
tip_ref="refs/remotes/origin/$branch"
refspec="+refs/heads/$branch:$tip_ref"

berth_fetch() {
  if ! berth_git fetch --quiet --no-tags --no-recurse-submodules "$@" origin "$refspec" 2>"$berth_tmp/fetch.err"; then
    berth_redact <"$berth_tmp/fetch.err" >&2
    berth_fail "could not fetch branch $branch from $url: check that the branch exists (the project's branch in berth.yaml)"
  fi
}
on_branch() { git merge-base --is-ancestor "$COMMIT_ID" "$tip_ref" 2>/dev/null; }

depth=50
berth_say "fetching the last $depth commits of branch $branch"
berth_fetch --depth "$depth"
until on_branch; do
  if [[ "$(git rev-parse --is-shallow-repository)" != true ]]; then
    berth_fail "commit $COMMIT_ID is not on branch $branch of $url: it is reachable only from another ref, such as a pull request or another branch, or it does not exist; Berth releases only commits of the configured branch"
  fi
  case "$depth" in
    50) depth=500 ;;
    500) depth=5000 ;;
    *) depth=all ;;
  esac
  if [[ "$depth" == all ]]; then
    berth_say "commit $COMMIT_ID is not among the last 5000 commits of $branch: fetching the branch's whole history"
    berth_fetch --unshallow
  else
    berth_say "commit $COMMIT_ID is not among the commits fetched so far: fetching the last $depth commits of $branch"
    berth_fetch --depth "$depth"
  fi
done
tip="$(git rev-parse "$tip_ref")"
if [[ "$tip" == "$COMMIT_ID" ]]; then
  berth_say "commit $COMMIT_ID is the tip of branch $branch"
else
  berth_say "commit $COMMIT_ID is on branch $branch (an ancestor of its tip ${tip:0:12})"
fi

# 3. The commit, detached, without LFS content yet (fetched below, with the header, when the tree uses LFS).
if ! GIT_LFS_SKIP_SMUDGE=1 git -c advice.detachedHead=false -c filter.lfs.required=false -c core.symlinks=true \
  checkout --quiet --detach "$COMMIT_ID" 2>"$berth_tmp/checkout.err"; then
  berth_redact <"$berth_tmp/checkout.err" >&2
  berth_fail "could not check out commit $COMMIT_ID"
fi
mapfile -t checked_out < <(git log -1 --format='%H%n%h "%s" (%an, %ad)' --date=short)
[[ "${checked_out[0]:-}" == "$COMMIT_ID" ]] || berth_fail "checked out ${checked_out[0]:-nothing} instead of $COMMIT_ID"
summary="${checked_out[1]:-}"

# Submodules are not fetched: their folders stay empty.
submodules=()
while IFS= read -r -d '' entry; do
  if [[ "$entry" == 160000\ * ]]; then submodules+=("${entry#*$'\t'}"); fi
done < <(git ls-files --stage -z)
if [[ -f .gitmodules || ${#submodules[@]} -gt 0 ]]; then
  berth_warn "the repository has submodules${submodules[0]:+ (${submodules[*]:0:5})}; Berth does not fetch them: their folders are empty"
fi

# 4. Git LFS: the content of LFS-tracked files, or a clear failure (never build pointer files silently).
lfs_pointer_prefix='version https://git-lfs.github.com/spec/v1'
berth_lfs_available() { git lfs version >/dev/null 2>&1; }
berth_install_git_lfs() {
  if [[ "$EUID" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    return 0
  fi
  berth_say "git-lfs is not installed: installing it (apt-get install git-lfs)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq git-lfs >"$berth_tmp/apt.log" 2>&1; then
    if ! { apt-get update -qq && apt-get install -y -qq git-lfs; } >>"$berth_tmp/apt.log" 2>&1; then
      tail -n 5 "$berth_tmp/apt.log" >&2 || true
      berth_warn "could not install git-lfs"
    fi
  fi
}
# Prints the LFS-tracked files that still hold a pointer instead of their content.
berth_lfs_pointers() {
  local path first
  for path in "${lfs_paths[@]}"; do
    [[ -f "$path" && ! -L "$path" ]] || continue
    first=''
    IFS= read -r -n ${#lfs_pointer_prefix} first <"$path" 2>/dev/null || true
    if [[ "$first" == "$lfs_pointer_prefix" ]]; then printf '%s\n' "$path"; fi
  done
}
# The first few of a list of paths, for messages.
berth_few() {
  local text
  text="$(printf '%s, ' "${@:1:5}")"
  text="${text%, }"
  if (($# > 5)); then text+=" and $(($# - 5)) more"; fi
  printf '%s' "$text"
}

lfs_paths=()
mapfile -d '' -t attribute_files < <(git ls-files -z -- .gitattributes '*/.gitattributes')
if ((${#attribute_files[@]} > 0)) && grep -q -E 'filter=lfs' -- "${attribute_files[@]}"; then
  while IFS= read -r -d '' path && IFS= read -r -d '' _attribute && IFS= read -r -d '' value; do
    if [[ "$value" == lfs ]]; then lfs_paths+=("$path"); fi
  done < <(git ls-files -z | git check-attr --stdin -z filter)
  if ((${#lfs_paths[@]} == 0)); then
    berth_say ".gitattributes uses Git LFS (filter=lfs) but no tracked file matches: no LFS content to fetch"
  fi
fi
if ((${#lfs_paths[@]} > 0)); then
  berth_say "the tree has ${#lfs_paths[@]} Git LFS file(s): fetching their content"
  berth_lfs_available || berth_install_git_lfs
  if ! berth_lfs_available; then
    berth_fail "the repository stores files with Git LFS ($(berth_few "${lfs_paths[@]}")) and git-lfs is not available on the build host: LFS content cannot be fetched, and Berth does not build LFS pointer files; use a CodeBuild image with git-lfs"
  fi
  git lfs install --local --skip-smudge >/dev/null 2>"$berth_tmp/lfs.err" || {
    berth_redact <"$berth_tmp/lfs.err" >&2
    berth_fail "could not set up git-lfs in the checkout"
  }
  if ! berth_git lfs pull origin 2>"$berth_tmp/lfs.err" >"$berth_tmp/lfs.out"; then
    berth_redact <"$berth_tmp/lfs.out"
    berth_redact <"$berth_tmp/lfs.err" >&2
    berth_fail "could not fetch the Git LFS content of commit $COMMIT_ID from $url: see git-lfs's errors above (an object missing on the server, or a PAT that cannot read LFS objects)"
  fi
  mapfile -t pointers < <(berth_lfs_pointers)
  if ((${#pointers[@]} > 0)); then
    berth_fail "after fetching Git LFS content, ${#pointers[@]} files still hold LFS pointers ($(berth_few "${pointers[@]}")): their LFS objects are missing on the server"
  fi
  berth_say "fetched the Git LFS content of ${#lfs_paths[@]} file(s)"
fi

# 5. Symlinks: those inside the tree are kept (the artifact preserves them); any whose target resolves outside
# the checkout (absolute, escaping with .., or through other links) is refused: later stages would read the
# build host's files through it.
root="$(pwd -P)"
escaping=()
# True when a relative symlink target, read from the link's folder, climbs above the checkout's root.
berth_climbs_out() {
  local link="${1#./}" target="$2" depth=0 part
  local -a parts
  if [[ "$link" == */* ]]; then
    IFS=/ read -r -a parts <<<"${link%/*}"
    depth=${#parts[@]}
  fi
  IFS=/ read -r -a parts <<<"$target"
  for part in "${parts[@]}"; do
    case "$part" in
      '' | .) ;;
      ..)
        depth=$((depth - 1))
        ((depth >= 0)) || return 0
        ;;
      *) depth=$((depth + 1)) ;;
    esac
  done
  return 1
}
mapfile -d '' -t links < <(find . -path ./.git -prune -o -type l -print0)
if ((${#links[@]} > 0)); then
  # Targets and resolved paths of all links in two processes; one per link only when a link cannot be
  # resolved (a loop), which then counts as escaping.
  mapfile -d '' -t targets < <(readlink -z -- "${links[@]}")
  mapfile -d '' -t resolved < <(realpath -m -z -- "${links[@]}" 2>/dev/null)
  if ((${#resolved[@]} != ${#links[@]})); then
    resolved=()
    for link in "${links[@]}"; do
      resolved+=("$(realpath -m -- "$link" 2>/dev/null || true)")
    done
  fi
  for i in "${!links[@]}"; do
    link="${links[i]}" target="${targets[i]:-}" path="${resolved[i]:-}"
    if [[ "$target" == /* ]] || berth_climbs_out "$link" "$target" ||
      [[ -z "$path" || ("$path" != "$root" && "$path" != "$root"/*) ]]; then
      escaping+=("${link#./} -> $target")
    fi
  done
fi
if ((${#escaping[@]} > 0)); then
  berth_fail "the repository has symlinks that point outside the checkout, which Berth refuses (later stages would read the build host's files through them): $(printf '%s; ' "${escaping[@]:0:10}")remove them or point them inside the repository"
fi

# 6. The output: the tree without .git, and the commit in .berth/commit (replacing whatever the repository had
# there, even a symlink).
berth_folder="${BERTH_COMMIT_FILE%/*}"
if [[ -L "$berth_folder" || (-e "$berth_folder" && ! -d "$berth_folder") ]]; then
  berth_fail "the repository has $berth_folder, which is not a folder: Berth writes $BERTH_COMMIT_FILE there; rename it"
fi
rm -rf -- .git "$BERTH_COMMIT_FILE"
[[ -d "$berth_folder" ]] || mkdir "$berth_folder"
printf '%s\n' "$COMMIT_ID" >"$BERTH_COMMIT_FILE"
mapfile -d '' -t files < <(find . -type f -print0)
berth_say "checked out $summary from branch $branch: ${#files[@]} files, without .git"
