import {
  CONTAINER_IMAGE_JQ,
  DEPLOYMENT_OF_JQ,
  PRIMARY_DEPLOYMENT_JQ,
  SCAN_BLOCKING_COUNT_JQ,
  SCAN_FINDINGS_JQ,
  SCAN_SEVERITIES,
  SCAN_STATUS_JQ,
  SCAN_SUMMARY_JQ,
  TASK_DEFINITION_JQ,
  UNTAG_FAILURES_JQ,
} from './buildspecs/jq';
import { ECR_FUNCTIONS, shQuote, stageScript } from './buildspecs/shell';

export {
  CONTAINER_IMAGE_JQ,
  DEPLOYMENT_OF_JQ,
  PRIMARY_DEPLOYMENT_JQ,
  SCAN_BLOCKING_COUNT_JQ,
  SCAN_FINDINGS_JQ,
  SCAN_SEVERITIES,
  SCAN_STATUS_JQ,
  SCAN_SUMMARY_JQ,
  TASK_DEFINITION_JQ,
  TASK_DEFINITION_KEPT_FIELDS,
  UNTAG_FAILURES_JQ,
  UNTAG_GONE_FAILURE_CODES,
  type ScanSeverity,
} from './buildspecs/jq';
export { shQuote } from './buildspecs/shell';

/**
 * The buildspecs of the pipeline's CodeBuild stages (Checkout, Test, Build, Scan, Push, Deploy, Verify), as
 * plain objects for `codebuild.BuildSpec.fromObject`. They run on `aws/codebuild/standard:7.0` with bash;
 * each stage is one command (a `set -euo pipefail` subshell, see `buildspecs/shell.ts`) in the `build` phase,
 * so a failure stops the stage before anything after it runs (CodeBuild would still run `post_build`).
 *
 * The release flow through ECR: Build pushes `candidate-<commit>` (not deployable), Scan waits for ECR's
 * scan of it (basic or enhanced) and fails on findings at or above SCAN_SEVERITY, Push gives the scanned image
 * its release tag `<commit>` without pulling it and removes its `candidate-` tag (the repository's lifecycle
 * rule expires `candidate-` images), Deploy rolls the ECS service to `<repo>:<commit>` and, once ECS reports
 * the rollout COMPLETED, writes `<commit>` to the release pointer (the SSM parameter the stack reads).
 * Re-running an execution is safe: every stage skips what an earlier run already did.
 */

/** Environment variable names the stages read; the pipeline construct sets them under these names. */
export const ENV = {
  /** Every stage: the commit to release, 40 hex digits (pipeline variable; `none` or empty when unset). */
  commit: 'COMMIT_ID',
  /** Checkout: the HTTPS clone URL. */
  repositoryUrl: 'REPOSITORY_URL',
  /** Checkout: the branch the commit was pushed to (used when the server will not serve a bare SHA). */
  branch: 'BRANCH',
  /** Checkout: the Azure DevOps PAT (Code: read), from Secrets Manager. Secret: never printed. */
  pat: 'AZURE_DEVOPS_PAT',
  /** Test: the shell command that runs the tests, e.g. `npm test`. */
  testCommand: 'TEST_COMMAND',
  /** Build, Deploy: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>`. */
  imageRepoUri: 'IMAGE_REPO_URI',
  /** Build, Scan, Push: the ECR repository name, e.g. `berth/cash-collection`. */
  imageRepoName: 'IMAGE_REPO_NAME',
  /** Scan: lowest severity that blocks the release (CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL). Default CRITICAL. */
  scanSeverity: 'SCAN_SEVERITY',
  /** Scan: how long to wait for ECR's scan, in seconds. Default 600, at most 780. */
  scanTimeoutSeconds: 'SCAN_TIMEOUT_SECONDS',
  /** Scan: pause between looks at the scan's status, in seconds. Default 5. */
  scanPollSeconds: 'SCAN_POLL_SECONDS',
  /** Deploy: the ECS cluster name. */
  clusterName: 'CLUSTER_NAME',
  /** Deploy: the ECS service name. */
  serviceName: 'SERVICE_NAME',
  /** Deploy: the container whose image is replaced. */
  containerName: 'CONTAINER_NAME',
  /**
   * Build, Deploy: the SSM parameter (release pointer) holding the last released tag (a commit SHA, or `none`
   * before the first release). Build reads it for the last release's layer cache; Deploy writes it after a
   * completed rollout.
   */
  imageTagParameter: 'IMAGE_TAG_PARAMETER',
  /** Deploy: tasks to start on the first release (when the service runs 0). */
  desiredCount: 'DESIRED_COUNT',
  /** Deploy: auto scaling floor. */
  minCount: 'MIN_COUNT',
  /** Deploy: auto scaling ceiling. */
  maxCount: 'MAX_COUNT',
  /** Deploy: how long to wait for ECS to complete the rollout, in seconds. Default 1500, at most 1620. */
  deployTimeoutSeconds: 'DEPLOY_TIMEOUT_SECONDS',
  /** Deploy: pause between looks at the rollout, in seconds. Default 15. */
  deployPollSeconds: 'DEPLOY_POLL_SECONDS',
  /** Verify: the URL polled until it answers 2xx. */
  healthUrl: 'HEALTH_URL',
  /** Verify: how long to poll, in seconds. Default 180. */
  verifyTimeoutSeconds: 'VERIFY_TIMEOUT_SECONDS',
  /** Verify: pause between polls, in seconds. Default 5. */
  verifyIntervalSeconds: 'VERIFY_INTERVAL_SECONDS',
} as const;
export type EnvName = (typeof ENV)[keyof typeof ENV];

