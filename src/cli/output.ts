import type { CliError } from './errors';

/** The streams a command may use; `main()` passes the process's, tests pass captured ones. */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface InStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface CliIO {
  stdin: InStream;
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
}

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const SPINNER_INTERVAL_MS = 80;
const CLEAR_LINE = '\r\x1b[2K';
const MIN_SECRET_LENGTH = 6;

/** What a progress line can do while a network call runs. */
export interface Progress {
  /** Replaces the text shown. */
  update(text: string): void;
  /** Removes the line (call on success and on failure). */
  stop(): void;
}

/**
 * Everything the CLI writes goes through here: results on stdout (human text or one JSON document with
 * `--json`), warnings and errors on stderr (errors on stdout as JSON with `--json`), and a spinner on stderr
 * only when stderr is a terminal. Every string registered with `addSecret` is replaced by `***` in anything
 * written, as a last line of defence: the commands never put a secret in a message in the first place.
 */
export class Output {
  private readonly secrets = new Set<string>();
  private spinner: { text: string; frame: number; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly io: Pick<CliIO, 'stdout' | 'stderr'>,
    readonly json: boolean,
  ) {}

  /** Never writes `value` (nor its Basic-auth encodings) from now on. */
  addSecret(value: string): void {
    // Short strings would blank out ordinary words; real PATs and generated passwords are far longer.
    if (value.length < MIN_SECRET_LENGTH) return;
    this.secrets.add(value);
    this.secrets.add(Buffer.from(`:${value}`).toString('base64'));
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    return out;
  }

  /** The command's result: `human` text, or `data` as JSON with `--json`. */
  result(human: string, data: unknown): void {
    this.stdout(this.json ? `${JSON.stringify(data, null, 2)}\n` : ensureNewline(human));
  }

  /** One line of a result that streams (log lines, a task's output): stdout, as it comes. */
  line(text: string): void {
    this.stdout(ensureNewline(text));
  }

  /** Progress for people that stays on screen (a stage that finished): stderr, so `--json` stays one document. */
  info(text: string): void {
    this.stderr(ensureNewline(text));
  }

  /** A note for people (stderr, so `--json` output stays one document). */
  warn(text: string): void {
    this.stderr(ensureNewline(`Warning: ${text}`));
  }

  error(err: CliError): void {
    if (this.json) {
      this.stdout(`${JSON.stringify({ error: { code: err.code, message: err.message } }, null, 2)}\n`);
    } else {
      this.stderr(ensureNewline(`Error: ${err.message}`));
    }
  }

  /** Plain text to stdout, whatever the mode (help). */
  text(text: string): void {
    this.stdout(ensureNewline(text));
  }

  /** Starts a spinner with `text` on stderr when stderr is a terminal; a no-op otherwise. */
  progress(text: string): Progress {
    if (!this.io.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
    this.stopSpinner();
    const timer = setInterval(() => this.drawSpinner(), SPINNER_INTERVAL_MS);
    timer.unref();
    this.spinner = { text, frame: 0, timer };
    this.drawSpinner();
    const own = this.spinner;
    return {
      update: (t) => {
        if (this.spinner === own) {
          own.text = t;
          this.drawSpinner();
        }
      },
      stop: () => {
        if (this.spinner === own) this.stopSpinner();
      },
    };
  }

  /** Runs `fn` with a progress line showing `text`, removing the line however `fn` ends. */
  async withProgress<T>(text: string, fn: (p: Progress) => Promise<T>): Promise<T> {
    const p = this.progress(text);
    try {
      return await fn(p);
    } finally {
      p.stop();
    }
  }

  /** Removes any progress line (before prompting, for instance). */
  stopSpinner(): void {
    if (!this.spinner) return;
    clearInterval(this.spinner.timer);
    this.spinner = undefined;
    this.io.stderr.write(CLEAR_LINE);
  }

  private drawSpinner(): void {
    const s = this.spinner;
    if (!s) return;
    const frame = SPINNER_FRAMES[s.frame++ % SPINNER_FRAMES.length];
    this.io.stderr.write(`${CLEAR_LINE}${frame} ${this.redact(s.text)}`);
  }

  private stdout(text: string): void {
    if (this.spinner) this.io.stderr.write(CLEAR_LINE);
    this.io.stdout.write(this.redact(text));
  }

  private stderr(text: string): void {
    if (this.spinner) this.io.stderr.write(CLEAR_LINE);
    this.io.stderr.write(this.redact(text));
  }
}

function ensureNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}
