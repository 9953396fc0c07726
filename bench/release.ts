/**
 * `npm run bench:release`: figures for the four release functions (Scan, Push, Deploy, Verify), printed as a
 * table. A benchmark, not a test: nothing here passes or fails on time.
 *
 * - bundle: each `src/functions/release-<stage>/index.ts` bundled as the CDK does (esbuild, node22, minify, cjs,
 *   @aws-sdk/* bundled);
 * - cold load: median wall time of `require(bundle)` in fresh `node` processes (Powertools, clients, settings);
 * - job: one typical action run to its end through the runner, on a virtual clock, so the time is the function's
 *   own work and its AWS calls, never the waits for ECR, CloudFormation or ECS (median of BENCH_RUNS jobs);
 * - step: each `step` call of those jobs (the first step and each poll), median and max.
 *
 * AWS is moto on 127.0.0.1 when a Python with moto is found (real HTTP, patched as in the rehearsal), else
 * in-process fakes (aws-sdk-client-mock); BENCH_BACKEND=fake forces the fakes.
 * Knobs: BENCH_RUNS (default 7), BENCH_COLD_RUNS (default 7).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { build } from 'esbuild';
import { candidateTag } from '../src/contracts';
import { createDeployStage } from '../src/functions/release/deploy';
import { createPushStage } from '../src/functions/release/push';
import type { StageSetup } from '../src/functions/release/runner';
import { createScanStage } from '../src/functions/release/scan';
import {
  deploySettings,
  pushSettings,
  scanSettings,
  verifySettings,
} from '../src/functions/release/settings';
import { createVerifyStage } from '../src/functions/release/verify';
import { findMotoPython, Moto } from '../scripts/rehearse/moto';
import {
  basicFinding as motoFinding,
  CLUSTER,
  type Ctx,
  deployStage,
  newProject,
  newRepository,
  pushCandidates,
  pushStage,
  scanScript,
  scanStage,
  verifyStage,
} from '../scripts/rehearse/scenarios';
import { createClients, type JobRun, randomCommit, runJob, VirtualClock } from '../scripts/rehearse/world';
import { FakeCloudFormation } from '../test/functions/release/fake-cloudformation';
import { basicFinding, FakeEcr, platformManifest } from '../test/functions/release/fake-ecr';

const REPO = path.resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 7);
const FUNCTIONS = ['Scan', 'Push', 'Deploy', 'Verify'] as const;
type Fn = (typeof FUNCTIONS)[number];

// ---------------------------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------------------------

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
const median = (v: readonly number[]) => quantile(v, 0.5);
const ms = (v: number) => (Number.isNaN(v) ? '-' : `${v.toFixed(v < 10 ? 2 : 1)} ms`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

interface Figures {
  bundleKb?: number;
  load: number[];
  job: number[];
  steps: number[];
  firstStep: number[];
  stepsPerJob: number[];
  apiCalls: number[];
}
const figures = Object.fromEntries(
  FUNCTIONS.map((f) => [
    f,
    { load: [], job: [], steps: [], firstStep: [], stepsPerJob: [], apiCalls: [] } as Figures,
  ]),
) as Record<Fn, Figures>;

/** The stage with each `step` call timed. */
function timed<S>(setup: StageSetup<S>, into: number[]): StageSetup<S> {
  if (!setup.ok) throw new Error(`the stage is misconfigured: ${setup.error}`);
  const stage = setup.stage;
  return {
    ok: true,
    stage: {
      ...stage,
      step: async (run) => {
        const t = performance.now();
        try {
          return await stage.step(run);
        } finally {
          into.push(performance.now() - t);
        }
      },
    },
  };
}

/** Runs one job and records its figures. */
async function measure<S>(
  fn: Fn,
  setup: StageSetup<S>,
  clock: VirtualClock,
  commit: string,
  countCalls: () => number,
) {
  const steps: number[] = [];
  const before = countCalls();
  const t = performance.now();
  const run: JobRun = await runJob(timed(setup, steps), clock, { commit, mode: 'release' });
  const elapsed = performance.now() - t;
  if (run.final.outcome !== 'succeeded')
    throw new Error(`${fn} did not succeed: ${JSON.stringify(run.final)}`);
  const f = figures[fn];
  f.job.push(elapsed);
  f.steps.push(...steps);
  f.firstStep.push(steps[0]);
  f.stepsPerJob.push(steps.length);
  f.apiCalls.push(countCalls() - before);
}

// ---------------------------------------------------------------------------------------------------------------
// Cold load of the bundles
// ---------------------------------------------------------------------------------------------------------------

const LOAD_CHILD = `
const t0 = performance.now();
const m = require(process.env.BENCH_BUNDLE);
const t1 = performance.now();
if (typeof m.handler !== 'function') process.exit(3);
process.stderr.write('BENCH ' + JSON.stringify({ load: t1 - t0 }) + '\\n');
`;