export type Stage = 'checkout' | 'test' | 'build' | 'scan' | 'push' | 'deploy' | 'verify';

/** What each stage reads: `required` must be set by the pipeline, `optional` have defaults. */
export const STAGE_ENV: Readonly<
  Record<Stage, { readonly required: readonly EnvName[]; readonly optional: readonly EnvName[] }>
> = {
  checkout: { required: [ENV.commit, ENV.repositoryUrl, ENV.branch, ENV.pat], optional: [] },
  test: { required: [ENV.testCommand], optional: [ENV.commit] },
  build: { required: [ENV.commit, ENV.imageRepoUri, ENV.imageRepoName, ENV.imageTagParameter], optional: [] },
  scan: {
    required: [ENV.commit, ENV.imageRepoName],
    optional: [ENV.scanSeverity, ENV.scanTimeoutSeconds, ENV.scanPollSeconds],
  },
  push: { required: [ENV.commit, ENV.imageRepoName], optional: [] },
  deploy: {
    required: [
      ENV.commit,
      ENV.clusterName,
      ENV.serviceName,
      ENV.containerName,
      ENV.imageRepoUri,
      ENV.imageTagParameter,
      ENV.desiredCount,
      ENV.minCount,
      ENV.maxCount,
    ],
    optional: [ENV.deployTimeoutSeconds, ENV.deployPollSeconds],
  },
  verify: {
    required: [ENV.healthUrl],
    optional: [ENV.commit, ENV.verifyTimeoutSeconds, ENV.verifyIntervalSeconds],
  },
};

/**
 * The bounded waits of Scan (for ECR's scan) and Deploy (for the ECS rollout), in seconds: the default and
 * largest accepted timeout, and the default pause between polls. Each largest timeout leaves its stage a
 * few minutes for the work before and after the wait within its CodeBuild project's timeout (Scan 15 min,
 * Deploy 30 min), so the stage fails with its own message, and a failed first release is scaled back to
 * 0 tasks, before CodeBuild stops it.
 */
export const STAGE_WAITS = {
  scan: { timeoutSeconds: 600, maxTimeoutSeconds: 780, pollSeconds: 5, codeBuildTimeoutMinutes: 15 },
  deploy: { timeoutSeconds: 1500, maxTimeoutSeconds: 1620, pollSeconds: 15, codeBuildTimeoutMinutes: 30 },
} as const;

/** Variables holding secrets (set them from Secrets Manager, never as plain text). */
export const SECRET_ENV: readonly EnvName[] = [ENV.pat];

/** Folder (relative to CODEBUILD_SRC_DIR) the Checkout stage fills; its output artifact's base directory. */
export const CHECKOUT_DIRECTORY = 'berth-checkout';
/** File in the checked-out tree holding the commit id. */
export const COMMIT_FILE = '.berth/commit';
/** Tag prefix of images built but not yet scanned and released. */
export const CANDIDATE_TAG_PREFIX = 'candidate-';
/** Key of the Test stage's report group (CodeBuild names it `<project>-tests`). */
export const TEST_REPORT_GROUP = 'tests';
/** JUnit XML files the Test stage collects, anywhere in the tree. */
export const TEST_REPORT_FILES = ['**/junit*.xml', '**/TEST-*.xml'] as const;

export type BuildPhase = 'install' | 'pre_build' | 'build' | 'post_build';
/** CodeBuild's phase order. */
export const BUILD_PHASES: readonly BuildPhase[] = ['install', 'pre_build', 'build', 'post_build'];

/** A buildspec (version 0.2) as a plain object; a type alias so it is assignable to `Record<string, unknown>`. */
export type BuildSpecObject = {
  readonly version: '0.2';
  readonly env: { readonly shell: 'bash' };
  readonly phases: { readonly [phase in BuildPhase]?: { readonly commands: readonly string[] } };
  readonly artifacts?: {
    readonly files: readonly string[];
    readonly 'base-directory': string;
    readonly 'exclude-paths'?: readonly string[];
    readonly 'enable-symlinks'?: 'yes' | 'no';
  };
  readonly reports?: {
    readonly [group: string]: {
      readonly files: readonly string[];
      readonly 'file-format': 'JUNITXML';
      readonly 'discard-paths': 'yes' | 'no';
    };
  };
};

/** Every command of a buildspec, in CodeBuild's phase order (tests run them in bash). */
export function buildSpecCommands(spec: BuildSpecObject): string[] {
  return BUILD_PHASES.flatMap((phase) => [...(spec.phases[phase]?.commands ?? [])]);
}

function spec(script: string, extra: Pick<BuildSpecObject, 'artifacts' | 'reports'> = {}): BuildSpecObject {
  return { version: '0.2', env: { shell: 'bash' }, phases: { build: { commands: [script] } }, ...extra };
}

export interface CheckoutBuildSpecOptions {
  /** Project name shown in the `npx berth set-pat <project>` hints. @default '<project>' */
  readonly projectName?: string;
}

/**
 * Checkout: fetches exactly COMMIT_ID from REPOSITORY_URL with the PAT and outputs the tree without `.git`,
 * plus `.berth/commit`. The PAT travels only as an `Authorization: Basic base64(":" + PAT)` header held in an
 * environment variable (`git --config-env`, `curl --header @-`): never in a URL, a command line or the log.
 * Git never prompts. Fails with a one-line reason when the commit is missing, the PAT is unset or refused,
 * or the commit is not on the branch.
 */
