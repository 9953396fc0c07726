import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isMap, isNode, isPair, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { configSchema, type ParsedConfig } from './schema';

/**
 * Reading `berth.yaml`: YAML first (one message for a syntax error, at its line and column), then the schema.
 * Every problem is one line `<file>:<line>:<column>: <field path>: <given> — <expected>`, pointing at the value
 * that is wrong (or, for a missing key, at the mapping that lacks it). Nothing is built from a bad file.
 */

/** Thrown for any problem with the config file; `problems` holds one line each. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} is not a valid Berth config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Keys Berth no longer reads, with what to do instead; a config that still has one is refused with this. */
const REMOVED_KEYS: Readonly<Record<string, string>> = {
  desiredCount:
    'no longer a setting: a service starts at minCount at its first release and auto scaling keeps it between minCount and maxCount (CloudFormation never resets the count); remove desiredCount and set minCount',
};

/** The config file the app reads: `BERTH_CONFIG` when set, else `berth.yaml` in the working directory. */
export function configPath(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return path.resolve(cwd, env.BERTH_CONFIG || 'berth.yaml');
}

/** Reads, parses and validates a config file; throws ConfigError naming every problem. */
export function loadConfig(file: string = configPath()): ParsedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new ConfigError(file, [
      `(file): cannot read ${file} (${reason}) — a readable YAML file; set BERTH_CONFIG to choose another`,
    ]);
  }
  return parseConfigText(text, file);
}

/** Parses and validates YAML text; `file` labels the messages. */
export function parseConfigText(text: string, file = 'berth.yaml'): ParsedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const label = path.basename(file);
  if (doc.errors.length > 0) {
    // Only the first error: YAML parsers report the consequences of one mistake many times over.
    const first = doc.errors[0];
    const at = lineCounter.linePos(first.pos[0]);
    const what = first.message
      .split('\n')[0]
      .replace(/ at line \d+, column \d+:?$/, '')
      .replace(/:$/, '');
    throw new ConfigError(file, [
      `${label}:${at.line}:${at.col}: (file): not valid YAML (${what}) — fix the YAML syntax at that line`,
    ]);
  }
  const raw: unknown = doc.toJS();
  return validateConfig(raw, file, (p) => positionOf(doc, lineCounter, p, label));
}

/** Locates a field path in the document: the value's position, or the nearest existing parent's. */
function positionOf(
  doc: Document,
  lineCounter: LineCounter,
  fieldPath: readonly PropertyKey[],
  label: string,
): string | undefined {
  for (let n = fieldPath.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(fieldPath.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) {
      const at = lineCounter.linePos(node.range[0]);
      return `${label}:${at.line}:${at.col}`;
    }
    // A key whose value is null has no value node: point at the key.
    if (n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(fieldPath.slice(0, n - 1) as unknown[], true);
      if (isMap(parent)) {
        const pair = parent.items.find(
          (it) =>
            isPair(it) &&
            isNode(it.key) &&
            String((it.key as { value?: unknown }).value) === String(fieldPath[n - 1]),
        );
        if (pair && isNode(pair.key) && pair.key.range) {
          const at = lineCounter.linePos(pair.key.range[0]);
          return `${label}:${at.line}:${at.col}`;
        }
      }
    }
  }
  // An empty document has no node at all: the problem is the whole file.
  return `${label}:1:1`;
}

/** Validates an already-parsed object; `locate` turns a field path into `<file>:<line>:<col>` when known. */
export function validateConfig(
  raw: unknown,
  file = 'berth.yaml',
  locate: (fieldPath: readonly PropertyKey[]) => string | undefined = () => undefined,
): ParsedConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const at = locate([]);
    throw new ConfigError(file, [
      `${at ? `${at}: ` : ''}(root): ${describe(raw)} — a YAML mapping with prefix, azureDevOps, projects, ...`,
    ]);
  }
  // reportInput keeps what each check says was given (a variable's name, a hidden secret value, a default).
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(file, formatIssues(result.error.issues, raw, locate));
  return result.data;
}

/** One line per issue: `[<file>:<line>:<col>: ]<field path>: <what was given> — <what is expected>`. */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  locate: (fieldPath: readonly PropertyKey[]) => string | undefined = () => undefined,
): string[] {
  const lines: string[] = [];
  const line = (p: readonly PropertyKey[], text: string) => {
    const at = locate(p);
    lines.push(`${at ? `${at}: ` : ''}${formatPath(p)}: ${text}`);
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(issue.path);
      for (const key of issue.keys) {
        const p = [...issue.path, key];
        const removed = Object.hasOwn(REMOVED_KEYS, key) ? REMOVED_KEYS[key] : undefined;
        line(
          p,
          `${describe(valueAt(raw, p))} — ${removed ?? `no such key${allowed ? `; expected one of: ${allowed}` : ''}`}`,
        );
      }
      continue;
    }
    // A check of Berth's own (code custom) names what was given itself; zod's own issues are about the raw value.
    const given = issue.code === 'custom' && 'input' in issue ? issue.input : valueAt(raw, issue.path);
    line(issue.path, `${describe(given)} — ${expected(issue, given)}`);
  }
  return lines;
}

function expected(issue: z.core.$ZodIssue, given: unknown): string {
  // A missing key (Berth's own checks word their own): zod says invalid_type, or invalid_value for a list of choices.
  if (issue.code !== 'custom' && given === undefined) return `required: ${stripInvalid(issue.message)}`;
  return stripInvalid(issue.message);
}

/** zod's own messages start with "Invalid input: expected X, received Y"; keep "X", in YAML's words. */
function stripInvalid(message: string): string {
  const m = /^Invalid input: expected (.+?), received .+$/.exec(message);
  if (!m) return message;
  const type = ({ object: 'mapping', array: 'list' } as Record<string, string>)[m[1]] ?? m[1];
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

export function formatPath(p: readonly PropertyKey[]): string {
  if (p.length === 0) return '(root)';
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('');
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return '(missing)';
  const s = JSON.stringify(v);
  if (s.length <= 80) return s;
  // A long list is cut short, so say how long it was (e.g. 101 projects against a limit of 100).
  return Array.isArray(v) ? `${v.length} items ${s.slice(0, 60)}...` : `${s.slice(0, 77)}...`;
}

/** The keys the schema accepts at a path, to turn a typo into a suggestion. */
function allowedKeys(p: readonly PropertyKey[]): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let node: any = configSchema;
  for (const k of p) {
    node = unwrap(node);
    if (typeof k === 'number') node = node?.def?.element;
    else node = node?.def?.shape?.[k];
  }
  node = unwrap(node);
  const shape = node?.def?.shape;
  return shape ? Object.keys(shape).join(', ') : undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function unwrap(node: any): any {
  for (let i = 0; i < 10 && node; i++) {
    const t = node.def?.type;
    if (t === 'default' || t === 'optional' || t === 'prefault' || t === 'nullable')
      node = node.def.innerType;
    else if (t === 'pipe') node = node.def.in;
    else break;
  }
  return node;
}
