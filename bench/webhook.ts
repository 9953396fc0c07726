/**
 * `npm run bench:webhook`: figures for the webhook Lambda, printed as a table (a benchmark, not a test:
 * nothing here passes or fails on time).
 *
 * - bundle size: src/functions/webhook/index.ts bundled as the CDK does (esbuild, platform node, target
 *   node22, minify, cjs, @aws-sdk/* bundled), written to a temp dir;
 * - cold start: median wall time of N fresh `node` processes that load the bundle and serve one valid push
 *   (Secrets Manager, DynamoDB and CodePipeline answered by a fake on 127.0.0.1), beside the median of `node -e 0`;
 * - warm: per-request handler time, median and p99, in one process after a warm-up.
 *
 * Knobs: BENCH_COLD_RUNS (default 15), BENCH_WARM_REQUESTS (default 2000).
 */
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fakeAwsEnv, startFakeAws } from '../test/functions/webhook/fake-aws';

const REPO = path.resolve(__dirname, '..');
const FIXTURES = path.resolve(REPO, 'test/fixtures/azure-devops');
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 15);
const WARM_REQUESTS = Number(process.env.BENCH_WARM_REQUESTS ?? 2000);

const SERVICE = 'cash-collection';
const SECRET_ID = 'berth/cash-collection/webhook';
const CREDENTIALS = { username: 'azure-devops', password: 'bench-password-not-a-secret' };
const PROJECTS = {
  [SERVICE]: {
    pipelineName: 'berth-cash-collection',
    secretId: SECRET_ID,
    repository: {
      project: 'Fabrikam-Fiber-Git',
      name: 'Fabrikam-Fiber-Git',
      id: '278d5cd2-584d-4b63-824a-2ba458937249',
    },
    branch: 'main',
  },
};