export function checkoutBuildSpec(options: CheckoutBuildSpecOptions = {}): BuildSpecObject {
  const project = options.projectName ?? '<project>';
  if (!/^(<project>|[a-z][a-z0-9-]*)$/.test(project)) {
    throw new Error(
      `checkoutBuildSpec: projectName must be a project name such as cash-collection, got ${project}`,
    );
  }
  const setPat = `set it with \`npx berth set-pat ${project}\``;
  const script = stageScript(
    `berth_require_commit
berth_require REPOSITORY_URL
pat="\${AZURE_DEVOPS_PAT:-}"
pat="\${pat//[[:space:]]/}"
unset AZURE_DEVOPS_PAT
if [[ -z "$pat" ]]; then
  berth_fail ${shQuote(`the project's PAT is not set: run \`npx berth set-pat ${project}\``)}
fi
url="\${REPOSITORY_URL%/}"
if [[ ! "$url" =~ ^https?://[^/@[:space:]]+/[^[:space:]]*$ ]]; then
  berth_fail 'REPOSITORY_URL must be an http(s) clone URL without credentials, such as https://dev.azure.com/<org>/<project>/_git/<repository>'
fi
branch="\${BRANCH:-}"

# The PAT goes only into this header, base64 without line wrapping (84-character PATs would wrap), held in an
# environment variable that git reads by name (--config-env) and curl reads from stdin (--header @-).
pat_b64="$(printf ':%s' "$pat" | base64 -w0)"
export GIT_AUTH_HEADER="Authorization: Basic $pat_b64"
export GIT_TERMINAL_PROMPT=0 GCM_INTERACTIVE=never
unset GIT_ASKPASS SSH_ASKPASS GIT_TRACE GIT_TRACE_CURL GIT_TRACE_PACKET GIT_TRACE2 GIT_TRACE2_EVENT GIT_TRACE2_PERF GIT_CURL_VERBOSE
# Prints stdin with the PAT and its base64 replaced, for error output from git or curl.
berth_redact() {
  local text
  text="$(cat)"
  text="\${text//"$pat"/[redacted]}"
  text="\${text//"$pat_b64"/[redacted]}"
  printf '%s\\n' "$text"
}

berth_say "checking access to $url"
probe="$(printf '%s\\n' "$GIT_AUTH_HEADER" | curl --silent --show-error --output /dev/null \\
  --write-out '%{http_code} %{content_type}' --max-time 30 --header @- \\
  "$url/info/refs?service=git-upload-pack" 2>"$berth_tmp/curl.err")" || true
status="\${probe%% *}"
content_type="\${probe#* }"
case "$status" in
  200)
    if [[ "$content_type" != application/x-git-upload-pack-advertisement* ]]; then
      berth_fail "$url answered 200 but not as a git repository ($content_type): check the repository URL"
    fi
    ;;
  401 | 403 | 203)
    berth_fail "Azure DevOps refused the PAT for $url ($status): check it has Code (read) scope and is not expired; "${shQuote(setPat)}
    ;;
  404)
    berth_fail "no repository at $url (404): check the repository's project and name in berth.yaml"
    ;;
  000 | '')
    berth_redact <"$berth_tmp/curl.err" >&2
    berth_fail "could not reach $url: check the URL and the build's network access"
    ;;
  *)
    berth_fail "unexpected answer from $url (HTTP $status): check the repository URL and the PAT"
    ;;
esac

dir="\${CODEBUILD_SRC_DIR:-$PWD}/${CHECKOUT_DIRECTORY}"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
git -c init.defaultBranch=berth init --quiet
git remote add origin "$url"
berth_git() { git --config-env=http.extraHeader=GIT_AUTH_HEADER -c credential.helper= -c core.askPass= "$@"; }
berth_fetch_failed() {
  berth_redact <"$berth_tmp/fetch.err" >&2
  berth_fail "$1"
}

berth_say "fetching commit $COMMIT_ID"
if ! berth_git fetch --quiet --no-tags --depth 1 origin "$COMMIT_ID" 2>"$berth_tmp/fetch.err"; then
  berth_say "the server did not serve commit $COMMIT_ID by its SHA; looking for it on branch \${branch:-?}"
  [[ -n "$branch" ]] || berth_fetch_failed "could not fetch commit $COMMIT_ID, and BRANCH is not set to look for it"
  ref="+refs/heads/$branch:refs/remotes/origin/$branch"
  berth_git fetch --quiet --no-tags --depth 50 origin "$ref" 2>"$berth_tmp/fetch.err" ||
    berth_fetch_failed "could not fetch branch $branch from $url"
  if ! git cat-file -e "$COMMIT_ID^{commit}" 2>/dev/null && [[ "$(git rev-parse --is-shallow-repository)" == true ]]; then
    berth_say "commit $COMMIT_ID is not among the last 50 of $branch: fetching the branch's whole history"
    berth_git fetch --quiet --no-tags --unshallow origin "$ref" 2>"$berth_tmp/fetch.err" ||
      berth_fetch_failed "could not fetch the history of branch $branch from $url"
  fi
  git cat-file -e "$COMMIT_ID^{commit}" 2>/dev/null ||
    berth_fail "commit $COMMIT_ID is not on branch $branch of $url: was it pushed to another branch, or force-pushed away?"
fi
git -c advice.detachedHead=false checkout --quiet --detach "$COMMIT_ID"
head="$(git rev-parse HEAD)"
[[ "$head" == "$COMMIT_ID" ]] || berth_fail "checked out $head instead of $COMMIT_ID"
berth_say "checked out $(git log -1 --format='%h "%s" (%an, %ad)' --date=short)"
if [[ -f .gitmodules ]]; then
  berth_say "warning: the repository has submodules; Berth does not fetch them"