function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<{ wallMs: number; load?: number }> {
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
      resolve({ wallMs, ...(line ? (JSON.parse(line.slice(6)) as { load: number }) : {}) });
    });
  });
}

async function coldLoads(dir: string): Promise<number[]> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_NO_WARNINGS: '1',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'release',
    POWERTOOLS_METRICS_NAMESPACE: 'Berth',
    BERTH_PROJECT: 'bench',
    REPOSITORY_NAME: 'berth/bench',
    IMAGE_ARCHITECTURES: 'amd64,arm64',
    STACK_NAME: 'berth-bench',
    RELEASE_ROLE_ARN: 'arn:aws:iam::123456789012:role/berth-bench-release',
    RELEASE_LOG_PARAMETER: '/berth/bench/release',
    CLUSTER_NAME: 'berth',
    SERVICE_NAME: 'bench',
  };
  const baseline: number[] = [];
  await runNode(['-e', '0'], env);
  for (const fn of FUNCTIONS) {
    const bundle = path.join(dir, `${fn.toLowerCase()}.js`);
    await build({
      entryPoints: [path.join(REPO, `src/functions/release-${fn.toLowerCase()}/index.ts`)],
      absWorkingDir: REPO,
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node22',
      minify: true,
      format: 'cjs',
      external: [],
      logLevel: 'warning',
    });
    figures[fn].bundleKb = statSync(bundle).size / 1024;
    for (let i = 0; i < COLD_RUNS; i++) {
      if (fn === 'Scan') baseline.push((await runNode(['-e', '0'], env)).wallMs);
      const run = await runNode(['-e', LOAD_CHILD], { ...env, BENCH_BUNDLE: bundle });
      figures[fn].load.push(run.load ?? NaN);
    }
  }
  return baseline;
}

// ---------------------------------------------------------------------------------------------------------------
// Jobs against moto
// ---------------------------------------------------------------------------------------------------------------