function apiEvent(body: unknown) {
  const auth = Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64');
  return {
    version: '2.0',
    routeKey: 'POST /webhook/{service}',
    rawPath: `/webhook/${SERVICE}`,
    rawQueryString: '',
    headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Basic ${auth}` },
    requestContext: { requestId: 'bench', http: { method: 'POST', path: `/webhook/${SERVICE}` } },
    pathParameters: { service: SERVICE },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

const push = JSON.parse(readFileSync(path.join(FIXTURES, 'git.push.json'), 'utf8'));
const otherBranch = structuredClone(push);
otherBranch.resource.refUpdates[0].name = 'refs/heads/feature/x';

/** Runs in each fresh process: load the bundle, serve one push, report on stderr (stdout holds the logs). */
const COLD_CHILD = `
const t0 = performance.now();
const { handler } = require(process.env.BENCH_BUNDLE);
const t1 = performance.now();
handler(JSON.parse(process.env.BENCH_EVENT)).then((res) => {
  const t2 = performance.now();
  process.stderr.write('BENCH ' + JSON.stringify({ load: t1 - t0, first: t2 - t1, status: res.statusCode }) + '\\n');
  process.exit(0);
});
`;

/** Runs once: many requests through one warm handler. */
const WARM_CHILD = `
const { handler } = require(process.env.BENCH_BUNDLE);
const events = JSON.parse(process.env.BENCH_EVENTS);
const n = Number(process.env.BENCH_N);
(async () => {
  const result = {};
  for (const [name, event] of Object.entries(events)) {
    const statuses = new Set();
    for (let i = 0; i < 100; i++) await handler(event); // warm-up, not counted
    const times = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const res = await handler(event);
      times.push(performance.now() - t);
      statuses.add(res.statusCode);
    }
    result[name] = { times, statuses: [...statuses] };
  }
  process.stderr.write('BENCH ' + JSON.stringify(result) + '\\n');
  process.exit(0);
})();
`;

interface Run<T> {
  readonly wallMs: number;
  readonly report?: T;
}

function runNode<T>(args: string[], env: NodeJS.ProcessEnv): Promise<Run<T>> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`node exited with ${code}: ${stderr.slice(-2000)}`));
      const line = stderr.split('\n').find((l) => l.startsWith('BENCH '));
      resolve({ wallMs, report: line ? (JSON.parse(line.slice(6)) as T) : undefined });
    });
  });
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}
const median = (v: readonly number[]) => quantile(v, 0.5);
const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)} ms`;

function table(rows: [string, string][]): string {
  const w0 = Math.max(...rows.map((r) => r[0].length), 'measure'.length);
  const w1 = Math.max(...rows.map((r) => r[1].length), 'value'.length);
  const line = (a: string, b: string) => `| ${a.padEnd(w0)} | ${b.padStart(w1)} |`;
  return [
    line('measure', 'value'),
    `|${'-'.repeat(w0 + 2)}|${'-'.repeat(w1 + 1)}:|`,
    ...rows.map(([a, b]) => line(a, b)),
  ].join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-webhook-bench-'));
  const aws = await startFakeAws({ [SECRET_ID]: JSON.stringify(CREDENTIALS) });
  try {
    const bundle = path.join(dir, 'index.js');
    await build({
      entryPoints: [path.join(REPO, 'src/functions/webhook/index.ts')],
      absWorkingDir: REPO,
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node22',
      minify: true,
      format: 'cjs',
      external: [], // @aws-sdk/* bundled, not taken from the runtime
      logLevel: 'warning',
    });
    const sizeKb = statSync(bundle).size / 1024;

    // A clean environment: no loader flags inherited from tsx, AWS calls only to the local fake.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_NO_WARNINGS: '1',
      ...fakeAwsEnv(aws.url),
      WEBHOOK_PROJECTS: JSON.stringify(PROJECTS),
      WEBHOOK_STATE_TABLE: 'berth-webhook-state',
      POWERTOOLS_SERVICE_NAME: 'berth-webhook',
      POWERTOOLS_METRICS_NAMESPACE: 'Berth',
      BENCH_BUNDLE: bundle,
    };

    const baseline: number[] = [];
    const cold: number[] = [];
    const load: number[] = [];
    const first: number[] = [];
    const coldEnv = { ...env, BENCH_EVENT: JSON.stringify(apiEvent(push)) };
    await runNode(['-e', '0'], env); // page the node binary in before measuring
    for (let i = 0; i < COLD_RUNS; i++) {
      baseline.push((await runNode(['-e', '0'], env)).wallMs);
      const run = await runNode<{ load: number; first: number; status: number }>(['-e', COLD_CHILD], coldEnv);
      if (run.report?.status !== 202) throw new Error(`cold request answered ${run.report?.status}, not 202`);
      cold.push(run.wallMs);
      load.push(run.report.load);
      first.push(run.report.first);
    }

    const warmRun = await runNode<Record<string, { times: number[]; statuses: number[] }>>(
      ['-e', WARM_CHILD],
      {
        ...env,
        BENCH_N: String(WARM_REQUESTS),
        BENCH_EVENTS: JSON.stringify({ started: apiEvent(push), ignored: apiEvent(otherBranch) }),
      },
    );
    const warm = warmRun.report;
    if (!warm) throw new Error('warm run reported nothing');
    for (const [name, r] of Object.entries(warm)) {
      if (r.statuses.length !== 1 || r.statuses[0] !== 202)
        throw new Error(`warm ${name} answered ${r.statuses}`);
    }

    const rows: [string, string][] = [
      ['bundle size (esbuild: node22, minify, cjs, @aws-sdk bundled)', `${sizeKb.toFixed(1)} KB`],
      [`baseline: \`node -e 0\`, median of ${COLD_RUNS}`, ms(median(baseline))],
      [`cold start: fresh node, load bundle + 1 push, median of ${COLD_RUNS}`, ms(median(cold))],
      ['  cold start minus baseline', ms(median(cold) - median(baseline))],
      ['  require(bundle), median', ms(median(load))],
      ['  first request (secret + UpdateItem + StartPipelineExecution), median', ms(median(first))],
      [
        `warm push -> started (UpdateItem + start), median of ${WARM_REQUESTS}`,
        ms(median(warm.started.times)),
      ],
      [`warm push -> started, p99 of ${WARM_REQUESTS}`, ms(quantile(warm.started.times, 0.99))],
      [`warm push -> ignored (no AWS call), median of ${WARM_REQUESTS}`, ms(median(warm.ignored.times))],
      [`warm push -> ignored (no AWS call), p99 of ${WARM_REQUESTS}`, ms(quantile(warm.ignored.times, 0.99))],
    ];
    console.log(
      `Webhook Lambda benchmark (node ${process.version}, ${process.arch}; AWS faked on 127.0.0.1)\n`,
    );
    console.log(table(rows));
    console.log(
      `\nFake AWS served ${aws.requests.length} requests (${aws.requests.filter((r) => r.target.endsWith('GetSecretValue')).length} GetSecretValue).`,
    );
  } finally {
    await aws.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