fi
rm -rf .git
mkdir -p "$(dirname ${COMMIT_FILE})"
printf '%s\\n' "$COMMIT_ID" >${COMMIT_FILE}
berth_say "output: $(find . -type f | wc -l) files at commit $COMMIT_ID, without .git"`,
  );
  return spec(script, {
    artifacts: {
      files: ['**/*'],
      'base-directory': CHECKOUT_DIRECTORY,
      'exclude-paths': ['.git/**/*', '**/.git/**/*'],
      'enable-symlinks': 'yes',
    },
  });
}

/**
 * Test: in the checked-out tree, `npm ci` when there is a package.json with a lockfile (package-lock.json or
 * npm-shrinkwrap.json; other package managers go in TEST_COMMAND), then TEST_COMMAND in a fresh bash.
 * JUnit XML files named `junit*.xml` or `TEST-*.xml` anywhere become the `tests` report.
 */
export function testBuildSpec(): BuildSpecObject {
  const script = stageScript(`berth_require TEST_COMMAND
cd "\${CODEBUILD_SRC_DIR:-.}"
if [[ -f ${COMMIT_FILE} ]]; then
  berth_say "testing commit $(<${COMMIT_FILE})"
else
  berth_say "testing commit \${COMMIT_ID:-(unknown)}"
fi
if [[ -f package.json && ( -f package-lock.json || -f npm-shrinkwrap.json ) ]]; then
  berth_say "package.json with a lockfile: installing dependencies (npm ci)"
  npm ci --include=dev --no-audit --no-fund
fi
berth_say "running TEST_COMMAND: $TEST_COMMAND"
status=0
bash -c "$TEST_COMMAND" || status=$?
if (( status != 0 )); then
  berth_fail "the tests failed: TEST_COMMAND exited with status $status"
fi
berth_say "the tests passed"`);
  return spec(script, {
    reports: {
      [TEST_REPORT_GROUP]: {
        files: [...TEST_REPORT_FILES],
        'file-format': 'JUNITXML',
        'discard-paths': 'no',
      },
    },
  });
}

/**
 * Build: unless the commit is already released or has a candidate image (tags are immutable), builds
 * `./Dockerfile` with BuildKit, labels it with the commit and pushes it as `candidate-<commit>`. Only the Push
 * stage creates the release tag.
 *
 * Layer cache, two sources: CodeBuild's local Docker layer cache (only when the build lands on a host that
 * still has the layers), and the inline BuildKit cache of the last release from ECR: the build reads the
 * last released tag from IMAGE_TAG_PARAMETER and passes `--cache-from $IMAGE_REPO_URI:<tag>`, so an
 * unchanged base is not rebuilt even on a fresh host (nothing is pulled up front: BuildKit fetches only the
 * layers it reuses). Every image is built with `BUILDKIT_INLINE_CACHE=1`, so it carries the cache metadata
 * the next build needs. Before the first release (`none`), or when the parameter cannot be read (a warning),
 * it builds without `--cache-from`: a cache miss never fails the build. Without buildx it falls back to the
 * legacy builder with the host's layer cache only (no `--cache-from`: the legacy builder uses only local
 * images as cache sources, and naming one it does not have turns off its local layer cache).
 */
export function buildBuildSpec(): BuildSpecObject {
  const script = stageScript(
    ECR_FUNCTIONS,
    `berth_require_commit
berth_require IMAGE_REPO_URI IMAGE_REPO_NAME IMAGE_TAG_PARAMETER
cd "\${CODEBUILD_SRC_DIR:-.}"
candidate="${CANDIDATE_TAG_PREFIX}$COMMIT_ID"
if berth_tag_exists "$COMMIT_ID"; then
  berth_say "$IMAGE_REPO_NAME:$COMMIT_ID is already released: nothing to build"
  exit 0
fi
if berth_tag_exists "$candidate"; then
  berth_say "$IMAGE_REPO_NAME:$candidate exists from an earlier run (tags are immutable): nothing to build"
  exit 0
fi
[[ -f Dockerfile ]] || berth_fail 'the repository has no Dockerfile at its root: Berth builds the image from ./Dockerfile'
registry="\${IMAGE_REPO_URI%%/*}"
berth_say "logging in to $registry"
aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"
build=(build --label "org.opencontainers.image.revision=$COMMIT_ID" --tag "$IMAGE_REPO_URI:$candidate")
if docker buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=1
  # The image carries its own layer cache (inline), for the next build on any host.
  build+=(--progress=plain --build-arg BUILDKIT_INLINE_CACHE=1)
  # The last release's inline cache in ECR; a release that cannot be found only costs the cache, never the build.
  if released="$(aws ssm get-parameter --name "$IMAGE_TAG_PARAMETER" --query Parameter.Value --output text \\
    2>"$berth_tmp/get-parameter.err")"; then
    released="\${released//[[:space:]]/}"
    released="\${released,,}"
    if [[ "$released" =~ ^[0-9a-f]{40}$ ]]; then
      build+=(--cache-from "$IMAGE_REPO_URI:$released")
      berth_say "layer cache: this host's, and the last release's from ECR ($IMAGE_REPO_URI:$released)"
    elif [[ "$released" == none ]]; then
      berth_say "layer cache: this host's only (no release yet: $IMAGE_TAG_PARAMETER is none)"
    else
      berth_say "warning: $IMAGE_TAG_PARAMETER holds $(printf '%q' "$released"), not a commit SHA: building without the last release's layer cache"
    fi
  else
    reason="$(tr -s '\\r\\n\\t ' ' ' <"$berth_tmp/get-parameter.err" || true)"
    reason="\${reason# }"
    reason="\${reason% }"
    berth_say "warning: could not read the last release from $IMAGE_TAG_PARAMETER\${reason:+ (\${reason:0:300})}: building without its layer cache"
  fi
