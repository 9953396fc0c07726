import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The `berth` command lines the documentation shows, as a user would type them: every line of a fenced code block
 * (``` or ~~~, any language, indented or not) of README.md and docs/**\/*.md that holds `npx --no-install berth`
 * or `npx berth`, turned into what to run. The rules (they are also the rules for writing documentation):
 *
 * - The command runs from `npx` to the end of the line, a shell operator (`|`, `&&`, `||`, `;`, `>`) or a
 *   comment (` #`). A trailing `\` joins the next line. A command inside a comment (`# or: npx berth status x`)
 *   is run too.
 * - Before `npx` only environment assignments (`AZURE_DEVOPS_PAT=... npx berth connect x`), a `$ ` prompt, or a
 *   command piped into it (`printf %s "$PAT" | npx berth set-pat x`) may appear; anything else cannot be run and
 *   fails the test. `< file` after it means stdin is redirected.
 * - `<placeholder>` and `$VARIABLE` (outside single quotes) are replaced from PLACEHOLDERS and VARIABLES; an
 *   assignment's value `...` is the Azure DevOps PAT. An unknown one fails the test: add it to the tables or
 *   write a real value.
 * - The expected exit code is 0, unless the line's comment says `exit N` / `exits N` / `exit code N`.
 */

export interface DocCommand {
  /** `README.md:136`. */
  readonly where: string;
  /** The command as written, from `npx` on. */
  readonly text: string;
  /** The arguments after `berth`, substituted. */
  readonly args: readonly string[];
  /** Assignments written before `npx`, substituted. */
  readonly env: Readonly<Record<string, string>>;
  /** True when the documented line pipes or redirects something into the command. */
  readonly stdinFromDoc: boolean;
  readonly expectedExit: number;
  /** Why it cannot be run as written; empty when it can. */
  readonly problems: readonly string[];
}

export interface Substitutions {
  readonly placeholders: Readonly<Record<string, string>>;
  readonly variables: Readonly<Record<string, string>>;
  /** What `NAME=...` stands for. */
  readonly ellipsis: string;
}

const COMMAND = /\bnpx\s+(?:--no-install\s+)?berth(?=\s|$)/g;

/** Markdown files of the documentation: README.md and every .md under docs/. */
export function docFiles(root: string): string[] {
  const out = [path.join(root, 'README.md')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (name.endsWith('.md')) out.push(file);
    }
  };
  walk(path.join(root, 'docs'));
  return out;
}

