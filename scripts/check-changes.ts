// `npm run check:changes`: checks docs/changes.md against the templates. For every row of its change table it
// applies the row's change to the seed config, synthesizes the app before and after (offline, no bundling), and
// classifies what CloudFormation would do; the row's stated effect must match. The page cannot drift from the
// code. About a second per row: run by .ci/run, not by `npm test`.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { createApp } from '../src/app';
import { ConfigError, validateConfig } from '../src/config/load';
import type { ParsedConfig } from '../src/config/schema';
import { classifyChange, EFFECTS, type Effect, type Templates } from './check-changes/classify';

const ROOT = path.resolve(__dirname, '..');
const PAGE = path.join(ROOT, 'docs', 'changes.md');

interface Row {
  readonly line: number;
  readonly key: string;
  readonly change: string;
  readonly effect: Effect;
}

/** Rows of the table between the change-table markers: `| key | change | effect | what happens |`. */
export function parseRows(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.includes('<!-- change-table:start -->'));
  const end = lines.findIndex((l) => l.includes('<!-- change-table:end -->'));
  if (start < 0 || end < start) throw new Error(`${PAGE}: no change-table markers`);
  const rows: Row[] = [];
  for (let i = start + 1; i < end; i++) {
    const cells = lines[i].split('|').map((c) => c.trim());
    if (cells.length < 5 || /^-+$/.test(cells[1]) || cells[1] === 'key') continue;
    const [, key, change, effect] = cells;
    const e = effect.replace(/\*/g, '').trim() as Effect;
    if (!EFFECTS.includes(e))
      throw new Error(`${PAGE}:${i + 1}: unknown effect "${effect}" (one of ${EFFECTS.join(', ')})`);
    rows.push({ line: i + 1, key: key.replace(/`/g, ''), change: change.replace(/`/g, ''), effect: e });
  }
  return rows;
}

/** Applies `a.b[0].c: value; x.y: value` (YAML values) to a raw config. */
export function applyChange(raw: Record<string, unknown>, change: string): Record<string, unknown> {
  const copy = structuredClone(raw);
  for (const part of change
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const colon = part.indexOf(': ');
    const keyPath = part.slice(0, colon).trim();
    const value = parse(part.slice(colon + 2)) as unknown;
    const keys = keyPath.match(/[^.[\]]+/g)!.map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    let node = copy as Record<PropertyKey, unknown>;
    for (const k of keys.slice(0, -1)) {
      node[k] ??= typeof k === 'number' ? [] : {};
      node = node[k] as Record<PropertyKey, unknown>;
    }
    const last = keys[keys.length - 1];
    if (value === '(remove)') {
      if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1);
      else delete node[last];
    } else node[last] = value;
  }
  return copy;
}

function synthesize(config: ParsedConfig): Templates {
  const context = {
    ...(JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: object }).context,
    'aws:cdk:bundling-stacks': [],
  };
  const { app } = createApp(config, {
    nag: false,
    warnings: false,
    appProps: { context, builtinCloudFormationValidation: false },
  });
  // A stack is its name in its region: the same name in another region is another stack.
  return Object.fromEntries(
    app.synth().stacks.map((s) => [`${s.environment.region}/${s.stackName}`, s.template]),
  ) as Templates;
}

function main(): number {
  const rows = parseRows(readFileSync(PAGE, 'utf8'));
  const seedRaw = parse(readFileSync(path.join(ROOT, 'berth.yaml'), 'utf8')) as Record<string, unknown>;
  const before = synthesize(validateConfig(seedRaw));
  let failed = 0;
  for (const row of rows) {
    let actual: Effect;
    let detail: string;
    try {
      const after = synthesize(validateConfig(applyChange(seedRaw, row.change)));
      const result = classifyChange(before, after);
      actual = result.effect;
      detail = result.detail;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      actual = 'refused';
      detail = e.problems[0];
    }
    const ok = actual === row.effect;
    if (!ok) failed++;
    console.log(
      `${ok ? 'PASS' : 'FAIL'} ${row.key} (${row.change}): page says ${row.effect}, templates say ${actual}${ok ? '' : ` — ${detail}`}`,
    );
  }
  console.log(`${rows.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