else
  export DOCKER_BUILDKIT=0
  # No --cache-from: the legacy builder takes cache only from local images, and naming one it does not have
  # would turn off this host's layer cache.
  berth_say "docker buildx is not installed: building with the legacy builder and this host's layer cache only"
fi
berth_say "building $IMAGE_REPO_URI:$candidate"
docker "\${build[@]}" .
docker push "$IMAGE_REPO_URI:$candidate"
berth_say "pushed $IMAGE_REPO_URI:$candidate: Scan checks it, then Push releases it as :$COMMIT_ID"`,
  );
  return spec(script);
}

/**
 * Scan: unless the commit is already released (it passed then), polls ECR's scan of `candidate-<commit>`
 * (`describe-image-scan-findings`, every SCAN_POLL_SECONDS, default 5) until its status is COMPLETE (basic
 * scanning) or ACTIVE (enhanced scanning with Amazon Inspector, which never reports COMPLETE), prints the
 * finding counts per severity and fails when any finding is at or above SCAN_SEVERITY (default CRITICAL).
 * Fails when the scan ends in any other status (FAILED, UNSUPPORTED_IMAGE...), when the image has no scan,
 * or when it is still PENDING or IN_PROGRESS after SCAN_TIMEOUT_SECONDS (default 600).
 */
export function scanBuildSpec(): BuildSpecObject {
  const w = STAGE_WAITS.scan;
  const script = stageScript(
    ECR_FUNCTIONS,
    `berth_require_commit
berth_require IMAGE_REPO_NAME
severity="\${SCAN_SEVERITY:-CRITICAL}"
severity="\${severity//[[:space:]]/}"
severity="\${severity^^}"
case "$severity" in
  ${SCAN_SEVERITIES.join(' | ')}) ;;
  *) berth_fail "SCAN_SEVERITY must be one of ${SCAN_SEVERITIES.join(', ')} (got $(printf '%q' "$severity"))" ;;
esac
SCAN_TIMEOUT_SECONDS="\${SCAN_TIMEOUT_SECONDS:-${w.timeoutSeconds}}"
berth_require_int SCAN_TIMEOUT_SECONDS 0 ${w.maxTimeoutSeconds}
poll="\${SCAN_POLL_SECONDS:-${w.pollSeconds}}"
[[ "$poll" =~ ^[0-9]+(\\.[0-9]+)?$ ]] || berth_fail "SCAN_POLL_SECONDS must be a number of seconds (got $(printf '%q' "$poll"))"
candidate="${CANDIDATE_TAG_PREFIX}$COMMIT_ID"
if berth_tag_exists "$COMMIT_ID"; then
  berth_say "$IMAGE_REPO_NAME:$COMMIT_ID is already released (it passed its scan then): nothing to scan"
  exit 0
fi
berth_tag_exists "$candidate" || berth_fail "no image $IMAGE_REPO_NAME:$candidate to scan: the Build stage pushes it"
image=(--repository-name "$IMAGE_REPO_NAME" --image-id "imageTag=$candidate")
berth_say "waiting up to $SCAN_TIMEOUT_SECONDS s for ECR's scan of $IMAGE_REPO_NAME:$candidate"
deadline=$(( SECONDS + 10#$SCAN_TIMEOUT_SECONDS ))
while true; do
  if ! aws ecr describe-image-scan-findings "\${image[@]}" --output json >"$berth_tmp/findings.json" \\
    2>"$berth_tmp/findings.err"; then
    cat "$berth_tmp/findings.err" >&2
    if grep -q 'ScanNotFoundException' "$berth_tmp/findings.err"; then
      berth_fail "ECR has no scan of $IMAGE_REPO_NAME:$candidate: the repository must scan images on push"
    fi
    berth_fail "could not read the scan of $IMAGE_REPO_NAME:$candidate from ECR"
  fi
  jq -r ${shQuote(SCAN_STATUS_JQ)} "$berth_tmp/findings.json" >"$berth_tmp/status.txt"
  mapfile -t scan_status <"$berth_tmp/status.txt"
  status="\${scan_status[0]:-}"
  description="\${scan_status[1]:-}"
  case "$status" in
    # COMPLETE: basic scanning is done. ACTIVE: enhanced scanning scanned the image and keeps watching it.
    COMPLETE | ACTIVE) break ;;
    PENDING | IN_PROGRESS)
      if (( SECONDS >= deadline )); then
        berth_fail "the scan of $IMAGE_REPO_NAME:$candidate did not complete within $SCAN_TIMEOUT_SECONDS s (still $status\${description:+: $description}): run the pipeline again later"
      fi
      berth_say "scan status $status: waiting"
      sleep "$poll"
      ;;
    *) berth_fail "the scan of $IMAGE_REPO_NAME:$candidate did not complete (\${status:-no status}\${description:+: $description})" ;;
  esac