async function jobsAgainstMoto(moto: Moto): Promise<void> {
  Object.assign(process.env, moto.awsEnv());
  const clients = createClients();
  const ctx: Ctx = { moto, clients };
  const calls = () => [...clients.calls.counts.values()].reduce((a, b) => a + b, 0);
  for (let i = 0; i < RUNS; i++) {
    {
      const repo = await newRepository(ctx, 'bench-scan');
      const commit = randomCommit();
      const images = await pushCandidates(ctx, repo, commit);
      for (const m of Object.values(images)) {
        await scanScript(ctx, repo, m.digest, [
          { status: 'COMPLETE', findings: [motoFinding('CVE-1', 'HIGH'), motoFinding('CVE-2', 'LOW')] },
        ]);
      }
      const clock = new VirtualClock();
      await measure('Scan', scanStage(ctx, clock, repo), clock, commit, calls);
    }
    {
      const repo = await newRepository(ctx, 'bench-push');
      const commit = randomCommit();
      await pushCandidates(ctx, repo, commit);
      await measure('Push', pushStage(ctx, repo), new VirtualClock(), commit, calls);
    }
    {
      const p = await newProject(ctx, 'bench-deploy');
      const commit = randomCommit();
      await moto.send({
        cmd: 'stack-outcome',
        stack: p.stack,
        key: `ImageTag=${commit}`,
        kind: 'complete',
        polls: 3,
      });
      await measure('Deploy', deployStage(ctx, p), new VirtualClock(), commit, calls);
    }
    {
      const p = await newProject(ctx, 'bench-verify');
      await moto.send({
        cmd: 'service-script',
        cluster: CLUSTER,
        service: p.service,
        steps: [
          { rolloutState: 'IN_PROGRESS', running: 1 },
          { rolloutState: 'COMPLETED', running: 2 },
        ],
      });
      await measure('Verify', verifyStage(ctx, p.service), new VirtualClock(), randomCommit(), calls);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Jobs against in-process fakes
// ---------------------------------------------------------------------------------------------------------------

async function jobsAgainstFakes(): Promise<void> {
  const region = 'us-east-1';
  const ecr = new FakeEcr();
  const cfn = new FakeCloudFormation();
  const ecs = mockClient(ECSClient);
  const ssm = mockClient(SSMClient);
  mockClient(CodePipelineClient);
  const base = {
    AWS_REGION: region,
    BERTH_PROJECT: 'bench',
    REPOSITORY_NAME: 'berth/bench',
    IMAGE_ARCHITECTURES: 'amd64,arm64',
  };
  const calls = () =>
    ecr.mock.calls().length + cfn.mock.calls().length + ecs.calls().length + ssm.calls().length;
  const { ECRClient } = await import('@aws-sdk/client-ecr');
  for (let i = 0; i < RUNS; i++) {
    const commit = randomCommit();
    {
      ecr.reset();
      for (const arch of ['amd64', 'arm64'] as const) {
        const m = ecr.push(candidateTag(commit, arch), platformManifest(`${commit}-${arch}`));
        ecr.scan(m.digest, {
          status: 'COMPLETE',
          findings: [basicFinding('CVE-1', 'HIGH'), basicFinding('CVE-2', 'LOW')],
          completedAt: new Date(),
        });
      }
      const clock = new VirtualClock();
      await measure(
        'Scan',
        createScanStage(scanSettings(base), { ecr: new ECRClient({ region }), now: clock.now }),
        clock,
        commit,
        calls,
      );
      await measure(
        'Push',
        createPushStage(pushSettings(base), { ecr: new ECRClient({ region }) }),
        new VirtualClock(),
        commit,
        calls,
      );
    }
    {
      cfn.reset();
      cfn.outcome = { kind: 'complete', polls: 3 };
      ecs.reset();
      ssm.reset();
      ecs.on(DescribeServicesCommand).resolves({
        services: [
          {
            status: 'ACTIVE',
            desiredCount: 2,
            runningCount: 2,
            deployments: [
              { id: 'd', status: 'PRIMARY', rolloutState: 'COMPLETED', desiredCount: 2, runningCount: 2 },
            ],
          },
        ],
      });
      ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'none' } });
      ssm.on(PutParameterCommand).resolves({ Version: 2 });
      const env = {
        ...base,
        STACK_NAME: 'berth-cash-collection',
        RELEASE_ROLE_ARN: 'arn:aws:iam::123456789012:role/berth-bench-release',
        RELEASE_LOG_PARAMETER: '/berth/bench/release',
        CLUSTER_NAME: 'berth',
        SERVICE_NAME: 'bench',
      };
      await measure(
        'Deploy',
        createDeployStage(deploySettings(env), {
          cfn: new CloudFormationClient({ region }),
          ecs: new ECSClient({ region }),
          ssm: new SSMClient({ region }),
        }),
        new VirtualClock(),
        commit,
        calls,
      );
      ecs.reset();
      ecs
        .on(DescribeServicesCommand)
        .resolvesOnce({
          services: [
            {
              status: 'ACTIVE',
              desiredCount: 2,
              runningCount: 1,
              deployments: [
                { id: 'd', status: 'PRIMARY', rolloutState: 'IN_PROGRESS', desiredCount: 2, runningCount: 1 },
              ],
            },
          ],
        })
        .resolves({
          services: [
            {
              status: 'ACTIVE',
              desiredCount: 2,
              runningCount: 2,
              deployments: [
                { id: 'd', status: 'PRIMARY', rolloutState: 'COMPLETED', desiredCount: 2, runningCount: 2 },
              ],
            },
          ],
        });
      await measure(
        'Verify',
        createVerifyStage(verifySettings(env), {
          ecs: new ECSClient({ region }),
          fetch: (input, init) => fetch(input, init),
        }),
        new VirtualClock(),
        commit,
        calls,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-release-bench-'));
  let moto: Moto | undefined;
  try {
    const baseline = await coldLoads(dir);
    const python = process.env.BENCH_BACKEND === 'fake' ? undefined : findMotoPython();
    let backend: string;
    if (python !== undefined) {
      moto = await Moto.start(python);
      backend = `moto on ${moto.endpoint} (real HTTP)`;
      await jobsAgainstMoto(moto);
    } else {
      backend = 'in-process fakes (aws-sdk-client-mock)';
      await jobsAgainstFakes();
    }
    console.log(`Release functions benchmark (node ${process.version}, ${process.arch}; AWS: ${backend})\n`);
    console.log(
      table(
        [
          'function',
          'bundle',
          `cold load (median of ${COLD_RUNS})`,
          `job (median of ${RUNS})`,
          'first step',
          'step median',
          'step max',
          'steps/job',
          'AWS calls/job',
        ],
        FUNCTIONS.map((fn) => {
          const f = figures[fn];
          return [
            fn,
            `${(f.bundleKb ?? 0).toFixed(0)} KB`,
            ms(median(f.load)),
            ms(median(f.job)),
            ms(median(f.firstStep)),
            ms(median(f.steps)),
            ms(quantile(f.steps, 1)),
            String(median(f.stepsPerJob)),
            String(median(f.apiCalls)),
          ];
        }),
      ),
    );
    console.log(
      `\nbaseline \`node -e 0\`: ${ms(median(baseline))} (median of ${COLD_RUNS}). Jobs: Scan of 2 candidates already scanned ` +
        '(2 findings each); Push of 2 candidates; Deploy of a release whose stack update completes after 3 polls; ' +
        'Verify of a rollout that completes on the second poll. Waits run on a virtual clock and are not counted.',
    );
  } finally {
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
