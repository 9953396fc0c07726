import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * moto's server for the rehearsal and the bench: started on a free 127.0.0.1 port from a small Python helper
 * (moto_server.py, which patches moto where the rehearsal needs AWS's behaviour), controlled by JSON lines on
 * its stdin, and stopped by its PID.
 */

export const MOTO_HELPER = path.join(__dirname, 'moto_server.py');

/** The Python that has moto, or undefined (moto is in the machine image's Python, not on a laptop). */
export function findMotoPython(): string | undefined {
  for (const python of [process.env.BERTH_REHEARSE_PYTHON, 'python3', 'python'].filter(Boolean) as string[]) {
    const probe = spawnSync(python, ['-c', 'import moto.server, werkzeug'], {
      stdio: 'ignore',
      timeout: 20_000,
    });
    if (probe.status === 0) return python;
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Resolves once something accepts connections on 127.0.0.1:`port`; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.setTimeout(500);
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('timeout', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => (socket.destroy(), resolve(false)));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

export type MotoCommand = { readonly cmd: string } & Record<string, unknown>;

export class Moto {
  readonly endpoint: string;
  /** The helper's stderr (moto's request log and any traceback), kept for a failure report. */
  readonly stderr: string[] = [];
  private readonly waiting: ((line: string) => void)[] = [];
  private exited = false;

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly port: number,
  ) {
    this.endpoint = `http://127.0.0.1:${port}`;
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr.push(chunk.toString('utf8'));
      if (this.stderr.length > 400) this.stderr.splice(0, this.stderr.length - 400);
    });
    child.on('exit', () => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w('{"ok": false, "error": "moto exited"}');
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
  }

  /** Starts the helper on a free port and waits for it (at most `timeoutMs`). */
  static async start(python: string, timeoutMs = 60_000): Promise<Moto> {
    const port = await freePort();
    const child = spawn(python, [MOTO_HELPER, String(port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost' },
    });
    const moto = new Moto(child, port);
    try {
      const ready = await moto.nextLine(timeoutMs);
      if (ready !== `READY ${port}`)
        throw new Error(`moto did not start: ${ready}\n${moto.stderr.join('').slice(-2000)}`);
      await waitForPort(port, timeoutMs);
    } catch (err) {
      await moto.stop();
      throw err;
    }
    return moto;
  }

  private nextLine(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`moto exited: ${this.stderr.join('').slice(-2000)}`));
      const timer = setTimeout(
        () => reject(new Error(`no answer from moto within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  /** Sends a control command; rejects when the helper refuses it. */
  async send(command: MotoCommand): Promise<Record<string, unknown>> {
    const answer = this.nextLine(10_000);
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    const parsed = JSON.parse(await answer) as { ok: boolean; error?: string };
    if (!parsed.ok) throw new Error(`moto refused ${command.cmd}: ${parsed.error}`);
    return parsed;
  }

  /** Stops the helper by its PID: SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (this.exited || pid === undefined) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (!this.exited) process.kill(pid, 'SIGKILL');
    }, 5000);
    await gone;
    clearTimeout(timer);
  }

  /** The environment that points AWS SDK clients at this server and keeps every other call on the machine. */
  awsEnv(): Record<string, string> {
    return {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  }
}
