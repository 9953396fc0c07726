import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The buildspecs of the pipeline's shell stages (Checkout, Test, Build), made at synth from the real scripts
 * in `./scripts/` (`checkout.sh`, `test.sh`, `build.sh`, each sourcing `lib.sh`; shellcheck checks them and the
 * tests run them with bash). Each buildspec is self-contained: `lib.sh` is inlined in place of the stage
 * script's `source` line, and the whole script is the one command of the `build` phase, run as
 * `bash -c '<script>' berth-<stage>`. A separate bash process (rather than a subshell of CodeBuild's own shell)
 * keeps `set -euo pipefail`, `exit` and the EXIT trap exactly as in the file, however CodeBuild's command
 * runner invokes its commands, and its exit status fails the phase.
 *
 * The scripts are read from the source tree next to this module (the app runs from TypeScript with tsx).
 */

/** Folder (relative to CODEBUILD_SRC_DIR) the Checkout stage fills; its output artifact's base directory. */
export const CHECKOUT_DIRECTORY = 'berth-checkout';
/** File in the checked-out tree holding the commit id. */
export const COMMIT_FILE = '.berth/commit';
/** Key of the Test stage's report group (CodeBuild names it `<project>-tests`). */
export const TEST_REPORT_GROUP = 'tests';
/** JUnit XML files the Test stage collects, anywhere in the tree. */
export const TEST_REPORT_FILES = ['**/junit*.xml', '**/TEST-*.xml'] as const;

/** The stages whose buildspec is a shell script. */
export const SCRIPT_STAGES = ['checkout', 'test', 'build'] as const;
export type ScriptStage = (typeof SCRIPT_STAGES)[number];

/** Folder of the stage scripts and `lib.sh`. */
export const SCRIPTS_DIRECTORY = path.join(__dirname, 'scripts');

export type BuildPhase = 'install' | 'pre_build' | 'build' | 'post_build';

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

/** Path of a stage's script in the source tree. */
export function scriptPath(stage: ScriptStage | 'lib'): string {
  return path.join(SCRIPTS_DIRECTORY, `${stage}.sh`);
}

/** The two lines by which a stage script loads `lib.sh`; replaced by `lib.sh` itself when inlined. */
const SOURCE_LIB =
  /^# shellcheck source=lib\.sh\n(?:source|\.) "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/lib\.sh"\n/gm;

const scripts = new Map<ScriptStage, string>();

/**
 * The self-contained text of a stage's script: the `.sh` file with `lib.sh` (less its `#!` line) in place of
 * its `source` line. This is what the buildspec runs; tests run it too.
 */
export function stageScript(stage: ScriptStage): string {
  const cached = scripts.get(stage);
  if (cached !== undefined) return cached;
  const text = readFileSync(scriptPath(stage), 'utf8');
  const lib = readFileSync(scriptPath('lib'), 'utf8').replace(/^#!.*\n/, '');
  const found = text.match(SOURCE_LIB) ?? [];
  if (found.length !== 1) {
    throw new Error(
      `${stage}.sh must load lib.sh exactly once, with the lines '# shellcheck source=lib.sh' and 'source "$(dirname "\${BASH_SOURCE[0]}")/lib.sh"' (found ${found.length})`,
    );
  }
  const inlined = text.replace(
    SOURCE_LIB,
    () => `# --- lib.sh (inlined) ---\n${lib}# --- end of lib.sh ---\n`,
  );
  scripts.set(stage, inlined);
  return inlined;
}

/** Quotes a string for bash as one word, whatever it contains. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Environment a stage's command sets for its script, beyond what the CodeBuild project provides. */
export interface StageCommandOptions {
  /** Project name shown in the Checkout stage's `npx --no-install berth set-pat <project>` hints. */
  readonly projectName?: string;
}

/** The buildspec command that runs a stage's script in its own bash process: `bash -c '<script>' berth-<stage>`. */
export function stageCommand(stage: ScriptStage, options: StageCommandOptions = {}): string {
  const env: string[] = [];
  if (options.projectName !== undefined) {
    if (!/^[a-z][a-z0-9-]*$/.test(options.projectName)) {
      throw new Error(
        `projectName must be a project name such as cash-collection, got ${options.projectName}`,
      );
    }
    env.push(`BERTH_PROJECT=${options.projectName}`);
  }
  return [...env, 'bash', '-c', shQuote(stageScript(stage)), `berth-${stage}`].join(' ');
}

function spec(command: string, extra: Pick<BuildSpecObject, 'artifacts' | 'reports'> = {}): BuildSpecObject {
  return { version: '0.2', env: { shell: 'bash' }, phases: { build: { commands: [command] } }, ...extra };
}

/**
 * Checkout (`checkout.sh`): fetches branch BRANCH of REPOSITORY_URL with the PAT, requires COMMIT_ID to be on
 * it, and outputs the commit's tree without `.git`, plus `.berth/commit`, as the artifact (base directory
 * `berth-checkout`; symlinks preserved, those pointing outside the tree refused by the script).
 */
export function checkoutBuildSpec(options: StageCommandOptions = {}): BuildSpecObject {
  return spec(stageCommand('checkout', options), {
    artifacts: {
      files: ['**/*'],
      'base-directory': CHECKOUT_DIRECTORY,
      'exclude-paths': ['.git/**/*', '**/.git/**/*'],
      'enable-symlinks': 'yes',
    },
  });
}

/** Test (`test.sh`): `npm ci` when locked, then TEST_COMMAND; JUnit XML files become the `tests` report. */
export function testBuildSpec(): BuildSpecObject {
  return spec(stageCommand('test'), {
    reports: {
      [TEST_REPORT_GROUP]: {
        files: [...TEST_REPORT_FILES],
        'file-format': 'JUNITXML',
        'discard-paths': 'no',
      },
    },
  });
}

/** Build (`build.sh`): builds IMAGE_ARCHITECTURE of the image and pushes `candidate-<commit>-<arch>`. */
export function buildBuildSpec(): BuildSpecObject {
  return spec(stageCommand('build'));
}
