import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import {
  scriptPath,
  stageCommand,
  type ScriptStage,
  type StageCommandOptions,
} from '../../../../src/project/pipeline/scripts';

/**
 * Running the stage scripts for real, in bash child processes, with fakes and recorders (test/support/fakes/)
 * first on PATH. A run is either the `.sh` file itself (sourcing lib.sh) or the buildspec's command (the
 * self-contained script under `bash -c`, as CodeBuild runs it).
 */

export const FAKES = path.resolve(__dirname, '../../../support/fakes');

/** One recorded command line: the tool's name and its arguments. */
export interface Call {
  readonly tool: string;
  readonly args: readonly string[];
}

export interface ScriptRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Every command line the fakes and recorders saw, in order. */
  readonly calls: readonly Call[];
  /** The run's fakes state folder (calls, fixtures, docker-login.stdin). */
  readonly state: string;
}

export interface RunOptions {
  /** The stage's environment (besides PATH, HOME, LANG and FAKE_STATE). */
  readonly env: Record<string, string>;
  /** Working directory (CodeBuild's CODEBUILD_SRC_DIR). */
  readonly cwd: string;
  /** `file`: bash <stage>.sh; `buildspec`: the buildspec's command, in bash -c. Default `file`. */
  readonly mode?: 'file' | 'buildspec';
  /** Folders put first on PATH, in order (fakes, recorders). */
  readonly bins?: readonly string[];
  /** The PATH after `bins`. Default this process's PATH. */
  readonly path?: string;
  /** Fixture files to write under the state folder's `fixtures/`, by relative path. */
  readonly fixtures?: Record<string, string>;
  /** Options of the buildspec command (mode `buildspec`). */
  readonly command?: StageCommandOptions;
}

/** A folder whose entries link `name` to a fake or recorder script of test/support/fakes. */
export function binFolder(parent: string, links: Record<string, string>): string {
  const bin = mkdtempSync(path.join(parent, 'bin-'));
  for (const [name, fake] of Object.entries(links)) symlinkSync(path.join(FAKES, fake), path.join(bin, name));
  return bin;
}

/**
 * A folder of links to every program on `searchPath` except `hidden` (first of a name wins), to use as a PATH
 * on which those programs are not found.
 */
export function pathWithout(
  parent: string,
  hidden: readonly string[],
  searchPath = process.env.PATH ?? '',
): string {
  const bin = mkdtempSync(path.join(parent, 'path-'));
  const seen = new Set(hidden);
  for (const dir of searchPath.split(':').filter(Boolean)) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (seen.has(name)) continue;
      const full = path.join(dir, name);
      try {
        if (statSync(full).isDirectory()) continue;
      } catch {
        continue;
      }
      seen.add(name);
      symlinkSync(full, path.join(bin, name));
    }
  }
  return bin;
}

let runs = 0;

/** Runs a stage script and collects its output and the recorded calls. */
export function runStage(stage: ScriptStage, options: RunOptions, tmp: string): Promise<ScriptRun> {
  runs += 1;
  const state = path.join(tmp, `state-${process.pid}-${runs}`);
  mkdirSync(path.join(state, 'fixtures'), { recursive: true });
  for (const [file, content] of Object.entries(options.fixtures ?? {})) {
    mkdirSync(path.dirname(path.join(state, 'fixtures', file)), { recursive: true });
    writeFileSync(path.join(state, 'fixtures', file), content);
  }
  writeFileSync(path.join(state, 'calls'), '');
  const home = path.join(state, 'home');
  mkdirSync(home);
  const args =
    (options.mode ?? 'file') === 'file'
      ? [scriptPath(stage)]
      : ['-c', stageCommand(stage, options.command ?? {})];
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, {
      cwd: options.cwd,
      env: {
        PATH: [...(options.bins ?? []), options.path ?? process.env.PATH].join(':'),
        HOME: home,
        LANG: 'C.UTF-8',
        GIT_CONFIG_NOSYSTEM: '1',
        npm_config_update_notifier: 'false',
        FAKE_STATE: state,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, stdout, stderr, calls: readCalls(path.join(state, 'calls')), state }),
    );
  });
}

/** Parses the recorders' `calls` file. */
export function readCalls(file: string): Call[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\x1e')
    .filter((record) => record.length > 0)
    .map((record) => {
      const [tool, ...args] = record.split('\x1f');
      return { tool, args };
    });
}

/** All recorded command lines as text, one per line (for "never on a command line" checks). */
export function callsText(run: ScriptRun): string {
  return run.calls.map((c) => [c.tool, ...c.args].join(' ')).join('\n');
}