done
berth_say "scan status $status\${description:+: $description}"
jq -r --arg threshold "$severity" ${shQuote(SCAN_SUMMARY_JQ)} "$berth_tmp/findings.json"
blocking="$(jq -r --arg threshold "$severity" ${shQuote(SCAN_BLOCKING_COUNT_JQ)} "$berth_tmp/findings.json")"
if (( blocking > 0 )); then
  jq -r --arg threshold "$severity" ${shQuote(SCAN_FINDINGS_JQ)} "$berth_tmp/findings.json"
  region="\${AWS_DEFAULT_REGION:-\${AWS_REGION:-us-east-1}}"
  registry_id="$(jq -r '.registryId // ""' "$berth_tmp/findings.json")"
  digest="$(jq -r '.imageId.imageDigest // ""' "$berth_tmp/findings.json")"
  console="https://$region.console.aws.amazon.com/ecr/repositories/private/$registry_id/$IMAGE_REPO_NAME/_/image/$digest/details?region=$region"
  berth_fail "$blocking findings at or above $severity: see the ECR console ($console), fix them and push again"
fi
berth_say "no findings at or above $severity: $IMAGE_REPO_NAME:$candidate may be released"`,
  );
  return spec(script);
}

/** Media types asked from `batch-get-image`, so ECR hands back the manifest as stored. */
const MANIFEST_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

/**
 * Push: gives the scanned `candidate-<commit>` image its release tag `<commit>` by re-putting its manifest
 * (byte for byte, same digest) under the new tag: no pull, no push of layers. The only stage that creates a
 * deployable tag. Then, and also when the release tag already existed (a re-run), removes the image's
 * `candidate-<commit>` tag (by tag only: the image and its release tag stay), because the repository's
 * lifecycle rule expires images tagged `candidate-*` after 7 days, whatever other tags they have.
 */
export function pushBuildSpec(): BuildSpecObject {
  const script = stageScript(
    ECR_FUNCTIONS,
    `berth_require_commit
berth_require IMAGE_REPO_NAME
candidate="${CANDIDATE_TAG_PREFIX}$COMMIT_ID"
# Removes the candidate tag from the released image (an image with other tags keeps them; a tag already gone
# is fine), so the candidate lifecycle rule cannot expire it. Called only once the release tag exists.
berth_untag_candidate() {
  if ! aws ecr batch-delete-image --repository-name "$IMAGE_REPO_NAME" --image-ids "imageTag=$candidate" \\
    --output json >"$berth_tmp/untag.json" 2>"$berth_tmp/untag.err"; then
    cat "$berth_tmp/untag.err" >&2
    berth_fail "could not remove the tag $candidate from $IMAGE_REPO_NAME: until it is removed, the repository's lifecycle rule for candidate- tags will expire the released image $COMMIT_ID"
  fi
  jq -r ${shQuote(UNTAG_FAILURES_JQ)} "$berth_tmp/untag.json" >"$berth_tmp/untag-failures.txt"
  if [[ -s "$berth_tmp/untag-failures.txt" ]]; then
    cat "$berth_tmp/untag-failures.txt" >&2
    berth_fail "ECR did not remove the tag $candidate from $IMAGE_REPO_NAME: until it is removed, the repository's lifecycle rule for candidate- tags will expire the released image $COMMIT_ID"
  fi
  if [[ "$(jq '(.imageIds // []) | length' "$berth_tmp/untag.json")" -gt 0 ]]; then
    berth_say "removed the tag $candidate: the lifecycle rule for candidate- tags no longer applies to $COMMIT_ID"
  else
    berth_say "the tag $candidate was already removed"
  fi
}
if berth_tag_exists "$COMMIT_ID"; then
  berth_say "$IMAGE_REPO_NAME:$COMMIT_ID is already released"
  berth_untag_candidate
  exit 0
fi
berth_tag_exists "$candidate" ||
  berth_fail "no image $IMAGE_REPO_NAME:$candidate: the Build stage pushes it and the Scan stage checks it first"
aws ecr batch-get-image --repository-name "$IMAGE_REPO_NAME" --image-ids "imageTag=$candidate" \\
  --accepted-media-types ${MANIFEST_MEDIA_TYPES.join(' ')} \\
  --output json >"$berth_tmp/candidate.json"
[[ "$(jq '.images | length' "$berth_tmp/candidate.json")" -gt 0 ]] ||
  berth_fail "ECR returned no manifest for $IMAGE_REPO_NAME:$candidate"
jq -j '.images[0].imageManifest' "$berth_tmp/candidate.json" >"$berth_tmp/manifest.json"
media_type="$(jq -r '.images[0].imageManifestMediaType // ""' "$berth_tmp/candidate.json")"
digest="$(jq -r '.images[0].imageId.imageDigest // ""' "$berth_tmp/candidate.json")"
put=(--repository-name "$IMAGE_REPO_NAME" --image-tag "$COMMIT_ID" --image-manifest "file://$berth_tmp/manifest.json")
if [[ -n "$media_type" ]]; then put+=(--image-manifest-media-type "$media_type"); fi
if [[ -n "$digest" ]]; then put+=(--image-digest "$digest"); fi
berth_say "tagging $IMAGE_REPO_NAME:$candidate ($digest) as $COMMIT_ID"
if ! aws ecr put-image "\${put[@]}" --output json >/dev/null 2>"$berth_tmp/put-image.err"; then
  # Another run may have released it meanwhile; that is fine when the tag points at the same image.
  released="$(aws ecr describe-images --repository-name "$IMAGE_REPO_NAME" --image-ids "imageTag=$COMMIT_ID" \\
    --output json 2>/dev/null | jq -r '.imageDetails[0].imageDigest // ""' || true)"
  if [[ -z "$released" || "$released" != "$digest" ]]; then
    cat "$berth_tmp/put-image.err" >&2
    berth_fail "could not tag $IMAGE_REPO_NAME:$candidate as $COMMIT_ID"
  fi
