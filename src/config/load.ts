import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type ParsedConfig } from './schema';

/** Thrown for any problem with the config file; `problems` holds one `<path>: <given> — <expected>` line each. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} is not a valid Berth config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

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

/** Parses and validates YAML text; `file` only labels the messages. */
export function parseConfigText(text: string, file = 'berth.yaml'): ParsedConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map(
        (e) => `(file): not valid YAML (${e.message.split('\n')[0].replace(/:$/, '')}) — a YAML mapping`,
      ),
    );
  }
  const raw: unknown = doc.toJS();
  return validateConfig(raw, file);
}

/** Validates an already-parsed object. */
export function validateConfig(raw: unknown, file = 'berth.yaml'): ParsedConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [
      `(root): ${describe(raw)} — a YAML mapping with prefix, azureDevOps, projects, ...`,
    ]);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, formatIssues(result.error.issues, raw));
  return result.data;
}

/** One line per issue: `<field path>: <what was given> — <what is expected>`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(issue.path);
      for (const key of issue.keys) {
        const p = [...issue.path, key];
        lines.push(
          `${formatPath(p)}: ${describe(valueAt(raw, p))} — no such key${allowed ? `; expected one of: ${allowed}` : ''}`,
        );
      }
      continue;
    }
    const given = valueAt(raw, issue.path);
    lines.push(`${formatPath(issue.path)}: ${describe(given)} — ${expected(issue, given)}`);
  }
  return lines;
}

function expected(issue: z.core.$ZodIssue, given: unknown): string {
  if (issue.code === 'invalid_type' && given === undefined) return `required: ${stripInvalid(issue.message)}`;
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
