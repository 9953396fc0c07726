/**
 * The jq programs the stage scripts run (jq 1.6 compatible, as on the CodeBuild standard image). They are
 * exported so tests run them against canned AWS CLI answers.
 */

/** Severities ECR reports, highest first. */
export const SCAN_SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'] as const;
export type ScanSeverity = (typeof SCAN_SEVERITIES)[number];

/**
 * Severity ranks. A severity ECR may add that is not in the list (UNDEFINED for basic scanning, UNTRIAGED
 * for enhanced scanning) ranks with INFORMATIONAL: it blocks only when the threshold is INFORMATIONAL.
 */
const RANKS = String.raw`def ranks: {"INFORMATIONAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5};
def rank: ranks[.] // 1;
($threshold | ascii_upcase) as $t
| if ranks[$t] == null then error("unknown severity threshold: \($threshold)") else . end`;

/**
 * The finding counts per severity of a scan: ECR's `findingSeverityCounts` (basic and enhanced scanning both
 * report it, over every finding, not only the page the CLI returned), or, when a scan reports none, counts
 * made from its `findings` (basic) and `enhancedFindings` (Amazon Inspector) lists.
 */
const COUNTS = String.raw`def counts:
  (.imageScanFindings // {}) as $f
  | if (($f.findingSeverityCounts // {}) | length) > 0 then $f.findingSeverityCounts
    else [($f.findings // [])[], ($f.enhancedFindings // [])[] | .severity // "UNDEFINED"]
      | group_by(.) | map({key: .[0], value: length}) | from_entries
    end;`;

/**
 * Input: `aws ecr describe-image-scan-findings` JSON (basic or enhanced scanning); `--arg threshold <SEVERITY>`.
 * Output: the number of findings at or above the threshold.
 */
export const SCAN_BLOCKING_COUNT_JQ = String.raw`${COUNTS}
${RANKS}
| [counts | to_entries[] | select((.key | rank) >= ranks[$t]) | .value]
| add // 0`;

/**
 * Input: as above. Output: a table of finding counts per severity (every known severity, then any other
 * reported), marking the rows that block the release.
 */
export const SCAN_SUMMARY_JQ = String.raw`${COUNTS}
${RANKS}
| def pad($n): tostring | if length < $n then . + (" " * ($n - length)) else . end;
  counts as $c
| ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"] as $known
| ("SEVERITY" | pad(16)) + "FINDINGS",
  (($known + (($c | keys) - $known))[]
   | . as $s
   | ($c[$s] // 0) as $n
   | ($s | pad(16)) + ($n | tostring)
     + (if $n > 0 and ($s | rank) >= ranks[$t] then "  <- at or above \($t)" else "" end))`;

/**
 * Input: as above. Output: up to 25 findings at or above the threshold, one per line
 * (`SEVERITY  ID  package version`), from basic or enhanced scanning.
 */
export const SCAN_FINDINGS_JQ = String.raw`${RANKS}
| def attr($k): [(.attributes // [])[] | select(.key == $k) | .value][0] // "";
  [ ((.imageScanFindings.findings // [])[]
      | {severity: (.severity // "UNDEFINED"), id: (.name // "?"),
         what: ([attr("package_name"), attr("package_version")] | map(select(. != "")) | join(" "))}),
    ((.imageScanFindings.enhancedFindings // [])[]
      | {severity: (.severity // "UNDEFINED"),
         id: (.packageVulnerabilityDetails.vulnerabilityId // .title // "?"),
         what: ([(.packageVulnerabilityDetails.vulnerablePackages // [])[] | "\(.name) \(.version)"] | join(", "))})
  ]
| map(select((.severity | rank) >= ranks[$t]))
| sort_by(-(.severity | rank))
| .[:25][]
| "  \(.severity)  \(.id)  \(.what)"`;

/** The fields of a task definition that `register-task-definition` accepts back; read-only ones are dropped. */
export const TASK_DEFINITION_KEPT_FIELDS = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const;

/**
 * Input: `aws ecs describe-task-definition` JSON; `--arg container <name> --arg image <uri:tag>`.
 * Output: `register-task-definition --cli-input-json` input: the same task definition (same family, roles,
 * network mode, sizes, volumes...) with that container's image replaced; read-only fields (ARN, revision,
 * status, requiresAttributes, compatibilities, registeredAt/By...) and null fields dropped. Fails when the
 * task definition has no such container.
 */
export const TASK_DEFINITION_JQ = String.raw`.taskDefinition
| if any((.containerDefinitions // [])[]; .name == $container) then .
  else error("the task definition \(.family) has no container named \($container)") end
| {${TASK_DEFINITION_KEPT_FIELDS.join(', ')}}
| with_entries(select(.value != null))
| .containerDefinitions |= map(if .name == $container then .image = $image else . end)`;

/**
 * Input: `aws ecs describe-task-definition` JSON; `--arg container <name>`. Output: that container's image.
 */
export const CONTAINER_IMAGE_JQ = String.raw`[.taskDefinition.containerDefinitions[]? | select(.name == $container) | .image][0] // ""`;

/**
 * Input: `aws ecs describe-services` JSON (one service). Output: six lines about its PRIMARY deployment:
 * task definition ARN, rolloutState, rolloutStateReason, runningCount, desiredCount, failedTasks (the first
 * three may be empty; the counts default to 0).
 */
export const PRIMARY_DEPLOYMENT_JQ = String.raw`([.services[0].deployments[]? | select(.status == "PRIMARY")][0] // {})
| (.taskDefinition // ""), (.rolloutState // ""), ((.rolloutStateReason // "") | gsub("[\r\n]+"; " ")),
  (.runningCount // 0), (.desiredCount // 0), (.failedTasks // 0)`;

/**
 * Input: `aws ecs describe-services` JSON (one service); `--arg td <task definition ARN>`. Output: one line,
 * `rolloutState: rolloutStateReason` of the newest deployment of that task definition (after a rollback, the
 * FAILED one), or nothing when ECS no longer lists one.
 */
export const DEPLOYMENT_OF_JQ = String.raw`[.services[0].deployments[]? | select(.taskDefinition == $td)]
| sort_by(.createdAt // "") | last // empty
| "\(.rolloutState // "unknown")\(if (.rolloutStateReason // "") != "" then ": " + (.rolloutStateReason | gsub("[\r\n]+"; " ")) else "" end)"`;

/**
 * Input: `aws ecr describe-image-scan-findings` JSON. Output: two lines, the scan's `imageScanStatus.status`
 * and its description (each may be empty).
 */
export const SCAN_STATUS_JQ = String.raw`(.imageScanStatus // {}) | (.status // ""), ((.description // "") | gsub("[\r\n]+"; " "))`;

/** `batch-delete-image` failure codes that mean the tag is already gone: nothing left to remove. */
export const UNTAG_GONE_FAILURE_CODES = ['ImageNotFound', 'ImageTagDoesNotMatchDigest'] as const;

/**
 * Input: `aws ecr batch-delete-image` JSON. Output: one line per failure other than "already gone"
 * (`CODE: reason`); nothing when every tag was removed or was already gone.
 */
export const UNTAG_FAILURES_JQ = String.raw`(.failures // [])[]
| select((.failureCode // "") as $code | ${JSON.stringify(UNTAG_GONE_FAILURE_CODES)} | any(. == $code) | not)
| "\(.failureCode // "unknown"): \((.failureReason // "") | gsub("[\r\n]+"; " "))"`;