/** The logical lines of every fenced code block, with the line number each starts at. */
export function fencedLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = markdown.split(/\r?\n/);
  let fence: { marker: string; indent: number } | undefined;
  let pending: { line: number; text: string } | undefined;
  lines.forEach((raw, i) => {
    const open = /^(\s*)(`{3,}|~{3,})/.exec(raw);
    if (!fence) {
      if (open) fence = { marker: open[2], indent: open[1].length };
      return;
    }
    if (
      open &&
      open[2][0] === fence.marker[0] &&
      open[2].length >= fence.marker.length &&
      raw.trim() === open[2]
    ) {
      if (pending) out.push(pending);
      pending = undefined;
      fence = undefined;
      return;
    }
    const text = raw.slice(Math.min(fence.indent, raw.length - raw.trimStart().length));
    if (pending) pending = { line: pending.line, text: `${pending.text} ${text.trim()}` };
    else pending = { line: i + 1, text };
    if (/\\\s*$/.test(pending.text)) {
      pending = { line: pending.line, text: pending.text.replace(/\\\s*$/, '') };
      return;
    }
    out.push(pending);
    pending = undefined;
  });
  return out;
}

/** Every documented berth command of one file. */
export function extractCommands(markdown: string, file: string, subs: Substitutions): DocCommand[] {
  const out: DocCommand[] = [];
  for (const { line, text } of fencedLines(markdown)) {
    const commentAt = commentStart(text);
    for (const m of text.matchAll(COMMAND)) {
      const at = m.index;
      const inComment = commentAt !== undefined && at > commentAt;
      const end = inComment
        ? (commentStart(text.slice(at + 1)) ?? text.length - at - 1) + at + 1
        : (commentAt ?? text.length);
      const comment = inComment ? text.slice(end) : commentAt === undefined ? '' : text.slice(commentAt);
      const before = inComment ? '' : text.slice(0, at);
      out.push(parseCommand(text.slice(at, end), before, comment, `${file}:${line}`, subs));
    }
  }
  return out;
}

function parseCommand(
  command: string,
  before: string,
  comment: string,
  where: string,
  subs: Substitutions,
): DocCommand {
  const problems: string[] = [];
  const env: Record<string, string> = {};
  let stdinFromDoc = false;

  // What precedes npx: a prompt, assignments, or a producer piped in.
  let lead = before.replace(/^\s*\$\s+/, '');
  const pipe = lastUnquoted(lead, '|');
  if (pipe !== undefined) {
    stdinFromDoc = true;
    lead = lead.slice(pipe + 1);
  }
  const expand = (s: string) => substitute(s, subs, problems);
  for (const word of words(lead.trim().replace(/=\.\.\.(?=\s|$)/g, '=__ELLIPSIS__'), expand)) {
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word.text);
    if (!assignment) {
      problems.push(
        `"${word.text}" before npx: only VAR=value assignments, a "$ " prompt or a command piped in may precede it`,
      );
      continue;
    }
    env[assignment[1]] = assignment[2] === '__ELLIPSIS__' ? subs.ellipsis : assignment[2];
  }

  const tokens = words(command, expand);
  const stop = tokens.findIndex((t) => t.operator);
  const own = stop < 0 ? tokens : tokens.slice(0, stop);
  if (stop >= 0 && tokens[stop].text === '<') stdinFromDoc = true;
  const berthAt = own.findIndex((t) => t.text === 'berth');
  const args = own.slice(berthAt + 1).map((t) => t.text);
  const exit = /\bexit(?:s| code)?\s+(\d+)\b/i.exec(comment);
  return {
    where,
    text: command.trim(),
    args,
    env,
    stdinFromDoc,
    expectedExit: exit ? Number(exit[1]) : 0,
    problems,
  };
}

interface Word {
  readonly text: string;
  readonly operator?: boolean;
}

/**
 * Shell-like words: quotes and backslash escapes, and operators (`|`, `&&`, `;`, `>`, `<` but not a `<placeholder>`)
 * as words of their own. `expand` is applied to the text outside single quotes.
 */
export function words(text: string, expand: (s: string) => string = (s) => s): Word[] {
  const out: Word[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) {
      i++;
      continue;
    }
    const op = /^(\|\||&&|\d?>>?|<(?![A-Za-z][\w.-]*>)|\||;|&)/.exec(text.slice(i));
    if (op) {
      out.push({ text: op[1], operator: true });
      i += op[1].length;
      continue;
    }
    let word = '';
    let plain = '';
    const flush = () => {
      word += expand(plain);
      plain = '';
    };
    while (i < text.length && !/\s/.test(text[i])) {
      const ch = text[i];
      if (ch === "'" || ch === '"') {
        const close = text.indexOf(ch, i + 1);
        const end = close < 0 ? text.length : close;
        flush();
        word += ch === "'" ? text.slice(i + 1, end) : expand(text.slice(i + 1, end));
        i = end + 1;
        continue;
      }
      if (ch === '\\' && i + 1 < text.length) {
        plain += text[i + 1];
        i += 2;
        continue;
      }
      if (/[|;&]/.test(ch) || (ch === '>' && !/<[A-Za-z][\w.-]*$/.test(plain))) break;
      plain += ch;
      i++;
    }
    flush();
    out.push({ text: word });
  }
  return out;
}

/** Replaces `<placeholder>`s and `$VARIABLE`s; unknown ones become problems. */
function substitute(text: string, subs: Substitutions, problems: string[]): string {
  return text
    .replace(/<([A-Za-z][\w.-]*)>/g, (whole) => {
      if (Object.hasOwn(subs.placeholders, whole)) return subs.placeholders[whole];
      problems.push(
        `unknown placeholder ${whole}: add it to PLACEHOLDERS in test/docs/commands.test.ts, or write a real value`,
      );
      return whole;
    })
    .replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => {
      if (Object.hasOwn(subs.variables, name)) return subs.variables[name];
      problems.push(
        `unknown variable $${name}: add it to VARIABLES in test/docs/commands.test.ts, or write a real value`,
      );
      return whole;
    });
}

/** Where an unquoted comment starts (`#` at the start or after whitespace), if any. */
function commentStart(text: string): number | undefined {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) return i;
  }
  return undefined;
}

function lastUnquoted(text: string, ch: string): number | undefined {
  let quote: string | undefined;
  let found: number | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === ch && text[i + 1] !== ch && text[i - 1] !== ch) found = i;
  }
  return found;
}

/** The commands of every documentation file under `root`. */
export function documentedCommands(root: string, subs: Substitutions): DocCommand[] {
  return docFiles(root).flatMap((file) =>
    extractCommands(readFileSync(file, 'utf8'), path.relative(root, file), subs),
  );
}
