import * as readline from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from './errors';
import type { CliIO, InStream } from './output';

/** Reads all of a (piped) stdin as UTF-8. */
export async function readAll(stdin: InStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Drops one trailing line break (`echo` and most editors add one), nothing else. */
export function stripOneNewline(s: string): string {
  return s.replace(/\r?\n$/, '');
}

/**
 * Asks `question` on stderr and reads one line from the terminal without echoing what is typed.
 * Ctrl-C or end of input cancels with a clear message.
 */
export function promptHidden(io: Pick<CliIO, 'stdin' | 'stderr'>, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let muted = false;
    const sink = new Writable({
      write(chunk: Buffer | string, _enc, done) {
        if (!muted) io.stderr.write(chunk.toString());
        done();
      },
    });
    const rl = readline.createInterface({ input: io.stdin, output: sink, terminal: true, historySize: 0 });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      muted = false;
      io.stderr.write('\n');
      rl.close();
      fn();
    };
    rl.on('SIGINT', () => finish(() => reject(new CliError('Cancelled: nothing was changed.', 'cancelled'))));
    rl.on('close', () =>
      finish(() => reject(new CliError('Cancelled (end of input): nothing was changed.', 'cancelled'))),
    );
    io.stderr.write(question);
    muted = true;
    rl.question('', (answer) => finish(() => resolve(answer)));
  });
}

/** Why a PAT is unusable, as a sentence ending in what to do; undefined when it looks fine. */
export function patProblem(pat: string, source: string): string | undefined {
  if (pat.length === 0)
    return `The PAT from ${source} is empty: paste the token from Azure DevOps (User settings > Personal access tokens).`;
  if (/\s/.test(pat)) return `The PAT from ${source} contains whitespace: give only the token, on one line.`;
  return undefined;
}
