// `npm run bench:synth`: median wall time of synthesizing Berth beside an empty CDK app (a benchmark, not a test).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const runs = Number(process.env.BENCH_RUNS ?? 5);
const tsxCli = require.resolve('tsx/cli');
// The CLI hands the app cdk.json's context (feature flags) this way; do the same so the app synthesizes as it would.
const context = JSON.stringify(
  JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context,
);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function time(label: string, args: string[]): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const outdir = mkdtempSync(path.join(tmpdir(), 'berth-bench-'));
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, {
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: context },
      stdio: 'pipe',
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    rmSync(outdir, { recursive: true, force: true });
    if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr.toString()}`);
    samples.push(ms);
  }
  return median(samples);
}

const empty = time('empty app', ['-e', "const { App } = require('aws-cdk-lib'); new App().synth();"]);
const berth = time('berth', [tsxCli, path.join(__dirname, '..', 'bin', 'berth.ts')]);
console.log(`synth benchmark, median of ${runs} runs (built-in CloudFormation validation on, cdk-nag on)`);
console.log(`  empty CDK app : ${empty.toFixed(0).padStart(6)} ms`);
console.log(`  berth app     : ${berth.toFixed(0).padStart(6)} ms`);
console.log(`  ratio         : ${(berth / empty).toFixed(2)}x`);