fi
berth_untag_candidate
berth_say "released $IMAGE_REPO_NAME:$COMMIT_ID"`,
  );
  return spec(script);
}

/**
 * Deploy: copies the service's current task definition with CONTAINER_NAME's image set to
 * `$IMAGE_REPO_URI:$COMMIT_ID`, registers it, sets the scaling bounds MIN_COUNT..MAX_COUNT, updates the
 * service (with DESIRED_COUNT when it runs 0 tasks, i.e. the first release), then polls `describe-services`
 * every DEPLOY_POLL_SECONDS (default 15), printing the PRIMARY deployment's task counts and rolloutState,
 * until that deployment runs the new task definition with rolloutState COMPLETED (ECS holds it IN_PROGRESS
 * through any deployment alarms' bake time, which `aws ecs wait services-stable` would not wait for). It
 * fails when ECS rolled back (the PRIMARY deployment is no longer the new task definition, or its rollout
 * FAILED) or after DEPLOY_TIMEOUT_SECONDS (default 1500, under the project's 30-minute CodeBuild timeout);
 * a failed first release is first put back to 0 tasks (and auto scaling to 0..0), so ECS stops starting an
 * image that never became healthy. Only after success does it write COMMIT_ID to the release pointer
 * IMAGE_TAG_PARAMETER, so the stack's next deploy keeps this image.
 */
export function deployBuildSpec(): BuildSpecObject {
  const w = STAGE_WAITS.deploy;
  const script = stageScript(`berth_require_commit
