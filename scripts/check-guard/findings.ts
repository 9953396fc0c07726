/** One failed Control Tower rule on one resource. */
export interface Finding {
  readonly rule: string;
  /** The resource's construct path (`berth-platform/Cluster/Asg/ASG`). */
  readonly resource: string;
}

/** An accepted finding: the rule, construct-path patterns (`*` matches within one path segment), and why. */
export interface Acknowledgement {
  readonly rule: string;
  readonly resources: readonly string[];
  readonly reason: string;
}

/** The findings in cfn-guard's `-o json` output (one JSON document per rule file, concatenated). */
export function findingsOf(stack: string, output: string, pathOf: (logicalId: string) => string): Finding[] {
  const findings = new Map<string, Finding>();
  let rest = output.trim();
  while (rest.length > 0) {
    const end = documentEnd(rest);
    const doc = JSON.parse(rest.slice(0, end)) as { not_compliant?: { Rule?: { name?: string } }[] };
    rest = rest.slice(end).trim();
    for (const nc of doc.not_compliant ?? []) {
      const rule = nc.Rule?.name ?? 'unknown';
      for (const id of new Set(
        [...JSON.stringify(nc).matchAll(/\/Resources\/([A-Za-z0-9]+)/g)].map((m) => m[1]),
      )) {
        const resource = pathOf(id);
        findings.set(`${rule} ${resource}`, { rule, resource });
      }
    }
  }
  if (findings.size === 0 && output.includes('"status": "FAIL"')) {
    throw new Error(`cfn-guard reported a failure in ${stack} that names no resource`);
  }
  return [...findings.values()];
}

/** Where the first top-level JSON value of `text` ends (strings and escapes respected). */
function documentEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) return i + 1;
  }
  throw new Error('cfn-guard output ends inside a JSON document');
}

/** `*` matches any characters but `/`. */
export function pathPattern(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${escaped}$`);
}

/** Splits findings into acknowledged and not, and names acknowledgements that match no finding. */
export function matchFindings(findings: readonly Finding[], acknowledgements: readonly Acknowledgement[]) {
  const used = new Set<Acknowledgement>();
  const acknowledged: Finding[] = [];
  const unacknowledged: Finding[] = [];
  for (const f of findings) {
    const a = acknowledgements.find(
      (a) => a.rule === f.rule && a.resources.some((r) => pathPattern(r).test(f.resource)),
    );
    if (a) {
      used.add(a);
      acknowledged.push(f);
    } else unacknowledged.push(f);
  }
  return { acknowledged, unacknowledged, unused: acknowledgements.filter((a) => !used.has(a)) };
}