berth_require CLUSTER_NAME SERVICE_NAME CONTAINER_NAME IMAGE_REPO_URI IMAGE_TAG_PARAMETER
berth_require_int DESIRED_COUNT 0 1000
berth_require_int MIN_COUNT 0 1000
berth_require_int MAX_COUNT 1 1000
if (( 10#$MIN_COUNT > 10#$DESIRED_COUNT || 10#$DESIRED_COUNT > 10#$MAX_COUNT )); then
  berth_fail "the counts must satisfy MIN_COUNT <= DESIRED_COUNT <= MAX_COUNT (got $MIN_COUNT, $DESIRED_COUNT, $MAX_COUNT)"
fi
DEPLOY_TIMEOUT_SECONDS="\${DEPLOY_TIMEOUT_SECONDS:-${w.timeoutSeconds}}"
berth_require_int DEPLOY_TIMEOUT_SECONDS 0 ${w.maxTimeoutSeconds}
poll="\${DEPLOY_POLL_SECONDS:-${w.pollSeconds}}"
[[ "$poll" =~ ^[0-9]+(\\.[0-9]+)?$ ]] || berth_fail "DEPLOY_POLL_SECONDS must be a number of seconds (got $(printf '%q' "$poll"))"
image="$IMAGE_REPO_URI:$COMMIT_ID"
service=(--cluster "$CLUSTER_NAME" --services "$SERVICE_NAME")
scaling=(--service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id "service/$CLUSTER_NAME/$SERVICE_NAME")
events="aws ecs describe-services --cluster $CLUSTER_NAME --services $SERVICE_NAME --query 'services[0].events[:10]'"

aws ecs describe-services "\${service[@]}" --output json >"$berth_tmp/service.json"
[[ "$(jq -r '.services[0].status // ""' "$berth_tmp/service.json")" == ACTIVE ]] ||
  berth_fail "no active ECS service $SERVICE_NAME in cluster $CLUSTER_NAME"
current_td="$(jq -r '.services[0].taskDefinition' "$berth_tmp/service.json")"
current_desired="$(jq -r '.services[0].desiredCount // 0' "$berth_tmp/service.json")"
aws ecs describe-task-definition --task-definition "$current_td" --output json >"$berth_tmp/current-td.json"
current_image="$(jq -r --arg container "$CONTAINER_NAME" ${shQuote(CONTAINER_IMAGE_JQ)} "$berth_tmp/current-td.json")"
[[ -n "$current_image" ]] ||
  berth_fail "the service's task definition $current_td has no container named $CONTAINER_NAME"

if [[ "$current_image" == "$image" ]]; then
  new_td="$current_td"
  berth_say "the service's task definition $current_td already runs $image"
else
  jq --arg container "$CONTAINER_NAME" --arg image "$image" ${shQuote(TASK_DEFINITION_JQ)} \\
    "$berth_tmp/current-td.json" >"$berth_tmp/new-td.json"
  aws ecs register-task-definition --cli-input-json "file://$berth_tmp/new-td.json" --output json \\
    >"$berth_tmp/registered.json"
  new_td="$(jq -r '.taskDefinition.taskDefinitionArn' "$berth_tmp/registered.json")"
  berth_say "registered $new_td: $CONTAINER_NAME runs $image"
fi

berth_say "auto scaling bounds: $MIN_COUNT to $MAX_COUNT tasks"
aws application-autoscaling register-scalable-target "\${scaling[@]}" \\
  --min-capacity "$MIN_COUNT" --max-capacity "$MAX_COUNT" --output json >/dev/null

update=(--cluster "$CLUSTER_NAME" --service "$SERVICE_NAME" --task-definition "$new_td")
if [[ "$current_desired" == 0 ]]; then
  update+=(--desired-count "$DESIRED_COUNT")
  berth_say "first release: starting $DESIRED_COUNT tasks"
fi
if [[ "$new_td" != "$current_td" || "$current_desired" == 0 ]]; then
  aws ecs update-service "\${update[@]}" --output json >/dev/null
fi

# Fails the stage; a failed first release (the service ran 0 tasks before) first goes back to 0 tasks, auto
# scaling bounds first so it cannot scale the service out again, and ECS stops starting the unhealthy image.
berth_deploy_failed() {
  if [[ "$current_desired" == 0 ]]; then
    berth_say "the first release failed: setting $SERVICE_NAME back to 0 tasks"
    if ! aws application-autoscaling register-scalable-target "\${scaling[@]}" \\
      --min-capacity 0 --max-capacity 0 --output json >/dev/null ||
      ! aws ecs update-service --cluster "$CLUSTER_NAME" --service "$SERVICE_NAME" --desired-count 0 \\
        --output json >/dev/null; then
      berth_say "warning: could not set $SERVICE_NAME back to 0 tasks: set its desired count to 0 by hand"
    fi
  fi
  berth_fail "$1"
}

berth_say "waiting up to $DEPLOY_TIMEOUT_SECONDS s for ECS to complete the deployment of $new_td"
deadline=$(( SECONDS + 10#$DEPLOY_TIMEOUT_SECONDS ))
started=$SECONDS
rollout=''
reason=''
while true; do
  if ! aws ecs describe-services "\${service[@]}" --output json >"$berth_tmp/after.json" 2>"$berth_tmp/after.err"; then
    cat "$berth_tmp/after.err" >&2
    berth_say "could not read the service's deployments: trying again"
  else
    jq -r ${shQuote(PRIMARY_DEPLOYMENT_JQ)} "$berth_tmp/after.json" >"$berth_tmp/primary.txt"
    mapfile -t primary <"$berth_tmp/primary.txt"
    primary_td="\${primary[0]:-}"
    rollout="\${primary[1]:-}"
    reason="\${primary[2]:-}"
    progress="\${primary[3]:-0} of \${primary[4]:-0} tasks running, rolloutState \${rollout:-unknown}"
    if [[ "\${primary[5]:-0}" != 0 ]]; then progress+=", \${primary[5]} failed tasks"; fi
    berth_say "$progress ($(( SECONDS - started )) s)"
    if [[ "$primary_td" != "$new_td" ]]; then
      berth_say "the service's PRIMARY deployment runs \${primary_td:-an unknown task definition}, not $new_td"
      new_state="$(jq -r --arg td "$new_td" ${shQuote(DEPLOYMENT_OF_JQ)} "$berth_tmp/after.json")"
      if [[ -n "$new_state" ]]; then berth_say "the deployment of $new_td: $new_state"; fi
      berth_deploy_failed "ECS rolled the deployment back: see the service's events ($events)"
    fi
    if [[ "$rollout" == FAILED ]]; then
      berth_say "the deployment of $new_td failed\${reason:+: $reason}"
      berth_deploy_failed "ECS rolled the deployment back: see the service's events ($events)"
    fi
    if [[ "$rollout" == COMPLETED ]]; then
      break
    fi
  fi
  if (( SECONDS >= deadline )); then
    berth_deploy_failed "the deployment of $new_td did not complete within $DEPLOY_TIMEOUT_SECONDS s (rolloutState \${rollout:-unknown}\${reason:+: $reason}): see the service's events ($events)"
  fi
  sleep "$poll"
done
berth_say "ECS completed the deployment of $new_td"

aws ssm put-parameter --name "$IMAGE_TAG_PARAMETER" --value "$COMMIT_ID" --overwrite --output json >/dev/null
berth_say "released $image: $IMAGE_TAG_PARAMETER is now $COMMIT_ID"`);
  return spec(script);
}

/**
 * Verify: polls HEALTH_URL (curl, 5 s per request) every VERIFY_INTERVAL_SECONDS (default 5) until it answers
 * 2xx or VERIFY_TIMEOUT_SECONDS (default 180) pass, printing each status. Runs in the VPC.
 */
export function verifyBuildSpec(): BuildSpecObject {
  const script = stageScript(`berth_require HEALTH_URL
timeout="\${VERIFY_TIMEOUT_SECONDS:-180}"
interval="\${VERIFY_INTERVAL_SECONDS:-5}"
[[ "$timeout" =~ ^[0-9]+$ ]] || berth_fail "VERIFY_TIMEOUT_SECONDS must be a whole number of seconds (got $(printf '%q' "$timeout"))"
[[ "$interval" =~ ^[0-9]+(\\.[0-9]+)?$ ]] || berth_fail "VERIFY_INTERVAL_SECONDS must be a number of seconds (got $(printf '%q' "$interval"))"
berth_say "waiting up to $timeout s for a 2xx from $HEALTH_URL\${COMMIT_ID:+ (commit $COMMIT_ID)}"
deadline=$(( SECONDS + 10#$timeout ))
last=none
while true; do
  code="$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 5 "$HEALTH_URL" || true)"
  berth_say "GET $HEALTH_URL: \${code:-000}"
  if [[ "$code" =~ ^2[0-9][0-9]$ ]]; then
    berth_say "healthy"
    exit 0
  fi
  last="\${code:-000}"
  (( SECONDS < deadline )) || break
  sleep "$interval"
done
berth_fail "no 2xx from $HEALTH_URL within $timeout s (last status: $last)"`);
  return spec(script);
}

/** Every stage's buildspec, keyed by stage. */
export function pipelineBuildSpecs(options: CheckoutBuildSpecOptions = {}): Record<Stage, BuildSpecObject> {
  return {
    checkout: checkoutBuildSpec(options),
    test: testBuildSpec(),
    build: buildBuildSpec(),
    scan: scanBuildSpec(),
    push: pushBuildSpec(),
    deploy: deployBuildSpec(),
    verify: verifyBuildSpec(),
  };
}
